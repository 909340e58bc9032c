#!/bin/sh
# An MPI runtime on the local backend, end to end with Debian's Open MPI: the
# launcher step runs the TrainJob's mpirun with the plan's hostfile
# (localhost slots = nodes x numProcPerNode) instead of /etc/mpi/hostfile, and
# every rank runs; a failing rank fails the job with the launcher's exit code;
# ranks in the job's mount namespace talk through shared memory (vader).
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
	-- mpirun --hostfile /etc/mpi/hostfile sh -c 'exit $((OMPI_COMM_WORLD_RANK == 1 ? 5 : 0))' \
	>"$STATE/bad.out" 2>&1
rc=$?
[ $rc = 3 ] || { cat "$STATE/bad.out"; fail "train mpi-bad exited $rc, wanted 3 (Failed)"; }
"$K" get mpi-bad >"$STATE/bad.get" || fail "get mpi-bad"
has "$STATE/bad.get" "Status:   Failed"
# one rank fails (with ranks failing in a race, mpirun's code was whichever exited first)
has "$STATE/bad.get" "Reason:   launcher exited with code 5"
ok "a failing rank fails the job (exit 3), reason on the launcher"

# Shared memory between ranks inside the job's mount namespace: Open MPI may use
# only its shared-memory transport (btl self,vader: no TCP to fall back on), and
# its verbose output must say every rank sent through vader. The ranks run in
# the job's namespace: their /workspace is the job's (absent on this machine).
if ! /usr/bin/python3 -c 'import mpi4py' 2>/dev/null; then
	echo "skip: python3-mpi4py is not installed (the shared-memory case; scripts/deps.d/mpi.txt)"
	exit 77
fi
cat >"$STATE/pingpong.py" <<'PY'
import os
from mpi4py import MPI
c = MPI.COMM_WORLD
r = c.Get_rank()
n = c.Get_size()
buf = bytearray(1 << 20)   # 1 MiB each way, between ranks 2k and 2k+1
if r % 2 == 0 and r + 1 < n:
    c.Send([buf, MPI.BYTE], dest=r + 1)
    c.Recv([buf, MPI.BYTE], source=r + 1)
elif r % 2 == 1:
    c.Recv([buf, MPI.BYTE], source=r - 1)
    c.Send([buf, MPI.BYTE], dest=r - 1)
c.Barrier()
open("/workspace/output/rank-%d" % r, "w").write(os.readlink("/proc/self/ns/mnt"))
print("pingpong rank %d of %d ok" % (r, n), flush=True)
PY
"$K" train --runtime deepspeed-distributed --name mpi-shm --nodes 1 --nproc 2 --wait --timeout 120 \
	--env OMPI_MCA_btl=self,vader --env OMPI_MCA_btl_base_verbose=100 \
	-- mpirun --hostfile /etc/mpi/hostfile /usr/bin/python3 "$STATE/pingpong.py" \
	>"$STATE/shm.out" 2>&1 || { cat "$STATE/shm.out"; "$K" logs mpi-shm; fail "train mpi-shm"; }
"$K" logs mpi-shm >"$STATE/shm.logs" || fail "logs mpi-shm"
size=$(sed -n 's/.*pingpong rank 0 of \([0-9]*\) ok$/\1/p' "$STATE/shm.logs")
[ -n "$size" ] && [ "$size" -ge 2 ] || { cat "$STATE/shm.logs"; fail "rank 0 did not finish"; }
[ "$(grep -c "pingpong rank [0-9]* of $size ok" "$STATE/shm.logs")" = "$size" ] || fail "not every rank finished"
# every rank (a pid in Open MPI's "[host:pid]" prefix) sent to its peers through vader
[ "$(sed -n 's/.*\[[^]:]*:\([0-9]*\)\] mca: bml: Using vader btl for send to.*/\1/p' "$STATE/shm.logs" |
	sort -u | wc -l)" = "$size" ] ||
	{ cat "$STATE/shm.logs"; fail "not every rank sent through vader (shared memory)"; }
grep -q "Using tcp btl" "$STATE/shm.logs" && fail "a rank used TCP"
W="$STATE/jobs/mpi-shm/workspace/output"
for r in $(seq 0 $((size - 1))); do
	[ -f "$W/rank-$r" ] || fail "rank $r's /workspace is not the job's"
	[ "$(cat "$W/rank-$r")" = "$(cat "$W/rank-0")" ] || fail "the ranks ran in different mount namespaces"
done
[ "$(cat "$W/rank-0")" != "$(readlink /proc/self/ns/mnt)" ] || fail "the ranks ran in this machine's mount namespace"
ok "MPI ranks in the job's mount namespace exchange 1 MiB through shared memory (vader)"
echo "$n checks passed"
