#!/bin/sh
# The kubernetes backend over HTTP/2. The fake API server speaks only HTTP/1.1, so nghttpx
# (Debian nghttp2-proxy) stands in front of it: TLS with its own CA made here, ALPN h2,
# backend = the fake server over TLS, verified with the fake server's CA. kft talks only to
# nghttpx (its kubeconfig trusts only nghttpx's CA) and runs a whole session: train
# (suspended), get, list, wait (watches over h2: a resume and a Failed condition set on
# the server while kft waits, dropped watches), logs -f of a running node, 503/429/
# truncated-body retries, events, delete. Proof that h2 was used, twice over: kft -v
# says "new connection ...: HTTP/2" once per connection, and nghttpx's access log says
# h2 for every request, from the same client ports. A C client doing 100 gets makes
# exactly one connection. Exit 77 (with the reason) when nghttpx, python3, openssl or cc
# is missing.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
B=${KFT_BUILD:-$TOP/build}
SRV="$TOP/tests/fake_apiserver/server.py"
NGHTTPX=$(command -v nghttpx 2>/dev/null || { [ -x /usr/sbin/nghttpx ] && echo /usr/sbin/nghttpx; })
CC=${CC:-cc}
[ -n "$NGHTTPX" ] || { echo "skip: nghttpx not installed (apt-get install nghttp2-proxy)"; exit 77; }
for c in python3 openssl "$CC"; do
	command -v "$c" >/dev/null 2>&1 || { echo "skip: $c not installed"; exit 77; }
done
[ -f "$SRV" ] || { echo "skip: $SRV missing"; exit 77; }
[ -x "$B/kft" ] || { echo "skip: $B/kft not built"; exit 77; }

T=$(mktemp -d /tmp/kft-h2.XXXXXX)
PID="" NPID="" WPID=""
cleanup() {
	for p in $WPID $NPID $PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	WPID="" NPID="" PID=""
	[ -n "${KFT_KEEP_TMP:-}" ] || rm -rf "$T"
}
# a signal (also SIGPIPE, when the output goes to `| head`) must not leave servers behind
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP PIPE
fail() {
	echo "FAIL: $*"
	for f in "$T/nghttpx.err" "$T/access.log" "$T/server.log"; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 15 "$f"; }
	done
	exit 1
}

# the fake API server (HTTP/1.1 over TLS)
. "$TOP/tests/fake_apiserver/start.sh"
fake_apiserver_start "$T/srv" --token test-token
SP=$(cat "$T/srv/port")
# control calls go straight to the fake server, so nghttpx's log holds only kft's requests
ctl() { # PATH JSON
	python3 -c 'import ssl, sys, urllib.request as u
ctx = ssl.create_default_context(cafile=sys.argv[1])
req = u.Request(sys.argv[2], data=sys.argv[3].encode(),
                headers={"Content-Type": "application/json"})
u.build_opener(u.ProxyHandler({}), u.HTTPSHandler(context=ctx)).open(req, timeout=20).read()' \
		"$T/srv/ca.crt" "https://127.0.0.1:$SP/_fake/$1" "$2" || fail "control $1"
}

# nghttpx's own CA and certificate (EC P-256, SAN IP:127.0.0.1)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=kft-h2-test-ca -keyout "$T/h2ca.key" -out "$T/h2ca.crt" >/dev/null 2>&1 &&
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
	-keyout "$T/h2.key" -out "$T/h2.csr" >/dev/null 2>&1 &&
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/h2.ext" &&
openssl x509 -req -in "$T/h2.csr" -CA "$T/h2ca.crt" -CAkey "$T/h2ca.key" -CAcreateserial \
	-days 1 -extfile "$T/h2.ext" -out "$T/h2.crt" >/dev/null 2>&1 || fail "openssl"

# nghttpx on a free port (picked, then bound by nghttpx: retry if someone took it).
# --conf=/dev/null: not /etc/nghttpx/nghttpx.conf. The backend is verified with the fake
# server's CA under the name localhost (its certificate's DNS SAN). The access log is
# written when the response headers arrive, so a watch is logged while it runs.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
for _ in 1 2 3; do
	NP=$(free_port)
	: >"$T/access.log"
	# shellcheck disable=SC2016 # nghttpx expands $alpn and the rest itself
	"$NGHTTPX" --conf=/dev/null --single-thread --no-ocsp \
		--frontend="127.0.0.1,$NP" --backend="127.0.0.1,$SP;;tls;sni=localhost" \
		--cacert="$T/srv/ca.crt" --accesslog-write-early --accesslog-file="$T/access.log" \
		--accesslog-format='$alpn $remote_port $status $method $path' \
		--errorlog-file="$T/nghttpx.err" "$T/h2.key" "$T/h2.crt" 2>"$T/nghttpx.stderr" &
	NPID=$!
	# ready when a TLS handshake verifies with our CA; its ALPN answer must be h2
	i=0
	while [ $i -lt 100 ] && kill -0 "$NPID" 2>/dev/null; do
		alpn=$(python3 -c 'import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.set_alpn_protocols(["h2", "http/1.1"])
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5) as s:
    with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
        print(t.selected_alpn_protocol())' "$T/h2ca.crt" "$NP" 2>/dev/null) && break
		i=$((i + 1)); sleep 0.1
	done
	kill -0 "$NPID" 2>/dev/null && [ $i -lt 100 ] && break
	kill "$NPID" 2>/dev/null; wait "$NPID" 2>/dev/null; NPID=""
