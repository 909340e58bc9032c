#!/bin/sh
# Everyday job commands on the local backend, with real jobs and real signals:
#  - kft list: newest first, AGE/DURATION/PROGRESS columns, --status, --limit,
#    -o json/yaml of the selection, -w printing a row when a job changes;
#  - kft get: created/started/finished times and the duration;
#  - kft delete: several names (a missing one reported, the rest deleted),
#    --status, --older-than, --all without a terminal, and on a terminal (a
#    pty) one question, answered no and yes, or skipped with --yes;
#  - interrupts: Ctrl-C typed on a terminal during `train --follow`, SIGINT on
#    `wait` and `train --wait`, SIGTERM on `logs -f`: exit 130/143, one line
#    naming the job and the commands to follow or stop it, and the job keeps
#    running; no "callback" in what a person reads (nor in the library's texts).
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
T=$(mktemp -d /tmp/kft-jobs.XXXXXX)
trap 'KFT_STATE_DIR="$T/state" "$K" delete --all --grace 0 >/dev/null 2>&1; rm -rf "$T"' EXIT
export KFT_STATE_DIR="$T/state" KFT_BACKEND=local
fail() { echo "FAIL: $*"; exit 1; }
ok() { echo "ok: $*"; }
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 (for the pty) is missing"; exit 77; }

# ---- list ----
"$K" train --name j-old -- true >/dev/null || fail "train j-old"
"$K" wait j-old --timeout 60 2>/dev/null || fail "wait j-old"
sleep 1.1
"$K" train --name j-mid -- sh -c 'exit 3' >/dev/null || fail "train j-mid"
"$K" wait j-mid --for Failed --timeout 60 2>/dev/null || fail "wait j-mid"
sleep 1.1
"$K" train --name j-new -- sleep 30 >/dev/null || fail "train j-new"
"$K" wait j-new --for Running --timeout 60 2>/dev/null || fail "wait j-new Running"

"$K" list >"$T/list" || fail "list"
head -1 "$T/list" | grep -Eq '^NAME +RUNTIME +STATUS +NODES +PROGRESS +AGE +DURATION$' ||
	fail "list header: $(head -1 "$T/list")"
[ "$(awk 'NR > 1 { print $1 }' "$T/list" | tr '\n' ' ')" = "j-new j-mid j-old " ] ||
	fail "list is not newest first: $(cat "$T/list")"
grep -Eq '^j-old +torch-distributed +Complete +1 +- +[0-9]+s +[0-9]+m?s$' "$T/list" ||
	fail "j-old row: $(grep j-old "$T/list")"
ok "list: newest first, with AGE, DURATION and PROGRESS"
[ "$("$K" list --status Complete,Failed | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" = "j-mid j-old " ] ||
	fail "list --status Complete,Failed"
[ "$("$K" list --limit 1 | awk 'NR > 1 { print $1 }')" = j-new ] || fail "list --limit 1"
"$K" list --status Running -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [j["name"] for j in d] == ["j-new"], d' || fail "list --status Running -o json"
"$K" list --limit 2 -o yaml | python3 -c '
import yaml, sys
d = yaml.safe_load(sys.stdin)
assert [j["name"] for j in d] == ["j-new", "j-mid"], d' || fail "list --limit 2 -o yaml"
"$K" list --status Bogus 2>"$T/err" && fail "list --status Bogus accepted"
grep -q 'expected a comma-separated list of Created, Suspended, Running, Complete or Failed' "$T/err" ||
	fail "list --status error: $(cat "$T/err")"
"$K" list --limit 0 2>/dev/null && fail "list --limit 0 accepted"
ok "list --status, --limit, -o json/yaml, errors"
# -l: label selectors (kubectl's equality forms), for list and delete
"$K" train --name j-la --label team=a --label tier=gold -- true >/dev/null || fail "train j-la"
"$K" train --name j-lb --label team=b -- true >/dev/null || fail "train j-lb"
names() { awk 'NR > 1 { print $1 }' | tr '\n' ' '; }
[ "$("$K" list -l team=a | names)" = "j-la " ] || fail "list -l team=a"
[ "$("$K" list -l 'team!=a,team' | names)" = "j-lb " ] || fail "list -l team!=a,team"
[ "$("$K" list -l 'team,!tier' | names)" = "j-lb " ] || fail "list -l team,!tier"
[ "$("$K" list -l '!team' | names)" = "j-new j-mid j-old " ] || fail "list -l !team"
[ "$("$K" list --selector tier==gold,team=a | names)" = "j-la " ] || fail "list --selector =="
"$K" get j-la -o json | grep -q '"tier": "gold"' || fail "get -o json: no labels"
"$K" list -l 'team in (a)' 2>"$T/err" && fail "set-based selector accepted"
grep -q 'expected KEY=VALUE, KEY!=VALUE, KEY or !KEY' "$T/err" || fail "selector error: $(cat "$T/err")"
[ "$("$K" delete -l team </dev/null | sort | tr '\n' ' ')" = "j-la deleted j-lb deleted " ] ||
	fail "delete -l team"
