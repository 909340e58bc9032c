#!/bin/sh
# The container backend's jobs are owned by kft-supervisor, not by whoever
# observes them: with a real, private engine (dockerd; KFT_TEST_ENGINE=podman
# for podman's service, see t_container_podman.sh), and WITHOUT calling kft
# get/wait/logs until the engine itself (docker CLI) shows the outcome:
#  - fail-fast: node-1 exits 3, node-0 (sleep 300) is stopped;
#  - activeDeadlineSeconds: the container is stopped, DeadlineExceeded;
#  - kft train returns while a slow initializer runs; nodes start after it;
#  - kill -9 of the supervisor: its step programs stop every container and
#    the job reads Failed / SupervisorDied;
#  - OOM-killed: reason OOMKilled on the step (dockerd; podman 4.3 on this
#    machine's hybrid cgroups reports only exit code 137 = SIGKILL);
#  - suspend/resume of a running job: containers stopped, then recreated;
#  - a job only its containers know (state dir lost, supervisor and step
#    programs gone): get/list/wait/events/logs report it through the runner's
#    status algorithm (Failed, naming node-1) and change nothing: node-0,
#    which fail-fast would have stopped, keeps running untouched.
# Exit 77 when the engine cannot run here.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${KFT_BUILD:-$TOP/build}
. "$TOP/tests/images/engine.sh"
kft_engine_own_ns "$0" "$@"   # podman: a network namespace of its own
why=$(kft_engine_prereqs) || { echo "skip: $why"; exit 77; }
trap 'kft_engine_stop' EXIT INT TERM
kft_engine_start || { echo "skip: cannot run a private $ENGINE here"; exit 77; }
: "${KFT_STATE_DIR:=$D/state}"
: "${KFT_RUNTIME_PATH:=$D/runtimes}"
export KFT_STATE_DIR KFT_RUNTIME_PATH KFT_BACKEND=container
unset KFT_CONTAINER_MOUNTS
K="$BLD/kft"
BB=localhost/kft-busybox:1
O=$D/out; mkdir -p "$O" "$KFT_RUNTIME_PATH"
n=0
fail() { echo "FAIL: $*"; docker ps -a --format '{{.Names}} {{.Status}}'; exit 1; }
ok() { n=$((n + 1)); echo "ok $n - $*"; }
has() { grep -q -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$1 lacks '$2'"; }; }
running() { [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; }
status() { docker inspect -f '{{.State.Status}}' "$1" 2>/dev/null; }
# poll the ENGINE (not kft) until the container is no longer running
stopped_within() { # container, seconds
	i=0; while running "$1"; do [ $i -ge $(( $2 * 10 )) ] && return 1; sleep 0.1; i=$((i + 1)); done; }
running_within() { # container, seconds
	i=0; until running "$1"; do [ $i -ge $(( $2 * 10 )) ] && return 1; sleep 0.1; i=$((i + 1)); done; }
jobdir() { echo "$KFT_STATE_DIR/container/jobs/$1"; }
echo "# engine: $ENGINE"

# 1. fail-fast with nobody watching
"$K" train --name uf --nodes 2 --image $BB -- sh -c \
	'if [ "$PET_NODE_RANK" = 1 ]; then exit 3; fi; exec sleep 300' >/dev/null || fail "train uf"
sleep 3   # no kft get/wait/logs: only the supervisor acts
stopped_within uf-node-0 20 || fail "uf-node-0 still runs 23 s after node-1 failed, unobserved"
[ "$(docker inspect -f '{{.State.ExitCode}}' uf-node-1)" = 3 ] || fail "uf-node-1 exit code"
"$K" get uf >"$O/get" || fail "get uf"
has "$O/get" "Status:   Failed"
has "$O/get" "Reason:   node-1 (container uf-node-1) exited with code 3"
has "$O/get" "node-1 .*Failed .*3"
"$K" delete uf >/dev/null || fail "delete uf"
ok "unobserved fail-fast: node-1 exits 3, node-0 stopped by the supervisor, job Failed naming node-1"

# 2. activeDeadlineSeconds with nobody watching
"$K" train --name ud --deadline 2 --image $BB -- sleep 300 >/dev/null || fail "train ud"
running_within ud-node-0 10 || fail "ud-node-0 never ran"
stopped_within ud-node-0 25 || fail "ud-node-0 still runs long after its 2 s deadline, unobserved"
"$K" get ud >"$O/get" || fail "get ud"
has "$O/get" "Reason:   DeadlineExceeded"
"$K" delete ud >/dev/null || fail "delete ud"
ok "unobserved activeDeadlineSeconds: container stopped, DeadlineExceeded"

# 3. kft train does not wait for initializers
cat >"$KFT_RUNTIME_PATH/bb-slow.yaml" <<YAML
apiVersion: trainer.kubeflow.org/v1alpha1
kind: ClusterTrainingRuntime
metadata: {name: bb-slow, labels: {trainer.kubeflow.org/framework: torch}}
spec:
  mlPolicy: {numNodes: 1, torch: {}}
  template: {spec: {replicatedJobs: [
    {name: dataset-initializer, template: {metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: dataset-initializer}},
     spec: {template: {spec: {containers: [{name: dataset-initializer, image: "$BB",
       command: [sh, -c, 'sleep 5; mkdir -p "\$OUTPUT_PATH"; echo "slow data" >"\$OUTPUT_PATH/marker"']}]}}}}},
    {name: node, dependsOn: [{name: dataset-initializer, status: Complete}],
     template: {metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}},
     spec: {template: {spec: {containers: [{name: node, image: "$BB",
       command: [sh, -c, 'cat /workspace/dataset/marker']}]}}}}}]}}
