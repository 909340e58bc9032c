#!/bin/sh
# The dashboard with 10,000 jobs in the state dir (records written in the job store's own
# format: state.json, trainer-status.json for the running ones): time to the first byte
# and to a rendered / (headless Chromium: navigation to the load event), /metrics, and the
# server's memory. Targets: < 1 s, < 50 MB. Not a test: prints measurements.
#   bench/dashboard/run.sh [JOBS]     (default 10000)
set -eu
B=${B:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-10000}
T=$(mktemp -d /tmp/kft-dashbench.XXXXXX)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT
export KFT_STATE_DIR="$T/state"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$T/state/jobs" "$N" <<'PY'
import json, os, sys, time
root, n = sys.argv[1], int(sys.argv[2])
now = int(time.time() * 1000)
statuses = ["Complete"] * 7 + ["Failed"] * 2 + ["Suspended"]
for i in range(n):
    name = "job-%05d" % i
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "logs"))
    st = statuses[i % len(statuses)]
    created = now - (n - i) * 60000
    steps = [{"name": "node-%d" % k, "role": "node",
              "status": {"Complete": "Succeeded", "Failed": "Failed"}.get(st, "Pending"),
              "exitCode": {"Complete": 0, "Failed": 1}.get(st, -1)} for k in range(2)]
    rec = {"name": name, "runtime": ["torch-distributed", "deepspeed-distributed",
                                     "torchtune-llama3.2-1b"][i % 3],
           "backend": "local", "status": st, "numNodes": 2, "createdMs": created,
           "startedMs": created + 1000, "steps": steps}
    if st in ("Complete", "Failed"):
        rec["finishedMs"] = created + 1000 + (i % 3600) * 1000
    with open(os.path.join(d, "state.json"), "w") as f:
        json.dump(rec, f)
    if i % 10 == 0:
        with open(os.path.join(d, "trainer-status.json"), "w") as f:
            json.dump({"progressPercentage": i % 101, "estimatedRemainingSeconds": 60,
                       "metrics": [{"name": "loss", "value": "%.3f" % (1.0 / (1 + i % 97))}],
                       "lastUpdatedTime": "2026-12-07T00:00:00Z"}, f)
PY
echo "jobs in the state dir: $(ls "$T/state/jobs" | wc -l)"
t0=$(date +%s%N)
"$TOP/$B/kft" dashboard --listen 127.0.0.1:0 >"$T/out" 2>"$T/err" &
PID=$!
until grep -q 'serving http' "$T/out" 2>/dev/null; do sleep 0.01; done
t1=$(date +%s%N)
U=$(sed -n 's/.*serving \(http[^ ]*\).*/\1/p' "$T/out")
echo "start (bind + first list of $N jobs): $(( (t1 - t0) / 1000000 )) ms"
for i in 1 2 3; do
	curl -s -o "$T/index.html" -w "GET / (500 newest rows): first byte %{time_starttransfer} s, total %{time_total} s, %{size_download} bytes\n" "$U"
done
curl -s -o /dev/null -w "GET /?limit=10000 (every row): first byte %{time_starttransfer} s, total %{time_total} s, %{size_download} bytes\n" "${U}?limit=10000"
curl -s -o /dev/null -w "GET /metrics: first byte %{time_starttransfer} s, total %{time_total} s, %{size_download} bytes\n" "${U}metrics"
curl -s -o /dev/null -w "GET /jobs/job-09990: first byte %{time_starttransfer} s, total %{time_total} s\n" "${U}jobs/job-09990"
if [ -x /usr/bin/chromium ]; then
	python3 "$TOP/tests/dash_browser.py" /usr/bin/chromium "$T/chr" timeopen "$U" \
		timeopen "$U" timeopen "${U}?limit=10000" | sed -e '1s/^/rendered \/ (cold browser): /' \
		-e '2s/^/rendered \/ (warm): /' -e '3s/^/rendered \/?limit=10000: /'
fi
sleep 2   # a few list polls
grep -E '^(VmRSS|VmHWM)' "/proc/$PID/status" | sed 's/^/server /'
grep '^kft_dashboard_list_seconds' "$T/out" >/dev/null 2>&1 || true
curl -s "${U}metrics" | grep '^kft_dashboard_list_seconds'
echo "targets: first byte and rendered / < 1 s; server memory < 50 MB"
