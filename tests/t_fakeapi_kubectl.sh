#!/bin/sh
# The fake Kubernetes API server (tests/fake_apiserver/server.py) must behave like a real
# one for kubectl and the Python client: create -f, get, get -o json, delete, a 401 with
# a bad token, client-certificate auth, logs; then its own unit tests
# (tests/fake_apiserver/test_server.py: watch, 410, faults, log follow, conditions).
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
SRV="$TOP/tests/fake_apiserver/server.py"
PY=python3
command -v "$PY" >/dev/null 2>&1 || { echo "skip: python3 not installed"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "skip: openssl not installed"; exit 77; }
command -v kubectl >/dev/null 2>&1 || { echo "skip: kubectl not installed"; exit 77; }

T=$(mktemp -d /tmp/kft-fakeapi.XXXXXX)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; [ -f "$T/server.log" ] && tail -n 20 "$T/server.log"; exit 1; }

"$PY" "$SRV" --dir "$T/srv" --token test-token --token second-token >"$T/server.log" 2>&1 &
PID=$!
i=0
while [ ! -s "$T/srv/port" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "server did not write $T/srv/port in 10 s"
	kill -0 "$PID" 2>/dev/null || fail "server exited early"
	sleep 0.1
done
PORT=$(cat "$T/srv/port")
echo "server on port $PORT"
export KUBECONFIG="$T/srv/kubeconfig"
KC="kubectl --cache-dir=$T/kcache --request-timeout=20s"

cat >"$T/job.yaml" <<'EOF'
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata:
  name: kubectl-job
  labels:
    team: test
spec:
  runtimeRef:
    name: torch-distributed
  trainer:
    numNodes: 2
    command: ["python", "train.py"]
EOF

# discovery
$KC get --raw /version | grep -q '"gitVersion"' || fail "kubectl get --raw /version"
$KC api-resources --api-group=trainer.kubeflow.org >"$T/ar" 2>&1 || fail "api-resources: $(cat "$T/ar")"
grep -q '^trainjobs ' "$T/ar" || fail "trainjobs missing from api-resources: $(cat "$T/ar")"
grep -q '^clustertrainingruntimes .*false' "$T/ar" || fail "clustertrainingruntimes not cluster-scoped"

# create (validation is server-side: kubectl sends fieldValidation=Strict)
out=$($KC create -f "$T/job.yaml" 2>&1) || fail "kubectl create: $out"
echo "$out" | grep -q 'trainjob.trainer.kubeflow.org/kubectl-job created' || fail "create said: $out"
out=$($KC create -f "$T/job.yaml" 2>&1) && fail "second create succeeded"
echo "$out" | grep -q 'AlreadyExists\|already exists' || fail "second create: $out"

out=$($KC get trainjobs 2>&1) || fail "kubectl get trainjobs: $out"
echo "$out" | grep -q '^kubectl-job ' || fail "get trainjobs does not list the job: $out"
$KC get trainjobs -l team=test -o name | grep -qx 'trainjob.trainer.kubeflow.org/kubectl-job' ||
	fail "label selector team=test"
[ -z "$($KC get trainjobs -l team=other -o name)" ] || fail "label selector team=other matched"

$KC get trainjob kubectl-job -o json >"$T/job.json" || fail "get -o json"
grep -q '"name": "kubectl-job"' "$T/job.json" || fail "json lacks the name"
grep -q '"uid"' "$T/job.json" || fail "json lacks metadata.uid"

# the simulated controller: pods with JobSet labels, then Complete
i=0
while :; do
	$KC get trainjob kubectl-job -o jsonpath='{.status.conditions[?(@.type=="Complete")].status}' \
		>"$T/c" 2>&1
	[ "$(cat "$T/c")" = True ] && break
	i=$((i + 1)); [ $i -gt 50 ] && fail "no Complete=True condition after 10 s: $(cat "$T/c")"
	sleep 0.2
done
reason=$($KC get trainjob kubectl-job -o jsonpath='{.status.conditions[?(@.type=="Complete")].reason}')
[ "$reason" = AllJobsCompleted ] || fail "Complete reason is '$reason'"
n=$($KC get pods -l 'jobset.sigs.k8s.io/jobset-name=kubectl-job,jobset.sigs.k8s.io/replicatedjob-name in (node)' -o name | wc -l)
[ "$n" -eq 2 ] || fail "expected 2 node pods, got $n"
pod=$($KC get pods -l jobset.sigs.k8s.io/jobset-name=kubectl-job,batch.kubernetes.io/job-completion-index=1 -o name)
case "$pod" in pod/kubectl-job-node-0-1-?????) ;; *) fail "pod name '$pod'";; esac
$KC logs "$pod" | grep -q 'epoch 1 loss' || fail "kubectl logs $pod"
$KC get events --field-selector involvedObject.name=kubectl-job,involvedObject.kind=TrainJob \
	-o name | grep -q . || fail "no events for the TrainJob"
