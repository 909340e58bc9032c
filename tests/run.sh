#!/bin/sh
# Test runner for `make check`. Runs the Check unit-test binaries ($B/tests/test_*)
# and, for "all", the script tests (tests/t_*.sh). Prints one closing line:
#   "N passed, N failed, N skipped"
# A skipped script exits 77 and prints why. Exit status non-zero if anything failed.
set -u
B=${B:-build}
mode=${1:-all}
TOP=$(cd "$(dirname "$0")/.." && pwd)
export KFT_TOP="$TOP" KFT_BUILD="$TOP/$B"
export KFT_SUPERVISOR="$TOP/$B/kft-supervisor"
export CK_DEFAULT_TIMEOUT=${CK_DEFAULT_TIMEOUT:-60}
# Isolate every test run from the user's own state and runtimes.
TMPROOT=$(mktemp -d /tmp/kft-check.XXXXXX)
export KFT_STATE_DIR="$TMPROOT/state" KFT_RUNTIME_PATH="$TMPROOT/runtimes" HOME="$TMPROOT/home"
mkdir -p "$HOME"
passed=0; failed=0; skipped=0; failed_names=""
LOGDIR="$TOP/$B/test-logs"; mkdir -p "$LOGDIR"

run_one() { # name, command...
	name=$1; shift
	# KFT_TESTS="t_k8s_cli test_core": run only those
	case " ${KFT_TESTS:-$name} " in *" $name "*) ;; *) return 0 ;; esac
	log="$LOGDIR/$name.log"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	dur=$(( $(date +%s) - start ))
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1)); echo "PASS: $name (${dur}s) $(grep -E '^[0-9]+%: Checks' "$log" | tail -1)"
	elif [ $rc -eq 77 ]; then
		skipped=$((skipped + 1)); echo "SKIP: $name: $(tail -n 1 "$log")"
	else
		failed=$((failed + 1)); failed_names="$failed_names $name"
		echo "FAIL: $name (exit $rc, ${dur}s); last lines of $log:"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
}

for t in "$TOP/$B"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done
# The fuzz harnesses replay their seed corpora and every regression input (fuzz/).
for t in "$TOP/$B"/fuzz/*; do
	[ -x "$t" ] && [ -f "$t" ] || continue
	# shellcheck disable=SC2046  # one directory per line, no spaces in them
	run_one "fuzz_$(basename "$t")" "$t" $(sh "$TOP/fuzz/inputs.sh" "$(basename "$t")")
done
if [ "$mode" = all ]; then
	for t in "$TOP"/tests/t_*.sh; do
		[ -f "$t" ] || continue
		run_one "$(basename "$t" .sh)" sh "$t"
	done
fi
rm -rf "$TMPROOT"
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
