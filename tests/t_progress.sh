#!/bin/sh
# The progress protocol on the local backend: every step gets
# KUBEFLOW_TRAINER_SERVER_URL/_CA_CERT/_TOKEN; a client written from the
# protocol description (tests/progress_client.py) and the C function
# kft_progress_report() update the job; kft get / get -o json / metrics show
# it. Every bad input: malformed JSON, > 64 KiB (413), no token (401), a wrong
# token and another job's token (403), a wrong path (404), a CRD rule broken
# (422), a flood (429, the server stays responsive), all ranks at once, a post
# after the job ended (refused, nothing stored). Nothing from a refused request
# is stored. A job whose credentials were made ahead (a spare set) starts its
# step at once, and that step's first post is answered; up to four sets are
# kept, a job claims the first it finds, and four jobs started at once each
# claim one.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
command -v openssl >/dev/null || { echo "skip: the openssl program is missing"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 is missing"; exit 77; }
python3 -c 'import ssl' 2>/dev/null || { echo "skip: python3 has no ssl module"; exit 77; }
STATE=$(mktemp -d /tmp/kft-progress.XXXXXX)
trap '"$K" delete pa >/dev/null 2>&1; "$K" delete pb >/dev/null 2>&1; "$K" delete pc >/dev/null 2>&1; rm -rf "$STATE"' EXIT
export KFT_STATE_DIR="$STATE/state" KFT_BACKEND=local
fail() { echo "FAIL: $*"; exit 1; }
C="python3 $TOP/tests/progress_client.py"

# A job that hands its progress settings to the test and runs until told to stop.
job() { # name
	"$K" train --name "$1" --env "OUT=$STATE/$1.env" -- sh -c \
		'env | grep ^KUBEFLOW_TRAINER_SERVER_ > "$OUT.tmp" && mv "$OUT.tmp" "$OUT";
		 i=0; while [ ! -e "$OUT.stop" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done' \
		>/dev/null || fail "train $1"
	i=0; while [ ! -s "$STATE/$1.env" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
	[ -s "$STATE/$1.env" ] || fail "job $1 did not start"
}
use() { # name: export that job's three variables
	eval "$(sed 's/^/export /' "$STATE/$1.env")"
}
job pa
job pb
use pa
case "$KUBEFLOW_TRAINER_SERVER_URL" in
https://127.0.0.1:*/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs/pa/status) ;;
*) fail "URL $KUBEFLOW_TRAINER_SERVER_URL" ;;
esac
[ "$(stat -c %a "$(dirname "$KUBEFLOW_TRAINER_SERVER_TOKEN")")" = 700 ] || fail "token dir not 0700"
[ "$(stat -c %a "$KUBEFLOW_TRAINER_SERVER_TOKEN")" = 600 ] || fail "token not 0600"
"$K" get pa -o json | grep -q trainerStatus && fail "trainerStatus before any update"

# accepted: 200 and the update echoed as Trainer's server does
out=$($C post 42 0.42) || fail "post: $out"
case "$out" in "200 {\"trainerStatus\":{\"progressPercentage\":42,\"estimatedRemainingSeconds\":58,\"metrics\":[{\"name\":\"loss\",\"value\":\"0.42\"},{\"name\":\"step\",\"value\":\"42\"}],\"lastUpdatedTime\":\"20"*) ;;
*) fail "accepted post answered: $out" ;; esac
"$K" get pa | grep -q '^Progress: 42%' || fail "kft get progress: $("$K" get pa)"
"$K" get pa | grep -q '^ETA: *58s' || fail "kft get ETA"
"$K" get pa | grep -q '^Metric: *loss=0.42' || fail "kft get metrics"
"$K" get pa -o json | python3 -c '
import json, sys
ts = json.load(sys.stdin)["trainerStatus"]
assert sorted(ts) == ["estimatedRemainingSeconds", "lastUpdatedTime", "metrics", "progressPercentage"], ts
assert ts["progressPercentage"] == 42 and ts["metrics"][0] == {"name": "loss", "value": "0.42"}, ts' \
	|| fail "get -o json trainerStatus shape"
"$K" get pa -o yaml | grep -q '^  progressPercentage: 42$' || fail "get -o yaml trainerStatus"
snap() { cat "$STATE/state/jobs/pa/trainer-status.json" "$STATE/state/jobs/pa/metrics.jsonl" | cksum; }
before=$(snap)

