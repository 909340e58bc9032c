#!/bin/sh
# The progress protocol from containers on every network mode: a container step
# gets KUBEFLOW_TRAINER_SERVER_URL / _CA_CERT / _TOKEN (the job's trainer/
# directory mounted read-only), posts an update with a client written from the
# protocol description (tests/progress_client.py, the host's python3 from /usr
# mounted into the kft-skel image), and `kft get` shows it. On the host network
# the URL is 127.0.0.1; on a per-job bridge or --internal network it is
# host.docker.internal (the network's gateway, where the server also listens),
# TLS verified against the job's CA, and a wrong or missing token is refused
# (403, 401) from there too. KFT_TEST_ENGINE=podman runs it against podman.
# Under dockerd the internal network is tried again with dockerd's own
# firewall rules (its default --iptables: an internal network's traffic is
# dropped in FORWARD, the host's gateway address is still reached), in a
# network namespace of the test's own. Exit 77 when no engine can run here.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${KFT_BUILD:-$TOP/build}
. "$TOP/tests/images/engine.sh"
kft_engine_own_ns "$0" "$@"   # podman: a network namespace of its own
why=$(kft_engine_prereqs) || { echo "skip: $why"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "skip: no /usr/bin/python3"; exit 77; }
[ -n "${KFT_ENGINE_FIREWALL:-}" ] && ip link set lo up
trap 'kft_engine_stop' EXIT INT TERM
kft_engine_start || { echo "skip: cannot run a private engine here"; exit 77; }
: "${KFT_STATE_DIR:=$D/state}"
export KFT_STATE_DIR KFT_BACKEND=container
export KFT_CONTAINER_MOUNTS=/usr:/usr:ro,/etc/alternatives:/etc/alternatives:ro,$TOP/tests:/kft-tests:ro
K="$BLD/kft"
fail() { echo "FAIL: $*"; exit 1; }
NETS=${KFT_PROGRESS_NETS:-host bridge internal}
case " $NETS " in *" host "*)
"$K" train --name cp1 --image localhost/kft-skel:1 --wait --timeout 120 -- /usr/bin/python3 -c '
import os, subprocess, sys
for v in ("URL", "CA_CERT", "TOKEN"):
    print(v, os.environ["KUBEFLOW_TRAINER_SERVER_" + v])
print("token readable:", len(open(os.environ["KUBEFLOW_TRAINER_SERVER_TOKEN"]).read().strip()) > 0)
try:
    open(os.environ["KUBEFLOW_TRAINER_SERVER_TOKEN"], "a")
    print("token writable")
except OSError:
    print("token read-only")
sys.exit(subprocess.call([sys.executable, "/kft-tests/progress_client.py", "post", "42", "0.25"]))
' >"$D/cp1.out" 2>&1 || { cat "$D/cp1.out"; "$K" logs cp1; fail "container job cp1 did not complete"; }
"$K" logs cp1 >"$D/cp1.logs" || fail "logs cp1"
grep -q 'node-0: URL https://127.0.0.1:[0-9]*/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs/cp1/status$' "$D/cp1.logs" ||
	{ cat "$D/cp1.logs"; fail "no server URL in the container"; }
grep -q 'node-0: CA_CERT /var/run/kubeflow-trainer/ca.crt$' "$D/cp1.logs" || fail "CA path"
grep -q 'node-0: token readable: True$' "$D/cp1.logs" || { cat "$D/cp1.logs"; fail "token not readable"; }
grep -q 'node-0: token read-only$' "$D/cp1.logs" || { cat "$D/cp1.logs"; fail "token mount is writable"; }
grep -q 'node-0: 200 {"trainerStatus":{"progressPercentage":42' "$D/cp1.logs" || { cat "$D/cp1.logs"; fail "post refused"; }
"$K" get cp1 | grep -q '^Progress: 42%' || { "$K" get cp1; fail "kft get shows no progress"; }
"$K" get cp1 | grep -q '^Metric: *loss=0.25' || { "$K" get cp1; fail "kft get shows no metric"; }
"$K" get cp1 -o json | grep -q '"progressPercentage": *42' || fail "get -o json trainerStatus"
echo "ok - a container step (host network) posts progress; kft get shows 42% and loss=0.25"
"$K" delete cp1 >/dev/null || fail "delete cp1"
[ -e "$KFT_STATE_DIR/container/jobs/cp1" ] && fail "job dir left after delete"
echo "ok - deleted"
;; esac

# per-job networks: the server is reached at the network's gateway as host.docker.internal
for net in $NETS; do
	[ $net = host ] && continue
	j=cp-$net
	"$K" --network $net train --name $j --image localhost/kft-skel:1 -- /usr/bin/python3 -c '
