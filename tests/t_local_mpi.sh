#!/bin/sh
# An MPI runtime on the local backend, end to end with Debian's Open MPI: the
# launcher step runs the TrainJob's mpirun with the plan's hostfile
# (localhost slots = nodes x numProcPerNode) instead of /etc/mpi/hostfile, and
# every rank runs; a failing rank fails the job with the launcher's exit code.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
command -v mpirun >/dev/null 2>&1 ||
	{ echo "skip: mpirun is not installed (apt-get install openmpi-bin)"; exit 77; }
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
STATE=$(mktemp -d /tmp/kft-mpi.XXXXXX)
trap 'rm -rf "$STATE"' EXIT
export KFT_STATE_DIR="$STATE" KFT_BACKEND=local
K="$BUILD/kft"
n=0
fail() { echo "FAIL: $*"; exit 1; }
ok() { n=$((n + 1)); echo "ok $n - $*"; }
has() { grep -q -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$1 lacks '$2'"; }; }

# 2 nodes x 2 processes: 4 ranks through the plan's hostfile
"$K" train --runtime deepspeed-distributed --name mpi-ok --nodes 2 --nproc 2 --wait --timeout 120 \
	-- mpirun --hostfile /etc/mpi/hostfile \
	sh -c 'echo "rank=$OMPI_COMM_WORLD_RANK size=$OMPI_COMM_WORLD_SIZE host=$(hostname)"' \
	>"$STATE/train.out" 2>&1 || { cat "$STATE/train.out"; fail "train mpi-ok"; }
"$K" logs mpi-ok >"$STATE/logs" || fail "logs mpi-ok"
for r in 0 1 2 3; do has "$STATE/logs" "launcher: rank=$r size=4"; done
[ "$(grep -c 'rank=' "$STATE/logs")" = 4 ] || fail "not exactly 4 ranks"
"$K" get mpi-ok -o json >"$STATE/get" || fail "get mpi-ok"
has "$STATE/get" '"status": "Complete"'
has "$STATE/get" '"name": "launcher"'
ok "deepspeed-distributed: mpirun ran 4 ranks (2 nodes x 2) from the plan's hostfile"

# a rank that fails: the job is Failed, the reason names the launcher
"$K" train --runtime deepspeed-distributed --name mpi-bad --nodes 2 --wait --timeout 120 \
	-- mpirun --hostfile /etc/mpi/hostfile sh -c 'exit $((OMPI_COMM_WORLD_RANK + 2))' \
	>"$STATE/bad.out" 2>&1
rc=$?
[ $rc = 3 ] || { cat "$STATE/bad.out"; fail "train mpi-bad exited $rc, wanted 3 (Failed)"; }
"$K" get mpi-bad >"$STATE/bad.get" || fail "get mpi-bad"
has "$STATE/bad.get" "Status:   Failed"
has "$STATE/bad.get" "Reason:   launcher exited with code 2"
ok "a failing rank fails the job (exit 3), reason on the launcher"
echo "$n checks passed"
