#!/bin/sh
# A real Prometheus server (Debian's, 127.0.0.1 only, config written here, at most ~30 s)
# scrapes kft dashboard's /metrics with the dashboard's bearer token, and a job's training
# metric, reported through the progress protocol, is queried back through Prometheus'
# HTTP API.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
B=${KFT_BUILD:-$TOP/build}
[ -x "$B/kft" ] || { echo "skip: $B/kft not built"; exit 77; }
command -v prometheus >/dev/null 2>&1 ||
	{ echo "skip: prometheus not installed (scripts/deps.d/dashboard.txt)"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "skip: curl not installed"; exit 77; }
python3 -c 'import ssl' 2>/dev/null || { echo "skip: python3 has no ssl module"; exit 77; }

T=$(mktemp -d /tmp/kft-dashprom.XXXXXX)
PID=""
PPID_=""
cleanup() {
	[ -n "$PPID_" ] && kill "$PPID_" 2>/dev/null && wait "$PPID_" 2>/dev/null
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	KFT_STATE_DIR="$T/state" "$B/kft" delete prom-job >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; [ -f "$T/prom.log" ] && tail -n 15 "$T/prom.log"; exit 1; }
export KFT_STATE_DIR="$T/state"
KFT="$B/kft"

# a running job that reported a loss through the progress protocol
$KFT train --name prom-job -- sh -c \
	"python3 '$TOP/tests/progress_client.py' post 40 0.25 >/dev/null; sleep 120" >/dev/null ||
	fail "train prom-job"
i=0
until $KFT get prom-job | grep -q 'loss=0.25'; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "prom-job reported nothing: $($KFT get prom-job)"
	sleep 0.1
done

TOKEN=prometheus-scrape-token-0123456789
KFT_DASHBOARD_TOKEN=$TOKEN $KFT dashboard --listen 127.0.0.1:0 >"$T/dash.out" 2>"$T/dash.err" &
PID=$!
i=0
until grep -q 'serving http' "$T/dash.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "dashboard did not start: $(cat "$T/dash.err")"
	sleep 0.1
done
U=$(sed -n 's/.*serving \(http[^ ]*\).*/\1/p' "$T/dash.out")
TARGET=${U#http://}; TARGET=${TARGET%/}

PPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$T/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: kft
    metrics_path: /metrics
    authorization:
      type: Bearer
      credentials: $TOKEN
    static_configs:
      - targets: ["$TARGET"]
EOF
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/data" \
	--web.listen-address="127.0.0.1:$PPORT" --storage.tsdb.retention.time=1h \
	>"$T/prom.log" 2>&1 &
PPID_=$!
P="http://127.0.0.1:$PPORT"
query() { # PROMQL -> the first result's value, or nothing
	curl -s -G --data-urlencode "query=$1" "$P/api/v1/query" | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)["data"]["result"]
    print(r[0]["value"][1] if r else "")
except Exception:
    print("")'
}
i=0
until [ "$(query 'kft_job_metric{job_name="prom-job",metric="loss"}')" = 0.25 ]; do
	i=$((i + 1)); [ $i -gt 250 ] && fail "Prometheus did not get prom-job's loss in 25 s"
	kill -0 "$PPID_" 2>/dev/null || fail "prometheus exited"
	sleep 0.1
done
[ "$(query 'up{job="kft"}')" = 1 ] || fail "up{job=kft} is not 1"
[ "$(query 'kft_job_progress_percent{job_name="prom-job"}')" = 40 ] || fail "progress gauge"
[ "$(query 'sum(kft_jobs{status="Running"})')" = 1 ] || fail "kft_jobs{status=Running}"
# scraping without the token is refused
code=$(curl -s -o /dev/null -w '%{http_code}' "${U}metrics")
[ "$code" = 401 ] || fail "/metrics without the token: HTTP $code"
echo "ok: Prometheus scraped the dashboard"
