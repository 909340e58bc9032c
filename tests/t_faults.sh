#!/bin/sh
# Fault injection beyond malloc, on the local backend:
#  - disk full: the state dir on a 1 MiB tmpfs (a private mount namespace; needs
#    root and unshare, else skipped), filled up: `kft train` fails clearly, leaves
#    no half-written job, and the job already there stays readable;
#  - EMFILE: kft under a low RLIMIT_NOFILE fails with a message, never a crash;
#  - a job record truncated, then replaced by garbage while the job runs: get,
#    list and wait report it or read on, never crash or hang;
#  - a 3 MB log line without a newline: delivered whole, in bounded pieces.
set -u
# A bug here once sent kill(-1, SIGTERM) (a failed spawn's pid -1): every process of
# the machine. As root, run in a private PID namespace, where that kills only this test.
if [ -z "${KFT_FAULTS_NS:-}" ] && [ "$(id -u)" = 0 ] && unshare -pf --mount-proc true 2>/dev/null
then
	KFT_FAULTS_NS=1 exec unshare -pf --mount-proc sh "$0" "$@"
fi
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
T=$(mktemp -d /tmp/kft-faults.XXXXXX)
trap 'rm -rf "$T"' EXIT
export KFT_BACKEND=local KFT_RUNTIME_PATH="$T/runtimes"
fail() { echo "FAIL: $*"; exit 1; }
# not killed by a signal (exit >= 128 is a crash or a sanitizer abort)
no_crash() { [ "$1" -lt 128 ] || fail "$2: exit $1 (a crash)"; }

# ---- EMFILE ----
export KFT_STATE_DIR="$T/state-emfile"
emfile=0
for n in 4 5 6 8 12; do
	(ulimit -n $n && exec "$K" train --name emfile-$n -- true) >"$T/out" 2>"$T/err"; rc=$?
	no_crash $rc "train with RLIMIT_NOFILE=$n"
	if [ $rc -ne 0 ]; then
		grep -q '^kft: .*Too many open files' "$T/err" ||
			fail "RLIMIT_NOFILE=$n: exit $rc without a clear message: $(cat "$T/err")"
		emfile=1
	fi
done
[ $emfile = 1 ] || fail "no RLIMIT_NOFILE tried was low enough to fail"
(ulimit -n 5 && exec "$K" list) >"$T/out" 2>"$T/err"; no_crash $? "list with RLIMIT_NOFILE=5"

# ---- torn and garbage records while a job runs ----
export KFT_STATE_DIR="$T/state-torn"
"$K" train --name torn -- sleep 3 >/dev/null || fail "train torn"
rec="$KFT_STATE_DIR/jobs/torn/state.json"
[ -f "$rec" ] || fail "no record at $rec"
head -c 40 "$rec" >"$T/half" && cat "$T/half" >"$rec"    # truncated mid-record
"$K" get torn >"$T/out" 2>"$T/err"; rc=$?
no_crash $rc "get of a truncated record"
[ $rc -eq 0 ] || grep -q 'state.json\|record' "$T/err" || fail "truncated record: $(cat "$T/err")"
printf '\000\377garbage{"status":' >"$rec"                   # replaced by garbage
"$K" get torn >"$T/out" 2>"$T/err"; rc=$?
no_crash $rc "get of a garbage record"
[ $rc -eq 0 ] || grep -q 'state.json\|record' "$T/err" || fail "garbage record: $(cat "$T/err")"
"$K" list >"$T/out" 2>"$T/err"; no_crash $? "list with a garbage record"
start=$(date +%s)
"$K" wait torn --timeout 10 >"$T/out" 2>"$T/err"; rc=$?
no_crash $rc "wait on a garbage record"
[ $(( $(date +%s) - start )) -le 20 ] || fail "wait on a garbage record took > 20 s"
"$K" events torn >/dev/null 2>&1; no_crash $? "events with a garbage record"
"$K" delete torn >/dev/null 2>&1; no_crash $? "delete with a garbage record"

# ---- a 3 MB line without a newline: logs deliver it in 1 MiB pieces, all of it ----
export KFT_STATE_DIR="$T/state-line"
"$K" train --name longline -- sh -c 'head -c 3000000 /dev/zero | tr "\0" a; echo; echo end' \
	>/dev/null || fail "train longline"
"$K" wait longline --timeout 60 >/dev/null 2>&1 || fail "wait longline"
for f in "" -f; do
	got=$("$K" logs longline $f | awk '{ if (length($0) > m) m = length($0); n++; t += length($0) }
		END { print n, m, t }')
	# 3 pieces of the line and "end", each prefixed "node-0: " (8 bytes)
	[ "$got" = "4 1048584 3000035" ] || fail "logs $f of a 3 MB line: lines/longest/bytes $got"
done

# ---- disk full ----
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	echo "skip: disk-full part needs root and unshare (mounts a tmpfs)"; exit 77
fi
mkdir -p "$T/full"
unshare -m sh -s "$K" "$T/full" <<'EOS' >"$T/full.log" 2>&1
set -u
K=$1 S=$2
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$S" || { echo "cannot mount a tmpfs"; exit 77; }
export KFT_STATE_DIR="$S"
"$K" train --name before -- true >/dev/null || { echo "FAIL: train before"; exit 1; }
"$K" wait before --timeout 30 >/dev/null 2>&1 || { echo "FAIL: wait before"; exit 1; }
dd if=/dev/zero of="$S/fill" bs=4k 2>/dev/null   # until ENOSPC
"$K" train --name after -- true >"$S/../out" 2>"$S/../err"; rc=$?
echo "train on a full disk: exit $rc: $(cat "$S/../err")"
[ $rc -ne 0 ] && [ $rc -lt 128 ] || { echo "FAIL: train on a full disk exited $rc"; exit 1; }
grep -qi 'space' "$S/../err" || { echo "FAIL: the error does not say the disk is full"; exit 1; }
for d in "$S"/jobs/* "$S"/jobs/.[!.]*; do
	[ -e "$d" ] || continue
	case $(basename "$d") in before) ;; *) echo "FAIL: left behind: $d"; exit 1 ;; esac
done
"$K" get before | grep -q Complete || { echo "FAIL: the job before is not intact"; exit 1; }
rm -f "$S/fill"
"$K" train --name again -- true >/dev/null || { echo "FAIL: train once space is back"; exit 1; }
umount -l "$S"
echo ok
EOS
rc=$?
cat "$T/full.log"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || fail "disk full (exit $rc)"
echo ok
