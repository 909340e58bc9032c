#!/bin/sh
# "Done means" for issue 12 on the local backend: a training script written
# for a cluster, run unchanged with `kft train --script`: 2-node torch DDP
# (gloo) that reads /workspace/dataset (from a file:// dataset initializer),
# reports progress with its own client written from the protocol description
# (no SDK), and saves /workspace/output/model.pt. Then `kft get` shows its
# progress and metrics, `kft metrics` the history, `kft cp` brings the model
# out (torch.load reads it), and after `kft delete` nothing it made is left.
# KFT_CLUSTER_BACKEND=container (t_cluster_script_container.sh; KFT_TEST_ENGINE=
# podman for podman) runs the same script and checks on the container backend:
# two containers on a per-job --internal network (the kft-skel image with the
# host's /usr, as t_container_ddp.sh), the progress server reached at the
# network's gateway; and after `kft delete` no container nor network is left.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
BACKEND=${KFT_CLUSTER_BACKEND:-local}
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || [ ! -x /usr/bin/torchrun ]; then
	echo "skip: python3-torch is not installed"; exit 77
fi
if [ "$BACKEND" = container ]; then
	. "$TOP/tests/images/engine.sh"
	kft_engine_own_ns "$0" "$@"   # podman: a network namespace of its own
fi
T=$(mktemp -d /tmp/kft-cluster.XXXXXX)
trap 'rm -rf "$T"' EXIT
export KFT_STATE_DIR="$T/state" KFT_BACKEND=$BACKEND KFT_RUNTIME_PATH="$T/runtimes"
mkdir -p "$T/runtimes" "$T/data" "$T/callertmp"
fail() { echo "FAIL: $*"; exit 1; }
JOBDIR="$KFT_STATE_DIR/jobs/cl"
set --
if [ "$BACKEND" = container ]; then
	why=$(kft_engine_prereqs) || { echo "skip: $why"; exit 77; }
	trap 'kft_engine_stop; rm -rf "$T"' EXIT INT TERM
	kft_engine_start || { echo "skip: cannot run a private $ENGINE here"; exit 77; }
	# the data and a file:// dataset initializer (the job of Kubeflow's initializer image on a
	# cluster) at the same paths in the containers
	mkdir -p "$T/init"
	printf '%s\n' 'import os, shutil, urllib.parse' \
		'u = urllib.parse.urlsplit(os.environ["STORAGE_URI"])' \
		'assert u.scheme == "file", u' \
		'shutil.copytree(u.path, os.environ["OUTPUT_PATH"], dirs_exist_ok=True)' >"$T/init/file_init.py"
	INIT_IMAGE="localhost/kft-skel:1, command: [/usr/bin/python3, $T/init/file_init.py]"
	export KFT_CONTAINER_MOUNTS=/usr:/usr:ro,/etc/alternatives:/etc/alternatives:ro,$T/init:$T/init:ro,$T/data:$T/data:ro
	JOBDIR="$KFT_STATE_DIR/container/jobs/cl"
	# torchrun on Python 3.11 needs PET_REDIRECTS/PET_TEE (machine.md); 0.2 s monitor
	set -- --network internal --pull-policy Never --image localhost/kft-skel:1 \
		--env PET_REDIRECTS=1 --env PET_TEE=1 --env PET_MONITOR_INTERVAL=0.2
fi
export TMPDIR="$T/callertmp"   # (after the engine started: podman's service keeps its own temp files)
# a runtime with a dataset initializer, as a cluster has
cat >"$T/runtimes/torch-data.yaml" <<Y
apiVersion: trainer.kubeflow.org/v1alpha1
kind: ClusterTrainingRuntime
metadata: {name: torch-data, labels: {trainer.kubeflow.org/framework: torch}}
spec:
  mlPolicy: {numNodes: 1, torch: {}}
  template: {spec: {replicatedJobs: [
    {name: dataset-initializer, template: {metadata: {labels:
      {trainer.kubeflow.org/trainjob-ancestor-step: dataset-initializer}},
     spec: {template: {spec: {containers: [{name: dataset-initializer,
       image: ${INIT_IMAGE:-ghcr.io/kubeflow/trainer/dataset-initializer},
       volumeMounts: [{name: initializer, mountPath: /workspace}]}]}}}}},
    {name: node, dependsOn: [{name: dataset-initializer, status: Complete}],
     template: {metadata: {labels: {trainer.kubeflow.org/trainjob-ancestor-step: trainer}},
     spec: {template: {spec: {containers: [{name: node, image: pytorch/pytorch,
       volumeMounts: [{name: initializer, mountPath: /workspace}]}]}}}}}]}}
