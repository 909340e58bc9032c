#!/bin/sh
# `make bench`: the local backend's numbers side by side (see bench/local/).
# Not a test: prints measurements; targets are in the right column.
#   bench/run.sh [ROUNDS] [CONCURRENT]      (defaults 20 and 500)
set -eu
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cc -O2 -std=c11 -D_GNU_SOURCE -I"$TOP/include" -o "$TOP/$B/bench_local" "$TOP/bench/local/bench_local.c" \
	-L"$TOP/$B" -lkftrainer -Wl,-rpath,"$TOP/$B"
STATE=$(mktemp -d /tmp/kft-bench.XXXXXX)
trap 'rm -rf "$STATE"' EXIT
export KFT_STATE_DIR="$STATE" KFT_BACKEND=local KFT_SUPERVISOR="$TOP/$B/kft-supervisor"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
# On a busy machine scheduler delays swamp millisecond timings; as root the
# benchmark runs at a higher priority (nice -15) so it measures the library.
NICE=""
if [ "$(id -u)" = 0 ] && [ "${KFT_BENCH_NICE:-1}" = 1 ]; then NICE="nice -n -15"; echo "running under: $NICE"; fi
$NICE "$TOP/$B/bench_local" "${1:-20}" "${2:-500}"