ok "list -l and delete -l select by labels"

# -w: the table, then a row when a job changes
"$K" train --name j-watch -- sleep 2 >/dev/null || fail "train j-watch"
"$K" list -w --status Running,Complete >"$T/watch" 2>&1 &
wp=$!
"$K" wait j-watch --timeout 60 2>/dev/null || fail "wait j-watch"
sleep 2
kill -INT $wp; wait $wp; rc=$?
[ $rc -eq 130 ] || fail "list -w ended by SIGINT exited $rc"
grep -Eq '^j-watch +torch-distributed +Running ' "$T/watch" || fail "watch first row: $(cat "$T/watch")"
[ "$(grep -c '^NAME' "$T/watch")" = 1 ] || fail "watch printed the header again"
grep -Eq '^j-watch +torch-distributed +Complete ' "$T/watch" ||
	fail "watch did not print the change: $(cat "$T/watch")"
ok "list -w prints a row when a job changes, exits 130 on SIGINT"

# PROGRESS and ETA from the job's own report (Kubeflow Trainer's progress protocol)
if python3 -c 'import ssl' 2>/dev/null; then
	"$K" train --name j-prog -- sh -c "python3 '$TOP/tests/progress_client.py' post 42 >/dev/null; sleep 30" \
		>/dev/null || fail "train j-prog"
	for i in $(seq 1 50); do "$K" get j-prog | grep -q '^Progress: 42%' && break; sleep 0.2; done
	"$K" list -l '!team' | grep -Eq '^j-prog +torch-distributed +Running +1 +42% ' ||
		fail "list PROGRESS: $("$K" list)"
	"$K" get j-prog | grep -q '^ETA: *58s$' || fail "get ETA: $("$K" get j-prog)"
	"$K" delete j-prog --grace 0 >/dev/null
	ok "list PROGRESS and get ETA from the job's report"
else
	echo "note: python3 has no ssl module: PROGRESS/ETA not tried"
fi

# ---- get ----
"$K" get j-old >"$T/get" || fail "get"
for f in Created Started Finished; do
	grep -Eq "^$f: +20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-9:]+Z$" "$T/get" || fail "get: no $f: $(cat "$T/get")"
done
grep -Eq '^Duration: [0-9]+m?s$' "$T/get" || fail "get: no Duration: $(cat "$T/get")"
"$K" get j-new | grep -Eq '^Duration: [0-9]+s \(so far\)$' || fail "get: running duration"
"$K" get j-new | grep -q '^Finished:' && fail "get: a running job has a finish time"
ok "get: times and duration"

# ---- interrupts ----
check_interrupt() { # what, rc wanted, rc got, stderr file, job
	[ "$3" -eq "$2" ] || fail "$1: exit $3, wanted $2 ($(cat "$4"))"
	grep -q "interrupted; job $5 keeps running (follow it: kft logs -f $5; stop it: kft delete $5)" "$4" ||
		fail "$1: message: $(cat "$4")"
	[ "$(grep -c 'kft:' "$4")" = 1 ] || fail "$1: more than one message: $(cat "$4")"
	tail -n 1 "$4" | grep -q '^kft: interrupted' || fail "$1: not the last line: $(cat "$4")"
	grep -qi callback "$4" && fail "$1: internal word in: $(cat "$4")"
	"$K" get "$5" | grep -q '^Status: *Running' || fail "$1: $5 did not keep running"
}
"$K" wait j-new --timeout 60 2>"$T/e1" &
p=$!; sleep 1; kill -INT $p; wait $p; check_interrupt "wait + SIGINT" 130 $? "$T/e1" j-new
"$K" logs -f j-new 2>"$T/e2" >/dev/null &
p=$!; sleep 1; kill -TERM $p; wait $p; check_interrupt "logs -f + SIGTERM" 143 $? "$T/e2" j-new
"$K" train --name j-int --wait -- sleep 30 >/dev/null 2>"$T/e3" &
p=$!
for i in 1 2 3 4 5 6 7 8 9 10; do "$K" get j-int 2>/dev/null | grep -q 'Status: *Running' && break; sleep 0.5; done
kill -INT $p; wait $p; check_interrupt "train --wait + SIGINT" 130 $? "$T/e3" j-int
# Ctrl-C typed on a terminal: the driver signals the whole foreground group
python3 - "$K" "$T/e4" <<'EOF' || fail "train --follow + Ctrl-C on a pty"
import os, pty, sys, time, select
k, errf = sys.argv[1], sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(k, [k, "train", "--name", "j-tty", "--follow", "--", "sh", "-c",
                 "echo started; sleep 30"])
