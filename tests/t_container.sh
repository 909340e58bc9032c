#!/bin/sh
# The container backend end to end against a real, private dockerd: the engine
# client's Check tests, then `kft -b container` jobs from separate processes
# (train/get/list/logs/wait/events/delete), host and internal-bridge networks,
# and the faults: no engine, image missing with pull policy Never, a node that
# exits non-zero (JobSet: the others are stopped), OOM-killed, name conflict
# with a leftover container, engine restarted mid-job, delete of a half-created
# job, state dir lost. Exit 77 when dockerd cannot run here.
# KFT_TEST_ENGINE=podman runs it all against podman's service (t_container_podman.sh).
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${KFT_BUILD:-$TOP/build}
. "$TOP/tests/images/engine.sh"
kft_engine_own_ns "$0" "$@"   # podman: a network namespace of its own
why=$(kft_engine_prereqs) || { echo "skip: $why"; exit 77; }
trap 'kft_engine_stop' EXIT INT TERM
kft_engine_start || { echo "skip: cannot run a private dockerd here"; exit 77; }
: "${KFT_STATE_DIR:=$D/state}"
export KFT_STATE_DIR KFT_BACKEND=container
unset KFT_CONTAINER_MOUNTS
K="$BLD/kft"
BB=localhost/kft-busybox:1
O=$D/out; mkdir -p "$O"
n=0
fail() { echo "FAIL: $*"; echo "--- dockerd log tail:"; tail -5 "$D/dockerd.log"; exit 1; }
ok() { n=$((n + 1)); echo "ok $n - $*"; }
expect_rc() { # want, what, command...
	want=$1; what=$2; shift 2
	"$@" >"$O/last.out" 2>"$O/last.err"; rc=$?
	[ "$rc" = "$want" ] || { cat "$O/last.out" "$O/last.err"; fail "$what: exit $rc, wanted $want"; }
}
has() { grep -q -- "$2" "$1" || { echo "--- $1:"; cat "$1"; fail "$1 lacks '$2'"; }; }
ncont() { docker ps -aq --filter "label=trainer.kubeflow.org/trainjob-name=$1" | wc -l; }
# the supervisor stops the other steps with a grace period (5 s on failure): wait for it
stopped_within() { # container, seconds
	i=0; while [ "$(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null)" = true ]; do
		[ $i -ge $(( $2 * 10 )) ] && return 1; sleep 0.1; i=$((i + 1)); done; return 0; }

echo "# engine: $ENGINE"
# 1. the engine client's own tests, against this engine
KFT_TEST_DOCKER_HOST=$DOCKER_HOST "$BLD/tests/test_container" >"$O/unit.log" 2>&1 ||
	{ cat "$O/unit.log"; fail "test_container against dockerd"; }
has "$O/unit.log" "Checks: 17, Failures: 0, Errors: 0"
ok "engine client tests against $ENGINE $(docker version -f '{{.Server.Version}}')"

# 2. a 2-node job, host network; every verb from a new process
expect_rc 0 "train --wait" "$K" train --name j1 --nodes 2 --image $BB --cpu 500m --memory 64Mi \
	--env GREETING=hi --wait -- sh -c 'echo "$GREETING rank=$PET_NODE_RANK of $PET_NNODES"; echo warn >&2; pwd'
"$K" get j1 >"$O/get" || fail "get j1"
has "$O/get" "Status:   Complete"
has "$O/get" "node-1 .*Succeeded"
"$K" -o json get j1 >"$O/get.json" || fail "get -o json"
"$K" logs j1 >"$O/logs" || fail "logs j1"
has "$O/logs" "node-0: hi rank=0 of 2"
has "$O/logs" "node-1: hi rank=1 of 2"
has "$O/logs" "node-1: warn"
has "$O/logs" "node-0: /workspace"
"$K" logs j1 --step node-1 >"$O/logs1" || fail "logs --step"
grep -q node-0 "$O/logs1" && fail "logs --step node-1 shows node-0"
has "$O/logs1" "^hi rank=1"
expect_rc 1 "logs of an unknown step" "$K" logs j1 --step node-7
has "$O/last.err" 'no step "node-7"'
[ "$(docker inspect -f '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}' j1-node-0)" = "500000000 67108864" ] ||
	fail "cpu/memory limits not on the container"