done
[ -n "$NPID" ] || fail "nghttpx did not start"
[ "$alpn" = h2 ] || fail "nghttpx does not offer h2 (ALPN chose '$alpn')"
: >"$T/access.log"

cat >"$T/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: h2
  cluster:
    server: https://127.0.0.1:$NP
    certificate-authority: $T/h2ca.crt
users:
- name: u
  user:
    token: test-token
contexts:
- name: h2
  context: {cluster: h2, user: u, namespace: default}
current-context: h2
EOF
export KUBECONFIG="$T/kubeconfig"
KFT="$B/kft -b kubernetes -v"
CONN_RE="new connection to 127.0.0.1:$NP from local port [0-9]*: "

# every kft run: exactly the debug lines we expect about its connections
h2_only() { # FILE: at least one new connection, all HTTP/2
	grep -q "$CONN_RE" "$1" || fail "no connection line in $1: $(cat "$1")"
	grep "new connection" "$1" | grep -v "$CONN_RE"'HTTP/2$' && fail "not HTTP/2 in $1"
	return 0
}

# long enough that logs -f sees a running node
ctl controller '{"pendingMs": 500, "runMs": 6000}'
watching() { # NAME: kft has a watch on the TrainJob open (the access log is written early)
	i=0
	until grep -q "trainjobs?watch=1&fieldSelector=metadata.name%3D$1&" "$T/access.log"; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "no watch on $1 after 10 s"
		sleep 0.1
	done
}

# train, suspended: the job changes only when the test says so, however slow the machine
name=$($KFT train --name h2-job --nodes 2 --suspend -- python train.py 2>"$T/train.err") ||
	fail "train: $(cat "$T/train.err")"
[ "$name" = h2-job ] || fail "train printed '$name'"
h2_only "$T/train.err"

# get, list
$KFT get h2-job >"$T/get.out" 2>"$T/get.err" || fail "get: $(cat "$T/get.err")"
grep -q 'Status: *Suspended' "$T/get.out" || fail "get (expected Suspended): $(cat "$T/get.out")"
h2_only "$T/get.err"
$KFT -o json list >"$T/list.json" 2>"$T/list.err" || fail "list: $(cat "$T/list.err")"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
items = d["items"] if isinstance(d, dict) else d
assert [j for j in items if j["name"] == "h2-job"], items' "$T/list.json" ||
	fail "list lacks h2-job: $(cat "$T/list.json")"
h2_only "$T/list.err"

# wait --for Running (it reports on stderr), resume while it waits: the watches over h2
# see Suspended -> Running
$KFT wait h2-job --for Running --timeout 60 >"$T/wr.err" 2>&1 &
WPID=$!
watching h2-job
$KFT resume h2-job >/dev/null 2>"$T/resume.err" || fail "resume: $(cat "$T/resume.err")"
h2_only "$T/resume.err"
wait $WPID || fail "wait --for Running: $(cat "$T/wr.err")"
WPID=""
grep -q "^h2-job Suspended" "$T/wr.err" || fail "wait never saw Suspended: $(cat "$T/wr.err")"
grep -q '^h2-job: Running' "$T/wr.err" || fail "wait --for Running: $(cat "$T/wr.err")"
grep -q 'trainjobs?watch=1.* (stream)' "$T/wr.err" || fail "wait used no watch: $(cat "$T/wr.err")"
grep -qi 'polling' "$T/wr.err" && fail "wait fell back to polling: $(cat "$T/wr.err")"
h2_only "$T/wr.err"