Y
/usr/bin/python3 -c 'import random
random.seed(1)
with open("'"$T"'/data/train.csv", "w") as f:
    for _ in range(256):
        x = [random.uniform(-1, 1) for _ in range(4)]
        f.write(",".join("%.5f" % v for v in x + [sum(x)]) + "\n")'
cat >"$T/train.py" <<'PY'
# Written for a cluster: /workspace paths, Trainer's progress protocol by hand.
import json, os, ssl, time, urllib.request
import torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

def report(pct, eta, loss):
    url = os.environ.get("KUBEFLOW_TRAINER_SERVER_URL")
    if not url:
        return
    ctx = ssl.create_default_context(cafile=os.environ["KUBEFLOW_TRAINER_SERVER_CA_CERT"])
    token = open(os.environ["KUBEFLOW_TRAINER_SERVER_TOKEN"]).read().strip()
    body = {"trainerStatus": {"progressPercentage": pct, "estimatedRemainingSeconds": eta,
            "metrics": [{"name": "loss", "value": "%.5f" % loss}],
            "lastUpdatedTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    urllib.request.urlopen(req, context=ctx, timeout=5).read()

dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
rows = [list(map(float, l.split(","))) for l in open("/workspace/dataset/train.csv")]
data = torch.tensor(rows[rank::world])
x, y = data[:, :4], data[:, 4:]
torch.manual_seed(0)
model = DDP(torch.nn.Linear(4, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
steps = 40
for step in range(1, steps + 1):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(x), y)
    loss.backward()
    opt.step()
    if rank == 0 and step % 10 == 0:
        report(step * 100 // steps, steps - step, loss.item())
if rank == 0:
    os.makedirs("/workspace/output", exist_ok=True)
    torch.save(model.module.state_dict(), "/workspace/output/model.pt")
print("rank %d done loss=%.5f" % (rank, loss.item()), flush=True)
dist.destroy_process_group()
PY
# on a job network, `kft wait` that fails within 30 s when the nodes cannot resolve each other
WAIT="--wait --timeout 300"; [ "$BACKEND" = container ] && WAIT=
PATH=/usr/bin:/bin "$K" train --name cl --runtime torch-data --nodes 2 --dataset "file://$T/data" \
	"$@" --script "$T/train.py" $WAIT >/dev/null 2>"$T/err" &&
	{ [ -n "$WAIT" ] || kft_engine_wait "$K" cl 300 >>"$T/err" 2>&1; } ||
	fail "job: $(cat "$T/err"; "$K" logs cl | tail -20)"
"$K" get cl | grep -q '^Progress: 100%' || fail "kft get progress: $("$K" get cl)"
"$K" get cl | grep -q '^Metric: *loss=0\.' || fail "kft get metrics"
"$K" get cl -o json | grep -q '"progressPercentage": 100' || fail "get -o json"
[ "$("$K" metrics cl -o csv | wc -l)" = 5 ] || fail "kft metrics: $("$K" metrics cl -o csv)"
"$K" cp cl:/workspace/output/model.pt "$T/model.pt" || fail "kft cp"
/usr/bin/python3 -c 'import torch, sys; sd = torch.load(sys.argv[1]); assert sd["weight"].shape == (1, 4)' "$T/model.pt" \
	|| fail "the copied model does not load"
[ -e /workspace/output/model.pt ] && fail "wrote to this machine's /workspace"
"$K" delete cl >/dev/null || fail "delete"
[ ! -e "$JOBDIR" ] || fail "the job's directory is left"
if [ "$BACKEND" = container ]; then
	[ -z "$(docker ps -aq --filter label=trainer.kubeflow.org/trainjob-name=cl)" ] || fail "containers left"
	[ -z "$(docker network ls -q --filter name=cl-net)" ] || fail "the job's network is left"
fi
[ -z "$(ls -A "$TMPDIR")" ] || fail "left in the caller's TMPDIR: $(ls -A "$TMPDIR")"
echo "ok - the cluster script on the $BACKEND backend${KFT_CLUSTER_BACKEND:+ (${ENGINE:-})}"
