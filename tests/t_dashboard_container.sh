#!/bin/sh
# kft dashboard on the container backend (a private dockerd, tests/images/engine.sh): the
# same pages from the same public API: the job, its container steps, its logs from the
# engine, its plan (image), /metrics labelled backend="container".
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${KFT_BUILD:-$TOP/build}
[ -x "$BLD/kft" ] || { echo "skip: $BLD/kft not built"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "skip: curl not installed"; exit 77; }
. "$TOP/tests/images/engine.sh"
why=$(kft_engine_prereqs) || { echo "skip: $why"; exit 77; }
PID=""
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	kft_engine_stop
}
trap cleanup EXIT INT TERM
kft_engine_start || { echo "skip: cannot run a private dockerd here"; exit 77; }
export KFT_STATE_DIR="$D/state" KFT_BACKEND=container
unset KFT_CONTAINER_MOUNTS
K="$BLD/kft"
BB=localhost/kft-busybox:1
fail() { echo "FAIL: $*"; [ -f "$D/dash.err" ] && tail -n 20 "$D/dash.err"; exit 1; }

"$K" train --name cjob --nodes 2 --image $BB --wait -- sh -c 'echo "in a container <b>x</b>"' \
	>"$D/train.out" 2>&1 || fail "train: $(cat "$D/train.out")"
"$K" dashboard --listen 127.0.0.1:0 >"$D/dash.out" 2>"$D/dash.err" &
PID=$!
i=0
until grep -q 'serving http' "$D/dash.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "dashboard did not start"
	kill -0 "$PID" 2>/dev/null || fail "dashboard exited: $(cat "$D/dash.err")"
	sleep 0.1
done
U=$(sed -n 's/.*serving \(http[^ ]*\).*/\1/p' "$D/dash.out")
curl -s "$U" >"$D/index.html"
grep -q 'id="job-cjob" data-name="cjob" data-status="Complete"' "$D/index.html" ||
	fail "/ lacks cjob Complete"
grep -q 'backend <b>container</b>' "$D/index.html" || fail "backend name"
curl -s "${U}jobs/cjob" >"$D/job.html"
grep -q '<td>node-1</td>' "$D/job.html" || fail "steps"
grep -q 'kind: Plan' "$D/job.html" && grep -q "image: $BB" "$D/job.html" || fail "no plan with the image"
curl -s -N --max-time 20 "${U}jobs/cjob/logs" >"$D/logs.sse"
grep -q '"s":"node-1","t":"in a container \\u003cb>x\\u003c/b>' "$D/logs.sse" ||
	fail "logs: $(head -c 300 "$D/logs.sse")"
curl -s "${U}metrics" | grep -q '^kft_jobs{backend="container",runtime="torch-distributed",status="Complete"} 1$' ||
	fail "/metrics"
kill -TERM "$PID"; wait "$PID" || fail "dashboard exit $?"; PID=""
echo "ok: dashboard (container)"