# wait for Complete in the background, its first two watches dropped (reconnect over h2),
# while logs -f streams the running node-1
ctl faults '{"dropWatch": 2}'
$KFT wait h2-job --timeout 60 >"$T/wc.err" 2>&1 &
WPID=$!
$KFT logs h2-job -f --step node-1 >"$T/logs.out" 2>"$T/logs.err" &
LPID=$!
# the first line arrives while the node still runs (streamed, not dumped at the end)
i=0
until grep -q 'rank 1 of 2: starting training' "$T/logs.out"; do
	i=$((i + 1)); [ $i -gt 100 ] && { kill $LPID; fail "logs -f: no first line in 10 s"; }
	sleep 0.1
done
grep -q 'training complete' "$T/logs.out" && fail "logs -f: got the whole log at once"
wait $LPID || fail "logs -f: $(cat "$T/logs.err")"
[ "$(cat "$T/logs.out")" = "rank 1 of 2: starting training
epoch 1 loss 0.900
epoch 2 loss 0.700
epoch 3 loss 0.500
training complete" ] || fail "logs -f: $(cat "$T/logs.out")"
grep -q '/log?follow=true.* (stream)' "$T/logs.err" || fail "logs -f did not follow"
h2_only "$T/logs.err"
wait $WPID || fail "wait: $(cat "$T/wc.err")"
WPID=""
grep -q '^h2-job: Complete' "$T/wc.err" || fail "wait: $(cat "$T/wc.err")"
grep -q "^h2-job Running" "$T/wc.err" || fail "wait did not start while Running"
grep -q 'watch=1.*(stream ended: .*HTTP/2' "$T/wc.err" ||
	fail "no dropped watch seen: $(cat "$T/wc.err")"
grep -qi 'polling' "$T/wc.err" && fail "wait fell back to polling: $(cat "$T/wc.err")"
h2_only "$T/wc.err"
$KFT get h2-job >"$T/get2.out" 2>"$T/get2.err" || fail "get: $(cat "$T/get2.out")"
grep -q 'Status: *Complete' "$T/get2.out" || fail "get after wait: $(cat "$T/get2.out")"
grep -q 'node-1 *Succeeded *0' "$T/get2.out" || fail "get steps: $(cat "$T/get2.out")"

# a status change made on the server while kft waits reaches it through the h2 watch
ctl controller '{"pendingMs": 200, "runMs": 60000}'
$KFT train --name h2-long -- python t.py >/dev/null 2>"$T/train2.err" || fail "train h2-long"
$KFT wait h2-long --timeout 60 >"$T/wf.err" 2>&1 &
WPID=$!
watching h2-long
t0=$(date +%s)
ctl trainjobs/default/h2-long/status '{"conditions": [{"type": "Failed", "status": "True",
	"reason": "InjectedFailure", "message": "failed by the h2 test"}]}'
wait $WPID
rc=$?
WPID=""
[ $rc -eq 3 ] || fail "wait on a failed job exited $rc: $(cat "$T/wf.err")"
[ $(( $(date +%s) - t0 )) -le 5 ] || fail "wait took more than 5 s to see the change"
grep -q 'failed by the h2 test' "$T/wf.err" || fail "wait: $(cat "$T/wf.err")"
h2_only "$T/wf.err"

# events
$KFT events h2-job >"$T/events.out" 2>"$T/events.err" || fail "events: $(cat "$T/events.err")"
grep -q 'TrainJob' "$T/events.out" && grep -q 'Pod ' "$T/events.out" ||
	fail "events: $(cat "$T/events.out")"
h2_only "$T/events.err"

# faults over h2, each retried on the one connection: 503; 429 with Retry-After (a
# lower-case header in h2); a truncated body (nghttpx resets the h2 stream)
ctl faults '{"status5xx": 1, "throttle": 1, "retryAfter": 1, "truncate": 1}'
$KFT get h2-job >"$T/faults.out" 2>"$T/faults.err" || fail "get with faults: $(cat "$T/faults.err")"
grep -q 'Status: *Complete' "$T/faults.out" || fail "get with faults: $(cat "$T/faults.out")"
grep -q 'h2-job -> 503' "$T/faults.err" && grep -q 'h2-job -> 429' "$T/faults.err" &&
	grep -q 'retrying GET .*/h2-job in 1000 ms' "$T/faults.err" &&
	grep -q 'h2-job -> [0-9]* curl: .*HTTP/2' "$T/faults.err" || fail "faults: $(cat "$T/faults.err")"
[ "$(grep -c 'new connection' "$T/faults.err")" -eq 1 ] || fail "faults: more than one connection"
h2_only "$T/faults.err"