[ "$($KC get pod "${pod#pod/}" -o jsonpath='{.status.phase}')" = Succeeded ] || fail "pod phase"

# delete
out=$($KC delete trainjob kubectl-job 2>&1) || fail "kubectl delete: $out"
echo "$out" | grep -q 'deleted' || fail "delete said: $out"
out=$($KC get trainjobs 2>&1) || fail "get after delete: $out"
echo "$out" | grep -q 'No resources found' || fail "job still listed: $out"
[ -z "$($KC get pods -l jobset.sigs.k8s.io/jobset-name=kubectl-job -o name)" ] ||
	fail "pods survived the delete"
out=$($KC get trainjob kubectl-job 2>&1) && fail "get deleted job succeeded"
echo "$out" | grep -q 'trainjobs.trainer.kubeflow.org "kubectl-job" not found' || fail "404: $out"

# server-side dry run stores nothing; merge patch resumes a suspended job
$KC create -f "$T/job.yaml" --dry-run=server -o name >/dev/null || fail "create --dry-run=server"
[ -z "$($KC get trainjobs -o name)" ] || fail "dry run stored the job"
sed -e 's/name: kubectl-job/name: susp/' -e 's/^spec:/spec:\n  suspend: true/' "$T/job.yaml" \
	>"$T/susp.yaml"
$KC create -f "$T/susp.yaml" >/dev/null || fail "create suspended"
i=0
until [ "$($KC get trainjob susp -o jsonpath='{.status.conditions[?(@.type=="Suspended")].status}')" = True ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "no Suspended=True"
	sleep 0.2
done
[ -z "$($KC get pods -l jobset.sigs.k8s.io/jobset-name=susp -o name)" ] || fail "suspended job has pods"
$KC patch trainjob susp --type=merge -p '{"spec":{"suspend":false}}' >/dev/null || fail "patch"
i=0
until [ "$($KC get trainjob susp -o jsonpath='{.status.conditions[?(@.type=="Complete")].status}')" = True ]; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "resumed job did not complete"
	sleep 0.2
done
[ "$($KC get trainjob susp -o jsonpath='{.status.conditions[?(@.type=="Suspended")].reason}')" = Resumed ] ||
	fail "Suspended condition is not Resumed"
$KC delete trainjob susp >/dev/null || fail "delete susp"

# invalid name -> 422 with the field
sed 's/name: kubectl-job/name: Bad_Name/' "$T/job.yaml" >"$T/bad.yaml"
out=$($KC create -f "$T/bad.yaml" 2>&1) && fail "invalid name accepted"
echo "$out" | grep -q 'metadata.name' || fail "422 message: $out"

# auth: a bad token -> 401; the second --token works; the client certificate works
out=$($KC --token=wrong-token get trainjobs 2>&1) && fail "bad token accepted"
echo "$out" | grep -q 'Unauthorized' || fail "bad token: $out"
$KC --token=second-token get trainjobs >/dev/null 2>&1 || fail "second token rejected"
$KC --context fake-cert get trainjobs >/dev/null 2>&1 || fail "client certificate rejected"
out=$($KC --context fake-cert --client-certificate="$T/srv/other-ca.crt" \
	--client-key="$T/srv/other-ca.key" get trainjobs 2>&1) && fail "foreign client cert accepted"

# wrong CA: kubectl must refuse the server certificate
out=$($KC --certificate-authority="$T/srv/other-ca.crt" get trainjobs 2>&1) &&
	fail "server certificate accepted with the wrong CA"
echo "$out" | grep -qi 'certificate' || fail "wrong CA: $out"

# the Python client (Debian python3-kubernetes), if installed
if /usr/bin/python3 -c 'import kubernetes' 2>/dev/null; then
	$KC create -f "$T/job.yaml" >/dev/null || fail "re-create"
	/usr/bin/python3 - "$KUBECONFIG" <<'EOF' || fail "python client"
import sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
api = client.CustomObjectsApi()
r = api.list_namespaced_custom_object("trainer.kubeflow.org", "v1alpha1", "default", "trainjobs")
names = [i["metadata"]["name"] for i in r["items"]]
assert names == ["kubectl-job"], names
o = api.get_namespaced_custom_object("trainer.kubeflow.org", "v1alpha1", "default",
                                     "trainjobs", "kubectl-job")
assert o["spec"]["runtimeRef"]["name"] == "torch-distributed", o
v = client.VersionApi().get_code()
assert v.git_version.startswith("v1."), v
pods = client.CoreV1Api().list_namespaced_pod("default",
        label_selector="jobset.sigs.k8s.io/jobset-name=kubectl-job")
print("python client: %d jobs, %d pods, server %s" % (len(names), len(pods.items), v.git_version))
# client-certificate context
config.load_kube_config(config_file=sys.argv[1], context="fake-cert")
r = client.CustomObjectsApi().list_namespaced_custom_object("trainer.kubeflow.org", "v1alpha1",
                                                            "default", "trainjobs")
assert len(r["items"]) == 1, r
EOF
else
	echo "note: python3-kubernetes not installed; Python client check skipped"
fi

kill "$PID"; wait "$PID" 2>/dev/null; PID=""

# the server's own unit tests (they start their own servers)
"$PY" "$TOP/tests/fake_apiserver/test_server.py" -v >"$T/unit.log" 2>&1
rc=$?
tail -n 60 "$T/unit.log"
[ $rc -eq 0 ] || fail "tests/fake_apiserver/test_server.py failed (exit $rc)"
echo "ok: kubectl and python client agree with the fake API server"
