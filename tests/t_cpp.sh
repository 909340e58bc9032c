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

. "$TOP/tests/example_check.sh"
check_example examples/cpp "$tmp/train" "$tmp/out"
