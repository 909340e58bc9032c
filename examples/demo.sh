#!/bin/sh
# `make demo`: train a real 2-node torch-distributed DDP job on this machine
# (CPU, gloo, Debian's python3-torch) through libkftrainer's local backend,
# stream both nodes' logs, and check that both ranks ended with identical
# parameters. Runs the same TrainJob a cluster would run (runtime
# torch-distributed, 2 nodes, the script embedded into spec.trainer.command).
set -eu
B=${B:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
KFT="$TOP/$B/kft"
export KFT_SUPERVISOR="${KFT_SUPERVISOR:-$TOP/$B/kft-supervisor}"
# The demo keeps its jobs apart from yours unless KFT_STATE_DIR is set.
export KFT_STATE_DIR="${KFT_STATE_DIR:-$TOP/$B/demo-state}"
export KFT_BACKEND=local

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
	echo "demo: Debian's python3-torch is missing (make deps installs it)" >&2
	exit 1
fi
if ! command -v torchrun >/dev/null 2>&1; then
	echo "demo: torchrun is not on PATH (it comes with python3-torch: /usr/bin/torchrun)" >&2
	exit 1
fi

name="ddp-demo-$(date +%H%M%S)"
out="$TOP/$B/demo-$name.log"
echo "== kft render --plan (what will run: argv/env/cwd per node)"
"$KFT" render --plan -b local --runtime torch-distributed --nodes 2 --name "$name" \
	--script "$TOP/examples/ddp_train.py" | grep -E '^- name:|^  - name:|PET_|  rank:' || true
echo
echo "== kft train --follow: 2 nodes x 1 process, torchrun, gloo on 127.0.0.1"
"$KFT" train -b local --runtime torch-distributed --nodes 2 --name "$name" \
	--script "$TOP/examples/ddp_train.py" --follow | tee "$out"
echo
"$KFT" get "$name"
echo
echo "== checks"
fail=0
for r in 0 1; do
	first=$(grep -E "rank $r loss [0-9.]+ -> " "$out" | sed -E 's/.*loss ([0-9.]+) -> ([0-9.]+).*/\1 \2/')
	if [ -z "$first" ]; then echo "rank $r: no loss summary"; fail=1; continue; fi
	set -- $first
	echo "rank $r: loss $1 -> $2"
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(b < a) }' || { echo "rank $r: loss did not fall"; fail=1; }
done
s0=$(grep -E "rank 0 params-sha256" "$out" | awk '{print $NF}')
s1=$(grep -E "rank 1 params-sha256" "$out" | awk '{print $NF}')
echo "rank 0 params sha256: $s0"
echo "rank 1 params sha256: $s1"
if [ -n "$s0" ] && [ "$s0" = "$s1" ]; then
	echo "both ranks ended with identical parameters"
else
	echo "parameters differ between ranks"; fail=1
fi
status=$("$KFT" get "$name" -o json | grep '"status"' | head -1)
case "$status" in *Complete*) ;; *) echo "job did not complete: $status"; fail=1 ;; esac
if [ $fail -ne 0 ]; then echo "demo: FAILED"; exit 1; fi
echo "demo: OK (job $name; state in $KFT_STATE_DIR; try: KFT_STATE_DIR=$KFT_STATE_DIR $KFT logs $name)"
