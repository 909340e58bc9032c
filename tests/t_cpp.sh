#!/bin/sh
# examples/cpp: build the C++17 RAII example against build/ and run a 2-node
# local job with it.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
CXX=${CXX:-c++}
command -v "$CXX" >/dev/null 2>&1 || { echo "no C++ compiler ($CXX; apt-get install g++)"; exit 77; }
[ -f "$BUILD/libkftrainer.so" ] || { echo "t_cpp: $BUILD/libkftrainer.so not built"; exit 1; }
tmp=$(mktemp -d /tmp/kft-cpp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

"$CXX" -std=c++17 -Wall -Wextra -Werror -I"$TOP/include" -o "$tmp/train" \
	"$TOP/examples/cpp/train.cpp" -L"$BUILD" -lkftrainer -Wl,-rpath,"$BUILD" || {
	echo "examples/cpp failed to build"; exit 1; }
echo "built examples/cpp with $CXX"

"$tmp/train" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
grep -q "^libkftrainer [0-9]" "$tmp/out" || { echo "no version line"; exit 1; }
if [ $rc -ne 0 ] && grep -q "kft_train: .*(code -7)" "$tmp/out"; then
	echo "local backend not available yet"
	exit 77
fi
[ $rc -eq 0 ] || { echo "examples/cpp exited $rc"; exit 1; }
for want in "status: Complete" "hello from node 0 of 2" "hello from node 1 of 2" \
	"step node-0: Succeeded exit 0" "step node-1: Succeeded exit 0" "^OK$"; do
	grep -q "$want" "$tmp/out" || { echo "missing in output: $want"; exit 1; }
done
echo "C++ example: 2-node local job completed"
