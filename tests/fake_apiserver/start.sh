# Sourced by the script tests: start the fake API server in the background.
#   fake_apiserver_start DIR [SERVER ARGS...]
# It logs to $T/server.log, sets PID (the test's cleanup kills it) and
# FAKE_PORT, and returns once DIR/port and DIR/kubeconfig are written; the
# test's fail() is called if the server exits or takes more than 15 s.
# SPDX-License-Identifier: Apache-2.0
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
