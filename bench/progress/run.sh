#!/bin/sh
# The progress protocol on the local backend, measured (not a test):
#  - a progress POST (over TLS, on a kept connection) until `kft get` (a new
#    process) shows it: median and worst of ROUNDS (target < 50 ms);
#  - the same from C in one process: kft_get_job polled after the POST's 200
#    (bench/progress/bench_get.c), which separates the library's part from
#    the `kft get` process start;
#  - the POST alone, answered (200) by kft-progress-server;
#  - RSS of the job's kft-supervisor (target < 2 MB) and kft-progress-server.
# kft_train's return time is bench/run.sh's (the supervisor's setup, where the
# progress server and the namespace start, runs after kft_train returned).
# Usage: sh bench/progress/run.sh [ROUNDS]
# SPDX-License-Identifier: Apache-2.0
set -eu
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BLD=${KFT_BUILD:-$TOP/build}
ROUNDS=${1:-30}
T=$(mktemp -d /tmp/kft-bench-progress.XXXXXX)
trap '"$BLD/kft" delete bp >/dev/null 2>&1; rm -rf "$T"' EXIT
export KFT_STATE_DIR="$T/state" KFT_BACKEND=local KFT_SUPERVISOR="$BLD/kft-supervisor"
cc -O2 -std=c11 -D_GNU_SOURCE -I"$TOP/include" -o "$T/bench_get" "$TOP/bench/progress/bench_get.c" \
	-L"$BLD" -lkftrainer -Wl,-rpath,"$BLD"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$BLD/kft" train --name bp --env "OUT=$T/env" -- sh -c \
	'env | grep ^KUBEFLOW_TRAINER_SERVER_ > "$OUT.tmp"; mv "$OUT.tmp" "$OUT"; sleep 600' >/dev/null
i=0; while [ ! -s "$T/env" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
eval "$(sed 's/^/export /' "$T/env")"
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$1/status"; }
for p in $(pgrep -f "kft-supervisor run $T/state"); do echo "kft-supervisor RSS: $(rss "$p") (target < 2048 kB)"; done
for p in $(pgrep -f "kft-progress-server $T/state"); do echo "kft-progress-server RSS: $(rss "$p")"; done
python3 - "$BLD/kft" "$ROUNDS" "$T/bench_get" <<'PY'
import http.client, json, os, ssl, subprocess, sys, time, urllib.parse
kft, rounds, bench_get = sys.argv[1], int(sys.argv[2]), sys.argv[3]
u = urllib.parse.urlsplit(os.environ["KUBEFLOW_TRAINER_SERVER_URL"])
tok = open(os.environ["KUBEFLOW_TRAINER_SERVER_TOKEN"]).read().strip()
ctx = ssl.create_default_context(cafile=os.environ["KUBEFLOW_TRAINER_SERVER_CA_CERT"])
conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx)
post_ms, seen_ms, lib_ms = [], [], []
def post(r):
    body = json.dumps({"trainerStatus": {"progressPercentage": r % 100, "metrics": [{"name": "round", "value": str(r)}],
                       "lastUpdatedTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}})
    t0 = time.perf_counter()
    conn.request("POST", u.path, body=body, headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    resp = conn.getresponse(); resp.read()
    assert resp.status == 200, resp.status
    return t0
for r in range(rounds):
    t0 = post(r)
    t1 = time.perf_counter()
    while True:
        out = subprocess.run([kft, "get", "bp", "-o", "json"], capture_output=True, text=True).stdout
        if '"value": "%d"' % r in out:
            break
    t2 = time.perf_counter()
    post_ms.append((t1 - t0) * 1000); seen_ms.append((t2 - t0) * 1000)
    time.sleep(0.26)   # stay under the server's rate limit (20/s)
# in one process: the POST's 200, then kft_get_job until the update shows
lib = subprocess.Popen([bench_get, "bp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
for r in range(rounds, 2 * rounds):
    t0 = post(r)
    t1 = time.perf_counter()
    lib.stdin.write("%d\n" % r); lib.stdin.flush()
    got = float(lib.stdout.readline())
    lib_ms.append((t1 - t0) * 1000 + got)
    time.sleep(0.26)
lib.stdin.close(); lib.wait()
def med(v): v = sorted(v); return v[len(v) // 2]
get_ms = []
for r in range(rounds):
    t0 = time.perf_counter()
    subprocess.run([kft, "get", "bp", "-o", "json"], capture_output=True)
    get_ms.append((time.perf_counter() - t0) * 1000)
print("POST answered:            median %.1f ms, worst %.1f ms (%d rounds)" % (med(post_ms), max(post_ms), rounds))
print("POST -> visible (kft get): median %.1f ms, worst %.1f ms (target < 50 ms)" % (med(seen_ms), max(seen_ms)))
print("kft get alone (a process): median %.1f ms (the floor of the line above)" % med(get_ms))
print("POST -> visible (kft_get_job in C): median %.1f ms, worst %.1f ms (no process start)" % (med(lib_ms), max(lib_ms)))
print("load average after: %s" % open("/proc/loadavg").read().split(" ")[:3])
PY
