#!/bin/sh
# kft render with TorchTune flags: the SDK's exact spec.trainer (worked examples of
# reference/kubeflow-sdk.md §4.3), Python formatting checked against python3 itself,
# every bad input refused with its message, and the result valid against the real
# v2.3 TrainJob CRD. SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
KFT=${KFT_BUILD:-$TOP/build}/kft
CRD=$TOP/../shared/kubeflow-trainer/v2.3.0/crds/trainer.kubeflow.org_trainjobs.yaml
[ -f "$CRD" ] || CRD=/work/shared/kubeflow-trainer/v2.3.0/crds/trainer.kubeflow.org_trainjobs.yaml
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
T=$(mktemp -d /tmp/kft-tt.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# Render everything first; one python3 run checks it all (python3 starts slowly here).
R() { # name, kft render args...
	n=$1; shift
	"$KFT" render -o json --name "$n" "$@" >"$T/$n.json" 2>"$T/$n.err" \
		|| fail "render $n failed: $(cat "$T/$n.err")"
}
# worked example 1 (its 2 nodes break the llama3.2 webhook rule, hence --no-validate)
R ex1 --runtime torchtune-llama3.2-1b --nodes 2 --batch-size 2 --epochs 2 \
	--loss torchtune.modules.loss.CEWithChunkedOutputLoss --no-validate
# worked example 2
R ex2 --runtime torchtune-llama3.2-1b --gpu 1 \
	--dataset hf://tatsu-lab/alpaca/data --dtype bf16 --batch-size 10 --epochs 10 \
	--loss torchtune.modules.loss.CEWithChunkedOutputLoss --lora-rank 8 --lora-alpha 16 \
	--lora-dropout 0.1 --dataset-source parquet --dataset-split 'train[:95%]' \
	--train-on-input true --system-prompt 'You are an AI assistant. ' \
	--column-map input=incorrect,output=correct
# explicit false / zero, QLoRA, DoRA
R ef --runtime torchtune-llama3.2-1b --lora-mlp false --lora-output false --lora-dropout 0 \
	--train-on-input false --qlora --dora --lora-attn-modules q_proj,k_proj --no-validate
# a torchtune runtime with no flags is a BuiltinTrainer with an empty config
R e --runtime torchtune-qwen2.5-1.5b
# floats: compared with Python's own repr(float(x))
FLOATS="0.1 0.05 0 0.0001 0.00001 1e-7 0.3 0.123456789 0.999999 .5 3e-3 0.30000000000000004
0.1234567890123456789 7.5e-10"
i=0
for v in $FLOATS; do
	R "fl$i" --runtime torchtune-llama3.2-1b --lora-dropout "$v"
	i=$((i + 1))
done
# column map: compared with Python's repr(dict)
CM="it's=say \"hi\",a\\b=both ' and \",tab=caf$(printf '\303\251'),x y=z"
R cm --runtime torchtune-llama3.2-1b --column-map "$CM"
# more shapes for the CRD check
R ql --runtime torchtune-llama3.2-1b --qlora --gpu 1 --cpu 4 --memory 16Gi \
	--dataset hf://tatsu-lab/alpaca/data/train.json --model hf://meta-llama/Llama-3.2-1B-Instruct \
	--epochs 1

crd=$CRD
[ -f "$CRD" ] || { echo "note: CRD check skipped: $CRD is missing"; crd=; }
cat >"$T/check.py" <<'PYEOF'
import copy, json, sys
T, crd, floats, cm = sys.argv[1], sys.argv[2], sys.argv[3].split(), sys.argv[4]
bad = 0
def load(n):
    return json.load(open(f"{T}/{n}.json"))
def check(what, got, want):
    global bad
    if got == want:
        print("ok:", what)
    else:
        bad += 1
        print("FAIL:", what); print("  got ", got); print("  want", want)
compact = lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False)
CE = "torchtune.modules.loss.CEWithChunkedOutputLoss"
check("worked example 1 (spec.trainer byte-exact)", compact(load("ex1")["spec"]["trainer"]),
      '{"command":["tune","run"],"args":["batch_size=2","epochs=2","loss=%s"],"numNodes":2}' % CE)
