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

"$CARGO_TARGET_DIR/debug/kftrainer-example" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
grep -q "^libkftrainer [0-9]" "$tmp/out" || { echo "no version line"; exit 1; }
if [ $rc -ne 0 ] && grep -q "kft_train: .*(code -7)" "$tmp/out"; then
	echo "local backend not available yet"
	exit 77
fi
[ $rc -eq 0 ] || { echo "examples/rust exited $rc"; exit 1; }
for want in "thread-local errors: 16 threads" "status: Complete" "hello from node 0 of 2" "hello from node 1 of 2" \
	"step node-0: Succeeded exit 0" "step node-1: Succeeded exit 0" "^OK$"; do
	grep -q "$want" "$tmp/out" || { echo "missing in output: $want"; exit 1; }
done
echo "Rust example: 2-node local job completed"