# refused, each with its Status, and nothing stored
printf '{"trainerStatus": {' >"$STATE/bad.json"
out=$($C raw "$STATE/bad.json"); case "$out" in '422 {"metadata":{},"status":"Failure","message":"Invalid payload","reason":"Invalid","code":422}') ;; *) fail "malformed: $out" ;; esac
printf '{"trainerStatus": {"progressPercentage": 101, "lastUpdatedTime": "2026-12-07T05:00:00Z"}}' >"$STATE/bad.json"
out=$($C raw "$STATE/bad.json"); case "$out" in '422 '*'TrainJob.trainer.kubeflow.org \"pa\" is invalid: status.trainerStatus.progressPercentage: Invalid value: 101'*) ;; *) fail "percent 101: $out" ;; esac
printf '{"trainerStatus": {"progressPercentage": 1}}' >"$STATE/bad.json"
out=$($C raw "$STATE/bad.json"); case "$out" in '422 '*'lastUpdatedTime is required when trainerStatus is present'*) ;; *) fail "no lastUpdatedTime: $out" ;; esac
python3 -c 'import sys; sys.stdout.write("{\"trainerStatus\": {\"lastUpdatedTime\": \"2026-12-07T05:00:00Z\"}}" + " " * 70000)' >"$STATE/big.json"
out=$($C raw "$STATE/big.json"); case "$out" in '413 '*'"reason":"RequestEntityTooLarge"'*) ;; *) fail "70 kB body: $out" ;; esac
printf '{"trainerStatus": {"progressPercentage": 9, "lastUpdatedTime": "2026-12-07T05:00:00Z"}}' >"$STATE/ok.json"
out=$($C raw "$STATE/ok.json" -); case "$out" in '401 '*'"reason":"Unauthorized"'*) ;; *) fail "no token: $out" ;; esac
out=$($C raw "$STATE/ok.json" not-the-token); case "$out" in '403 {"metadata":{},"status":"Failure","message":"Forbidden","reason":"Forbidden","code":403}') ;; *) fail "wrong token: $out" ;; esac
out=$($C raw "$STATE/ok.json" "$(cat "$STATE/state/jobs/pb/trainer/token")"); case "$out" in '403 '*) ;; *) fail "pb's token on pa: $out" ;; esac
out=$(KUBEFLOW_TRAINER_SERVER_URL=$(echo "$KUBEFLOW_TRAINER_SERVER_URL" | sed 's,/pa/status,/pb/status,') $C raw "$STATE/ok.json")
case "$out" in '404 '*'"reason":"NotFound"'*) ;; *) fail "another job's path: $out" ;; esac
[ "$(snap)" = "$before" ] || fail "a refused request changed the stored status"
"$K" get pa | grep -q '^Progress: 42%' || fail "progress changed by a refused request"

# all ranks at once; then a flood from one job: rate-limited, and the server still answers
out=$($C burst 16); [ "$out" = "200 200 200 200 200 200 200 200 200 200 200 200 200 200 200 200" ] || fail "burst: $out"
out=$($C flood 400); case "$out" in "200:"*" 429:"*) ;; *) fail "flood not rate-limited: $out" ;; esac
sleep 1
out=$($C post 77 0.077); case "$out" in "200 "*) ;; *) fail "after the flood: $out" ;; esac
"$K" get pa | grep -q '^Progress: 77%' || fail "progress after the flood"

# the C reporting function against the local server
SANF=""; case "$BUILD" in *-san) SANF="-fsanitize=address,undefined" ;; esac   # make check-san
cc $SANF -o "$STATE/report" -x c - -I"$TOP/include" -L"$BUILD" -lkftrainer -Wl,-rpath,"$BUILD" <<'CEOF' || fail "cc"
#include <kftrainer.h>
#include <stdio.h>
int main(void)
{
	const char *names[] = { "loss", "", "accuracy" }, *values[] = { "0.125", "x", "0.9" };
	kft_progress_update_t u = KFT_PROGRESS_UPDATE_INIT;
	int a, b;

	u.percent = 250;            /* clamped to 100 */
	u.eta_seconds = 5;
	u.metric_names = names;
	u.metric_values = values;
	u.metric_count = 3;         /* the empty name is left out */
	a = kft_progress_report(&u);
	b = kft_progress_report(&u);   /* within 5 s: skipped */
	printf("%d %d %s\n", a, b, a ? kft_error_last()->message : "");
	return 0;
}
CEOF
out=$("$STATE/report"); [ "$out" = "0 1 " ] || fail "kft_progress_report: $out"
"$K" get pa | grep -q '^Progress: 100%' || fail "C update not visible"
"$K" get pa -o json | grep -q '"name": "accuracy"' || fail "C metrics"
out=$(KUBEFLOW_TRAINER_SERVER_TOKEN=$STATE/state/jobs/pb/trainer/token "$STATE/report")
case "$out" in "2 2 progress report: HTTP 403: Forbidden") ;; *) fail "C with another job's token: $out" ;; esac
"$K" metrics pa | grep -q '^TIME  *PROGRESS  *ETA  *loss  *step  *accuracy' || fail "kft metrics: $("$K" metrics pa)"
[ "$("$K" metrics pa | grep -c '%')" -ge 3 ] || fail "kft metrics rows"
"$K" metrics pa -o csv | head -1 | grep -q '^time,progressPercentage,estimatedRemainingSeconds,loss,step,accuracy$' || fail "metrics csv"
"$K" metrics pa -o json | python3 -c 'import json,sys; h=json.load(sys.stdin); assert h[0]["progressPercentage"] == 42 and h[-1]["progressPercentage"] == 100, h' || fail "metrics json"

