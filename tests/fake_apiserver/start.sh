# Sourced by the script tests that talk to the fake API server.
#   fake_apiserver_tmp PREFIX: skip (77) without python3/openssl; make the work
#     directory T (/tmp/PREFIX.XXXXXX), removed at exit with the server stopped;
#     define fail() (prints the server log's tail).
#   fake_apiserver_start DIR [SERVER ARGS...]: start the server in the background.
# It logs to $T/server.log, sets PID (the test's cleanup kills it) and
# FAKE_PORT, and returns once DIR/port and DIR/kubeconfig are written; the
# test's fail() is called if the server exits or takes more than 15 s.
# SPDX-License-Identifier: Apache-2.0
fake_apiserver_tmp() {
	command -v python3 >/dev/null 2>&1 || { echo "skip: python3 not installed"; exit 77; }
	command -v openssl >/dev/null 2>&1 || { echo "skip: openssl not installed"; exit 77; }
	T=$(mktemp -d "/tmp/$1.XXXXXX")
	PID=""
	trap fake_apiserver_cleanup EXIT INT TERM
}

fake_apiserver_cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$T"
}

fail() { echo "FAIL: $*"; [ -f "$T/server.log" ] && tail -n 20 "$T/server.log"; exit 1; }

fake_apiserver_start() {
	fas_dir=$1
	shift
	python3 "$TOP/tests/fake_apiserver/server.py" --dir "$fas_dir" "$@" >"$T/server.log" 2>&1 &
	PID=$!
	fas_i=0
	while [ ! -s "$fas_dir/port" ] || [ ! -s "$fas_dir/kubeconfig" ]; do
		fas_i=$((fas_i + 1)); [ $fas_i -gt 150 ] && fail "server did not start in 15 s"
		kill -0 "$PID" 2>/dev/null || fail "server exited early"
		sleep 0.1
	done
	FAKE_PORT=$(cat "$fas_dir/port")
}