out = b""
deadline = time.time() + 30
while b"started" not in out and time.time() < deadline:
    if select.select([fd], [], [], 0.5)[0]:
        out += os.read(fd, 4096)
time.sleep(0.3)
os.write(fd, b"\x03")
while True:
    try:
        r = select.select([fd], [], [], 10)[0]
        if not r:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        out += chunk
    except OSError:
        break
_, status = os.waitpid(pid, 0)
open(errf, "wb").write(out)
rc = os.waitstatus_to_exitcode(status)
if rc != 130:
    sys.exit("exit %d: %r" % (rc, out))
EOF
tr -d '\r' <"$T/e4" | grep -v -e '^j-tty$' -e 'started' | sed 's/^\^C//' >"$T/e4b"
check_interrupt "train --follow + Ctrl-C" 130 130 "$T/e4b" j-tty
ok "interrupts: 130/143, one line, the job keeps running"
if command -v strings >/dev/null 2>&1; then
	strings "$BUILD/libkftrainer.so" | grep -i 'callback' | grep -iv '^_\|^kft_' |
		grep -i 'stopped\|by the\|by a' && fail "the library's messages say callback"
fi

# a step's leader exits, its background child (same group) must not outlive the job:
# the supervisor still signals that group, found as its own by the group's live member
"$K" train --name j-bg -- sh -c "sleep 300 & echo \$! > '$T/bg.pid'; exit 0" >/dev/null || fail "train j-bg"
"$K" wait j-bg --timeout 60 2>/dev/null || fail "wait j-bg"
for i in $(seq 1 50); do kill -0 "$(cat "$T/bg.pid")" 2>/dev/null || break; sleep 0.1; done
kill -0 "$(cat "$T/bg.pid")" 2>/dev/null && fail "a step's background process outlived the job"
"$K" delete j-bg >/dev/null
ok "a finished step's leftover process is stopped with the job"

# ---- logs and events ----
# a resumed job's log marks where the second attempt begins
"$K" train --name j-sr -- sh -c 'echo hello; sleep 30' >/dev/null || fail "train j-sr"
for i in 1 2 3 4 5 6 7 8 9 10; do "$K" logs j-sr 2>/dev/null | grep -q hello && break; sleep 0.3; done
"$K" suspend j-sr || fail "suspend"
"$K" wait j-sr --for Suspended --timeout 30 2>/dev/null || fail "wait Suspended"
"$K" resume j-sr || fail "resume"
for i in 1 2 3 4 5 6 7 8 9 10; do [ "$("$K" logs j-sr | grep -c hello)" = 2 ] && break; sleep 0.3; done
"$K" logs j-sr >"$T/sr"
[ "$(sed -n 1p "$T/sr")" = "node-0: hello" ] || fail "first attempt: $(cat "$T/sr")"
sed -n 2p "$T/sr" | grep -Eq '^node-0: ----- kft: attempt 2 of node-0, resumed at 20[0-9-]+T[0-9:]+Z -----$' ||
	fail "no attempt boundary: $(cat "$T/sr")"
[ "$(sed -n 3p "$T/sr")" = "node-0: hello" ] || fail "second attempt: $(cat "$T/sr")"
"$K" delete j-sr --grace 0 >/dev/null
ok "logs: a marked boundary between attempts"
# events recorded once
"$K" train --name j-dl --deadline 1 -- sleep 20 >/dev/null || fail "train j-dl"
"$K" wait j-dl --timeout 60 2>/dev/null; [ $? -eq 3 ] || fail "deadline job did not fail"
[ "$("$K" events j-dl | grep -c ' DeadlineExceeded ')" = 1 ] || fail "DeadlineExceeded not once: $("$K" events j-dl)"
"$K" events j-dl | awk 'NR > 1 { $1 = ""; print }' | sort | uniq -d | grep . &&
	fail "an event recorded twice"
