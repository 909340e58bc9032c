#!/bin/sh
# Training Operator v1 jobs on a cluster that still runs it (the fake API server
# serves kubeflow.org/v1 PyTorchJob, MPIJob, ...; not mpi-operator's v2beta1):
# `kft list --v1` lists them with their status mapped to TrainJob terms
# (Succeeded -> Complete, Failed, Suspended, Running, Created), `kft get KIND/NAME`
# shows one (kind in any case, singular or plural), an unknown one is "not found",
# the local backend says v1 jobs live on a cluster, and `kft train -f` of a
# v1 PyTorchJob sends the converted TrainJob to the API server.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
B=${KFT_BUILD:-$TOP/build}
. "$TOP/tests/fake_apiserver/start.sh"
fake_apiserver_tmp kft-k8sv1
command -v curl >/dev/null 2>&1 || { echo "skip: curl not installed"; exit 77; }
[ -x "$B/kft" ] || { echo "skip: $B/kft not built"; exit 77; }

fake_apiserver_start "$T/srv" --token test-token
export KUBECONFIG="$T/srv/kubeconfig"
PORT=$FAKE_PORT
KFT="$B/kft -b kubernetes"

# create KIND-PLURAL JSON: what the Training Operator would have stored
create() {
	curl -sS --fail --cacert "$T/srv/ca.crt" -H 'Authorization: Bearer test-token' \
		-H 'Content-Type: application/json' -X POST --data "$2" \
		"https://127.0.0.1:$PORT/apis/kubeflow.org/v1/namespaces/default/$1" >/dev/null ||
		fail "create $1"
}
pod='"template": {"spec": {"containers": [{"name": "c", "image": "i"}]}}'
create pytorchjobs '{"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
 "metadata": {"name": "pt-done", "creationTimestamp": "2026-12-01T10:00:00Z"},
 "spec": {"pytorchReplicaSpecs": {"Master": {"replicas": 1, '"$pod"'},
                                  "Worker": {"replicas": 3, '"$pod"'}}},
 "status": {"conditions": [
   {"type": "Created", "status": "True", "reason": "PyTorchJobCreated"},
   {"type": "Running", "status": "False", "reason": "PyTorchJobRunning"},
   {"type": "Succeeded", "status": "True", "reason": "PyTorchJobSucceeded",
    "message": "PyTorchJob default/pt-done successfully completed."}],
   "replicaStatuses": {"Master": {"succeeded": 1}, "Worker": {"succeeded": 3}},
   "startTime": "2026-12-01T10:00:05Z", "completionTime": "2026-12-01T10:30:00Z"}}'
create mpijobs '{"apiVersion": "kubeflow.org/v1", "kind": "MPIJob",
 "metadata": {"name": "mpi-run"},
 "spec": {"mpiReplicaSpecs": {"Launcher": {"replicas": 1, '"$pod"'},
                              "Worker": {"replicas": 2, '"$pod"'}}},
 "status": {"conditions": [{"type": "Created", "status": "True"},
   {"type": "Running", "status": "True", "reason": "MPIJobRunning"}],
   "replicaStatuses": {"Launcher": {"active": 1}, "Worker": {"active": 2}}}}'
create tfjobs '{"apiVersion": "kubeflow.org/v1", "kind": "TFJob",
 "metadata": {"name": "tf-bad"},
 "spec": {"tfReplicaSpecs": {"Worker": {"replicas": 2, '"$pod"'}}},
 "status": {"conditions": [{"type": "Created", "status": "True"},
   {"type": "Failed", "status": "True", "reason": "TFJobFailed",
    "message": "TFJob default/tf-bad has failed because 1 Worker replica(s) failed."}],
   "replicaStatuses": {"Worker": {"failed": 1, "succeeded": 1}}}}'
create jaxjobs '{"apiVersion": "kubeflow.org/v1", "kind": "JAXJob",
 "metadata": {"name": "jax-new"},
 "spec": {"jaxReplicaSpecs": {"Worker": {"replicas": 4, '"$pod"'}}}}'

