#!/bin/sh
# ABI hygiene of build/libkftrainer.so:
#   exported dynamic symbols == kft_* functions declared in the public headers
#                            == functions with a man3 page (real or .so link);
#   no kft__ (internal) or foreign symbol exported; SONAME libkftrainer.so.0.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
LIB="$BUILD/libkftrainer.so"

for tool in nm readelf; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool (binutils) not installed"; exit 77; }
done
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || CC=gcc
command -v "$CC" >/dev/null 2>&1 || { echo "skip: no C compiler to read the headers"; exit 77; }
[ -f "$LIB" ] || { echo "FAIL: $LIB not built (run make)"; exit 1; }

T=$(mktemp -d /tmp/kft-symbols.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
fail=0

# 1. Functions declared in the public headers: preprocess every header, keep the
#    declarations carrying KFT_EXTERN's visibility attribute, take the name.
(cd "$TOP/include" && ls kftrainer.h kftrainer/*.h kftrainer/sys/*.h) |
	sed 's/.*/#include <&>/' >"$T/all.c"
if ! "$CC" -E -P -I"$TOP/include" "$T/all.c" >"$T/all.i" 2>"$T/err"; then
	echo "FAIL: preprocessing the public headers"; cat "$T/err"; exit 1
fi
tr '\n' ' ' <"$T/all.i" | tr ';' '\n' | grep 'visibility *( *"default" *)' |
	sed 's/__attribute__ *(( *visibility *( *"default" *) *))//; s/(.*//; s/.*[^A-Za-z0-9_]//' |
	sort -u >"$T/declared"
ndecl=$(wc -l <"$T/declared")
[ "$ndecl" -gt 0 ] || { echo "FAIL: no exported declarations found in the headers"; exit 1; }
if grep -v '^kft_' "$T/declared" >"$T/bad"; then
	echo "FAIL: public declarations without the kft_ prefix:"; sed 's/^/    /' "$T/bad"; fail=1
fi
if grep '^kft__' "$T/declared" >"$T/bad"; then
	echo "FAIL: internal kft__ names declared in public headers:"; sed 's/^/    /' "$T/bad"; fail=1
fi

# 2. Exported dynamic symbols (defined; the version node KFT_0 is an absolute
#    symbol, not a function, and is skipped; @@KFT_0 suffixes are dropped).
nm -D --defined-only "$LIB" >"$T/nm" || { echo "FAIL: nm -D $LIB"; exit 1; }
awk '$2 != "A" { print $3 }' "$T/nm" | sed 's/@.*//' | sort -u >"$T/exported"
if grep '^kft__' "$T/exported" >"$T/bad"; then
	echo "FAIL: internal kft__ symbols exported:"; sed 's/^/    /' "$T/bad"; fail=1
fi
if grep -v '^kft_' "$T/exported" >"$T/bad"; then
	echo "FAIL: exported symbols without the kft_ prefix:"; sed 's/^/    /' "$T/bad"; fail=1
fi
if ! diff "$T/declared" "$T/exported" >"$T/diff"; then
	echo "FAIL: exported symbols differ from the header declarations (< headers, > library):"
	grep '^[<>]' "$T/diff" | sed 's/^/    /'; fail=1
fi
# every exported symbol is a function (T), not data
if awk '$2 != "A" && $2 != "T" { print }' "$T/nm" | grep . >"$T/bad"; then
	echo "FAIL: exported non-function symbols:"; sed 's/^/    /' "$T/bad"; fail=1
fi

# 3. Documented: a man3 page (real or .so link) for each, and no page without a function.
ls "$TOP/man/man3" 2>/dev/null | sed -n 's/^\(kft_[A-Za-z0-9_]*\)\.3$/\1/p' | sort -u >"$T/documented"
if ! diff "$T/declared" "$T/documented" >"$T/diff"; then
	echo "FAIL: man3 pages differ from the header declarations (< headers, > man/man3):"
	grep '^[<>]' "$T/diff" | sed 's/^/    /'; fail=1
fi

# 4. SONAME
soname=$(readelf -d "$LIB" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
if [ "$soname" != "libkftrainer.so.0" ]; then
	echo "FAIL: SONAME is \"$soname\", want libkftrainer.so.0"; fail=1
fi

echo "$ndecl declared, $(wc -l <"$T/exported") exported, $(wc -l <"$T/documented") documented, SONAME $soname"
exit $fail
