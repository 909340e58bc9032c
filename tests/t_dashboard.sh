#!/bin/sh
# kft dashboard on the local backend: headless Chromium reads / and a job page after their
# scripts ran (live updates: a job started meanwhile shows up within 1.5 s), screenshots
# under $B/screenshots; hostile names, messages and log lines (<script>, quotes, invalid
# UTF-8, a 1 MB line) are escaped; promtool accepts /metrics; CSRF, confirmation, Host
# checks, the token rule for non-loopback addresses; SIGTERM stops it cleanly.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
B=${KFT_BUILD:-$TOP/build}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$B/kft" ] || { echo "skip: $B/kft not built"; exit 77; }
[ -x "$CHROMIUM" ] || { echo "skip: chromium not installed (scripts/deps.d/dashboard.txt)"; exit 77; }
command -v promtool >/dev/null 2>&1 || { echo "skip: promtool not installed (prometheus)"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "skip: curl not installed"; exit 77; }

T=$(mktemp -d /tmp/kft-dash.XXXXXX)
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	KFT_STATE_DIR="$T/state" "$B/kft" delete long-job >/dev/null 2>&1
	KFT_STATE_DIR="$T/state" "$B/kft" delete prog-job >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*"; [ -f "$T/dash.err" ] && tail -n 20 "$T/dash.err"; exit 1; }
export KFT_STATE_DIR="$T/state"
KFT="$B/kft"
SHOTS="$B/screenshots"
mkdir -p "$SHOTS"

# jobs: logs with markup, quotes and invalid UTF-8; a 1 MB line; a failure; a long one
$KFT train --name ok-job --nodes 2 --env HF_TOKEN=supersecret-value --env LR=0.125 -- sh -c \
	'echo "<script>alert(1)</script> \"q\" '"'"'s'"'"' & done"; printf "bad \377\376 utf8\n"' \
	>/dev/null || fail "train ok-job"
$KFT train --name big-job -- python3 -c 'print("x" * 1048576); print("after")' >/dev/null ||
	fail "train big-job"
$KFT train --name fail-job -- sh -c 'echo boom; exit 3' >/dev/null || fail "train fail-job"
$KFT train --name long-job -- sh -c 'while :; do echo tick; sleep 1; done' >/dev/null ||
	fail "train long-job"
$KFT wait ok-job --timeout 30 >/dev/null || fail "ok-job did not complete"
$KFT wait big-job --timeout 30 >/dev/null || fail "big-job did not complete"
$KFT wait fail-job --for Failed --timeout 30 >/dev/null || fail "fail-job did not fail"
# a record with hostile fields, in the store's own format
mkdir -p "$T/state/jobs/evil-job/logs"
printf '{"name":"evil-job","runtime":"<img src=x onerror=alert(1)>","backend":"local",'\
'"status":"Failed","numNodes":1,"createdMs":1000,"reason":"\\"><script>alert(2)</script>",'\
'"message":"quote \\" apostrophe '"'"' amp & bad \377 utf8","steps":[{"name":"node-0",'\
'"status":"Failed","exitCode":1,"reason":"<b>x</b>"}]}' >"$T/state/jobs/evil-job/state.json"