check("worked example 2 (args byte-exact)", load("ex2")["spec"]["trainer"]["args"], [
    "dtype=bf16", "batch_size=10", "epochs=10", "loss=" + CE,
    "dataset.data_dir=/workspace/dataset/data", "model.lora_rank=8", "model.lora_alpha=16",
    "model.lora_dropout=0.1", "model.lora_attn_modules=[q_proj,v_proj,output_proj]",
    "dataset=torchtune.datasets.instruct_dataset", "dataset.source=parquet",
    "dataset.split=train[:95%]", "dataset.train_on_input=True",
    "dataset.new_system_prompt=You are an AI assistant. ",
    "dataset.column_map={'input': 'incorrect', 'output': 'correct'}"])
check("explicit False and 0.0 are emitted", load("ef")["spec"]["trainer"]["args"], [
    "model.apply_lora_to_mlp=False", "model.apply_lora_to_output=False",
    "model.lora_dropout=0.0", "model.quantize_base=True", "model.use_dora=True",
    "model.lora_attn_modules=[q_proj,k_proj]", "dataset=torchtune.datasets.instruct_dataset",
    "dataset.train_on_input=False"])
check("empty TorchTune config", compact(load("e")["spec"]["trainer"]),
      '{"command":["tune","run"],"args":[]}')
got = [[a for a in load(f"fl{i}")["spec"]["trainer"]["args"]
        if a.startswith("model.lora_dropout=")][0].split("=", 1)[1] for i in range(len(floats))]
check(f"lora_dropout as python repr() for {len(floats)} values", got,
      [repr(float(v)) for v in floats])
got = [a for a in load("cm")["spec"]["trainer"]["args"] if a.startswith("dataset.column_map=")]
check("column_map as python repr(dict)", got,
      ["dataset.column_map=" + repr(dict(p.split("=", 1) for p in cm.split(",")))])
if crd:
    try:
        import yaml, jsonschema
    except ImportError:
        print("note: CRD check skipped: python3-yaml or python3-jsonschema is missing")
        crd = None
if crd:
    doc = yaml.safe_load(open(crd))
    schema = [v for v in doc["spec"]["versions"]
              if v["name"] == "v1alpha1"][0]["schema"]["openAPIV3Schema"]
    v = jsonschema.Draft7Validator(schema)
    names = ["ex1", "ex2", "ef", "e", "cm", "ql", "fl0"]
    errs = []
    for n in names:
        d = load(n)
        errs += [f"{n}: {'/'.join(map(str, e.path))}: {e.message}" for e in v.iter_errors(d)]
        broken = copy.deepcopy(d)      # the check itself can fail
        broken["spec"]["trainer"]["args"] = [1]
        broken["spec"]["trainer"]["numNodes"] = "two"
        if len(list(v.iter_errors(broken))) != 2:
            errs.append(f"{n}: the schema check missed a broken trainer")
    check(f"{len(names)} rendered TrainJobs valid against the v2.3 CRD", errs, [])
sys.exit(1 if bad else 0)
PYEOF
python3 "$T/check.py" "$T" "$crd" "$FLOATS" "$CM" || fails=$((fails + 1))

# ---- bad input: each refused, nothing printed on stdout, message names the rule ----
bad() { # expected-message, kft render args...
	msg=$1; shift
	if "$KFT" render -o json --name bad "$@" >"$T/out" 2>"$T/err"; then
		fail "accepted: $*"
	elif ! grep -qF -- "$msg" "$T/err"; then
		fail "$*: message lacks \"$msg\": $(cat "$T/err")"
	elif [ -s "$T/out" ]; then
		fail "$*: printed a TrainJob anyway"
	else
		ok "refused: $* ($msg)"
	fi
}
bad "BuiltinTrainer can't be used with torch-distributed runtime" --epochs 2
bad "BuiltinTrainer can't be used with jax-distributed runtime" --runtime jax-distributed --lora
bad "CustomTrainer can't be used with torchtune-llama3.2-1b runtime" \
	--runtime torchtune-llama3.2-1b -- python train.py
bad "CustomTrainer can't be used with torchtune-llama3.2-3b runtime" \
	--runtime torchtune-llama3.2-3b --script /dev/null