[ "$(docker inspect -f '{{index .Config.Labels "trainer.kubeflow.org/step"}}' j1-node-1)" = node-1 ] ||
	fail "step label"
"$K" list >"$O/list" || fail "list"
has "$O/list" "^j1 .*Complete"
"$K" events j1 >"$O/events" || fail "events"
has "$O/events" "Completed"
ok "2-node job: train --wait, get, logs (--step), list, events, limits and labels"

# state dir lost: the engine's labels still know the job
rm -rf "$KFT_STATE_DIR/container/jobs/j1"
"$K" get j1 >"$O/get" || fail "get after the state dir is gone"
has "$O/get" "Complete"
expect_rc 0 "delete j1" "$K" delete j1
[ "$(ncont j1)" = 0 ] || fail "containers of j1 left after delete"
expect_rc 1 "get a deleted job" "$K" get j1
has "$O/last.err" "not found"
ok "get without the state dir; delete removes containers"

# 3. follow and tail
"$K" train --name f1 --image $BB -- sh -c 'for i in 1 2 3 4; do echo line$i; sleep 0.3; done; printf tail-no-newline' >/dev/null ||
	fail "train f1"
timeout 60 "$K" logs -f f1 >"$O/follow" || fail "logs -f"
has "$O/follow" "^node-0: line4$"
has "$O/follow" "tail-no-newline"
"$K" logs --tail 2 f1 >"$O/tail" || fail "logs --tail"
[ "$(wc -l <"$O/tail")" -le 2 ] && has "$O/tail" "line4" && ! grep -q line1 "$O/tail" || fail "tail 2: $(cat "$O/tail")"
"$K" delete f1 >/dev/null || fail "delete f1"
ok "logs -f until the step ends; --tail"

# 4. per-job internal network, container-name DNS (master <job>-node-0)
# (busybox nc sometimes drops a message: node-1 resends until node-0 acknowledges
# through the shared workspace)
expect_rc 0 "bridge job" "$K" --network internal train --name br --nodes 2 --image $BB --wait -- sh -c \
	'if [ "$PET_NODE_RANK" = 0 ]; then
	   while :; do m=$(nc -l -p "$PET_MASTER_PORT"); [ -n "$m" ] && break; done
	   echo "$m"; touch /workspace/ack
	 else
	   for i in $(seq 150); do echo "hello from $(hostname)" | nc "$PET_MASTER_ADDR" "$PET_MASTER_PORT"
	     sleep 0.2; [ -f /workspace/ack ] && exit 0; done; exit 1
	 fi'
"$K" logs br --step node-0 >"$O/br" || fail "logs br"
has "$O/br" "hello from br-node-1"
[ "$(docker network inspect -f '{{.Internal}}' br-net)" = true ] || fail "br-net is not internal"
"$K" delete br >/dev/null || fail "delete br"
docker network inspect br-net >/dev/null 2>&1 && fail "network br-net left after delete"
ok "internal network: node-1 reached br-node-0 by name; network removed on delete"

: "${KFT_RUNTIME_PATH:=$D/runtimes}"
export KFT_RUNTIME_PATH
mkdir -p "$KFT_RUNTIME_PATH"
# 4d. an MPI runtime: the launcher and sshd nodes share the job's SSH key pair (as the
# controller's <job>-mpi-ssh-auth Secret) at sshAuthMountPath and the hostfile names the
# node containers; the launcher's success completes the job and stops the nodes
# (a sleeping busybox stands in for sshd: no image here has one)
cat >"$KFT_RUNTIME_PATH/bb-mpi.yaml" <<YAML
apiVersion: trainer.kubeflow.org/v1alpha1
kind: ClusterTrainingRuntime
metadata: {name: bb-mpi, labels: {trainer.kubeflow.org/framework: deepspeed}}
spec:
  mlPolicy: {numNodes: 3, mpi: {numProcPerNode: 2, mpiImplementation: OpenMPI,
             sshAuthMountPath: /home/mpiuser/.ssh, runLauncherAsNode: true}}
  template: {spec: {replicatedJobs: [
    {name: node, template: {spec: {template: {spec: {securityContext: {fsGroup: 1000},
      containers: [{name: node, image: "$BB", command: [sleep, "300"]}]}}}}},
    {name: launcher, dependsOn: [{name: node, status: Ready}],
     template: {metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}},
     spec: {template: {spec: {securityContext: {fsGroup: 1000},
      containers: [{name: node, image: "$BB"}]}}}}}]}}
