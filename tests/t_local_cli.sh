#!/bin/sh
# The kft CLI on the local backend, from separate processes: train, get,
# list, logs (tail, step, follow), wait (exit 0 / 3 on failure / 4 on
# timeout), events, render --plan, delete. Then a TrainJob YAML written for a
# cluster (Trainer's example 01-multi-node.yaml) run unchanged with -b local.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
STATE=$(mktemp -d /tmp/kft-cli.XXXXXX)
trap 'rm -rf "$STATE"' EXIT
export KFT_STATE_DIR="$STATE" KFT_BACKEND=local
fail() { echo "FAIL: $*"; exit 1; }

name=$("$K" train --runtime torch-distributed --nodes 2 --name cli-ok -- \
	sh -c 'for i in 1 2 3; do echo n$PET_NODE_RANK-$i; done') || fail "train"
[ "$name" = cli-ok ] || fail "train printed '$name'"
"$K" wait cli-ok --for Complete --timeout 60 2>/dev/null || fail "wait Complete (rc $?)"
"$K" get cli-ok -o json | grep -q '"status": "Complete"' || fail "get -o json"
"$K" get cli-ok | grep -q 'node-1 *Succeeded *0' || fail "get text"
"$K" list | grep -q '^cli-ok .*Complete' || fail "list"
[ "$("$K" logs cli-ok --step node-1 --tail 1)" = "n1-3" ] || fail "logs --step --tail"
"$K" logs cli-ok | grep -q '^node-0: n0-2$' || fail "logs all steps prefixed"
"$K" events cli-ok | grep -q 'Completed' || fail "events"
"$K" render --plan --runtime torch-distributed --nodes 2 --name cli-plan -- true | \
	grep -q 'PET_NODE_RANK: "1"' || fail "render --plan"
[ ! -e "$STATE/jobs/cli-plan" ] || fail "render --plan created a job"

"$K" train --runtime torch-distributed --name cli-bad -- sh -c 'echo oops >&2; exit 7' >/dev/null
"$K" wait cli-bad --timeout 60 2>"$STATE/err"; rc=$?
[ $rc -eq 3 ] || fail "wait on a failed job exited $rc, wanted 3"
grep -q 'node-0 exited with code 7' "$STATE/err" || fail "failure reason: $(cat "$STATE/err")"

"$K" train --runtime torch-distributed --name cli-slow -- sleep 30 >/dev/null
"$K" wait cli-slow --timeout 1 2>/dev/null; rc=$?
[ $rc -eq 4 ] || fail "wait timeout exited $rc, wanted 4"
"$K" logs cli-ok -f >/dev/null || fail "logs -f of a finished job"
"$K" delete cli-slow >/dev/null || fail "delete"
"$K" get cli-slow >/dev/null 2>&1 && fail "deleted job still there"
"$K" train --runtime torch-distributed --name cli-ok -- true >/dev/null 2>&1 && fail "duplicate name accepted"
echo "CLI verbs: ok"
# the supervisor stays small: no libcurl/libarchive (and their dependencies) mapped
if command -v ldd >/dev/null 2>&1; then
	ldd "$KFT_SUPERVISOR" | grep -E 'libcurl|libarchive|libssl' && fail "kft-supervisor links heavy libraries"
fi

# A cluster TrainJob YAML, unchanged, on this machine.
Y=""
for d in "$TOP/../shared/kubeflow-trainer" /work/shared/kubeflow-trainer; do
	[ -f "$d/master/examples/yaml/01-multi-node.yaml" ] && Y="$d/master/examples/yaml/01-multi-node.yaml" && break
done
if [ -z "$Y" ]; then echo "skip: Trainer's example YAML (../shared/kubeflow-trainer) is not here"; exit 77; fi
if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || ! command -v torchrun >/dev/null; then
	echo "skip: python3-torch/torchrun missing for the cluster YAML run"; exit 77
fi
# Its nodes run `torchrun --no-python python3 ...`: use the python3 that has torch,
# and Debian's torch 1.13 torchrun spells the flag --no_python (the only edit).
sed 's/--no-python/--no_python/' "$Y" >"$STATE/job.yaml"
PATH=/usr/bin:$PATH "$K" train -f "$STATE/job.yaml" >/dev/null || fail "train -f $Y"
"$K" wait multi-node-example --timeout 400 2>/dev/null || { "$K" get multi-node-example; fail "YAML job"; }
for r in 0 1 2; do
	"$K" logs multi-node-example --step node-$r | grep -q "RANK: $r" || fail "node-$r output"
done
"$K" logs multi-node-example --step node-0 | grep -q 'WORLD_SIZE: 3' || fail "WORLD_SIZE"
echo "PASS: CLI verbs and Trainer's 01-multi-node.yaml on the local backend"