# ok-job's progress history, in the store's format (what the job runner's progress server
# writes: metrics.jsonl, trainer-status.json), with a hostile metric name
/usr/bin/python3 - "$T/state/jobs/ok-job" <<'EOF2' || fail "cannot write the progress history"
import datetime, json, sys, time
d, now, n = sys.argv[1], time.time(), 40
for k in range(n):
    t = now - (n - k) * 30
    ts = {"progressPercentage": int(100 * (k + 1) / n), "estimatedRemainingSeconds": (n - k - 1) * 30,
          "metrics": [{"name": "loss", "value": "%.4f" % (2.0 * 0.93 ** k)},
                      {"name": "accuracy", "value": "%.3f" % (1 - 0.5 * 0.95 ** k)},
                      {"name": 'a"b\\c\n<x>', "value": "7"}],
          "lastUpdatedTime": datetime.datetime.utcfromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%SZ")}
    with open(d + "/metrics.jsonl", "a") as f:
        f.write(json.dumps({"receivedMs": int(t * 1000), "trainerStatus": ts}) + "\n")
with open(d + "/trainer-status.json", "w") as f:
    json.dump(ts, f)
EOF2
$KFT get ok-job | grep -q 'Progress: 100%' || fail "the progress record is not read: $($KFT get ok-job)"

# a non-loopback address needs a token
$KFT dashboard --listen 0.0.0.0:0 >"$T/nl.out" 2>&1 && fail "0.0.0.0 without a token was accepted"
grep -q 'token' "$T/nl.out" || fail "no token message: $(cat "$T/nl.out")"
KFT_DASHBOARD_TOKEN=short $KFT dashboard --listen 127.0.0.1:0 >"$T/st.out" 2>&1 &&
	fail "a 5-character token was accepted"
$KFT dashboard --listen 127.0.0.1:99999 >"$T/bad.out" 2>&1 && fail "port 99999 accepted"
grep -q 'listen address' "$T/bad.out" || fail "bad listen: $(cat "$T/bad.out")"

start_dash() { # ARGS...
	rm -f "$T/dash.out"
	"$KFT" dashboard "$@" >"$T/dash.out" 2>"$T/dash.err" &
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
	wait "$PID"
	rc=$?
	PID=""
	[ $rc -eq 0 ] || fail "dashboard exited $rc on SIGTERM"
}

# ---- with a token (on loopback here; the same rule applies elsewhere) ----
TOKEN=abcdefghijklmnop0123456789
KFT_DASHBOARD_TOKEN=$TOKEN start_dash --listen 127.0.0.1:0
code=$(curl -s -o /dev/null -w '%{http_code}' "$U")
[ "$code" = 401 ] || fail "no token: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong$TOKEN" "$U")
[ "$code" = 401 ] || fail "wrong token: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$U")
[ "$code" = 200 ] || fail "bearer token: HTTP $code"
curl -s -D "$T/h" -o /dev/null "${U}jobs/ok-job?token=$TOKEN"
grep -qi '^set-cookie: kft_dashboard_token=.*HttpOnly' "$T/h" || fail "no cookie: $(cat "$T/h")"
grep -qi '^location: /jobs/ok-job' "$T/h" || fail "no redirect: $(cat "$T/h")"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "kft_dashboard_token=$TOKEN" "${U}metrics")
[ "$code" = 200 ] || fail "cookie token: HTTP $code"
stop_dash

