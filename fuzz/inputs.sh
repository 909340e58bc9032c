#!/bin/sh
# Usage: fuzz/inputs.sh NAME: the input directories of harness NAME that exist, one
# per line: fuzz/corpus/NAME, fuzz/regressions/NAME, then the shared real documents
# fuzz/seeds.txt names. Used by fuzz/run.sh (fuzzing) and tests/run.sh (replay).
TOP=$(cd "$(dirname "$0")/.." && pwd)
REF=${KFT_SHARED:-$TOP/../shared}
for d in "$TOP/fuzz/corpus/$1" "$TOP/fuzz/regressions/$1"; do
	[ -d "$d" ] && echo "$d"
done
sed -e 's/#.*//' "$TOP/fuzz/seeds.txt" | while read -r name dir; do
	[ "$name" = "$1" ] && [ -d "$REF/$dir" ] && echo "$REF/$dir"
done
exit 0