# 100 gets on one client: one connection, over h2
cat >"$T/gets.c" <<'EOF'
#include <kftrainer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static void diag(int level, const char *msg, void *payload)
{
	(void)payload;
	if (level == KFT_DIAG_DEBUG)
		fprintf(stderr, "debug: %s\n", msg);
}
int main(int argc, char **argv)
{
	kft_client_opts_t o = KFT_CLIENT_OPTS_INIT;
	kft_client_t *c = NULL;
	int i, n = argc > 2 ? atoi(argv[2]) : 100;
	o.backend = "kubernetes";
	kft_diag_set_handler(diag, KFT_DIAG_DEBUG, NULL);
	if (kft_client_new(&c, &o) < 0)
		return fprintf(stderr, "client: %s\n", kft_error_last()->message), 1;
	for (i = 0; i < n; i++) {
		kft_job_t *job = NULL;
		if (kft_get_job(&job, c, argv[1]) < 0)
			return fprintf(stderr, "get %d: %s\n", i, kft_error_last()->message), 1;
		if (strcmp(kft_job_status(job), "Complete"))
			return fprintf(stderr, "get %d: %s\n", i, kft_job_status(job)), 1;
		kft_job_free(job);
	}
	kft_client_free(c);
	printf("%d gets\n", n);
	return 0;
}
EOF
san=""   # a SAN=1 build (build-san/) wants its runtime in the program too
ldd "$B/libkftrainer.so" 2>/dev/null | grep -q libasan && san="-fsanitize=address,undefined"
# shellcheck disable=SC2086
"$CC" -std=c11 -Wall -Wextra -Werror $san -I"$TOP/include" -o "$T/gets" "$T/gets.c" \
	-L"$B" -lkftrainer -Wl,-rpath,"$B" || fail "cannot build the gets client"
before=$(wc -l <"$T/access.log")
"$T/gets" h2-job 100 >"$T/gets.out" 2>"$T/gets.err" || fail "gets: $(tail -5 "$T/gets.err")"
grep -q '^100 gets$' "$T/gets.out" || fail "gets: $(cat "$T/gets.out")"
[ "$(grep -c 'new connection' "$T/gets.err")" -eq 1 ] ||
	fail "100 gets made $(grep -c 'new connection' "$T/gets.err") connections, not 1"
h2_only "$T/gets.err"
port=$(sed -n 's/.*from local port \([0-9]*\): .*/\1/p' "$T/gets.err")
tail -n +"$((before + 1))" "$T/access.log" >"$T/gets.access"
[ "$(wc -l <"$T/gets.access")" -ge 200 ] || fail "nghttpx saw $(wc -l <"$T/gets.access") requests"
[ "$(awk '{print $1, $2}' "$T/gets.access" | sort -u)" = "h2 $port" ] ||
	fail "100 gets: nghttpx saw other connections: $(awk '{print $1, $2}' "$T/gets.access" | sort | uniq -c)"

# delete; get then says not found
$KFT delete h2-job >/dev/null 2>"$T/delete.err" || fail "delete: $(cat "$T/delete.err")"
h2_only "$T/delete.err"
$KFT get h2-job >"$T/gone.out" 2>"$T/gone.err" && fail "get after delete succeeded"
grep -q 'not found' "$T/gone.err" || fail "get after delete: $(cat "$T/gone.out")"
$KFT delete h2-long >/dev/null 2>"$T/delete2.err" || fail "delete h2-long"

# nghttpx agrees: every request was h2, on the connections kft announced
grep -v '^h2 ' "$T/access.log" && fail "nghttpx saw requests that were not HTTP/2"
grep -q ' GET /apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs?watch=1' \
	"$T/access.log" || fail "nghttpx saw no watch"
grep -q ' GET /api/v1/namespaces/default/pods/h2-job-node-0-1-[a-z0-9]*/log?follow=true' \
	"$T/access.log" || fail "nghttpx saw no log follow"
grep -q ' POST /apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs' \
	"$T/access.log" || fail "nghttpx saw no create"
grep -q ' DELETE /apis/trainer.kubeflow.org/v1alpha1/namespaces/default/trainjobs/h2-job' \
	"$T/access.log" || fail "nghttpx saw no delete"
cat "$T"/*.err | sed -n 's/.*from local port \([0-9]*\): HTTP\/2$/\1/p' | sort -u >"$T/kft.ports"
awk '{print $2}' "$T/access.log" | sort -u >"$T/ngx.ports"
[ -s "$T/kft.ports" ] && cmp -s "$T/kft.ports" "$T/ngx.ports" ||
	fail "kft's connections ($(tr '\n' ' ' <"$T/kft.ports")) are not nghttpx's ($(tr '\n' ' ' <"$T/ngx.ports"))"

# no secret in any debug output
cat "$T"/*.err | grep -q 'test-token' && fail "the token leaked into debug output"
echo "ok: h2 for $(wc -l <"$T/access.log") requests on $(wc -l <"$T/ngx.ports") connections; 100 gets on 1"
