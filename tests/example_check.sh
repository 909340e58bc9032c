# Sourced by t_go.sh, t_rust.sh and t_cpp.sh (not a test itself).
# check_example LABEL BINARY OUT [EXTRA-EXPECTED-LINE...]
# Runs an FFI example (a 2-node local job), prints its output, and fails
# unless it exited 0 and printed the version, both nodes' output and steps.
check_example() {
	label=$1 bin=$2 out=$3
	shift 3
	"$bin" >"$out" 2>&1
	rc=$?
	cat "$out"
	[ $rc -eq 0 ] || { echo "$label exited $rc"; exit 1; }
	for want in "^libkftrainer [0-9]" "status: Complete" "hello from node 0 of 2" \
		"hello from node 1 of 2" "step node-0: Succeeded exit 0" "step node-1: Succeeded exit 0" \
		"^OK$" "$@"; do
		grep -q "$want" "$out" || { echo "$label: missing in output: $want"; exit 1; }
	done
	echo "$label: 2-node local job completed"
}
