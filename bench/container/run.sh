#!/bin/sh
# Whole-job overhead of `kft train -b container --wait` against running the
# same containers with the docker CLI directly (docker run -d per node, then
# docker wait), side by side in one run, alternating, against one private
# dockerd. Job: 2 nodes of localhost/kft-busybox:1 on the host network, the
# job workspace bind-mounted at /workspace, PET_* env; the command is WORK
# (default: `echo hi`). Prints each round and the medians; target <= 1.2x.
# Usage: sh bench/container/run.sh [ROUNDS]    (root; needs docker.io)
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BLD=${KFT_BUILD:-$TOP/build}
ROUNDS=${1:-7}
WORK=${WORK:-echo hi}
. "$TOP/tests/images/engine.sh"
why=$(kft_engine_prereqs) || { echo "bench: skip: $why"; exit 0; }
trap 'kft_engine_stop' EXIT INT TERM
kft_engine_start || { echo "bench: cannot start dockerd"; exit 1; }
export KFT_STATE_DIR=$D/state KFT_BACKEND=container
K="$BLD/kft"
BB=localhost/kft-busybox:1
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

run_kft() { # round
	"$K" train --name "k$1" --nodes 2 --image $BB --wait -- sh -c "$WORK" >/dev/null 2>&1
}
run_docker() { # round: what kft does, by hand
	ws=$D/ws/d$1; mkdir -p "$ws"
	for r in 0 1; do
		docker run -d --name "d$1-node-$r" --network host -v "$ws:/workspace:rw" -w /workspace \
			--label "trainer.kubeflow.org/trainjob-name=d$1" \
			-e PET_NNODES=2 -e PET_NODE_RANK=$r -e PET_MASTER_ADDR=127.0.0.1 \
			-e PET_MASTER_PORT=29500 --entrypoint sh $BB -c "$WORK" >/dev/null
	done
	docker wait "d$1-node-0" "d$1-node-1" >/dev/null
}
# warm up both paths once
run_kft w >/dev/null; "$K" delete kw >/dev/null 2>&1
run_docker w; docker rm -f dw-node-0 dw-node-1 >/dev/null
kt=""; dt=""
i=1
while [ $i -le "$ROUNDS" ]; do
	a=$(now); run_kft $i || echo "kft round $i failed"; b=$(now)
	c=$(now); run_docker $i; d=$(now)
	k=$(ms $a $b); dd=$(ms $c $d)
	echo "round $i: kft ${k} ms, docker ${dd} ms"
	kt="$kt $k"; dt="$dt $dd"
	"$K" delete "k$i" --grace 0 >/dev/null 2>&1
	docker rm -f "d$i-node-0" "d$i-node-1" >/dev/null
	i=$((i + 1))
done
med() { echo "$@" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
km=$(med $kt); dm=$(med $dt)
echo "median of $ROUNDS: kft train -b container --wait ${km} ms, docker run+wait ${dm} ms, ratio $(echo "scale=2; $km / $dm" | bc)"