$KFT list --v1 >"$T/list" 2>"$T/err" || fail "list --v1: $(cat "$T/err")"
cat "$T/list"
grep -q '^pytorchjob/pt-done  *PyTorchJob  *Complete' "$T/list" || fail "list: pt-done Complete"
grep -q '^mpijob/mpi-run  *MPIJob  *Running' "$T/list" || fail "list: mpi-run Running"
grep -q '^tfjob/tf-bad  *TFJob  *Failed' "$T/list" || fail "list: tf-bad Failed"
grep -q '^jaxjob/jax-new  *JAXJob  *Created' "$T/list" || fail "list: jax-new Created"
[ "$(grep -c '/' "$T/list")" -eq 4 ] || fail "list: 4 jobs expected"
$KFT list >"$T/tj" || fail "list"
grep -q 'pt-done' "$T/tj" && fail "plain list shows v1 jobs"

$KFT get pytorchjob/pt-done -o json >"$T/get.json" 2>"$T/err" || fail "get: $(cat "$T/err")"
python3 - "$T/get.json" <<'EOF' || fail "get pytorchjob/pt-done: $(cat "$T/get.json")"
import json, sys
d = json.load(open(sys.argv[1]))
s = json.dumps(d)
assert d["name"] == "pytorchjob/pt-done", d
assert d["status"] == "Complete" and d["numNodes"] == 4, d
assert "successfully completed" in s and "PyTorchJobSucceeded" in s, d
assert [x["name"] for x in d["steps"]] == ["Master", "Worker"], d
assert all(x["status"] == "Succeeded" for x in d["steps"]), d
EOF
$KFT get PyTorchJobs/pt-done >"$T/get" || fail "get with a plural, capitalised kind"
grep -q 'Complete' "$T/get" || fail "get text: $(cat "$T/get")"
$KFT get tfjob/tf-bad >"$T/get" || fail "get tfjob"
grep -q 'Failed' "$T/get" && grep -q '1 Worker replica(s) failed' "$T/get" || fail "tf-bad: $(cat "$T/get")"
$KFT get mpijob/nope 2>"$T/err" && fail "get of a missing v1 job"
grep -q 'MPIJob "nope" not found in namespace default' "$T/err" || fail "not found: $(cat "$T/err")"
$KFT get caffejob/x 2>"$T/err" && fail "unknown kind"
grep -q 'expected KIND/NAME with a Training Operator v1 kind' "$T/err" || fail "kind: $(cat "$T/err")"
"$B/kft" -b local --state-dir "$T/state" list --v1 2>"$T/err" && fail "list --v1 on local"
grep -q 'the local backend does not support Training Operator v1 jobs' "$T/err" ||
	fail "local: $(cat "$T/err")"
echo "ok: kft list --v1, kft get KIND/NAME"

# kft train -f of a v1 PyTorchJob on the cluster: the API server gets the converted TrainJob
cat >"$T/pt.yaml" <<'YAML'
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {name: from-v1}
spec:
  pytorchReplicaSpecs:
    Master: {replicas: 1, template: {spec: {containers: [{name: pytorch, image: img:1,
             command: [python3, train.py]}]}}}
    Worker: {replicas: 2, template: {spec: {nodeSelector: {pool: a},
             containers: [{name: pytorch, image: img:1, command: [python3, train.py]}]}}}
YAML
$KFT train -f "$T/pt.yaml" >"$T/name" 2>"$T/err" || fail "train -f v1: $(cat "$T/err")"
[ "$(cat "$T/name")" = from-v1 ] || fail "train printed $(cat "$T/name")"
grep -q 'converted to a TrainJob on runtime torch-distributed' "$T/err" || fail "notice: $(cat "$T/err")"
grep -q '^kft: lost: spec.pytorchReplicaSpecs.Worker.template.spec.nodeSelector: differs from Master' \
	"$T/err" || fail "the Worker's own nodeSelector is not reported: $(cat "$T/err")"
curl -sS --fail --cacert "$T/srv/ca.crt" -H 'Authorization: Bearer test-token' \
	"https://127.0.0.1:$PORT/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs/from-v1" \
	>"$T/tj.json" || fail "GET the TrainJob"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = d["spec"]["trainer"]
assert d["spec"]["runtimeRef"]["name"] == "torch-distributed", d
assert t["numNodes"] == 3 and t["image"] == "img:1" and t["command"] == ["python3", "train.py"], d
' "$T/tj.json" || fail "the TrainJob sent: $(cat "$T/tj.json")"
echo "ok: kft train -f of a v1 PyTorchJob sends its TrainJob to the cluster"
