#!/bin/sh
# No flag value collides with "not given", and a runtime nobody can run is refused:
# `kft render --nodes -1` is refused by validation (printed with --no-validate),
# the library's KFT_UNSET and values past 10^15 (seconds -> ms) are refused when
# parsed; `--runtime no-such-runtime` is refused against the local catalog and
# only warned about with -b kubernetes (only the cluster knows its runtimes);
# a runtime from $KFT_RUNTIME_PATH is accepted.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
T=$(mktemp -d /tmp/kft-sentinel.XXXXXX)
trap 'rm -rf "$T"' EXIT
export KFT_STATE_DIR="$T/state" KFT_RUNTIME_PATH="$T/runtimes"
unset KFT_BACKEND
mkdir -p "$T/runtimes"
fail() { echo "FAIL: $*"; exit 1; }

# refused: exit 1, a message naming the field or flag, nothing on stdout
refused() { # what-to-find-in-stderr, args...
	want=$1; shift
	"$K" "$@" >"$T/out" 2>"$T/err"; rc=$?
	[ $rc -ne 0 ] || fail "kft $* exited 0"
	[ ! -s "$T/out" ] || fail "kft $* printed: $(head -3 "$T/out")"
	grep -q -- "$want" "$T/err" || fail "kft $*: wanted '$want', got: $(cat "$T/err")"
}

refused 'spec.trainer.numNodes: must be greater than or equal to 1, got -1' render --name s1 --nodes -1
refused 'numProcPerNode' render --name s1 --nproc -1
"$K" render --name s1 --nodes -1 --no-validate | grep -q 'numNodes: -1' ||
	fail "--no-validate --nodes -1 lost numNodes"
refused 'expected an integer from -2147483647' render --name s1 --nodes -2147483648
refused 'at most 1000000000000000' render --name s1 --deadline 99999999999999999
refused 'at most 1000000000000000' wait nosuch --timeout 9223372036854775807
"$K" render --name s1 --nodes 3 | grep -q 'numNodes: 3' || fail "--nodes 3"

refused 'runtime no-such-runtime: no such runtime' render --name s2 --runtime no-such-runtime
refused 'runtime no-such-runtime: no such runtime' -b container render --name s2 \
	--runtime no-such-runtime
"$K" -b kubernetes render --name s2 --runtime no-such-runtime >"$T/out" 2>"$T/err" ||
	fail "-b kubernetes refused an unknown runtime: $(cat "$T/err")"
grep -q 'warning: runtime no-such-runtime' "$T/err" || fail "no warning: $(cat "$T/err")"
grep -q 'name: no-such-runtime' "$T/out" || fail "-b kubernetes printed no TrainJob"
sed 's/name: torch-distributed/name: my-torch/' <<EOF2 >"$T/runtimes/my.yaml"
$("$K" runtimes torch-distributed -o yaml)
EOF2
"$K" render --name s3 --runtime my-torch | grep -q 'name: my-torch' ||
	fail "a runtime in \$KFT_RUNTIME_PATH was refused"
echo "ok"
