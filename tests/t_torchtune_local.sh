#!/bin/sh
# TorchTune on the local backend: `kft train -b local` runs exactly the `tune run`
# line that `kft render --plan` shows (the controller's TorchTune mode: recipe and
# config table, --rdzv_endpoint rule, kept runtime overrides with /workspace mapped,
# PET_NNODES/PET_NPROC_PER_NODE/PET_NODE_RANK), proved with a stand-in `tune` program
# that records its argv and environment; and without `tune`, kft train fails before
# starting anything, naming the tool and how to get it.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
B=${KFT_BUILD:-$TOP/build}
KFT=$B/kft
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$B/kft-supervisor}
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
T=$(mktemp -d /tmp/kft-ttl.XXXXXX)
trap 'rm -rf "$T"' EXIT
export KFT_STATE_DIR="$T/state" KFT_RUNTIME_PATH="$T/runtimes"
mkdir -p "$KFT_RUNTIME_PATH" "$T/bin" "$T/nobin" "$T/rec" "$T/data" "$T/model"
echo '{"instruction": "hi", "output": "hello"}' >"$T/data/train.json"
echo '{}' >"$T/model/config.json"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
SYS_PATH=/usr/local/bin:/usr/bin:/bin

# ---- no `tune` on PATH: refused before anything starts ----
if PATH="$T/nobin:$SYS_PATH" command -v tune >/dev/null 2>&1; then
	echo "note: a real tune is installed in $SYS_PATH; the missing-tool check is skipped"
else
	PATH="$T/nobin:$SYS_PATH" "$KFT" train -b local --name notune --runtime torchtune-llama3.2-1b \
		--gpu 1 --lora --dataset "file://$T/data" --model "file://$T/model" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ]; then
		fail "kft train started a TorchTune job without tune on PATH"
	elif ! grep -q '"tune", which is not installed' "$T/err" ||
	     ! grep -q 'pip install torchtune==0.6.1' "$T/err"; then
		fail "missing-tool message: $(cat "$T/err")"
	elif [ -e "$KFT_STATE_DIR/jobs/notune" ] || "$KFT" get notune >/dev/null 2>&1; then
		fail "a job record was left behind for notune"
	else
		ok "no tune: kft train exits $rc before starting: $(cat "$T/err")"
	fi
fi

# ---- the stand-in tune: one record per node rank (argv, then the PET_* env) ----
cat >"$T/bin/tune" <<EOF
#!/bin/sh
f="$T/rec/\${PET_NODE_RANK:-x}"
: >"\$f.argv"
for a in tune "\$@"; do printf '%s\n' "\$a" >>"\$f.argv"; done
env | grep -E '^(PET_|JOB_COMPLETION_INDEX=)' | sort >"\$f.env"
echo "stand-in tune ran: \$*"
EOF
chmod +x "$T/bin/tune"
export PATH="$T/bin:$SYS_PATH"

# A 70B runtime file (as a cluster might have it) for the multi-node row of the table.
"$KFT" runtimes torchtune-llama3.2-1b -o json >"$T/rt.json" || fail "kft runtimes -o json"
python3 - "$T/rt.json" "$KFT_RUNTIME_PATH/llama70b.yaml" <<'EOF' || fail "70B runtime file"
import json, sys
rt = json.load(open(sys.argv[1]))
rt["metadata"]["name"] = "torchtune-llama3.3-70b"
for rj in rt["spec"]["template"]["spec"]["replicatedJobs"]:
    for c in rj["template"]["spec"]["template"]["spec"]["containers"]:
        c["command"] = [x.replace("1B", "70B").replace("llama3_2", "llama3_3")
                        for x in c.get("command", [])] or c.pop("command", None)
        if not c["command"]:
            del c["command"]
json.dump(rt, open(sys.argv[2], "w"))      # JSON is YAML
EOF