bad "dtype: expected bf16 or fp32, got \"fp16\"" --runtime torchtune-llama3.2-1b --dtype fp16
bad "dataset_source: expected one of json, csv, parquet, arrow, text, xml, got \"yaml\"" \
	--runtime torchtune-llama3.2-1b --dataset-source yaml
bad "batch_size: must be a positive integer (at least 1), got 0" \
	--runtime torchtune-llama3.2-1b --batch-size 0
bad "batch_size: must be a positive integer (at least 1), got -2" \
	--runtime torchtune-llama3.2-1b --batch-size -2
bad "epochs: must be a positive integer (at least 1), got 0" --runtime torchtune-llama3.2-1b --epochs 0
bad "lora_rank: must be a positive integer (at least 1), got 0" \
	--runtime torchtune-llama3.2-1b --lora-rank 0
bad "lora_alpha: must be a positive integer (at least 1), got -1" \
	--runtime torchtune-llama3.2-1b --lora-alpha -1
bad "lora_dropout: must be in [0, 1), got 1" --runtime torchtune-llama3.2-1b --lora-dropout 1
bad "lora_dropout: must be in [0, 1), got -0.5" --runtime torchtune-llama3.2-1b --lora-dropout -0.5
bad "dataset_split: must not contain '='" --runtime torchtune-llama3.2-1b --dataset-split a=b
bad "new_system_prompt: must not contain '='" --runtime torchtune-llama3.2-1b --system-prompt 'x=1'
bad "--column-map: expected IN=OUT" --runtime torchtune-llama3.2-1b --column-map input
bad "--lora-mlp: expected true or false, got \"yes\"" --runtime torchtune-llama3.2-1b --lora-mlp yes
bad "--epochs: expected an integer" --runtime torchtune-llama3.2-1b --epochs two
bad "lora_attn_modules: a module name must not be NULL or empty" \
	--runtime torchtune-llama3.2-1b --lora-attn-modules q_proj,,v_proj
# Trainer's webhook rules, through kft render's validation
bad "must be 1 for llama3_2/1B model" --runtime torchtune-llama3.2-1b --nodes 2 --epochs 1
bad "QLoRA is not supported for qwen2_5/1.5B model" --runtime torchtune-qwen2.5-1.5b --qlora --gpu 1
bad "must be auto or 1 for llama3_2/3B model when using QLoRA" --runtime torchtune-llama3.2-3b --qlora
bad "must have gpu resource with value 1 for llama3_2/1B model when using QLoRA" \
	--runtime torchtune-llama3.2-1b --qlora --gpu 4
cat >"$T/imm.yaml" <<'EOF'
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: imm}
spec:
  runtimeRef: {name: torchtune-llama3.2-1b}
  trainer: {command: [tune, run], args: [epochs=1, tokenizer.path=/x]}
EOF
bad "must not set immutable config \"tokenizer.path\"" -f "$T/imm.yaml"
bad "must be key=value with no '=' in the value" --runtime torchtune-llama3.2-1b \
	--dataset hf://org/repo/a=b --gpu 1

# ---- help lists the TorchTune flags ----
before=$fails
"$KFT" train --help >"$T/train.help"
"$KFT" render --help >"$T/render.help"
for f in --dtype --batch-size --epochs --loss --lora --lora-rank --lora-alpha --lora-dropout \
	--lora-attn-modules --lora-mlp --lora-output --qlora --dora --dataset-source --dataset-split \
	--train-on-input --system-prompt --column-map; do
	grep -qE -- "(^| )$f([ ,]|\$)" "$T/train.help" || fail "kft train --help lacks $f"
	grep -qE -- "(^| )$f([ ,]|\$)" "$T/render.help" || fail "kft render --help lacks $f"
done
[ $fails -eq $before ] && ok "help lists the TorchTune flags"

# ---- kft runtimes marks builtin-trainer runtimes ----
n=$("$KFT" runtimes | awk '$1 ~ /^torchtune-/ && $3 == "BuiltinTrainer"' | wc -l)
[ "$n" -eq 3 ] && ok "kft runtimes: 3 torchtune runtimes take a BuiltinTrainer" \
	|| fail "kft runtimes: $n torchtune runtimes marked BuiltinTrainer"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "all TorchTune CLI checks passed"