YAML
expect_rc 0 "mpi job" "$K" --network internal train --name jmpi --runtime bb-mpi --wait -- sh -c \
	'ls /home/mpiuser/.ssh; cat /etc/mpi/hostfile; echo "OMPI=$OMPI_MCA_orte_default_hostfile";
	 cmp /home/mpiuser/.ssh/id_rsa.pub /home/mpiuser/.ssh/authorized_keys && echo keys-match;
	 head -1 /home/mpiuser/.ssh/id_rsa; nslookup jmpi-node-1 >/dev/null && echo dns-ok'
"$K" logs jmpi >"$O/mpi" || fail "logs jmpi"
for w in "launcher: authorized_keys" "launcher: id_rsa.pub" "launcher: jmpi-node-0 slots=2" \
	"launcher: jmpi-node-1 slots=2" "launcher: jmpi-launcher slots=2" \
	"launcher: OMPI=/etc/mpi/hostfile" "launcher: keys-match" "BEGIN OPENSSH PRIVATE KEY" \
	"launcher: dns-ok"; do has "$O/mpi" "$w"; done
"$K" get jmpi >"$O/mpi.get" || fail "get jmpi"
has "$O/mpi.get" "Status:   Complete"
stopped_within jmpi-node-0 20 || fail "sshd node jmpi-node-0 still running after the launcher completed"
[ "$(stat -c %a "$KFT_STATE_DIR"/container/jobs/jmpi/ssh/id_rsa)" = 640 ] || fail "id_rsa mode"
"$K" delete jmpi >/dev/null || fail "delete jmpi"
ok "MPI runtime: shared SSH keys at sshAuthMountPath, hostfile of node containers, launcher completion"

# 4b. initializers run first (waited), then the nodes, sharing /workspace
cat >"$KFT_RUNTIME_PATH/bb-init.yaml" <<YAML
apiVersion: trainer.kubeflow.org/v1alpha1
kind: ClusterTrainingRuntime
metadata: {name: bb-init, labels: {trainer.kubeflow.org/framework: torch}}
spec:
  mlPolicy: {numNodes: 1, torch: {}}
  template: {spec: {replicatedJobs: [
    {name: dataset-initializer, template: {metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: dataset-initializer}},
     spec: {template: {spec: {containers: [{name: dataset-initializer, image: "$BB",
       command: [sh, -c, 'sleep 1; mkdir -p "\$OUTPUT_PATH"; echo "data from \$STORAGE_URI" >"\$OUTPUT_PATH/marker"; case "\$STORAGE_URI" in *fail*) exit 4;; esac']}]}}}}},
    {name: node, dependsOn: [{name: dataset-initializer, status: Complete}],
     template: {metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}},
     spec: {template: {spec: {containers: [{name: node, image: "$BB",
       command: [sh, -c, 'cat /workspace/dataset/marker']}]}}}}}]}}
YAML
expect_rc 0 "initializer job" "$K" train --name in1 --runtime bb-init --dataset file:///data/set1 --wait
"$K" logs in1 >"$O/in1" || fail "logs in1"
has "$O/in1" "node-0: data from file:///data/set1"
"$K" get in1 >"$O/get" || fail "get in1"
has "$O/get" "dataset-initializer .*Succeeded"
"$K" delete in1 >/dev/null || fail "delete in1"
expect_rc 3 "failing initializer" "$K" train --name in2 --runtime bb-init --dataset file:///fail --wait
has "$O/last.err" "dataset-initializer (container in2-dataset-initializer) exited with code 4"
"$K" get in2 >"$O/get" || fail "get in2"
has "$O/get" "node-0 .*Pending"
[ "$(docker inspect -f '{{.State.Status}}' in2-node-0)" = created ] || fail "node started after a failed initializer"
"$K" delete in2 >/dev/null || fail "delete in2"
ok "initializer first, node reads its output; a failed initializer fails the job, nodes never start"