YAML
start=$(date +%s%N)
"$K" train --name si --runtime bb-slow --dataset file:///data/x >/dev/null || fail "train si"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -lt 4000 ] || fail "kft train took ${ms} ms: it waited for the 5 s initializer"
running_within si-dataset-initializer 5 || fail "the initializer is not running"
[ "$(status si-node-0)" = created ] || fail "si-node-0 started before its initializer ended ($(status si-node-0))"
"$K" wait si --timeout 60 >/dev/null || fail "wait si"
"$K" logs si --step node-0 >"$O/si" || fail "logs si"
has "$O/si" "slow data"
"$K" delete si >/dev/null || fail "delete si"
ok "kft train returned in ${ms} ms while the initializer ran; the node started after it"

# 4. the supervisor is killed: no container is left running
"$K" train --name sk --nodes 2 --image $BB -- sleep 300 >/dev/null || fail "train sk"
running_within sk-node-0 10 && running_within sk-node-1 10 || fail "sk containers never ran"
sup=$(sed -n 's/.*"supervisorPid":\([0-9]*\).*/\1/p' "$(jobdir sk)/state.json")
[ -n "$sup" ] && kill -9 "$sup" || fail "no supervisor pid to kill"
stopped_within sk-node-0 20 && stopped_within sk-node-1 20 ||
	fail "containers still run 20 s after the supervisor was killed"
"$K" get sk >"$O/get" || fail "get sk"
has "$O/get" "Status:   Failed"
has "$O/get" "Reason:   SupervisorDied"
"$K" delete sk >/dev/null || fail "delete sk"
ok "supervisor killed (-9): every container stopped, job Failed / SupervisorDied"

# 5. OOM-killed: the step's reason
"$K" train --name oo --memory 16Mi --image $BB -- sh -c \
	'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo ${#x}' >/dev/null || fail "train oo"
"$K" wait oo --timeout 60 >/dev/null 2>&1; rc=$?
[ $rc = 3 ] || fail "wait oo: exit $rc, wanted 3 (Failed)"
"$K" get oo >"$O/get" || fail "get oo"
if [ "$ENGINE" = podman ]; then
	has "$O/get" "node-0 .*Failed .*sig9"
	note="podman 4.3 sets no OOMKilled flag here: exit 137 (sig9) only"
else
	has "$O/get" "Reason:   OOMKilled"
	has "$O/get" "node-0 .*Failed .*sig9 .*OOMKilled"
	note="step and job reason OOMKilled"
fi
"$K" delete oo >/dev/null || fail "delete oo"
ok "OOM-killed: $note"

