#!/bin/sh
# The kft session (train/get/list/logs/wait/events/runtimes/delete) with -b kubernetes
# against the fake API server over TLS, and kubectl agreeing with what kft created:
# kubectl reads kft's TrainJob, kft reads kubectl's. Also --server-dry-run, render --plan,
# an unknown context and no token in the -v debug output.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
B=${KFT_BUILD:-$TOP/build}
SRV="$TOP/tests/fake_apiserver/server.py"
. "$TOP/tests/fake_apiserver/start.sh"
fake_apiserver_tmp kft-k8scli
command -v kubectl >/dev/null 2>&1 || { echo "skip: kubectl not installed"; exit 77; }
[ -f "$SRV" ] || { echo "skip: $SRV missing"; exit 77; }
[ -x "$B/kft" ] || { echo "skip: $B/kft not built"; exit 77; }

fake_apiserver_start "$T/srv" --token test-token
export KUBECONFIG="$T/srv/kubeconfig"
KFT="$B/kft -b kubernetes"
KC="kubectl --cache-dir=$T/kcache --request-timeout=20s"
json_get() { # FILE PYTHON-EXPR(d)
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

# train -> kubectl sees exactly what kft sent
name=$($KFT train --name cli-job --nodes 2 --env LR=0.1 --label kft-test=cli -- python train.py) || fail "train: $name"
[ "$name" = cli-job ] || fail "train printed '$name'"
$KC get trainjob cli-job -o json >"$T/kc.json" 2>"$T/kc.err" || fail "kubectl get: $(cat "$T/kc.err")"
[ "$(json_get "$T/kc.json" "d['spec']['trainer']['numNodes']")" = 2 ] || fail "numNodes"
[ "$(json_get "$T/kc.json" "d['spec']['trainer']['command']")" = "['python', 'train.py']" ] ||
	fail "command: $(json_get "$T/kc.json" "d['spec']['trainer']['command']")"
[ "$(json_get "$T/kc.json" "d['spec']['trainer']['env'][0]['value']")" = 0.1 ] || fail "env"
[ "$(json_get "$T/kc.json" "d['spec']['runtimeRef']['kind']")" = ClusterTrainingRuntime ] ||
	fail "runtimeRef.kind not sent"

# get / wait / list / logs / events / runtimes
$KFT wait cli-job --timeout 30 >"$T/wait.out" 2>&1 || fail "wait: $(cat "$T/wait.out")"
$KFT get cli-job >"$T/get.out" 2>&1 || fail "get: $(cat "$T/get.out")"
grep -q 'Status: *Complete' "$T/get.out" || fail "get: $(cat "$T/get.out")"
grep -q 'node-1 *Succeeded *0' "$T/get.out" || fail "get steps: $(cat "$T/get.out")"
$KFT -o json list >"$T/list.json" 2>&1 || fail "list: $(cat "$T/list.json")"
grep -q '"cli-job"' "$T/list.json" || fail "list lacks cli-job"
# labels come back from the cluster, through the streamed list and the single get
$KFT list -l kft-test=cli >"$T/l1.out" 2>&1 || fail "list -l: $(cat "$T/l1.out")"
grep -q '^cli-job ' "$T/l1.out" || fail "list -l kft-test=cli: $(cat "$T/l1.out")"
[ "$($KFT list -l kft-test=other | wc -l)" = 1 ] || fail "list -l kft-test=other matched"
$KFT get cli-job -o json | grep -q '"kft-test": "cli"' || fail "get -o json: no labels"
$KFT logs cli-job >"$T/logs.out" 2>&1 || fail "logs: $(cat "$T/logs.out")"
grep -q '^node-1: rank 1 of 2' "$T/logs.out" || fail "logs: $(cat "$T/logs.out")"
$KFT logs cli-job --step node-0 --tail 1 >"$T/tail.out" 2>&1 || fail "logs --tail"
[ "$(wc -l <"$T/tail.out")" -eq 1 ] || fail "tail 1 gave: $(cat "$T/tail.out")"
# --timestamps: the server's RFC 3339 time first; --since DURATION: sinceSeconds
$KFT logs cli-job --step node-0 --timestamps >"$T/ts.out" 2>&1 || fail "logs --timestamps: $(cat "$T/ts.out")"
grep -Eq '^20[0-9-]+T[0-9:.]+Z rank 0 of 2' "$T/ts.out" || fail "logs --timestamps: $(cat "$T/ts.out")"
$KFT logs cli-job --step node-0 --since 1h >"$T/since.out" 2>&1 || fail "logs --since 1h"
grep -q '^rank 0 of 2' "$T/since.out" || fail "logs --since 1h: $(cat "$T/since.out")"
sleep 2   # the job has ended: nothing was written in the last second
[ -z "$($KFT logs cli-job --step node-0 --since 1s)" ] || fail "logs --since 1s printed old lines"
$KFT logs cli-job --since 1h5x >"$T/since.err" 2>&1 && fail "logs --since 1h5x accepted"
grep -q 'unknown unit' "$T/since.err" || fail "logs --since 1h5x: $(cat "$T/since.err")"
$KFT events cli-job >"$T/events.out" 2>&1 || fail "events: $(cat "$T/events.out")"
grep -q 'Pod ' "$T/events.out" && grep -q 'TrainJob' "$T/events.out" || fail "events: $(cat "$T/events.out")"
$KFT runtimes >"$T/rt.out" 2>&1 || fail "runtimes"
grep -q '^torch-distributed .*cluster' "$T/rt.out" || fail "runtimes: $(cat "$T/rt.out")"

# kubectl creates, kft reads
cat >"$T/job.yaml" <<'EOF'
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata:
  name: from-kubectl
spec:
  runtimeRef: {name: torch-distributed, kind: ClusterTrainingRuntime}
  trainer: {numNodes: 1, command: [python, t.py]}
EOF
$KC create -f "$T/job.yaml" >/dev/null 2>&1 || fail "kubectl create"
$KFT wait from-kubectl --timeout 30 >/dev/null 2>&1 || fail "kft wait on kubectl's job"
$KFT -o json get from-kubectl | grep -q '"Complete"' || fail "kft get on kubectl's job"

# delete with kft -> kubectl agrees
$KFT delete cli-job --propagation Foreground >/dev/null 2>&1 || fail "delete"
$KC get trainjob cli-job >/dev/null 2>&1 && fail "kubectl still sees cli-job"
$KFT get cli-job >"$T/gone.out" 2>&1 && fail "get after delete succeeded"
grep -q 'not found' "$T/gone.out" || fail "get after delete: $(cat "$T/gone.out")"

# --server-dry-run creates nothing; render --plan prints the request
$KFT train --name dry-job --server-dry-run -- python t.py >/dev/null 2>&1 || fail "dry run"
$KC get trainjob dry-job >/dev/null 2>&1 && fail "dry run created the job"
$KFT -o text render --plan --name plan-job -- python t.py >"$T/plan.out" 2>&1 ||
	$KFT render --plan --name plan-job -- python t.py >"$T/plan.out" 2>&1 || fail "render --plan: $(cat "$T/plan.out")"
grep -q 'trainjobs?fieldValidation=Strict' "$T/plan.out" || fail "plan: $(cat "$T/plan.out")"

# the cluster's Trainer version decides the form: v2.3.0 -> runtimePatches; no version
# ConfigMap -> <= v2.1 (said at debug level) -> podTemplateOverrides
$KFT render --plan --name v-job --node-selector gpu=a100 -- python t.py >"$T/v23.out" 2>&1 ||
	fail "render v2.3: $(cat "$T/v23.out")"
grep -q 'runtimePatches' "$T/v23.out" || fail "v2.3 render: $(cat "$T/v23.out")"
python3 "$SRV" --dir "$T/old" --token test-token --trainer-version none >"$T/old.log" 2>&1 &
OLDPID=$!
i=0
while [ ! -s "$T/old/kubeconfig" ]; do
	i=$((i + 1)); [ $i -gt 150 ] && { kill $OLDPID; fail "old server did not start"; }
	sleep 0.1
done
$KFT -v --kubeconfig "$T/old/kubeconfig" render --plan --name v-job --node-selector gpu=a100 \
	-- python t.py >"$T/v21.out" 2>&1 || { kill $OLDPID; fail "render v2.1: $(cat "$T/v21.out")"; }
kill $OLDPID; wait $OLDPID 2>/dev/null
grep -q 'podTemplateOverrides' "$T/v21.out" && ! grep -q 'runtimePatches' "$T/v21.out" ||
	fail "old-cluster render: $(cat "$T/v21.out")"
grep -q 'assuming Kubeflow Trainer v2.1 or older' "$T/v21.out" || fail "no debug note about the version"

# errors
$KFT --context nope list >"$T/ctx.out" 2>&1 && fail "unknown context accepted"
grep -q 'context "nope" not found (known contexts: fake, fake-cert)' "$T/ctx.out" ||
	fail "unknown context: $(cat "$T/ctx.out")"
$KFT --kubeconfig "$T/none.yaml" list >"$T/nokc.out" 2>&1 && fail "missing kubeconfig accepted"
grep -q 'no such file' "$T/nokc.out" || fail "missing kubeconfig: $(cat "$T/nokc.out")"

# no secret in the debug output
$KFT -v get from-kubectl >"$T/v.out" 2>&1 || fail "get -v"
grep -q 'GET https://127.0.0.1' "$T/v.out" || fail "no debug log: $(cat "$T/v.out")"
grep -q 'test-token' "$T/v.out" && fail "the token leaked into -v output"

# a quiet `kft logs -f` stops within about a second of Ctrl-C: the kubernetes backend
# calls the log callback (the CLI's cancellation point) at least once a second while
# no line arrives; without that it would run until the 30-second job ends
$KFT train --name cli-quiet --annotation fake.kftrainer.dev/duration-ms=30000 \
	-- python quiet.py >/dev/null 2>"$T/quiet.err" || fail "train cli-quiet: $(cat "$T/quiet.err")"
$KFT wait cli-quiet --for Running --timeout 20 >/dev/null 2>&1 || fail "cli-quiet not Running"
$KFT logs -f cli-quiet --step node-0 >"$T/quiet.out" 2>&1 &
LPID=$!
sleep 2
kill -0 "$LPID" 2>/dev/null || fail "logs -f of a running job ended early: $(cat "$T/quiet.out")"
t0=$(date +%s%N)
kill -INT "$LPID"
wait "$LPID"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 1800 ] || fail "a quiet kft logs -f took $ms ms to stop after SIGINT"
echo "quiet logs -f stopped $ms ms after SIGINT"
$KFT delete cli-quiet >/dev/null 2>&1 || fail "delete cli-quiet"
echo "ok"
