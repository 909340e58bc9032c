#!/bin/sh
# The 2-node DDP demo job in containers: `kft train -b container` runs torch
# (Debian's python3-torch from the host's /usr, bind-mounted read-only into the
# near-empty kft-skel image, no registry) on two containers that rendezvous
# over torchrun's PET_* environment -- first on the host network (127.0.0.1 and
# a free port), then on a per-job --internal network (master <job>-node-0).
# Exit 77 when dockerd or torch cannot run here.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${KFT_BUILD:-$TOP/build}
. "$TOP/tests/images/engine.sh"
kft_engine_own_ns "$0" "$@"   # podman: a network namespace of its own
why=$(kft_engine_prereqs) || { echo "skip: $why"; exit 77; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "skip: python3-torch not installed"; exit 77; }
trap 'kft_engine_stop' EXIT INT TERM
kft_engine_start || { echo "skip: cannot run a private dockerd here"; exit 77; }
: "${KFT_STATE_DIR:=$D/state}"
export KFT_STATE_DIR KFT_BACKEND=container
export KFT_CONTAINER_MOUNTS=/usr:/usr:ro,/etc/alternatives:/etc/alternatives:ro
K="$BLD/kft"
O=$D/out; mkdir -p "$O"
fail() { echo "FAIL: $*"; exit 1; }
# torchrun on Python 3.11 needs PET_REDIRECTS/PET_TEE (machine.md); 0.2 s monitor
run_ddp() { # name, network
	start=$(date +%s)
	"$K" --network "$2" train --name "$1" --nodes 2 --image localhost/kft-skel:1 \
		--env PET_REDIRECTS=1 --env PET_TEE=1 --env PET_MONITOR_INTERVAL=0.2 \
		--env DDP_OUT=/workspace/ddp.txt --script "$TOP/tests/images/ddp_train.py" \
		>"$O/$1.out" 2>"$O/$1.err" && kft_engine_wait "$K" "$1" 600 >>"$O/$1.err" 2>&1 ||
		{ cat "$O/$1.err"; "$K" logs "$1" | tail -40; fail "DDP job $1 ($2) did not complete"; }
	secs=$(( $(date +%s) - start ))
	"$K" logs "$1" >"$O/$1.logs" || fail "logs $1"
	grep -q "node-0: .*ddp rank=0 world=2 .*synced=1" "$O/$1.logs" || { cat "$O/$1.logs"; fail "rank 0 line"; }
	grep -q "node-1: .*ddp rank=1 world=2 .*synced=1" "$O/$1.logs" || { cat "$O/$1.logs"; fail "rank 1 line"; }
	grep -q "world=2 synced=1" "$KFT_STATE_DIR/container/jobs/$1/workspace/ddp.txt" ||
		fail "rank 0 did not write /workspace/ddp.txt into the job workspace"
	"$K" get "$1" | grep -q "Status:   Complete" || fail "get $1"
	"$K" delete "$1" >/dev/null || fail "delete $1"
	echo "ok - 2-node DDP in containers, $2 network: Complete in ${secs}s, gradients in sync"
}
for net in ${KFT_DDP_NETWORKS:-host internal}; do
	run_ddp "ddp-$net" "$net"
done