# 6. suspend and resume a running job
"$K" train --name sr --image $BB -- sh -c 'echo started; exec sleep 300' >/dev/null || fail "train sr"
running_within sr-node-0 10 || fail "sr never ran"
first=$(docker inspect -f '{{.Id}}' sr-node-0)
"$K" suspend sr >/dev/null || fail "suspend sr"
stopped_within sr-node-0 20 || fail "sr-node-0 still runs after suspend"
i=0; until "$K" get sr | grep -q "Status:   Suspended"; do
	[ $i -ge 100 ] && fail "sr not Suspended"; sleep 0.2; i=$((i + 1)); done
"$K" resume sr >/dev/null || fail "resume sr"
running_within sr-node-0 20 || fail "sr-node-0 not running after resume"
[ "$(docker inspect -f '{{.Id}}' sr-node-0)" != "$first" ] || fail "resume reused the old container"
i=0; until [ "$(grep -c started "$(jobdir sr)/logs/node-0.log")" = 2 ]; do   # the log is copied after start
	[ $i -ge 50 ] && fail "node-0.log lacks the second run"; sleep 0.2; i=$((i + 1)); done
"$K" delete sr --grace 1 >/dev/null || fail "delete sr"
[ "$(docker ps -aq --filter label=trainer.kubeflow.org/trainjob-name=sr | wc -l)" = 0 ] ||
	fail "sr containers left after delete"
ok "suspend stops the container; resume recreates and starts it"
# 7. lost state dir, no supervisor: every getter reads, none changes a container
"$K" train --name lg --nodes 2 --image $BB -- sh -c \
	'if [ "$PET_NODE_RANK" = 1 ]; then sleep 6; exit 3; fi; exec sleep 300' >/dev/null || fail "train lg"
running_within lg-node-0 10 && running_within lg-node-1 10 || fail "lg containers never ran"
sup=$(sed -n 's/.*"supervisorPid":\([0-9]*\).*/\1/p' "$(jobdir lg)/state.json")
steps=$(grep -o '"pid":[0-9]*' "$(jobdir lg)/state.json" | cut -d: -f2)
[ -n "$sup" ] && [ "$(echo $steps | wc -w)" = 2 ] || fail "lg: no supervisor or step pids"
# freeze the supervisor, kill its step programs (their containers keep running), then it
kill -STOP "$sup" && kill -9 $steps && kill -9 "$sup" || fail "cannot kill lg's processes"
rm -rf "$(jobdir lg)"
stopped_within lg-node-1 20 || fail "lg-node-1 did not exit"
running lg-node-0 || fail "lg-node-0 stopped before any getter ran"
# podman shows an exited container as "stopped" until its cleanup process has run: one state
snap() { docker inspect -f '{{.Name}} {{.State.Status}} {{.State.StartedAt}} {{.State.FinishedAt}}' \
	lg-node-0 lg-node-1 | sed 's/ stopped / exited /'; }
before=$(snap)
"$K" get lg >"$O/get" || fail "get lg"
has "$O/get" "Status:   Failed"
has "$O/get" "Reason:   node-1 (container lg-node-1) exited with code 3"
has "$O/get" "node-0 .*Running"
has "$O/get" "node-1 .*Failed .*3"
"$K" list >"$O/list" || fail "list"
has "$O/list" "^lg .*Failed"
"$K" wait lg --timeout 20 >/dev/null 2>&1; rc=$?
[ $rc = 3 ] || fail "wait lg: exit $rc, wanted 3 (Failed)"
"$K" events lg >"$O/events" || fail "events lg"
has "$O/events" "node-1 exited with code 3"
"$K" logs lg >/dev/null || fail "logs lg"
sleep 1
after=$(snap)
[ "$before" = "$after" ] || fail "a getter changed the containers: before: $before; after: $after"
running lg-node-0 || fail "a getter stopped lg-node-0"
"$K" delete lg --grace 0 >/dev/null || fail "delete lg"
[ "$(docker ps -aq --filter label=trainer.kubeflow.org/trainjob-name=lg | wc -l)" = 0 ] ||
	fail "lg containers left after delete"
ok "lost state dir: get/list/wait/events/logs report Failed (node-1) and leave node-0 running; delete stops it"
echo "all $n supervisor checks passed ($ENGINE)"
