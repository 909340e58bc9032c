#!/bin/sh
# The product's main job, end to end: a real 2-node torch-distributed DDP
# training run (CPU, gloo, Debian python3-torch) through libkftrainer's public
# API (examples/c/train_ddp.c), checked for a falling loss on both ranks and
# identical final parameters; then `kft get/logs` from another process.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
	echo "skip: Debian python3-torch is not installed (apt-get install python3-torch)"; exit 77
fi
if ! command -v torchrun >/dev/null 2>&1; then
	echo "skip: torchrun is not on PATH"; exit 77
fi
[ -x "$BUILD/examples/train_ddp" ] || { echo "missing $BUILD/examples/train_ddp (make examples)"; exit 1; }
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
STATE=$(mktemp -d /tmp/kft-ddp.XXXXXX)
trap 'rm -rf "$STATE"' EXIT
export KFT_STATE_DIR="$STATE" KFT_BACKEND=local DEMO_STEPS=30
out="$STATE/out.txt"
timeout 600 "$BUILD/examples/train_ddp" "$TOP/examples/ddp_train.py" ddp-test >"$out" 2>&1
rc=$?
cat "$out"
[ $rc -eq 0 ] || { echo "FAIL: train_ddp exited $rc"; exit 1; }
for r in 0 1; do
	grep -q "node-$r: .*rank $r loss .* -> " "$out" || { echo "FAIL: no loss summary for rank $r"; exit 1; }
done
grep -q "both ranks ended with identical parameters" "$out" || { echo "FAIL: parameters differ"; exit 1; }
# another process sees the finished job and its logs
"$BUILD/kft" get ddp-test -o json | grep -q '"status": "Complete"' || { echo "FAIL: kft get"; exit 1; }
"$BUILD/kft" logs ddp-test --step node-1 | grep -q "rank 1 params-sha256" || { echo "FAIL: kft logs"; exit 1; }
echo "PASS: 2-node DDP job trained and both ranks agree"
