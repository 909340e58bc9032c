#!/bin/sh
# Run each fuzzer (build-fuzz/fuzzer/<name>, built by `make fuzz-build`) for
# $FUZZ_SECONDS (default 60) under nice, starting from fuzz/corpus/<name> and
# fuzz/regressions/<name> plus what earlier runs found (build-fuzz/corpus/<name>),
# with fuzz/dict/<name>.dict when there is one. Prints libFuzzer's final stats
# (execs/s, cov, ft) per harness; a crash leaves its input in build-fuzz/artifacts/
# and fails the run. Usage: fuzz/run.sh [NAME...] (default: all).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
FB=${FUZZ_BUILD:-$TOP/build-fuzz}
SECS=${FUZZ_SECONDS:-60}
# FUZZ_SEED: a fixed seed makes a run repeatable (CI uses one, so that a submission fails
# for a bug its change brought, not for one that chance found that day); default: random.
SEED=""
[ -n "${FUZZ_SEED:-}" ] && SEED="-seed=$FUZZ_SEED"
[ $# -gt 0 ] || set -- $(cd "$TOP/fuzz" && ls *.c | sed 's/\.c$//' | grep -v -e '^replay$' -e '^util$')
mkdir -p "$FB/artifacts"
fail=0
for n in "$@"; do
	bin="$FB/fuzzer/$n"
	[ -x "$bin" ] || { echo "fuzz: $bin missing (make fuzz-build)"; fail=1; continue; }
	work="$FB/corpus/$n"
	mkdir -p "$work"
	# shellcheck disable=SC2046  # one directory per line, no spaces in them
	set -- "$work" $(sh "$TOP/fuzz/inputs.sh" "$n")
	dict=""
	[ -f "$TOP/fuzz/dict/$n.dict" ] && dict="-dict=$TOP/fuzz/dict/$n.dict"
	log="$FB/$n.log"
	# the corpus dirs after the first are read-only seeds; new inputs go to $work
	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	nice -n 19 "$bin" $SEED -max_total_time="$SECS" -timeout=10 -rss_limit_mb=1024 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$FB/artifacts/$n-" $dict "$@" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	if [ $rc -eq 0 ]; then
		echo "fuzz: $n: ${SECS}s, ${execs:-?} execs, ${rate:-?} execs/s, cov ${cov:-?}, ft ${ft:-?}"
	else
		fail=1
		echo "fuzz: $n: FAILED (exit $rc); the input is in $FB/artifacts/$n-*; log $log:"
		grep -E 'ERROR|runtime error|fuzz check failed|SUMMARY' "$log" | head -5 | sed 's/^/    /'
	fi
done
exit $fail
