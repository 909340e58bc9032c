#!/bin/sh
# Rendered TrainJobs validated against the openAPIV3Schema of the real TrainJob
# CRDs of Kubeflow Trainer v2.3.0, v2.1.0 and v2.0.0 (python3-jsonschema; unknown
# fields rejected, x-kubernetes-* ignored; see tests/crd_validate.py).
# The CRDs are read from $KFT_TOP/../shared/kubeflow-trainer ($KFT_TRAINER_REF
# overrides it); without them the test is skipped.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
KFT=$BUILD/kft
REF=${KFT_TRAINER_REF:-$TOP/../shared/kubeflow-trainer}
PY=/usr/bin/python3
CHECK=$TOP/tests/crd_validate.py

skip() { echo "skip: $*"; exit 77; }
[ -x "$KFT" ] || { echo "FAIL: $KFT not built"; exit 1; }
for v in v2.3.0 v2.1.0 v2.0.0; do
	[ -f "$REF/$v/crds/trainer.kubeflow.org_trainjobs.yaml" ] ||
		skip "no TrainJob CRD at $REF/$v/crds (the shared kubeflow-trainer folder is absent)"
done
[ -x "$PY" ] || skip "$PY is not installed"
"$PY" -c 'import jsonschema, yaml' 2>/dev/null ||
	skip "python3-jsonschema or python3-yaml is not installed"

W=$(mktemp -d "${TMPDIR:-/tmp}/kft-crd.XXXXXX")
trap 'rm -rf "$W"' EXIT
fails=0
n=0

crd() { echo "$REF/$1/crds/trainer.kubeflow.org_trainjobs.yaml"; }

# render NAME CRD-VERSION kft-render-args... : render to JSON, validate, count.
render() {
	name=$1 ver=$2
	shift 2
	n=$((n + 1))
	if ! "$KFT" render -o json "$@" >"$W/$name.json" 2>"$W/$name.err"; then
		echo "FAIL: $name: kft render $*: $(cat "$W/$name.err")"
		fails=$((fails + 1))
		return
	fi
	if "$PY" "$CHECK" "$(crd "$ver")" "$W/$name.json"; then
		echo "ok: $name valid against $ver"
	else
		echo "FAIL: $name is not valid against the $ver TrainJob CRD"
		fails=$((fails + 1))
	fi
}

# reject NAME CRD-VERSION FILE: the schema must refuse FILE (proves the check bites).
reject() {
	n=$((n + 1))
	if "$PY" "$CHECK" "$(crd "$2")" --expect-fail "$3"; then
		echo "ok: $1 rejected by $2"
	else
		echo "FAIL: $1: the $2 schema accepted a document it must refuse"
		fails=$((fails + 1))
	fi
}

# Inputs: a script, a code directory, a TrainJob file with runtime patches.
printf 'import os\nprint("$HOME `id` \\\\ EOF")\n__KFT_EMBEDDED_SCRIPT__\n' >"$W/train.py"
mkdir -p "$W/code/pkg"
printf 'X = 1\n' >"$W/code/pkg/util.py"
head -c 20000 /dev/urandom >"$W/code/blob.bin"
cat >"$W/patches.yaml" <<'EOF'
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata:
  name: patched
  labels: {kueue.x-k8s.io/queue-name: team-a}
spec:
  runtimeRef: {name: torch-distributed, kind: ClusterTrainingRuntime}
  trainer:
    numNodes: 2
    command: [torchrun, train.py]
    resourcesPerNode:
      limits: {nvidia.com/gpu: 1, cpu: "4", memory: 16Gi}
  runtimePatches:
  - manager: example.io/team
    trainingRuntimeSpec:
      template:
        metadata:
          annotations: {scheduling.volcano.sh/queue-name: q}
        spec:
          replicatedJobs:
          - name: node
            template:
              metadata: {labels: {job-label: x}}
              spec:
                template:
                  metadata:
                    annotations: {kueue.x-k8s.io/podset-required-topology: rack}
                  spec:
                    serviceAccountName: trainer
                    nodeSelector: {accelerator: a100}
                    tolerations:
                    - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
                    volumes:
                    - name: data
                      persistentVolumeClaim: {claimName: data}
                    containers:
                    - name: node
                      volumeMounts:
                      - {name: data, mountPath: /data, readOnly: true}
                    terminationGracePeriodSeconds: 30
EOF

# The issue's "Done means" command.
render done-means v2.3.0 --runtime torch-distributed --nodes 2 --gpu 1 --env A=B \
	-- python3 train.py
# Every job flag at once.
render many-flags v2.3.0 --name many-flags --runtime torch-distributed \
	--runtime-kind ClusterTrainingRuntime --nodes 3 --nproc 2 --image pytorch/pytorch:2.7.1 \
	--env A=B --env EMPTY= --resource cpu=2 --resource Memory=4Gi --resource storage=10Gi \
	--gpu 1 --label team=ml --annotation note=x --queue team-a --priority high \
	--deadline 3600 --suspend --managed-by kueue.x-k8s.io/multikueue \
	--node-selector accelerator=a100 --volume /srv/data:/data:ro --volume /tmp:/scratch \
	-- python3 train.py --epochs 3
render mig v2.3.0 --resource mig-1g.5gb=2 --cpu 500m -- python3 train.py
# Script trainers (torchrun, mpirun, python launchers) with packages and a code dir.
render script-torch v2.3.0 --script "$W/train.py" --package numpy --package 'torch>=2' \
	--pip-index-url https://pypi.org/simple --code-dir "$W/code" -- --lr 0.1
