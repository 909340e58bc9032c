#!/bin/sh
# A failed job names its first failing step and the root error: the
# exception line of the Python traceback, in the job's message, its events
# and `kft wait`'s error; without a traceback, the last log lines. With torch:
# a 2-node DDP job whose rank 1 raises names rank 1's error even when rank 0
# (which only saw its peer vanish) exits first.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
STATE=$(mktemp -d /tmp/kft-rootcause.XXXXXX)
trap 'rm -rf "$STATE"' EXIT
export KFT_STATE_DIR="$STATE/state" KFT_BACKEND=local
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "skip: python3 is missing"; exit 77; }

cat >"$STATE/raise.py" <<'PY'
import sys
print("lots of output", file=sys.stderr)
def inner():
    raise ValueError("learning rate must be positive, got -0.1")
inner()
PY
"$K" train --name rc1 -- python3 "$STATE/raise.py" >/dev/null || fail "train"
"$K" wait rc1 --timeout 60 2>"$STATE/err"; [ $? -eq 3 ] || fail "wait did not report the failure"
grep -q "node-0 exited with code 1: ValueError: learning rate must be positive, got -0.1" "$STATE/err" \
	|| fail "kft wait: $(cat "$STATE/err")"
"$K" get rc1 | grep -q "^Message: .*node-0 exited with code 1: ValueError: learning rate must be positive" \
	|| fail "message: $("$K" get rc1)"
"$K" events rc1 | grep -q "Warning  *Step  *node-0 .*ValueError: learning rate must be positive" \
	|| fail "events: $("$K" events rc1)"
"$K" train --name rc2 -- sh -c 'echo first; echo; echo "disk full" >&2; exit 4' >/dev/null
"$K" wait rc2 --timeout 60 2>/dev/null
"$K" get rc2 -o json | grep -q 'last lines of logs/node-0.log:\\nfirst\\n\\ndisk full' \
	|| fail "no traceback: $("$K" get rc2 -o json)"

if ! /usr/bin/python3 -c 'import torch' 2>/dev/null || [ ! -x /usr/bin/torchrun ]; then
	echo "skip: python3-torch is not installed (the DDP case)"; exit 77
fi
cat >"$STATE/ddp.py" <<'PY'
import torch.distributed as dist
dist.init_process_group("gloo")
if dist.get_rank() == 1:
    raise RuntimeError("shape mismatch: [3, 4] vs [4, 3]")
dist.barrier()
PY
PATH=/usr/bin:$PATH "$K" train --name rc3 --nodes 2 --script "$STATE/ddp.py" >/dev/null || fail "train ddp"
"$K" wait rc3 --timeout 120 2>"$STATE/err"; [ $? -eq 3 ] || fail "ddp job did not fail"
grep -q "RuntimeError: shape mismatch: \[3, 4\] vs \[4, 3\]" "$STATE/err" || fail "ddp root: $(cat "$STATE/err")"
grep -q "error_file\|To enable traceback" "$STATE/err" && fail "torchrun boilerplate in the message"

# torchrun's per-rank error files: a rank whose entrypoint is wrapped with @record
# writes its exception to TORCHELASTIC_ERROR_FILE; torchrun copies the first
# failing rank's to the step's own, which is read before the log. An atexit
# hook prints a decoy traceback after the real one: log scraping would name it.
cat >"$STATE/rec.py" <<'PY'
import atexit, sys
import torch.distributed as dist
from torch.distributed.elastic.multiprocessing.errors import record
atexit.register(lambda: print('Traceback (most recent call last):\n  File "d.py", line 1\n'
                              'DecoyError: only in the log', file=sys.stderr, flush=True))
@record
def main():
    dist.init_process_group("gloo")
    if dist.get_rank() == 1:
        raise RuntimeError("rank 1 diverged: loss is nan")
    dist.barrier()
main()
PY
PATH=/usr/bin:$PATH "$K" train --name rc4 --nodes 2 --script "$STATE/rec.py" >/dev/null || fail "train rc4"
"$K" wait rc4 --timeout 120 2>"$STATE/err"; [ $? -eq 3 ] || fail "rc4 did not fail"
grep -q "node-1: RuntimeError: rank 1 diverged: loss is nan\|node-1 exited with code 1: RuntimeError: rank 1 diverged: loss is nan" "$STATE/err" \
	|| fail "error file not used: $(cat "$STATE/err"; "$K" logs rc4 --step node-1 | tail -5)"
grep -q DecoyError "$STATE/err" && fail "the log was preferred to the error file: $(cat "$STATE/err")"
"$K" logs rc4 --step node-1 | grep -q "DecoyError: only in the log" || fail "the decoy is not in the log"
E="$STATE/state/jobs/rc4/tmp/kft-error.node-1.json"
[ -f "$E" ] && grep -q '"py_callstack"' "$E" || fail "no error file at $E"

# the Python binding's CustomTrainer(func=...) ships the function wrapped with @record
cat >"$STATE/func.py" <<'PY'
import sys
import kftrainer as k

def train_fn():
    import atexit, sys
    import torch.distributed as dist
    atexit.register(lambda: print('Traceback (most recent call last):\n  File "d.py", line 1\n'
                                  'DecoyError: only in the log', file=sys.stderr, flush=True))
    dist.init_process_group("gloo")
    if dist.get_rank() == 1:
        raise ValueError("bad batch from rank 1")
    dist.barrier()

c = k.TrainerClient("local")
name = c.train("torch-distributed", trainer=k.CustomTrainer(func=train_fn, num_nodes=2),
               name="rc5")
try:
    c.wait_for_job_status(name, timeout=120, polling_interval=1)
    sys.exit("rc5 did not fail")
except k.JobFailedError as e:
    print(e)
PY
PYTHONPATH="$TOP/bindings/python" KFTRAINER_LIBRARY="$BUILD/libkftrainer.so.0" \
	/usr/bin/python3 "$STATE/func.py" >"$STATE/py.out" 2>&1 || fail "func job: $(cat "$STATE/py.out")"
grep -q "ValueError: bad batch from rank 1" "$STATE/py.out" || fail "func: $(cat "$STATE/py.out")"
grep -q DecoyError "$STATE/py.out" && fail "func: the log was preferred: $(cat "$STATE/py.out")"
[ -f "$STATE/state/jobs/rc5/tmp/kft-error.node-1.json" ] || fail "func: no error file"
echo ok
