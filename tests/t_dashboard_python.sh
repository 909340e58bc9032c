#!/bin/sh
# The Python binding starts the dashboard: TrainerClient.dashboard() serves / and /metrics
# for the client's backend; start()/close() from a program, serve_forever() ended by
# Ctrl-C (SIGINT); a non-loopback address without a token raises.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
B=${KFT_BUILD:-$TOP/build}
[ -f "$B/libkftrainer.so.0" ] || { echo "skip: $B/libkftrainer.so.0 not built"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 not installed"; exit 77; }
T=$(mktemp -d /tmp/kft-dashpy.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "FAIL: $*"; exit 1; }
export KFT_STATE_DIR="$T/state" PYTHONPATH="$TOP/bindings/python" \
	KFTRAINER_LIBRARY="$B/libkftrainer.so.0"
"$B/kft" train --name py-job -- sh -c 'echo hello from py-job' >/dev/null || fail "train"
"$B/kft" wait py-job --timeout 30 >/dev/null || fail "py-job did not complete"

python3 - <<'PY' || fail "the Python dashboard"
import urllib.request, urllib.error
import kftrainer
from kftrainer import TrainerClient

c = TrainerClient("local")
try:
    c.dashboard(listen="0.0.0.0:0")
    raise SystemExit("a non-loopback address without a token was accepted")
except kftrainer.KftError as e:
    assert "token" in str(e), e
with c.dashboard(listen="127.0.0.1:0") as d:
    assert d.url.startswith("http://127.0.0.1:"), d.url
    d.start()
    page = urllib.request.urlopen(d.url, timeout=10).read().decode()
    assert 'id="job-py-job"' in page, page[:300]
    assert 'data-status="Complete"' in page
    m = urllib.request.urlopen(d.url + "metrics", timeout=10).read().decode()
    assert 'kft_jobs{backend="local",runtime="torch-distributed",status="Complete"} 1' in m, m
    job = urllib.request.urlopen(d.url + "jobs/py-job", timeout=10).read().decode()
    assert "<td>node-0</td>" in job
    url = d.url
try:
    urllib.request.urlopen(url, timeout=5)
    raise SystemExit("still serving after close()")
except (urllib.error.URLError, ConnectionError):
    pass
print("ok")
PY

# serve_forever() until SIGINT
python3 -c '
import signal
from kftrainer import TrainerClient
signal.signal(signal.SIGINT, signal.default_int_handler)   # sh starts "&" jobs with it ignored
d = TrainerClient("local").dashboard(listen="127.0.0.1:0")
print(d.url, flush=True)
d.serve_forever()
d.close()
print("stopped", flush=True)
' >"$T/sf.out" 2>"$T/sf.err" &
PID=$!
i=0
until grep -q '^http' "$T/sf.out"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "serve_forever did not start: $(cat "$T/sf.err")"
	sleep 0.1
done
curl -s "$(head -1 "$T/sf.out")" | grep -q 'id="job-py-job"' || fail "serve_forever: no page"
kill -INT $PID
i=0
while kill -0 $PID 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 50 ] && { kill -9 $PID; fail "SIGINT did not stop serve_forever"; }
	sleep 0.1
done
wait $PID || fail "serve_forever exited $?: $(cat "$T/sf.err")"
grep -q '^stopped' "$T/sf.out" || fail "no clean stop: $(cat "$T/sf.out" "$T/sf.err")"
echo "ok: Python dashboard"