"$K" delete j-dl >/dev/null
ok "events: each recorded once"
# line times: --timestamps and --since on the local backend (sampled 4 times a second)
"$K" train --name j-ts -- sh -c 'echo early; sleep 2.5; echo late' >/dev/null || fail "train j-ts"
"$K" wait j-ts --timeout 60 2>/dev/null || fail "wait j-ts"
"$K" logs j-ts --timestamps >"$T/ts" || fail "logs --timestamps"
sed -n 1p "$T/ts" | grep -Eq '^node-0: 20[0-9-]+T[0-9:.]+Z early$' || fail "--timestamps: $(cat "$T/ts")"
t1=$(sed -n 1p "$T/ts" | cut -d' ' -f2); t2=$(sed -n 2p "$T/ts" | cut -d' ' -f2)
d=$(( $(date -d "$t2" +%s) - $(date -d "$t1" +%s) ))
[ $d -ge 2 ] && [ $d -le 4 ] || fail "--timestamps: lines 2.5 s apart are $d s apart: $(cat "$T/ts")"
sleep 1
[ "$("$K" logs j-ts --since 2s)" = "node-0: late" ] || fail "--since 2s: $("$K" logs j-ts --since 2s)"
[ "$("$K" logs j-ts --since 1h | wc -l)" = 2 ] || fail "--since 1h"
"$K" delete j-ts >/dev/null
ok "logs --timestamps and --since on the local backend"
# render --plan of a torchtune runtime: its own cache mount is not the person's
"$K" render --plan --runtime torchtune-llama3.2-1b --gpu 1 >/dev/null 2>"$T/err" || fail "render --plan torchtune"
grep -q 'volume' "$T/err" && fail "render --plan warned about volumes nobody gave: $(cat "$T/err")"
"$K" render --plan --runtime torchtune-llama3.2-1b --gpu 1 --volume /tmp:/data >/dev/null 2>"$T/err"
grep -q 'volume mounts apply in the container backend only' "$T/err" || fail "--volume: no warning"
ok "render --plan warns about volumes only when given"

# ---- delete ----
"$K" delete j-tty nosuch j-int >"$T/out" 2>"$T/err"; rc=$?
[ $rc -eq 1 ] || fail "delete with a missing name exited $rc"
[ "$(cat "$T/out")" = "j-tty deleted
j-int deleted" ] || fail "delete output: $(cat "$T/out")"
grep -q 'delete nosuch: .*not found' "$T/err" || fail "delete nosuch: $(cat "$T/err")"
"$K" delete --status Failed </dev/null >"$T/out" 2>&1 || fail "delete --status Failed"
[ "$(cat "$T/out")" = "j-mid deleted" ] || fail "delete --status: $(cat "$T/out")"
"$K" delete --older-than 1h </dev/null 2>&1 | grep -q 'no job matches' || fail "delete --older-than 1h"
"$K" delete --older-than 5x 2>&1 | grep -q 'unknown unit' || fail "--older-than 5x"
"$K" delete j-old --all 2>/dev/null; [ $? -eq 2 ] || fail "names and --all accepted together"
"$K" delete 2>/dev/null; [ $? -eq 2 ] || fail "delete with nothing named"

# on a terminal: one question
pty_delete() { # answer, args...: prints the session, returns kft's exit status
	python3 - "$K" "$@" <<'EOF'
import os, pty, sys, select, time
k, answer, args = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(k, [k, "delete"] + args)
out = b""
asked = 0
while True:
    try:
        r = select.select([fd], [], [], 20)[0]
        if not r:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
    except OSError:
        break
    out += chunk
    if b"[y/N]" in out and not asked:
        asked = 1
        os.write(fd, answer.encode() + b"\n")
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
sys.exit(os.waitstatus_to_exitcode(status))
EOF
}
out=$(pty_delete n --all); rc=$?
[ $rc -eq 1 ] || fail "answered no: exit $rc: $out"
echo "$out" | grep -q 'Delete 3 jobs (j-watch, j-new, j-old)? \[y/N\]' || fail "question: $out"
echo "$out" | grep -q 'nothing deleted' || fail "answered no: $out"
[ "$("$K" list | grep -c '^j-')" = 3 ] || fail "answered no, yet jobs went away"
out=$(pty_delete y --status Complete); rc=$?
[ $rc -eq 0 ] || fail "answered yes: exit $rc: $out"
[ "$(echo "$out" | grep -c 'Delete')" = 1 ] || fail "asked more than once: $out"
echo "$out" | grep -q '^j-old deleted' || fail "answered yes: $out"
echo "$out" | grep -q '^j-watch deleted' || fail "answered yes: $out"
out=$(pty_delete n --all --yes --grace 0); rc=$?
[ $rc -eq 0 ] || fail "--yes on a terminal: exit $rc: $out"
echo "$out" | grep -q 'y/N' && fail "--yes still asked: $out"
echo "$out" | grep -q '^j-new deleted' || fail "--yes: $out"
ok "delete on a terminal asks once, --yes does not"
"$K" train --name j-last -- true >/dev/null && "$K" wait j-last --timeout 60 2>/dev/null
"$K" delete --all </dev/null >"$T/out" 2>&1 || fail "delete --all without a terminal"
[ "$(cat "$T/out")" = "j-last deleted" ] || fail "delete --all: $(cat "$T/out")"
[ "$("$K" list | wc -l)" = 1 ] || fail "jobs left after delete --all"
ok "delete: names, --status, --older-than, --all"
echo "PASS: list, get, delete and interrupts"