# run NAME NODES ARGS...: kft train --wait, then compare each node's recorded argv with
# the argv of the job's own plan (what kft render --plan prints for it).
run() {
	name=$1; nodes=$2; shift 2
	rm -f "$T"/rec/*
	if ! "$KFT" train -b local --wait --timeout 120 --name "$name" --dataset "file://$T/data" \
		--model "file://$T/model" "$@" >"$T/$name.out" 2>"$T/$name.err"; then
		fail "$name: kft train failed: $(cat "$T/$name.err")"
		"$KFT" logs "$name" 2>&1 | tail -20
		return 1
	fi
	python3 - "$KFT_STATE_DIR/jobs/$name/plan.json" "$T/rec" "$nodes" "$name" \
		"$KFT_STATE_DIR/jobs/$name/workspace" <<'EOF' || { fail "$name: argv differs"; return 1; }
import json, os, sys
plan, rec, nodes, name, ws = json.load(open(sys.argv[1])), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
steps = [s for s in plan["steps"] if s["role"] == "node"]
assert len(steps) == nodes, f"{len(steps)} node steps, wanted {nodes}"
for s in steps:
    r = s["rank"]
    got = open(f"{rec}/{r}.argv").read().split("\n")[:-1]
    if got != s["argv"]:
        print("node", r, "ran     ", got); print("node", r, "planned ", s["argv"]); sys.exit(1)
    env = dict(l.split("=", 1) for l in open(f"{rec}/{r}.env").read().split("\n") if l)
    want = {"PET_NNODES": str(nodes), "PET_NODE_RANK": str(r)}
    for k, v in want.items():
        if env.get(k) != v:
            print("node", r, k, "=", env.get(k), "wanted", v); sys.exit(1)
    for k in ("PET_MASTER_ADDR", "PET_MASTER_PORT"):
        if k in env:
            print("node", r, k, "must not be set in TorchTune mode"); sys.exit(1)
    for a in got:
        if "=/workspace" in a:
            print("node", r, "unmapped /workspace in", a); sys.exit(1)
print(f"{name}: {nodes} node(s) ran exactly the planned argv:", " ".join(steps[0]["argv"]).replace(ws, "<ws>"))
EOF
}

# expect NAME LINE: node-0's planned argv, workspace shown as <ws>, rdzv port as PORT
expect() {
	name=$1; want=$2
	got=$(python3 -c '
import json, re, sys
p = json.load(open(sys.argv[1]))
a = [s for s in p["steps"] if s["name"] == "node-0"][0]["argv"]
print(re.sub(r"127\.0\.0\.1:[0-9]+", "127.0.0.1:PORT", " ".join(a).replace(p["workspace"], "<ws>")))
' "$KFT_STATE_DIR/jobs/$name/plan.json")
	[ "$got" = "$want" ] && ok "$name: $want" || fail "$name: planned $got; wanted $want"
}

K1="output_dir=<ws>/output tokenizer.path=<ws>/model/original/tokenizer.model"
K1="$K1 checkpointer.checkpoint_dir=<ws>/model"
LORA="model.lora_attn_modules=[q_proj,v_proj,output_proj]"

# 1 GPU, LoRA: single-device LoRA recipe, no rendezvous
run lora1 1 --runtime torchtune-llama3.2-1b --gpu 1 --lora --epochs 1 && ok "lora1 ran as planned"
expect lora1 "tune run lora_finetune_single_device --config llama3_2/1B_lora_single_device $K1 epochs=1 $LORA"
# 1 GPU, QLoRA
run qlora1 1 --runtime torchtune-llama3.2-1b --gpu 1 --qlora && ok "qlora1 ran as planned"
expect qlora1 "tune run lora_finetune_single_device --config llama3_2/1B_qlora_single_device $K1 model.quantize_base=True $LORA"
# the runtime's 2 GPUs, no PEFT: the runtime default, distributed with rendezvous
run full2 1 --runtime torchtune-llama3.2-1b --dtype bf16 && ok "full2 ran as planned"
expect full2 "tune run --rdzv_endpoint=127.0.0.1:PORT full_finetune_distributed --config llama3_2/1B_full $K1 dtype=bf16"
# 4 GPUs, LoRA, on qwen2.5 (its tokenizer merges file is kept too)
run qwen4 1 --runtime torchtune-qwen2.5-1.5b --gpu 4 --lora --dataset-source json \
	&& ok "qwen4 ran as planned"
expect qwen4 "tune run --rdzv_endpoint=127.0.0.1:PORT lora_finetune_distributed --config qwen2_5/1.5B_lora output_dir=<ws>/output tokenizer.path=<ws>/model/vocab.json tokenizer.merges_file=<ws>/model/merges.txt checkpointer.checkpoint_dir=<ws>/model $LORA dataset=torchtune.datasets.instruct_dataset dataset.source=json"
# 2 nodes on the 70B model: multinode recipe on both nodes, one rendezvous
run multi 2 --runtime torchtune-llama3.3-70b --nodes 2 --gpu 8 --epochs 1 && ok "multi ran as planned"
expect multi "tune run --rdzv_endpoint=127.0.0.1:PORT full_finetune_distributed --config llama3_3/70B_full_multinode output_dir=<ws>/output tokenizer.path=<ws>/model/original/tokenizer.model checkpointer.checkpoint_dir=<ws>/model epochs=1"

# kft render --plan prints that same tune run line for every node
"$KFT" render --plan -b local -o json --name shown --runtime torchtune-llama3.3-70b --nodes 2 \
	--gpu 8 --epochs 1 >"$T/shown.json" || fail "render --plan"
n=$(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(sum(1 for s in p["steps"] if s["role"] == "node" and s["argv"][:2] == ["tune", "run"]
          and s["argv"][3:6] == ["full_finetune_distributed", "--config", "llama3_3/70B_full_multinode"]))
' "$T/shown.json")
[ "$n" = 2 ] && ok "kft render --plan shows the tune run line for both nodes" \
	|| fail "render --plan: $n node(s) with the multinode tune run line"

# webhook rules stop a bad TrainJob before it runs
rm -f "$T"/rec/*
if "$KFT" train -b local --name badqlora --runtime torchtune-qwen2.5-1.5b --gpu 1 --qlora \
	--dataset "file://$T/data" --model "file://$T/model" >/dev/null 2>"$T/bq.err"; then
	fail "kft train accepted QLoRA on qwen2.5"
	"$KFT" delete badqlora >/dev/null 2>&1
elif ! grep -q "QLoRA is not supported for qwen2_5/1.5B model" "$T/bq.err"; then
	fail "badqlora: $(cat "$T/bq.err")"
elif [ -e "$KFT_STATE_DIR/jobs/badqlora" ] || [ -n "$(ls "$T/rec")" ]; then
	fail "badqlora: something was created or run"
else
	ok "QLoRA on qwen2.5 refused before anything runs"
fi

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "TorchTune local runs: every node ran exactly the planned tune run line"
