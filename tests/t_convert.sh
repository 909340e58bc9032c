#!/bin/sh
# kft convert on every upstream Training Operator v1 example: each converts to
# a TrainJob valid under the real v2.3 TrainJob CRD (and the v2.1/v2.0 CRDs when
# rendered for those versions), or is refused with a reason; the losses are
# listed on stderr with their field paths; --strict; several documents; stdin.
# Then a v1 PyTorchJob with a local command runs to completion with
# `kft train -f` as a 2-node job on the local backend, `kft render -f`
# prints the converted TrainJob, and the container backend plans it (t_k8s_v1
# sends one to the fake API server).
# The examples are read from $KFT_TOP/../shared/kubeflow-training-operator-v1
# ($KFT_V1_REF overrides it), the CRDs from ../shared/kubeflow-trainer.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K=$BUILD/kft
V1=${KFT_V1_REF:-$TOP/../shared/kubeflow-training-operator-v1}
REF=${KFT_TRAINER_REF:-$TOP/../shared/kubeflow-trainer}
PY=/usr/bin/python3
CHECK=$TOP/tests/crd_validate.py
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}

skip() { echo "skip: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ -x "$K" ] || fail "$K not built"
[ -d "$V1/examples" ] || skip "no v1 examples at $V1/examples (the shared kubeflow-training-operator-v1 folder is absent)"
for v in v2.3.0 v2.1.0 v2.0.0; do
	[ -f "$REF/$v/crds/trainer.kubeflow.org_trainjobs.yaml" ] ||
		skip "no TrainJob CRD at $REF/$v/crds (the shared kubeflow-trainer folder is absent)"
done
[ -x "$PY" ] || skip "$PY is not installed"
"$PY" -c 'import jsonschema, yaml' 2>/dev/null || skip "python3-jsonschema or python3-yaml is not installed"

W=$(mktemp -d "${TMPDIR:-/tmp}/kft-convert.XXXXXX")
trap 'rm -rf "$W"' EXIT
crd() { echo "$REF/$1/crds/trainer.kubeflow.org_trainjobs.yaml"; }
n=0

# valid NAME CRD-VERSION JSON-FILE
valid() {
	"$PY" "$CHECK" "$(crd "$2")" "$3" >/dev/null || fail "$1: not valid against the $2 TrainJob CRD: $(cat "$3")"
	n=$((n + 1))
}

# ---- 1. every example: a valid TrainJob, or a clear refusal ----
found=0
for f in "$V1"/examples/*.yaml; do
	b=$(basename "$f" .yaml)
	found=$((found + 1))
	if "$K" convert -f "$f" -o json >"$W/$b.json" 2>"$W/$b.err"; then
		valid "$b" v2.3.0 "$W/$b.json"
		grep -q '"kind": "TrainJob"' "$W/$b.json" || fail "$b: no TrainJob printed"
		for tv in v2.1 v2.0; do
			case $b in xgboost*|jax*) continue ;; esac   # no such runtime before v2.2
			"$K" convert -f "$f" -o json --trainer-version $tv >"$W/$b.$tv.json" 2>/dev/null ||
				fail "$b: convert --trainer-version $tv failed"
			valid "$b@$tv" "$tv.0" "$W/$b.$tv.json"
		done
		echo "ok: $b -> TrainJob ($(grep -c '^kft: lost: ' "$W/$b.err") losses)"
	else
		case $b in
		tfjob-*) grep -q 'TFJob: Kubeflow Trainer v2 ships no TensorFlow runtime.*--runtime NAME' "$W/$b.err" ||
			fail "$b: refusal unclear: $(cat "$W/$b.err")" ;;
		paddlejob-*) grep -q 'PaddleJob: Kubeflow Trainer v2 ships no PaddlePaddle runtime.*--runtime NAME' "$W/$b.err" ||
			fail "$b: refusal unclear: $(cat "$W/$b.err")" ;;
		*) fail "$b: refused: $(cat "$W/$b.err")" ;;
		esac
		[ -s "$W/$b.json" ] && fail "$b: refused but printed something"
		# with a runtime named, it converts
		"$K" convert -f "$f" -o json --runtime my-own >"$W/$b.json" 2>"$W/$b.err" ||
			fail "$b --runtime my-own: $(cat "$W/$b.err")"
		valid "$b --runtime" v2.3.0 "$W/$b.json"
		echo "ok: $b refused without --runtime, converts with it"
	fi
done
[ $found -ge 11 ] || fail "only $found examples found in $V1/examples"

# ---- 2. what the examples lose, one line per field path ----
E=$V1/examples
"$K" convert -f "$E/pytorchjob-simple.yaml" >"$W/o" 2>"$W/e" || fail "pytorchjob-simple"
for l in 'kft: lost: spec.pytorchReplicaSpecs.Master.restartPolicy: OnFailure dropped' \
         'kft: lost: spec.pytorchReplicaSpecs.Worker.template.spec.containers\[0\].imagePullPolicy: dropped'; do
	grep -q "^$l" "$W/e" || fail "no \"$l\" in: $(cat "$W/e")"
done
[ "$(grep -c '^kft: lost: ' "$W/e")" -eq 4 ] || fail "pytorchjob-simple: 4 losses expected: $(cat "$W/e")"
grep -q '^    numNodes: 2$' "$W/o" || fail "pytorchjob-simple: numNodes 2: $(cat "$W/o")"
grep -q '^    name: torch-distributed$' "$W/o" || fail "pytorchjob-simple: runtime"
"$K" convert -f "$E/mpijob-v1-tensorflow-mnist.yaml" >"$W/o" 2>"$W/e" || fail "mpijob"
grep -q '^kft: lost: spec.runPolicy.cleanPodPolicy: dropped' "$W/e" || fail "mpijob cleanPodPolicy: $(cat "$W/e")"
grep -q '^kft: note: spec.runtimeRef.name: deepspeed-distributed: no generic MPI runtime' "$W/e" ||
	fail "mpijob: the runtime choice is not explained: $(cat "$W/e")"
grep -q '^    numNodes: 3$' "$W/o" || fail "mpijob: numNodes = Worker + 1"
"$K" convert -f "$E/pytorchjob-elastic-imagenet.yaml" >/dev/null 2>"$W/e" || fail "elastic"
grep -q '^kft: lost: spec.elasticPolicy: dropped: TrainJob has no elastic training' "$W/e" || fail "elasticPolicy loss"
"$K" convert -f "$E/xgboostjob-iris-train.yaml" >/dev/null 2>"$W/e" || fail "xgboost"
grep -q '^kft: lost: spec.xgbReplicaSpecs.Worker.template.spec.containers\[0\].args: differs from Master' "$W/e" ||
	fail "xgboost: the Worker's different args are not reported: $(cat "$W/e")"

# ---- 3. --strict, bad input, several documents, stdin ----
"$K" convert -f "$E/pytorchjob-simple.yaml" --strict >"$W/o" 2>"$W/e"; rc=$?
[ $rc -eq 1 ] || fail "--strict with losses exited $rc"
grep -q 'strict conversion: 4 fields would be lost' "$W/e" || fail "--strict message: $(cat "$W/e")"
[ -s "$W/o" ] && fail "--strict printed a TrainJob"
printf 'apiVersion: kubeflow.org/v1\nkind: CaffeJob\nspec: {}\n' >"$W/bad.yaml"
"$K" convert -f "$W/bad.yaml" 2>"$W/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'kind: expected a Training Operator v1 job' "$W/e" || fail "unknown kind: rc $rc $(cat "$W/e")"
sed 's/name: pytorch-simple/name: Pytorch_Simple/' "$E/pytorchjob-simple.yaml" >"$W/badname.yaml"
"$K" convert -f "$W/badname.yaml" 2>"$W/e" && fail "a bad name converted"
grep -q 'metadata.name: "Pytorch_Simple" is not a valid TrainJob name' "$W/e" || fail "bad name: $(cat "$W/e")"
"$K" convert -f "$W/badname.yaml" --name fixed >/dev/null 2>&1 || fail "--name does not rename"
"$K" convert 2>/dev/null; [ $? -eq 2 ] || fail "convert without -f is not a usage error"
"$K" convert -f "$E/pytorchjob-simple.yaml" --bogus 2>/dev/null; [ $? -eq 2 ] || fail "unknown flag"
{ cat "$E/pytorchjob-simple.yaml"; echo '---'; cat "$E/jaxjob-cpu-demo.yaml"; } >"$W/two.yaml"
"$K" convert -f "$W/two.yaml" >"$W/two.out" 2>"$W/e" || fail "two documents: $(cat "$W/e")"
grep -q '^kft: document 2: lost: spec.jaxReplicaSpecs.Worker.restartPolicy' "$W/e" || fail "document numbers: $(cat "$W/e")"
"$PY" - "$W/two.out" "$W" <<'EOF' || fail "two documents: not two TrainJobs"
import json, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
assert [d["metadata"]["name"] for d in docs] == ["pytorch-simple", "jaxjob-simple"], docs
for i, d in enumerate(docs):
    json.dump(d, open("%s/doc%d.json" % (sys.argv[2], i), "w"))
EOF
valid "document 1" v2.3.0 "$W/doc0.json"
valid "document 2" v2.3.0 "$W/doc1.json"
{ cat "$E/pytorchjob-simple.yaml"; echo '---'; cat "$W/bad.yaml"; } >"$W/twobad.yaml"
"$K" convert -f "$W/twobad.yaml" >/dev/null 2>"$W/e" && fail "a bad second document converted"
grep -q 'document 2: kind: expected a Training Operator v1 job' "$W/e" || fail "document 2 error: $(cat "$W/e")"
"$K" convert -f - -o json <"$E/jaxjob-cpu-demo.yaml" >"$W/stdin.json" 2>/dev/null || fail "-f -"
valid stdin v2.3.0 "$W/stdin.json"
"$K" render -f "$W/two.yaml" 2>"$W/e" && fail "render of two v1 jobs"
grep -q '2 v1 jobs among 2 YAML documents' "$W/e" || fail "render of two jobs: $(cat "$W/e")"
echo "ok: losses, --strict, bad input, documents, stdin"

# ---- 4. kft render -f and kft train -f run a v1 PyTorchJob locally, 2 nodes ----
STATE=$W/state
export KFT_STATE_DIR="$STATE" KFT_BACKEND=local
cat >"$W/pt.yaml" <<'EOF'
apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: v1-local
spec:
  runPolicy:
    cleanPodPolicy: None
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers:
          - name: pytorch
            image: docker.io/library/python:3.12
            command: [sh, -c, 'echo "rank $PET_NODE_RANK of $PET_NNODES"']
    Worker:
      replicas: 1
      restartPolicy: OnFailure
      template:
        spec:
          containers:
          - name: pytorch
            image: docker.io/library/python:3.12
            command: [sh, -c, 'echo "rank $PET_NODE_RANK of $PET_NNODES"']
EOF
"$K" render -f "$W/pt.yaml" -o json >"$W/r.json" 2>"$W/e" || fail "render -f v1: $(cat "$W/e")"
valid "render -f" v2.3.0 "$W/r.json"
[ "$(grep -c 'a Training Operator v1 job, converted to a TrainJob on runtime torch-distributed' "$W/e")" -eq 1 ] ||
	fail "render -f: the one-line notice: $(cat "$W/e")"
name=$("$K" train -f "$W/pt.yaml" --wait --timeout 120 2>"$W/e") || fail "train -f v1 (rc $?): $(cat "$W/e")"
[ "$name" = v1-local ] || fail "train printed '$name'"
grep -q 'converted to a TrainJob' "$W/e" || fail "train -f: no notice"
grep -q '^kft: lost: spec.runPolicy.cleanPodPolicy' "$W/e" || fail "train -f: losses not listed"
"$K" get v1-local -o json | grep -q '"status": "Complete"' || fail "v1-local did not complete"
"$K" logs v1-local >"$W/logs" || fail "logs"
grep -q '^node-0: rank 0 of 2$' "$W/logs" && grep -q '^node-1: rank 1 of 2$' "$W/logs" ||
	fail "not a 2-node run: $(cat "$W/logs")"
echo "ok: v1 PyTorchJob ran locally as 2 nodes with kft train -f"
# the container backend takes the same converted job: its plan, 2 nodes in the v1 image
"$K" -b container --state-dir "$W/cstate" render --plan -f "$W/pt.yaml" -o json >"$W/plan.json" \
	2>"$W/e" || fail "container render --plan -f v1: $(cat "$W/e")"
"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["backend"] == "container" and d["numNodes"] == 2, d
assert [(s["name"], s["image"]) for s in d["steps"]] == \
    [("node-0", "docker.io/library/python:3.12"), ("node-1", "docker.io/library/python:3.12")], d
' "$W/plan.json" || fail "container plan: $(cat "$W/plan.json")"
echo "ok: the container backend plans the converted job (2 nodes, the v1 image)"
echo "t_convert: $n TrainJobs validated against the CRDs"