import os, subprocess, sys, time
print("URL", os.environ["KUBEFLOW_TRAINER_SERVER_URL"])
c = [sys.executable, "/kft-tests/progress_client.py"]
open("/tmp/b.json", "w").write("{\"trainerStatus\": {\"progressPercentage\": 7, \"lastUpdatedTime\": \"2026-01-01T00:00:00Z\"}}")
for tok in ("0" * 64, "-"):
    subprocess.call(c + ["raw", "/tmp/b.json", tok])
rc = subprocess.call(c + ["post", "63", "0.125"])
open("/workspace/posted.tmp", "w").write(os.environ["KUBEFLOW_TRAINER_SERVER_URL"] + "\n")
os.rename("/workspace/posted.tmp", "/workspace/posted")
for _ in range(1200):   # until the test looked at the server sockets
    if os.path.exists("/workspace/go"):
        break
    time.sleep(0.1)
sys.exit(rc)
' >"$D/$j.out" 2>&1 || { cat "$D/$j.out"; fail "kft train $j"; }
	W="$KFT_STATE_DIR/container/jobs/$j/workspace"
	i=0; while [ ! -e "$W/posted" ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i + 1)); done
	# the job's server listens on 127.0.0.1 and the network's gateway, nothing else
	if command -v ss >/dev/null; then
		port=$(sed -n 's|^https://host.docker.internal:\([0-9]*\)/.*|\1|p' "$W/posted")
		pid=$(ss -Hltnp "sport = :$port" | sed -n 's/.*"kft-progress-se",pid=\([0-9]*\),.*/\1/p' | head -1)
		[ -n "$port" ] && [ -n "$pid" ] || fail "$net: no progress server on port $port"
		addrs=$(ss -Hltnp | grep "pid=$pid," | awk '{print $4}' | sort | tr '\n' ' ')
		gw=$(docker network inspect $j-net -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}')
		case "$addrs" in
		"127.0.0.1:$port $gw:$port "|"$gw:$port 127.0.0.1:$port ") ;;
		*) fail "$net: the progress server listens on: $addrs(gateway $gw)" ;;
		esac
	fi
	if [ -n "${KFT_ENGINE_FIREWALL:-}" ]; then   # dockerd's rules isolate the network indeed
		iptables -S DOCKER-ISOLATION-STAGE-1 | grep -q -- "-i br-[0-9a-f]* -j DROP" ||
			fail "no isolation rule of dockerd: $(iptables -S 2>&1)"
	fi
	touch "$W/go"
	"$K" wait $j --timeout 120 >/dev/null || { "$K" logs $j; fail "container job $j did not complete"; }
	"$K" logs $j >"$D/$j.logs" || fail "logs $j"
	grep -q "node-0: URL https://host.docker.internal:[0-9]*/apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs/$j/status\$" "$D/$j.logs" ||
		{ cat "$D/$j.logs"; fail "$net: no host.docker.internal URL in the container"; }
	grep -q 'node-0: 403 {.*"reason":"Forbidden"' "$D/$j.logs" || { cat "$D/$j.logs"; fail "$net: a wrong token was not refused with 403"; }
	grep -q 'node-0: 401 {.*"reason":"Unauthorized"' "$D/$j.logs" || { cat "$D/$j.logs"; fail "$net: no token was not refused with 401"; }
	grep -q 'node-0: 200 {"trainerStatus":{"progressPercentage":63' "$D/$j.logs" || { cat "$D/$j.logs"; fail "$net: post refused"; }
	"$K" get $j | grep -q '^Progress: 63%' || { "$K" get $j; fail "$net: kft get shows no progress"; }
	"$K" get $j | grep -q '^Metric: *loss=0.125' || { "$K" get $j; fail "$net: kft get shows no metric"; }
	[ "$("$K" metrics $j -o csv | wc -l)" = 2 ] || fail "$net: refused posts were stored: $("$K" metrics $j -o csv)"
	"$K" events $j | grep -q NoProgressServer && fail "$net: NoProgressServer event with a gateway"
	"$K" delete $j >/dev/null || fail "delete $j"
	echo "ok - a container step ($net network) posts progress to host.docker.internal; 403/401 for a wrong/missing token"
done
if [ "$ENGINE" = docker ] && [ -z "${KFT_ENGINE_FIREWALL:-}" ]; then
	if command -v iptables >/dev/null && command -v ip >/dev/null &&
		unshare --net --mount true 2>/dev/null; then
		KFT_ENGINE_FIREWALL=1 KFT_PROGRESS_NETS=internal KFT_STATE_DIR= \
			unshare --net --mount --propagation private sh "$0" >"$D/fw.out" 2>&1 ||
			{ cat "$D/fw.out"; fail "internal network under dockerd's own firewall rules"; }
		grep -q '^ok - .*internal network' "$D/fw.out" || { cat "$D/fw.out"; fail "firewall run: no result"; }
		echo "ok - the same with dockerd's own iptables rules (private network namespace)"
	else
		echo "note: no iptables or no network namespaces: dockerd's own firewall rules not tried"
	fi
fi
