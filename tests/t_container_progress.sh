#!/bin/sh
# The progress protocol from containers (host network): a container step gets
# KUBEFLOW_TRAINER_SERVER_URL / _CA_CERT / _TOKEN (the job's trainer/ directory
# mounted read-only), posts an update with a client written from the protocol
# description (tests/progress_client.py, the host's python3 from /usr mounted
# into the kft-skel image), and `kft get` shows it. KFT_TEST_ENGINE=podman runs
# it against podman. Exit 77 when no engine can run here.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BLD=${KFT_BUILD:-$TOP/build}
. "$TOP/tests/images/engine.sh"
why=$(kft_engine_prereqs) || { echo "skip: $why"; exit 77; }
[ -x /usr/bin/python3 ] || { echo "skip: no /usr/bin/python3"; exit 77; }
trap 'kft_engine_stop' EXIT INT TERM
kft_engine_start || { echo "skip: cannot run a private engine here"; exit 77; }
: "${KFT_STATE_DIR:=$D/state}"
export KFT_STATE_DIR KFT_BACKEND=container
export KFT_CONTAINER_MOUNTS=/usr:/usr:ro,/etc/alternatives:/etc/alternatives:ro,$TOP/tests:/kft-tests:ro
K="$BLD/kft"
fail() { echo "FAIL: $*"; exit 1; }
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