# ---- loopback, no token ----
start_dash --listen 127.0.0.1:0
case "$U" in http://127.0.0.1:*/) ;; *) fail "url $U" ;; esac
PORT=${U#http://127.0.0.1:}; PORT=${PORT%/}
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example:80' "$U")
[ "$code" = 403 ] || fail "foreign Host header: HTTP $code (DNS rebinding) $U"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Host: localhost:$PORT" "$U")
[ "$code" = 200 ] || fail "Host localhost: HTTP $code"

# the jobs table, escaped
curl -s -D "$T/index.h" "$U" >"$T/index.html" || fail "GET /"
grep -qi "^content-security-policy: default-src 'none'; script-src 'self'" "$T/index.h" ||
	fail "no CSP header"
for j in ok-job big-job fail-job long-job evil-job; do
	grep -q "id=\"job-$j\"" "$T/index.html" || fail "/ lacks $j"
done
grep -q '<img src=x' "$T/index.html" && fail "runtime name not escaped"
grep -q '&lt;img src=x onerror=alert(1)&gt;' "$T/index.html" || fail "escaped runtime missing"
# the job page: hostile reason/message/step reason escaped, invalid UTF-8 replaced
curl -s "${U}jobs/evil-job" >"$T/evil.html" || fail "GET evil-job"
grep -q '<script>alert(2)' "$T/evil.html" && fail "reason not escaped"
grep -q '&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;' "$T/evil.html" || fail "reason missing"
grep -q "$(printf 'quote &quot; apostrophe &#39; amp &amp; bad \357\277\275 utf8')" "$T/evil.html" ||
	fail "message not escaped: $(grep -o 'quote[^<]*' "$T/evil.html")"
grep -q '&lt;b&gt;x&lt;/b&gt;' "$T/evil.html" || fail "step reason not escaped"
grep -q '<table class="conditions">.*<td>Failed</td><td>True</td><td>&quot;&gt;&lt;script&gt;' \
	"$T/evil.html" || fail "the Failed condition row"
/usr/bin/python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' \
	"$T/evil.html" || fail "page is not valid UTF-8"
# charts of ok-job's metrics history (server-side SVG), its gauges
curl -s "${U}jobs/ok-job" >"$T/ok.html" || fail "GET ok-job"
for m in 'progress (%)' loss accuracy; do
	grep -q "<div class=\"chart\" data-metric=\"$m\">" "$T/ok.html" || fail "no chart of $m"
done
pts=$(sed -n 's/.*data-metric="loss">.*<polyline[^>]*points="\([^"]*\)".*/\1/p' "$T/ok.html" |
	wc -w)
[ "$pts" = 40 ] || fail "the loss chart has $pts points, not 40"
grep -q 'data-metric="a&quot;b\\c' "$T/ok.html" || fail "hostile metric name in a chart"
# the TrainJob and the plan, secret-looking env values redacted
grep -q 'kind: TrainJob' "$T/ok.html" && grep -q 'kind: Plan' "$T/ok.html" ||
	fail "no TrainJob or plan on the job page"
grep -q 'LR' "$T/ok.html" && grep -q '0.125' "$T/ok.html" || fail "env missing from the page"
grep -q 'supersecret' "$T/ok.html" && fail "a token-like env value is shown"
[ "$(grep -c '(redacted)' "$T/ok.html")" -ge 3 ] || fail "HF_TOKEN not redacted in TrainJob+plan"
code=$(curl -s -o /dev/null -w '%{http_code}' "${U}jobs/no-such-job")
[ "$code" = 404 ] || fail "unknown job: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "${U}jobs/..%2F..%2Fetc")
[ "$code" = 404 ] || fail "bad job name: HTTP $code"

# logs as server-sent events: markup and invalid UTF-8 as JSON text, the 1 MB line cut
curl -s -N --max-time 10 "${U}jobs/ok-job/logs" >"$T/ok.sse"
grep -q '^event: end' "$T/ok.sse" || fail "log stream did not end: $(head -c 300 "$T/ok.sse")"
grep -q '\\u003cscript>alert(1)\\u003c/script> \\"q\\"' "$T/ok.sse" ||
	fail "log line: $(head -c 400 "$T/ok.sse")"
grep -q 'bad \\ufffd\\ufffd utf8' "$T/ok.sse" || fail "invalid UTF-8 in logs: $(cat "$T/ok.sse")"
curl -s -N --max-time 10 "${U}jobs/big-job/logs" >"$T/big.sse"
size=$(wc -c <"$T/big.sse")
[ "$size" -lt 40000 ] || fail "the 1 MB line was sent whole ($size bytes)"
grep -q 'bytes not shown' "$T/big.sse" && grep -q 'after' "$T/big.sse" ||
	fail "1 MB line: $(head -c 300 "$T/big.sse")"

# /metrics: promtool accepts it; labels escaped
curl -s "${U}metrics" >"$T/metrics.txt" || fail "GET /metrics"
promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1 ||
	fail "promtool: $(cat "$T/promtool.out")"
grep -q 'kft_jobs{backend="local",runtime="torch-distributed",status="Complete"} 2' \
	"$T/metrics.txt" || fail "kft_jobs: $(grep kft_jobs "$T/metrics.txt")"
grep -q 'kft_jobs{backend="local",runtime="<img src=x onerror=alert(1)>",status="Failed"} 1' \
	"$T/metrics.txt" || fail "hostile runtime label"
grep -q 'kft_job_info{backend="local",job_name="long-job",runtime="torch-distributed",status="Running"} 1' \
	"$T/metrics.txt" || fail "kft_job_info"
grep -q '^kft_job_metric{backend="local",job_name="ok-job",metric="loss"} 0.118$' "$T/metrics.txt" ||
	fail "loss gauge: $(grep kft_job_metric "$T/metrics.txt")"
grep -qF 'kft_job_metric{backend="local",job_name="ok-job",metric="a\"b\\c\n<x>"} 7' \
	"$T/metrics.txt" || fail "hostile metric label: $(grep kft_job_metric "$T/metrics.txt" | od -c | head)"

# actions: CSRF token, then a confirmation page, then the action
csrf=$(sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' "$T/evil.html" | head -1)
[ ${#csrf} = 64 ] || fail "no CSRF token in the job page"
code=$(curl -s -o /dev/null -w '%{http_code}' -d 'csrf=0000' "${U}jobs/long-job/suspend")
[ "$code" = 403 ] || fail "suspend with a wrong CSRF token: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "${U}jobs/long-job/suspend")
[ "$code" = 403 ] || fail "suspend without a CSRF token: HTTP $code"
curl -s -d "csrf=$csrf" "${U}jobs/long-job/delete" >"$T/confirm.html"
grep -q 'Delete TrainJob <code>long-job</code>?' "$T/confirm.html" || fail "no confirmation page"
$KFT get long-job >/dev/null 2>&1 || fail "delete without confirmation deleted"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Origin: http://evil.example" \
	-d "csrf=$csrf&confirm=1" "${U}jobs/long-job/suspend")
[ "$code" = 403 ] || fail "cross-origin POST: HTTP $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -d "csrf=$csrf&confirm=1" "${U}jobs/long-job/suspend")
[ "$code" = 303 ] || fail "suspend: HTTP $code"
$KFT wait long-job --for Suspended --timeout 20 >/dev/null || fail "not suspended"
code=$(curl -s -o /dev/null -w '%{http_code}' -d "csrf=$csrf&confirm=1" "${U}jobs/long-job/resume")
[ "$code" = 303 ] || fail "resume: HTTP $code"
$KFT wait long-job --for Running --timeout 20 >/dev/null || fail "not resumed"

# a job that reports progress through the real progress protocol while the page is open
cat >"$T/prog.sh" <<EOF2
for p in 10 30 60 90; do
	python3 "$TOP/tests/progress_client.py" post \$p 0.\$((100 - p)) >/dev/null
	sleep 0.4
done
sleep 60
EOF2

# the browser: / after its scripts ran, live updates, then a job page with its logs
P="$T/chromium"
/usr/bin/python3 "$TOP/tests/dash_browser.py" "$CHROMIUM" "$P" \
	open "$U" \
	wait 5000 "document.getElementById('live').classList.contains('on')" \
	check "document.querySelectorAll('#rows tr').length === 5" \
	check "document.querySelectorAll('img').length === 0 && document.scripts.length === 1" \
	check "document.querySelector('#job-evil-job td:nth-child(2)').textContent === '<img src=x onerror=alert(1)>'" \
	check "document.getElementById('n-Failed').textContent === '2'" \
	check "/^[0-9]/.test(document.querySelector('#job-ok-job .age').textContent)" \
	sh "$KFT train --name live-job -- sh -c 'sleep 1; echo live' >/dev/null" \
	wait 1500 "!!document.getElementById('job-live-job')" \
	wait 8000 "document.getElementById('job-live-job').dataset.status === 'Complete'" \
	check "document.getElementById('n-total').textContent === '6'" \
	sh "$KFT delete fail-job >/dev/null" \
	wait 1500 "!document.getElementById('job-fail-job')" \
	check "(function(){var s=document.getElementById('f-status');s.value='Failed';s.dispatchEvent(new Event('input'));var n=[].filter.call(document.querySelectorAll('#rows tr'),function(r){return !r.hidden;}).length;s.value='';s.dispatchEvent(new Event('input'));return n===1;})()" \
	check "(function(){var q=document.getElementById('f-q');q.value='big';q.dispatchEvent(new Event('input'));var n=[].filter.call(document.querySelectorAll('#rows tr'),function(r){return !r.hidden;}).length;q.value='';q.dispatchEvent(new Event('input'));return n===1;})()" \
	sh "$KFT train --name prog-job -- sh $T/prog.sh >/dev/null" \
	wait 10000 "!!document.querySelector('#job-prog-job progress')" \
	wait 10000 "+document.querySelector('#job-prog-job progress').value === 90" \
	check "/^[0-9]/.test(document.querySelector('#job-prog-job td:nth-child(6)').textContent)" \
	shot "$SHOTS/dashboard-index.png" 1280 720 \
	open "${U}jobs/prog-job" \
	check "document.querySelectorAll('#metrics [data-metric=\"loss\"] polyline').length === 1" \
	check "document.querySelector('#metrics [data-metric=\"loss\"] polyline').getAttribute('points').trim().split(' ').length === 4" \
	check "document.querySelector('#summary progress').value === 90" \
	shot "$SHOTS/dashboard-progress.png" 1280 900 \
	open "${U}jobs/ok-job" \
	wait 5000 "(document.querySelector('pre.log[data-step=\"node-1\"]')||{}).textContent.indexOf('\"q\"') >= 0" \
	check "document.querySelector('pre.log[data-step=\"node-0\"]').textContent.indexOf('<script>alert(1)</script>') === 0" \
	check "document.scripts.length === 1" \
	check "document.querySelectorAll('#steps tbody tr').length === 2" \
	check "document.querySelectorAll('#metrics svg polyline').length === 4" \
	check "document.querySelector('.title .status').textContent === 'Complete'" \
	wait 5000 "document.getElementById('log-state').textContent === 'End of the logs.'" \
	shot "$SHOTS/dashboard-job.png" 1280 1400 \
	open "${U}jobs/big-job" \
	wait 5000 "document.querySelector('pre.log').textContent.indexOf('bytes not shown') > 0" \
	>"$T/browser.out" 2>&1 || fail "browser: $(cat "$T/browser.out")"
[ -s "$SHOTS/dashboard-index.png" ] && [ -s "$SHOTS/dashboard-job.png" ] || fail "no screenshots"

# the reported progress and metrics of a running job, as Prometheus gauges
curl -s "${U}metrics" >"$T/metrics2.txt" || fail "GET /metrics"
promtool check metrics <"$T/metrics2.txt" >"$T/promtool.out" 2>&1 ||
	fail "promtool: $(cat "$T/promtool.out")"
grep -q '^kft_job_progress_percent{backend="local",job_name="prog-job"} 90$' "$T/metrics2.txt" &&
	grep -q '^kft_job_eta_seconds{backend="local",job_name="prog-job"} 10$' "$T/metrics2.txt" &&
	grep -q '^kft_job_metric{backend="local",job_name="prog-job",metric="loss"} 0.1$' \
	"$T/metrics2.txt" || fail "progress gauges: $(grep prog-job "$T/metrics2.txt")"

# delete through the UI's form
code=$(curl -s -o /dev/null -w '%{http_code}' -d "csrf=$csrf&confirm=1" "${U}jobs/long-job/delete")
[ "$code" = 303 ] || fail "delete: HTTP $code"
$KFT get long-job >/dev/null 2>&1 && fail "long-job still exists"
stop_dash
echo "ok: dashboard (local)"
