#!/usr/bin/env bash
# `make test`: formatting, lints and every test of the workspace; central's HTTP tests on both stores;
# the Debian packages. Run by `make test` after `make deps` (the system packages the build needs).
#
# The registry downloads and model conversions (`make fixtures models voice-pack face-pack`: 189 s
# from empty caches on 2 cores, 2026-12-07, mostly waiting on the network) run while the workspace
# builds; the tests wait for both. Their output is printed when they end.
#
# The face check's two evaluation sets (`vision/tests/pad.rs`, `independent.rs`: clips rendered and
# checked by the real networks, 380 of the tests' 746 s on 2 cores) run every second case here
# (JIUZHU_EVAL_EVERY=2), every group and every subject still among them: CI's budget is "well under 30
# minutes", and stop 30's CI took 45. `scripts/test.sh eval` (`make eval`) runs them whole, from the
# same build; the numbers vision/README.md gives for them are the whole sets'.
#
# The tests run one target after another, as cargo runs them. Tried and dropped (2026-12-07): the
# face check's evaluation sets (`vision/tests/pad.rs`, `independent.rs`) at nice 10 in a second lane
# beside the other tests, which leave most of the machine idle on their own. On 2 cores it took
# longer (16 min 25 s against 13 min 30 s): 30 min of CPU instead of about 20, the networks' worker
# threads (OpenCV, TBB, XNNPACK) spinning against each other; and a browser test's idle connection
# outlived the server's keep-alive timeout on the busy machine (the test client now replaces a
# connection idle for 4 s, `central/src/client.rs`).
#
# The lints run inside the build the tests run from: clippy-driver wraps rustc for the workspace's own
# crates (what `cargo clippy` does for `cargo check`), so the dependencies are compiled once instead of
# also being checked a second time, and `-D warnings` fails the build on any lint, in every target
# (lib, bins, tests, examples, benches). Before, on a clean clone (2 cores, 2026-12-07): `cargo clippy
# --all-targets` 680 s, then the test build 752 s more, the dependencies' front end running twice.
# (The wrapper is set on the cargo commands only, not on the
# prerequisites: a pip install that builds a Rust extension must not be linted as if it were ours.)
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO="${CARGO:-cargo}"
MAKE="${MAKE:-make}"
export CARGO_INCREMENTAL=0
command -v clippy-driver >/dev/null || {
    echo "make test: clippy-driver not found (rustup component add clippy)" >&2
    exit 1
}
linted() {
    RUSTC_WORKSPACE_WRAPPER="$(command -v clippy-driver)" \
        CLIPPY_ARGS=-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__ "$@"
}

if [ "${1:-}" = eval ]; then
    # the evaluation sets whole, every case printed
    unset JIUZHU_EVAL_EVERY
    linted $CARGO test --workspace --test pad --test independent -- --nocapture
    exit
fi

LOGS="$(mktemp -d)"
prep=""
cleanup() {
    # a failed step ends the downloads if they still run (in their own process group)
    [ -z "$prep" ] || kill -- "-$prep" 2>/dev/null || true
    rm -rf "$LOGS"
}
trap cleanup EXIT

# 1. prerequisites from the registries, in the background
setsid "$MAKE" --no-print-directory fixtures models voice-pack face-pack >"$LOGS/prep" 2>&1 &
prep=$!

# 2. formatting, then the linted build of every target
$CARGO fmt --all -- --check
# (Tried and dropped, 2026-12-07: OpenCV's bindings built first, on their own. Their build script gives
# its jobserver token back to run its generators and waits to get it back, which cargo allows only when
# no other crate is ready: 16 min into a clean build. Built first they took 2 min 12 s, but the whole
# build took as long, 24 min: it is bound by its CPU time on 2 cores, not by that wait.)
linted $CARGO test --workspace --all-targets --no-run

if wait "$prep"; then
    cat "$LOGS/prep"
else
    cat "$LOGS/prep"
    echo "make test: preparing the fixtures and models failed (above)" >&2
    exit 1
fi

# 3. the tests
failed=()
JIUZHU_EVAL_EVERY=2 linted $CARGO test --workspace --no-fail-fast || failed+=("tests")
# the HTTP tests again, on PostgreSQL (central/tests/support: a cluster per test binary); selected
# with --workspace, not -p jiuzhu-central, whose own feature resolution rebuilt core and central
JIUZHU_TEST_STORE=postgres linted $CARGO test --workspace --no-fail-fast \
    --test http --test attacks --test console --test console_browser --test help_calls \
    --test procedure --test procedure_paths --test security_data || failed+=("PostgreSQL tests")
linted bash packaging/check-deb.sh debug || failed+=("packages")
if [ "${#failed[@]}" -gt 0 ]; then
    echo "make test: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "make test: all passed"
