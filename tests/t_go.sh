#!/bin/sh
# examples/go: build the cgo example offline (no modules from the network)
# against build/ and run a 2-node local job with it.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
command -v go >/dev/null 2>&1 || { echo "no Go toolchain (apt-get install golang-go)"; exit 77; }
command -v "${CC:-cc}" >/dev/null 2>&1 || { echo "no C compiler for cgo"; exit 77; }
[ -f "$BUILD/libkftrainer.so" ] || { echo "t_go: $BUILD/libkftrainer.so not built"; exit 1; }
tmp=$(mktemp -d /tmp/kft-go.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM

# Offline and hermetic: no proxy, no module downloads; a build cache under
# build/ (kept between runs, removed by make clean).
export GOFLAGS=-mod=mod GOPROXY=off GONOSUMDB="*" CGO_ENABLED=1
export GOCACHE="$BUILD/go-cache" GOPATH="$tmp/gopath"
export CGO_CFLAGS="-I$TOP/include" CGO_LDFLAGS="-L$BUILD -Wl,-rpath,$BUILD"
echo "$(go version)"
(cd "$TOP/examples/go" && go vet . && go build -o "$tmp/kftrainer-go" .) || {
	echo "examples/go failed to build"; exit 1; }
echo "built examples/go"

. "$TOP/tests/example_check.sh"
check_example examples/go "$tmp/kftrainer-go" "$tmp/out" "thread-local errors: 32 goroutines"
