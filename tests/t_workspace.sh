#!/bin/sh
# /workspace on the local backend, as on a cluster: every step of a job sees
# the job's workspace at /workspace (dataset/ model/ output/) in one private
# mount namespace shared by its steps (a file and a /dev/shm segment made by
# node-0 are seen by node-1); KFT_WORKSPACE always names it; TMPDIR is inside
# the job's directory and kft delete leaves nothing behind; this machine's
# /workspace is never created. Also as an unprivileged user (user namespace)
# and where the kernel refuses namespaces (the job runs, with a warning).
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
T=$(mktemp -d /tmp/kft-ws.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
export KFT_STATE_DIR="$T/state" KFT_BACKEND=local TMPDIR="$T/callertmp"
mkdir -p "$TMPDIR"
fail() { echo "FAIL: $*"; exit 1; }
host_ws_before=$(ls -d /workspace 2>/dev/null)

cat >"$T/job.sh" <<'EOF2'
set -e
echo "ws=$KFT_WORKSPACE tmp=$TMPDIR"
ls /workspace | tr '\n' ' '; echo
case "$PET_NODE_RANK" in
0) echo "from node-0" > /workspace/output/shared.txt; echo shm > /dev/shm/kft-ws-test-$$;
   echo $$ > /workspace/output/shm.pid; mktemp -d >/dev/null; touch /workspace/output/done ;;
