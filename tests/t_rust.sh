#!/bin/sh
# examples/rust: build the extern "C" example offline (no crates) with cargo
# against build/ and run a 2-node local job with it.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
[ -f "$BUILD/libkftrainer.so" ] || { echo "t_rust: $BUILD/libkftrainer.so not built"; exit 1; }

# tests/run.sh points HOME at a temp dir; rustup's proxies find their
# toolchains through RUSTUP_HOME/CARGO_HOME, default under the real home.
realhome=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)
for h in "${RUSTUP_HOME:-}" "$realhome/.rustup"; do
	[ -n "$h" ] && [ -d "$h" ] && { export RUSTUP_HOME="$h"; break; }
done
if [ -z "${CARGO_HOME:-}" ] && [ -d "$realhome/.cargo" ]; then
	PATH="$PATH:$realhome/.cargo/bin"
fi
command -v cargo >/dev/null 2>&1 && cargo --version >/dev/null 2>&1 || {
	echo "no working cargo (Rust toolchain missing)"; exit 77; }
tmp=$(mktemp -d /tmp/kft-rust.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

# CARGO_HOME in the temp dir: nothing from the user's registry, no network.
export CARGO_HOME="$tmp/cargo-home" CARGO_TARGET_DIR="$BUILD/rust-target"
export KFTRAINER_LIB_DIR="$BUILD"
echo "$(cargo --version), $(rustc --version)"
(cd "$TOP/examples/rust" && cargo build --offline --locked --quiet) || {
	echo "examples/rust failed to build"; exit 1; }
echo "built examples/rust"

. "$TOP/tests/example_check.sh"
check_example examples/rust "$CARGO_TARGET_DIR/debug/kftrainer-example" "$tmp/out" "thread-local errors: 16 threads"
