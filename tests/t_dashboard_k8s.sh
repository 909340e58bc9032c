#!/bin/sh
# kft dashboard against a cluster (the fake API server): it records what it observes in
# its SQLite history (status, steps, events, the last log lines, the metrics over time),
# so a TrainJob deleted on the cluster stays visible, across a restart too; retention
# (--history-max) drops it; the kubeconfig's token never reaches a page.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
B=${KFT_BUILD:-$TOP/build}
SRV="$TOP/tests/fake_apiserver/server.py"
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 not installed"; exit 77; }
command -v openssl >/dev/null 2>&1 || { echo "skip: openssl not installed"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "skip: curl not installed"; exit 77; }
[ -f "$SRV" ] || { echo "skip: $SRV missing"; exit 77; }
[ -x "$B/kft" ] || { echo "skip: $B/kft not built"; exit 77; }

T=$(mktemp -d /tmp/kft-dashk8s.XXXXXX)
SPID=""
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; [ -f "$T/dash.err" ] && tail -n 20 "$T/dash.err"; exit 1; }

python3 "$SRV" --dir "$T/srv" --token secret-token-0123456789 >"$T/server.log" 2>&1 &
SPID=$!
i=0
while [ ! -s "$T/srv/port" ] || [ ! -s "$T/srv/kubeconfig" ]; do
	i=$((i + 1)); [ $i -gt 150 ] && fail "server did not start in 15 s"
	kill -0 "$SPID" 2>/dev/null || fail "server exited early"
	sleep 0.1
done
export KUBECONFIG="$T/srv/kubeconfig" KFT_STATE_DIR="$T/state"
KFT="$B/kft -b kubernetes"
H="$T/history.sqlite"

start_dash() { # ARGS...
	rm -f "$T/dash.out"
	$KFT dashboard --listen 127.0.0.1:0 --history "$H" "$@" >"$T/dash.out" 2>"$T/dash.err" &
	PID=$!
	i=0
	until grep -q 'serving http' "$T/dash.out" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "dashboard did not start"
		kill -0 "$PID" 2>/dev/null || fail "dashboard exited: $(cat "$T/dash.err")"
		sleep 0.1
	done
	U=$(sed -n 's/.*serving \(http[^ ]*\).*/\1/p' "$T/dash.out")
}
stop_dash() {
	kill -TERM "$PID"
	wait "$PID" || fail "dashboard exited $? on SIGTERM"
	PID=""
}
wait_for() { # SECONDS DESCRIPTION COMMAND...
	n=$(($1 * 10)); what=$2; shift 2
	i=0
	until "$@"; do
		i=$((i + 1)); [ $i -gt $n ] && fail "timed out: $what"
		sleep 0.1
	done
}
page_has() { curl -s "$1" | grep -q "$2"; }

start_dash
# a 2-node job that reports progress and a loss while the dashboard watches
$KFT train --name hist-job --nodes 2 --annotation fake.kftrainer.dev/progress=true \
	--env API_TOKEN=k8s-secret-value --env EPOCHS=3 \
	--annotation fake.kftrainer.dev/duration-ms=3000 -- python3 train.py >/dev/null ||
	fail "train hist-job"
$KFT wait hist-job --timeout 30 >/dev/null || fail "hist-job did not complete"
wait_for 5 "the dashboard sees hist-job Complete" \
	page_has "$U" 'id="job-hist-job" data-name="hist-job" data-status="Complete"'
curl -s "${U}jobs/hist-job" >"$T/live.html"
grep -q 'data-metric="loss"' "$T/live.html" || fail "no loss chart while on the cluster"
curl -s "${U}metrics" >"$T/metrics.txt"
grep -q '^kft_jobs{backend="kubernetes",runtime="torch-distributed",status="Complete"} 1$' \
	"$T/metrics.txt" || fail "kft_jobs: $(grep kft_jobs "$T/metrics.txt")"
grep -q '^kft_job_info{backend="kubernetes",namespace="default",job_name="hist-job",' \
	"$T/metrics.txt" || fail "kft_job_info: $(grep kft_job_info "$T/metrics.txt")"
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1 ||
		fail "promtool: $(cat "$T/promtool.out")"
fi

# what is recorded is recorded once: no new rows while nothing changes
rows() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(
	"select count(*) from metrics where name=?", ("hist-job",)).fetchone()[0])' "$H"; }
n1=$(rows); sleep 2; n2=$(rows)
[ "$n1" = "$n2" ] && [ "$n1" -gt 0 ] && [ "$n1" -le 21 ] ||
	fail "metrics history rows: $n1 then $n2 (want the same, 1..21 for 7 updates of 3 values)"