*) i=0; while [ ! -e /workspace/output/done ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
   cat /workspace/output/shared.txt; cat "/dev/shm/kft-ws-test-$(cat /workspace/output/shm.pid)"
   rm -f "/dev/shm/kft-ws-test-$(cat /workspace/output/shm.pid)" ;;
esac
EOF2
"$K" train --name ws --nodes 2 -- sh "$T/job.sh" >/dev/null 2>"$T/train.err" || fail "train"
"$K" wait ws --timeout 60 2>"$T/wait.err" || fail "job failed: $("$K" logs ws)"
grep -q "private /workspace" "$T/train.err" "$T/wait.err" && fail "a namespace warning where namespaces work: $(cat "$T/wait.err")"
J="$T/state/jobs/ws"
"$K" logs ws --step node-0 | grep -qx "ws=$J/workspace tmp=$J/tmp" || fail "env: $("$K" logs ws --step node-0)"
"$K" logs ws --step node-0 | grep -qx "dataset model output " || fail "/workspace contents"
"$K" logs ws --step node-1 | grep -qx "from node-0" || fail "node-1 did not see node-0's /workspace file"
"$K" logs ws --step node-1 | grep -qx "shm" || fail "node-1 did not see node-0's /dev/shm segment"
[ -f "$J/workspace/output/shared.txt" ] || fail "output not in the job's workspace"
"$K" events ws | grep -q NoWorkspaceNamespace && fail "namespace refused as root"
[ "$(ls -d /workspace 2>/dev/null)" = "$host_ws_before" ] || fail "this machine's /workspace changed"
[ -z "$(ls -A "$TMPDIR")" ] || fail "the job left files in the caller's TMPDIR: $(ls -A "$TMPDIR")"
ls "$J/tmp" | grep -q . || fail "nothing in the job's TMPDIR"
# kft cp: out of the workspace, as the job saw it; ".." and outside refused
mkdir "$T/out"
"$K" cp ws:/workspace/output/shared.txt "$T/out/" || fail "kft cp a file into a directory"
[ "$(cat "$T/out/shared.txt")" = "from node-0" ] || fail "kft cp content"
"$K" cp ws:output "$T/out/o2" || fail "kft cp a directory"
[ -f "$T/out/o2/shared.txt" ] || fail "kft cp directory content"
ln -s /etc "$J/workspace/output/escape"
for bad in /workspace/../state.json output/../../spec.json /etc/passwd /workspace/output/escape/passwd; do
	"$K" cp "ws:$bad" "$T/out/bad" 2>"$T/err" && fail "kft cp $bad was allowed"
	grep -q "outside the job's /workspace\|\"..\" is not allowed\|leads outside" "$T/err" || fail "cp $bad: $(cat "$T/err")"
done
[ ! -e "$T/out/bad" ] || fail "a refused copy wrote something"
"$K" cp ws "$T/out" 2>/dev/null && fail "kft cp without JOB:PATH"
"$K" -b kubernetes cp ws:/workspace/x "$T/out" 2>"$T/err"; grep -q "kubectl cp\|kubeconfig\|cannot open" "$T/err" || fail "kubernetes cp: $(cat "$T/err")"
"$K" delete ws >/dev/null || fail "delete"
[ ! -e "$J" ] || fail "kft delete left $J"
echo "root: ok"

# A /workspace that exists on this machine is never touched: never read into a
# job, never written by one. If this machine has one, it is only read (a
# listing with sizes and times, before and after a job that writes
# /workspace/output). If not, a private root is built for the test (a mount
# namespace, a tmpfs root binding this machine's top-level directories, plus a
# /workspace holding sentinels, then pivot_root): the machine's own / is not
# changed, so tests running beside this one see nothing.
printf 'echo out > /workspace/output/from-job; ls -A /workspace/output | tr "\\n" " "; echo\n' >"$T/w.sh"
listing() { find "$1" -xdev -printf '%P %y %s %T@ %m\n' 2>/dev/null | LC_ALL=C sort | md5sum; }
if [ -e /workspace ]; then
	before=$(listing /workspace)
	"$K" train --name wsh --wait --timeout 60 -- sh "$T/w.sh" >/dev/null 2>&1 || fail "wsh: $("$K" logs wsh)"
	"$K" logs wsh --step node-0 | grep -qx "from-job " || fail "wsh saw: $("$K" logs wsh)"
	[ "$(listing /workspace)" = "$before" ] || fail "this machine's /workspace changed"
	echo "host /workspace (exists, read only): ok"
elif [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v pivot_root >/dev/null; then
	cat >"$T/hostws.sh" <<'NSEOF'
set -eu
R=$1; K=$2; T=$3
mount --make-rprivate /
mount -t tmpfs kft-test-root "$R"
for d in /*; do
	n=${d#/}
	if [ -L "$d" ]; then cp -P "$d" "$R/$n"
	elif [ -d "$d" ]; then mkdir "$R/$n"; mount --rbind "$d" "$R/$n"
	fi
done
mkdir -p "$R/workspace/output" "$R/.old"
echo sentinel > "$R/workspace/sentinel"
echo host > "$R/workspace/output/host-file"
cd "$R"
pivot_root . .old
umount -l /.old
rmdir /.old
listing() { find /workspace -xdev -printf '%P %y %s %T@ %m\n' | LC_ALL=C sort | md5sum; }
before=$(listing)
"$K" train --name wsh --wait --timeout 60 -- sh "$T/w.sh" >/dev/null 2>&1 || { "$K" logs wsh; exit 1; }
"$K" logs wsh --step node-0 | grep -qx "from-job " || { echo "the job saw: $("$K" logs wsh)"; exit 1; }
[ "$(listing)" = "$before" ] || { echo "this machine's /workspace changed:"; find /workspace; exit 1; }
[ "$(cat /workspace/sentinel)" = sentinel ] || exit 1
echo "ok"
NSEOF
	mkdir "$T/root"
	unshare -m sh "$T/hostws.sh" "$T/root" "$K" "$T" >"$T/hostws.out" 2>&1 ||
		fail "host /workspace: $(cat "$T/hostws.out")"
	grep -qx ok "$T/hostws.out" || fail "host /workspace: $(cat "$T/hostws.out")"
	[ ! -e /workspace ] || fail "the test's /workspace leaked to this machine"
	echo "host /workspace (made in a private root): ok"
else
	echo "host /workspace: not checked (no /workspace here, and not root with unshare/pivot_root)"
fi

# an unprivileged user: a user namespace around the mount namespace
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	U="$T/user"; mkdir -p "$U"; chown 65534 "$U"
	printf 'ls /workspace | tr "\\n" " "; echo x > /workspace/output/f; id -u\n' >"$T/u.sh"; chmod 644 "$T/u.sh"
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups env HOME=$U KFT_STATE_DIR=$U/state TMPDIR=$U"
	$AS "$K" train --name wsu -- sh "$T/u.sh" >/dev/null || fail "train as nobody"
	$AS "$K" wait wsu --timeout 60 2>/dev/null || fail "job as nobody: $($AS "$K" logs wsu)"
	$AS "$K" logs wsu | grep -q "dataset model output" || fail "nobody's /workspace: $($AS "$K" logs wsu)"
	[ "$(stat -c %u "$U/state/jobs/wsu/workspace/output/f")" = 65534 ] || fail "file owner in the user namespace"
	echo "unprivileged: ok"
fi

# namespaces refused (bubblewrap forbids user namespaces inside): the job still runs
if command -v bwrap >/dev/null && bwrap --unshare-user --disable-userns --dev-bind / / true 2>/dev/null; then
	R="$T/refused"; mkdir -p "$R"; chmod 777 "$R"
	printf 'echo "ws=$KFT_WORKSPACE"; echo y > "$KFT_WORKSPACE/output/f$PET_NODE_RANK"\n' >"$T/r.sh"; chmod 644 "$T/r.sh"
	# two steps, one warning: kft train --wait says it once (through the diagnostics handler)
	bwrap --unshare-user --disable-userns --uid 65534 --gid 65534 --dev-bind / / \
		--setenv KFT_STATE_DIR "$R/state" --setenv HOME "$R" --setenv TMPDIR "$R" \
		sh -c "'$K' train --name wsr --nodes 2 --wait --timeout 60 -- sh '$T/r.sh' >/dev/null 2>'$R/train.err' &&
		       '$K' events wsr" >"$T/r.out" 2>&1 || fail "refused: the job did not run: $(cat "$T/r.out" "$R/train.err")"
	grep -q "Warning  *TrainJob  *wsr  *NoWorkspaceNamespace .*namespaces refused" "$T/r.out" \
		|| fail "no warning event: $(cat "$T/r.out")"
	[ "$(grep -c "^kft: warning: TrainJob wsr runs without a private /workspace (.*namespaces refused.*): its steps find their workspace at \$KFT_WORKSPACE ($R/state/jobs/wsr/workspace)$" "$R/train.err")" = 1 ] \
		|| fail "kft train did not warn exactly once: $(cat "$R/train.err")"
	[ -f "$R/state/jobs/wsr/workspace/output/f0" ] && [ -f "$R/state/jobs/wsr/workspace/output/f1" ] \
		|| fail "KFT_WORKSPACE not usable without namespaces"
	# without --wait too: kft train itself says it, once
	bwrap --unshare-user --disable-userns --uid 65534 --gid 65534 --dev-bind / / \
		--setenv KFT_STATE_DIR "$R/state" --setenv HOME "$R" --setenv TMPDIR "$R" \
		"$K" train --name wsn --nodes 2 -- sh "$T/r.sh" >/dev/null 2>"$R/trainn.err" \
		|| fail "refused: kft train (no --wait) failed: $(cat "$R/trainn.err")"
	[ "$(grep -c "^kft: warning: TrainJob wsn runs without a private /workspace (.*namespaces refused.*): its steps find their workspace at \$KFT_WORKSPACE ($R/state/jobs/wsn/workspace)$" "$R/trainn.err")" = 1 ] \
		|| fail "kft train (no --wait) did not warn exactly once: $(cat "$R/trainn.err")"
	# Python callers see the same warning through the library's diagnostics (logging)
	if command -v python3 >/dev/null; then
		cat >"$T/r.py" <<'PYEOF'
import logging, sys
import kftrainer as k
seen = []
class H(logging.Handler):
    def emit(self, rec):
        seen.append((rec.levelno, rec.getMessage()))
logging.getLogger("kftrainer").addHandler(H())
k.enable_library_logging(logging.WARNING)
c = k.TrainerClient("local")
name = c.train("torch-distributed", trainer=k.CustomTrainer(command=["true"], num_nodes=2),
               name="wsp")
job = c.wait_for_job_status(name, timeout=60, polling_interval=1)
ws = [m for lv, m in seen if "without a private /workspace" in m]
print(job.status, len(ws), ws[0] if ws else "", [lv for lv, m in seen if m in ws])
PYEOF
		chmod 644 "$T/r.py"
		bwrap --unshare-user --disable-userns --uid 65534 --gid 65534 --dev-bind / / \
			--setenv KFT_STATE_DIR "$R/pstate" --setenv HOME "$R" --setenv TMPDIR "$R" \
			--setenv PYTHONPATH "$TOP/bindings/python" \
			--setenv KFTRAINER_LIBRARY "$BUILD/libkftrainer.so.0" \
			python3 "$T/r.py" >"$T/rp.out" 2>&1 || fail "refused, Python: $(cat "$T/rp.out")"
		grep -q "^Complete 1 TrainJob wsp runs without a private /workspace .*namespaces refused.* \[30\]$" \
			"$T/rp.out" || fail "refused, Python did not get one warning: $(cat "$T/rp.out")"
	fi
	echo "refused: ok"
else
	echo "skip: bubblewrap with --disable-userns is not available (the refused case)"
	exit 77
fi