# after the job ended: the server is gone, nothing changes
touch "$STATE/pa.env.stop" "$STATE/pb.env.stop"
"$K" wait pa --timeout 60 2>/dev/null || fail "pa did not complete"
before=$(snap)
out=$($C post 5) && fail "a post after the end was answered: $out"
[ "$(snap)" = "$before" ] || fail "a post after the end changed the status"
"$K" get pa | grep -q '^Progress: 100%' || fail "final progress"
"$K" wait pb --timeout 60 2>/dev/null || fail "pb did not complete"
ps -eo args | grep -q "[k]ft-progress-server $STATE" && fail "a progress server outlived its job"

# credentials made ahead: a job's server leaves a spare set for the next job, which
# claims it with a rename, binds the server's socket itself and starts its step at
# once; that step's first post, as it starts, is answered. Each job its own CA.
i=0; while [ ! -s "$STATE/state/progress-spare/set/trainer/token" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -s "$STATE/state/progress-spare/set/trainer/token" ] || fail "no spare credentials"
spare_ca=$(cksum <"$STATE/state/progress-spare/set/trainer/ca.crt")
"$K" train --name pc --env "OUT=$STATE/pc.args" -- sh -c \
	'ps -eo args | grep "[k]ft-progress-server.*/pc " > "$OUT"; python3 '"$TOP"'/tests/progress_client.py post 3' \
	>/dev/null || fail "train pc"
"$K" wait pc --timeout 60 2>/dev/null || fail "pc: $("$K" logs pc)"
grep -q -- "--listen-fd" "$STATE/pc.args" || fail "pc's server was not handed its socket: $(cat "$STATE/pc.args")"
"$K" logs pc | grep -q '200 {"trainerStatus"' || fail "pc's first post: $("$K" logs pc)"
[ "$(cksum <"$STATE/state/jobs/pc/trainer/ca.crt")" = "$spare_ca" ] || fail "pc did not get the spare CA"
[ "$(cksum <"$STATE/state/jobs/pc/trainer/ca.crt")" != "$(cksum <"$STATE/state/jobs/pa/trainer/ca.crt")" ] || fail "two jobs share a CA"
"$K" get pc | grep -q '^Progress: 3%' || fail "pc progress"
"$K" delete pc >/dev/null || fail "delete pc"

# up to 4 spare sets are kept, one per slot (set, set.1, set.2, set.3): a job claims the
# first it finds, and jobs started at once each find one. Four distinct sets, each made
# by a job's server (taken away one at a time, so the next job's server makes a new one).
SP="$STATE/state/progress-spare"
spare_wait() {
	i=0; while [ ! -s "$SP/set/trainer/token" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
	[ -s "$SP/set/trainer/token" ] || fail "no spare set ($1)"
}
ca() { cksum <"$1/trainer/ca.crt"; }
for k in 1 2 3 4; do
	spare_wait "set $k"
	mv "$SP/set" "$STATE/held-$k" || fail "take set $k"
	[ $k = 4 ] && break
	"$K" train --name "q$k" -- sleep 1 >/dev/null || fail "train q$k"
	"$K" wait "q$k" --timeout 60 >/dev/null 2>&1 || fail "q$k did not complete"
done
# slot 0 empty, sets in slots 1 and 2: the next job claims slot 1's
mv "$STATE/held-1" "$SP/set.1" && mv "$STATE/held-2" "$SP/set.2" || fail "place sets"
want=$(ca "$SP/set.1")
"$K" train --name r0 -- sleep 1 >/dev/null || fail "train r0"
"$K" wait r0 --timeout 60 >/dev/null 2>&1 || fail "r0 did not complete"
[ "$(ca "$STATE/state/jobs/r0")" = "$want" ] || fail "r0 did not claim the set in slot 1"
[ -e "$SP/set.1" ] && fail "slot 1 still full after r0 claimed it"
spare_wait "r0's"   # r0's server refilled the first free slot
mv "$STATE/held-3" "$SP/set.1" && mv "$STATE/held-4" "$SP/set.3" || fail "place sets"
# four jobs at once: each finds a set, so every server is handed the socket its
# supervisor bound (no job waits for certificates)
for k in 1 2 3 4; do "$K" train --name "r$k" -- sleep 3 >/dev/null & done
wait
i=0; while [ "$(ps -eo args | grep -c "[k]ft-progress-server $STATE/state/jobs/r[1-4] ")" -lt 4 ] &&
	[ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
servers=$(ps -eo args | grep "[k]ft-progress-server $STATE/state/jobs/r[1-4] ")
[ "$(echo "$servers" | grep -c -- "--listen-fd")" = 4 ] ||
	fail "not every job of the burst claimed a spare set: $servers"
for k in 1 2 3 4; do "$K" wait "r$k" --timeout 60 >/dev/null 2>&1 || fail "r$k did not complete"; done
n=$(ls "$SP" | grep -c '^set')
[ "$n" -ge 1 ] && [ "$n" -le 4 ] || fail "$n spare sets kept (1-4 expected): $(ls "$SP")"
echo ok