# 4c. the TrainJob's volumes (runtimePatches): a read-only hostPath with subPath, an emptyDir
mkdir -p "$D/hostvol/sets/a"
echo "from the host" >"$D/hostvol/sets/a/hello.txt"
cat >"$O/vol.yaml" <<EOF
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: jvol}
spec:
  runtimeRef: {name: torch-distributed}
  trainer:
    numNodes: 1
    image: $BB
    command: [sh, -c, 'cat /data/hello.txt; echo scratch-ok >/scratch/f; cat /scratch/f; touch /data/x 2>/dev/null || echo read-only-ok']
  runtimePatches:
  - manager: example.io/test
    trainingRuntimeSpec: {template: {spec: {replicatedJobs: [{name: node, template: {spec: {template: {spec: {
      volumes: [{name: data, hostPath: {path: "$D/hostvol"}}, {name: scratch, emptyDir: {}}],
      containers: [{name: node, volumeMounts: [{name: data, mountPath: /data, subPath: sets/a, readOnly: true},
                                               {name: scratch, mountPath: /scratch}]}]}}}}}]}}}
EOF
expect_rc 0 "train -f vol.yaml --wait" "$K" train -f "$O/vol.yaml" --wait
"$K" logs jvol >"$O/vol.logs" || fail "logs jvol"
has "$O/vol.logs" "from the host"
has "$O/vol.logs" "scratch-ok"
has "$O/vol.logs" "read-only-ok"
[ -e "$D/hostvol/sets/a/x" ] && fail "a read-only hostPath mount was written"
"$K" delete jvol >/dev/null || fail "delete jvol"
# the same with the CLI's --volume
expect_rc 0 "train --volume --wait" "$K" train --name jvol2 --image $BB --volume "$D/hostvol/sets/a:/in:ro" \
	--wait -- sh -c 'cat /in/hello.txt; touch /in/y 2>/dev/null || echo read-only-ok'
"$K" logs jvol2 >"$O/vol2.logs" || fail "logs jvol2"
has "$O/vol2.logs" "from the host"
has "$O/vol2.logs" "read-only-ok"
"$K" delete jvol2 >/dev/null || fail "delete jvol2"
ok "TrainJob volumes: hostPath (subPath, read-only) and emptyDir mounted in the container; kft --volume"

# 5. faults
DOCKER_HOST=unix://$D/nothing.sock expect_rc 1 "no engine" "$K" list
has "$O/last.err" "no container engine answered"
has "$O/last.err" "nothing.sock (missing)"
ok "no engine: error lists where it looked"

expect_rc 1 "image missing + Never" "$K" --pull-policy Never train --name nv --image localhost/kft-absent:1 -- true
has "$O/last.err" "pull policy is Never"
[ "$(ncont nv)" = 0 ] && [ ! -e "$KFT_STATE_DIR/container/jobs/nv" ] || fail "Never: something was created"
ok "image missing with pull policy Never: clear error, nothing created"

start=$(date +%s)
expect_rc 3 "node exits 3" "$K" train --name ex --nodes 2 --image $BB --wait -- sh -c \
	'if [ "$PET_NODE_RANK" = 1 ]; then sleep 0.5; exit 3; fi; exec sleep 300'
[ $(( $(date +%s) - start )) -lt 60 ] || fail "failed job took too long to be reported"
has "$O/last.err" "node-1 (container ex-node-1) exited with code 3"
"$K" get ex >"$O/get" || fail "get ex"
has "$O/get" "Status:   Failed"
has "$O/get" "node-1 .*Failed .*3"
stopped_within ex-node-0 20 || fail "node-0 still runs 20 s after the job failed (JobSet)"
"$K" delete ex >/dev/null || fail "delete ex"
ok "a node exits 3: job Failed naming it, the other node stopped"

expect_rc 3 "OOM" "$K" train --name oom --memory 16Mi --image $BB --wait -- sh -c \
	'x=$(head -c 200000000 /dev/zero | tr "\0" a); echo ${#x}'
"$K" get oom >"$O/get" || fail "get oom"
if [ "$ENGINE" = podman ]; then
	# podman 4.3 (runc, hybrid cgroups) never sets State.OOMKilled: only the SIGKILL shows
	has "$O/get" "node-0 .*Failed .*sig9"
	note="podman reports no OOMKilled flag here: exit 137 (SIGKILL) only"
else
	has "$O/get" "Reason:   OOMKilled"
	has "$O/get" "node-0 .*Failed .*OOMKilled"
	note="reason OOMKilled on the job and the step"