render script-mpi v2.3.0 --runtime deepspeed-distributed --nodes 2 --script "$W/train.py"
render script-jax v2.3.0 --runtime jax-distributed --script "$W/train.py"
# Initializers.
render torchtune v2.3.0 --runtime torchtune-llama3.2-1b --dataset hf://tatsu-lab/alpaca \
	--model hf://meta-llama/Llama-3.2-1B-Instruct --model-env ACCESS_TOKEN=t \
	--dataset-env IGNORE_PATTERNS='*.bin' --epochs 2
# The TorchTune builtin trainer with most of its config.
render torchtune-config v2.3.0 --runtime torchtune-llama3.2-1b --gpu 1 \
	--dataset hf://tatsu-lab/alpaca/data --dtype bf16 --batch-size 4 --epochs 2 --lora \
	--lora-rank 8 --lora-alpha 16 --lora-dropout 0.1 --dataset-source parquet \
	--dataset-split 'train[:95%]' --train-on-input true --system-prompt 'You are an AI. ' \
	--column-map input=incorrect,output=correct
render cache v2.3.0 --runtime torch-distributed-with-cache --dataset cache://schema/table \
	--dataset-env METADATA_LOC=s3://b/m.json -- python3 train.py
# Runtime patches from a file; the upstream examples.
render patches v2.3.0 -f "$W/patches.yaml"
for ex in "$REF"/master/examples/yaml/0[1-9]-*.yaml; do
	[ -f "$ex" ] || continue
	# as sent to a cluster: some name runtimes that only the examples' cluster defines
	# (a local render refuses an unknown runtime; -b kubernetes warns)
	render "example-$(basename "$ex" .yaml)" v2.3.0 -b kubernetes -f "$ex"
done
# Older releases: podTemplateOverrides (v2.1) and podSpecOverrides (v2.0).
render v21-flags v2.1.0 --trainer-version v2.1 --nodes 2 --gpu 1 --node-selector gpu=a100 --volume /a:/b \
	--label team=ml -- python3 train.py
# v2.1 has no Job metadata and no terminationGracePeriodSeconds: kft refuses them...
n=$((n + 1))
if "$KFT" render --trainer-version v2.1 -f "$W/patches.yaml" >/dev/null 2>"$W/v21.err"; then
	echo "FAIL: v2.1 render kept fields Trainer v2.1 does not have"
	fails=$((fails + 1))
elif grep -q "not supported by Trainer v2.1" "$W/v21.err"; then
	echo "ok: v2.1 render refuses v2.3-only patch fields: $(cat "$W/v21.err")"
else
	echo "FAIL: v2.1 render failed without saying why: $(cat "$W/v21.err")"
	fails=$((fails + 1))
fi
# ...and renders the rest as podTemplateOverrides / podSpecOverrides.
"$PY" - "$W/patches.yaml" "$W/patches21.yaml" <<'PYEOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
rj = doc["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
del rj["template"]["metadata"]
del rj["template"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PYEOF
render v21-patches v2.1.0 --trainer-version v2.1 -f "$W/patches21.yaml"
render v21-script v2.1.0 --trainer-version v2.1 --script "$W/train.py"
render v21-init v2.1.0 --trainer-version v2.1 --runtime torchtune-llama3.2-1b \
	--dataset hf://tatsu-lab/alpaca --epochs 1
"$PY" - "$W/patches21.yaml" "$W/patches20.yaml" <<'PYEOF'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
rj = doc["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
del rj["template"]["spec"]["template"]["metadata"]   # v2.0 has no pod metadata
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PYEOF
render v20-patches v2.0.0 --trainer-version v2.0 -f "$W/patches20.yaml"
render v20-flags v2.0.0 --trainer-version v2.0 --nodes 2 --cpu 2 --node-selector gpu=a100 --volume /a:/b:ro \
	--managed-by kueue.x-k8s.io/multikueue --suspend -- python3 train.py
render v22 v2.3.0 --trainer-version v2.2 --node-selector gpu=a100 --deadline 60 -- python3 t.py

# The check must bite: v2.2+ fields on older CRDs, unknown and mistyped fields.
if [ -f "$W/patches.json" ]; then
	reject patches-on-v2.1 v2.1.0 "$W/patches.json"
	reject patches-on-v2.0 v2.0.0 "$W/patches.json"
fi
"$PY" - "$W/done-means.json" "$W" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
bad = json.loads(json.dumps(doc)); bad["spec"]["trainer"]["bogus"] = 1
json.dump(bad, open(sys.argv[2] + "/unknown-field.json", "w"))
bad = json.loads(json.dumps(doc)); bad["spec"]["trainer"]["numNodes"] = "2"
json.dump(bad, open(sys.argv[2] + "/string-count.json", "w"))
bad = json.loads(json.dumps(doc)); bad["spec"]["trainer"]["command"] = ["x"] * 129
json.dump(bad, open(sys.argv[2] + "/too-many-args.json", "w"))
EOF
reject unknown-field v2.3.0 "$W/unknown-field.json"
reject string-count v2.3.0 "$W/string-count.json"
reject too-many-args v2.3.0 "$W/too-many-args.json"

echo "$((n - fails)) of $n CRD checks passed"
[ "$fails" -eq 0 ]