# deleted on the cluster: still on / (marked history) and its page, from the history
$KFT delete hist-job >/dev/null || fail "delete on the cluster"
$KFT get hist-job >/dev/null 2>&1 && fail "hist-job is still on the cluster"
wait_for 5 "hist-job shown from the history" \
	page_has "$U" 'href="/jobs/hist-job">hist-job</a> <span class="tag"'
check_history_page() {
	curl -s -o "$T/hist.html" -w '%{http_code}' "${U}jobs/hist-job" >"$T/code"
	[ "$(cat "$T/code")" = 200 ] || fail "history page: HTTP $(cat "$T/code")"
	grep -q 'no longer on the cluster' "$T/hist.html" || fail "no history notice"
	grep -q '<span class="status s-Complete">Complete</span>' "$T/hist.html" ||
		fail "history status"
	grep -q '<td>node-1</td>' "$T/hist.html" || fail "history steps"
	grep -q 'Pod/hist-job-node-0-1' "$T/hist.html" || grep -q 'Pod/hist-job-node-0-0' \
		"$T/hist.html" || fail "history events: $(grep -o 'Pod/[^<]*' "$T/hist.html" | head -3)"
	grep -q 'data-metric="loss"' "$T/hist.html" || fail "no loss chart from the history"
	pts=$(sed -n 's/.*data-metric="loss">.*<polyline[^>]*points="\([^"]*\)".*/\1/p' \
		"$T/hist.html" | wc -w)
	[ "$pts" -ge 2 ] || fail "the recorded loss has $pts points"
	grep -q 'action="/jobs/hist-job/delete"' "$T/hist.html" && fail "actions on a history job"
	grep -q 'kind: TrainJob' "$T/hist.html" && grep -q 'EPOCHS' "$T/hist.html" ||
		fail "no recorded TrainJob"
	grep -q '(redacted)' "$T/hist.html" || fail "API_TOKEN not redacted"
	curl -s -N --max-time 10 "${U}jobs/hist-job/logs" >"$T/logs.sse"
	grep -q '"s":"node-1"' "$T/logs.sse" && grep -q '^event: end' "$T/logs.sse" ||
		fail "recorded logs: $(head -c 400 "$T/logs.sse")"
}
check_history_page
if [ -x /usr/bin/chromium ]; then
	mkdir -p "$B/screenshots"
	/usr/bin/python3 "$TOP/tests/dash_browser.py" /usr/bin/chromium "$T/chromium" \
		open "$U" check "!!document.querySelector('#job-hist-job .tag')" \
		shot "$B/screenshots/dashboard-k8s-index.png" 1280 500 \
		open "${U}jobs/hist-job" \
		wait 5000 "document.getElementById('log-state').textContent === 'End of the logs.'" \
		check "document.querySelector('pre.log[data-step=\"node-1\"]').textContent.length > 0" \
		shot "$B/screenshots/dashboard-k8s-history.png" 1280 1600 \
		>"$T/browser.out" 2>&1 || fail "browser: $(cat "$T/browser.out")"
fi
for p in "" "jobs/hist-job" metrics; do curl -s "$U$p"; done >"$T/all.html"
grep -q 'secret-token' "$T/all.html" && fail "the kubeconfig token reached a page"
grep -q 'k8s-secret-value' "$T/all.html" "$T/live.html" && fail "a token-like env value is shown"
grep -q 'kind: TrainJob' "$T/live.html" || fail "no TrainJob on a live cluster job page"
grep -q '<table class="conditions">.*<td>Complete</td><td>True</td>' "$T/live.html" ||
	fail "no Complete condition: $(grep -o '<table class="conditions">.\{0,300\}' "$T/live.html")"
grep -q 'kind: Plan' "$T/live.html" && fail "a plan on a kubernetes job"
cat "$H"* | grep -aq k8s-secret-value && fail "the history database holds a token-like env value"
cat "$H"* | grep -aq EPOCHS || fail "the history database has no TrainJob (the check above is void)"
stop_dash

# a new dashboard process reads the history back
start_dash
page_has "$U" 'href="/jobs/hist-job">hist-job</a> <span class="tag"' ||
	fail "history lost across a restart"
check_history_page
stop_dash

# retention: keep one job; the newer one stays
$KFT train --name newer-job -- python3 t.py >/dev/null || fail "train newer-job"
$KFT wait newer-job --timeout 30 >/dev/null || fail "newer-job did not complete"
start_dash
wait_for 5 "the dashboard records newer-job" page_has "$U" 'id="job-newer-job"'
stop_dash
start_dash --history-max 1
wait_for 5 "hist-job dropped by --history-max 1" sh -c "! curl -s '$U' | grep -q 'job-hist-job'"
code=$(curl -s -o /dev/null -w '%{http_code}' "${U}jobs/hist-job")
[ "$code" = 404 ] || fail "pruned job: HTTP $code"
page_has "$U" 'id="job-newer-job"' || fail "newer-job missing"
stop_dash
echo "ok: dashboard (kubernetes, history)"