fi
"$K" delete oom >/dev/null || fail "delete oom"
ok "OOM-killed: $note"

start=$(date +%s)
expect_rc 3 "deadline" "$K" train --name dl --deadline 2 --image $BB --wait -- sleep 300
[ $(( $(date +%s) - start )) -lt 60 ] || fail "deadline enforced too late"
has "$O/last.err" "DeadlineExceeded"
"$K" get dl >"$O/get" || fail "get dl"
has "$O/get" "Reason:   DeadlineExceeded"
stopped_within dl-node-0 20 || fail "dl-node-0 still runs 20 s after the deadline"
"$K" delete dl >/dev/null || fail "delete dl"
ok "activeDeadlineSeconds: the supervisor stops the job, DeadlineExceeded"

docker create --name nc-node-1 $BB true >/dev/null || fail "docker create leftover"
expect_rc 1 "name conflict" "$K" --network internal train --name nc --nodes 2 --image $BB -- true
has "$O/last.err" "nc-node-1 is already in use"
[ "$(ncont nc)" = 0 ] || fail "half-created nc not cleaned up"
docker network inspect nc-net >/dev/null 2>&1 && fail "nc-net left behind"
docker inspect nc-node-1 >/dev/null 2>&1 || fail "the user's own container was removed"
docker rm -f nc-node-1 >/dev/null
ok "name conflict with a leftover container: EEXISTS naming it, our half is removed"

# a half-created job (as left by a crash): a network, one of two containers, a dir
docker network create --internal --label trainer.kubeflow.org/trainjob-name=hc hc-net >/dev/null
docker create --name hc-node-0 --label trainer.kubeflow.org/trainjob-name=hc \
	--label trainer.kubeflow.org/step=node-0 --label kftrainer.dev/steps=node-0,node-1 \
	--label "kftrainer.dev/job-dir=$KFT_STATE_DIR/container/hc" $BB true >/dev/null
mkdir -p "$KFT_STATE_DIR/container/hc/workspace"
"$K" get hc >"$O/get" || fail "get hc"
has "$O/get" "node-1 .*Pending .*NotCreated"
expect_rc 0 "delete half-created" "$K" delete hc
[ "$(ncont hc)" = 0 ] || fail "hc containers left"
docker network inspect hc-net >/dev/null 2>&1 && fail "hc-net left"
[ -e "$KFT_STATE_DIR/container/hc" ] && fail "hc job dir left"
expect_rc 1 "delete it again" "$K" delete hc
has "$O/last.err" "not found"
ok "delete of a half-created job removes network, container and directory"

# engine restarted mid-job: a waiting client does not hang. dockerd stops its
# containers on shutdown, so the job is Failed; podman's service is stateless
# (conmon keeps the containers), so the job goes on and completes.
if [ "$ENGINE" = podman ]; then work="sleep 6"; want=0; else work="sleep 300"; want=3; fi
"$K" train --name rs --nodes 2 --image $BB -- $work >/dev/null || fail "train rs"
( "$K" wait rs --timeout 120 >"$O/rs.out" 2>"$O/rs.err"; echo $? >"$O/rs.rc" ) &
wpid=$!
sleep 1
kft_engine_down
kft_engine_up || fail "engine restart"
i=0; while [ ! -f "$O/rs.rc" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
[ -f "$O/rs.rc" ] || fail "kft wait hung after the engine restart"
wait $wpid
[ "$(cat "$O/rs.rc")" = $want ] || { cat "$O/rs.out" "$O/rs.err"; fail "wait after restart: exit $(cat "$O/rs.rc"), wanted $want"; }
"$K" get rs >"$O/get" || fail "get rs"
if [ $want = 3 ]; then has "$O/get" "Status:   Failed"; else has "$O/get" "Status:   Complete"; fi
"$K" delete rs >/dev/null || fail "delete rs"
ok "engine restarted mid-job: kft wait returned ($(tail -1 "$O/rs.err"))"

expect_rc 0 "delete with a short grace" "$K" train --name gr --image $BB -- sleep 300
start=$(date +%s)
expect_rc 0 "delete gr" "$K" delete gr --grace 1
[ $(( $(date +%s) - start )) -lt 15 ] || fail "delete --grace 1 took too long"
ok "delete: SIGTERM, grace, SIGKILL"
echo "all $n container checks passed"
