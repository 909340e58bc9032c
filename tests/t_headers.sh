#!/bin/sh
# Header hygiene: every public header compiles on its own as C89, C99, C11,
# C++11 and C++17 with -Wall -Wextra -Werror -pedantic, under gcc/g++ and
# clang/clang++ when present. Then every *_INIT macro is expanded into a
# variable of its type (-Wmissing-field-initializers must not fire), its
# version field is checked against its *_VERSION (C++: static_assert on a
# constexpr object; C: at run time, linked against the library, together
# with the matching *_init() function).
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
INC="$TOP/include"

CCS=""; CXXS=""
for c in gcc clang; do command -v $c >/dev/null 2>&1 && CCS="$CCS $c"; done
for c in g++ clang++; do command -v $c >/dev/null 2>&1 && CXXS="$CXXS $c"; done
if [ -z "$CCS" ] && [ -z "$CXXS" ]; then
	echo "skip: no C or C++ compiler (gcc, clang, g++, clang++) found"
	exit 77
fi

T=$(mktemp -d /tmp/kft-headers.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
fail=0; n=0
WFLAGS="-Wall -Wextra -Werror -pedantic -Wmissing-field-initializers"

compile() { # compiler std "files" what
	n=$((n + $(echo $3 | wc -w)))
	# shellcheck disable=SC2086
	if ! "$1" -std="$2" $WFLAGS -I"$INC" -fsyntax-only $3 >"$T/err" 2>&1; then
		echo "FAIL: $1 -std=$2: $4"
		sed 's/^/    /' "$T/err" | head -30
		fail=1
	fi
}

headers=$(cd "$INC" && ls kftrainer.h kftrainer/*.h kftrainer/sys/*.h)
[ -n "$headers" ] || { echo "no public headers under $INC"; exit 1; }
# One unit per header: the header alone, first thing in the unit, plus one
# declaration so the unit is never empty. One compiler run per compiler and
# standard checks every unit (each file is its own translation unit).
units_c=""; units_cc=""; k=0
for h in $headers; do
	k=$((k + 1))
	printf '/* %s */\n#include <%s>\nint kft_t_headers_unit;\n' "$h" "$h" >"$T/h$k.c"
	cp "$T/h$k.c" "$T/h$k.cc"
	units_c="$units_c $T/h$k.c"; units_cc="$units_cc $T/h$k.cc"
done
for cc in $CCS; do
	for std in c89 c99 c11; do compile "$cc" "$std" "$units_c" "each header alone"; done
done
for cxx in $CXXS; do
	for std in c++11 c++17; do compile "$cxx" "$std" "$units_cc" "each header alone"; done
done

# Every KFT_*_INIT macro, with its type and version macro:
#   KFT_CLIENT_OPTS_INIT -> kft_client_opts_t, KFT_CLIENT_OPTS_VERSION, kft_client_opts_init
inits=$(cat "$INC"/kftrainer.h "$INC"/kftrainer/*.h "$INC"/kftrainer/sys/*.h |
	sed -n 's/^#[ 	]*define[ 	]\{1,\}\(KFT_[A-Z0-9_]*\)_INIT[ 	({].*/\1/p' | sort -u)
[ -n "$inits" ] || { echo "FAIL: no *_INIT macros found in the public headers"; exit 1; }
ninit=0
{
	echo '#include <kftrainer.h>'
	for m in $inits; do
		t=$(echo "$m" | sed 's/^KFT_//' | tr 'A-Z' 'a-z')
		echo "kft_${t}_t init_$t = ${m}_INIT;"
	done
} >"$T/inits.h"
for m in $inits; do
	grep -q "${m}_VERSION" "$INC"/kftrainer/*.h || { echo "FAIL: ${m}_INIT has no ${m}_VERSION"; fail=1; }
	ninit=$((ninit + 1))
done

# C: the variables, then a run-time check of version fields and *_init().
{
	cat "$T/inits.h"
	cat <<'EOF'
#include <stdio.h>
static int bad;
static void check(const char *what, unsigned int got, unsigned int want)
{ if (got != want) { printf("FAIL: %s: %u, want %u\n", what, got, want); bad = 1; } }
int main(void)
{
EOF
	for m in $inits; do
		t=$(echo "$m" | sed 's/^KFT_//' | tr 'A-Z' 'a-z')
		echo "	{ kft_${t}_t o; int rc;"
		echo "	  check(\"${m}_INIT version\", init_$t.version, ${m}_VERSION);"
		echo "	  rc = kft_${t}_init(&o, ${m}_VERSION);"
		echo "	  check(\"kft_${t}_init rc\", (unsigned int)rc, 0);"
		echo "	  check(\"kft_${t}_init version\", o.version, ${m}_VERSION);"
		echo "	  rc = kft_${t}_init(&o, ${m}_VERSION + 1);"
		echo "	  check(\"kft_${t}_init(VERSION + 1)\", (unsigned int)rc, (unsigned int)KFT_EVERSION); }"
	done
	printf '\tif (!bad) printf("%%d INIT macros ok\\n", %d);\n' "$ninit"
	echo '	return bad;'
	echo '}'
} >"$T/inits.c"
# C++: constexpr objects and static_assert on their version fields.
{
	cat "$T/inits.h"
	for m in $inits; do
		t=$(echo "$m" | sed 's/^KFT_//' | tr 'A-Z' 'a-z')
		echo "static constexpr kft_${t}_t ce_$t = ${m}_INIT;"
		echo "static_assert(ce_$t.version == ${m}_VERSION, \"${m}_INIT version\");"
	done
	echo 'int main() { return init_'"$(echo "$inits" | head -n 1 | sed 's/^KFT_//' | tr 'A-Z' 'a-z')"'.version == 0; }'
} >"$T/inits.cc"

for cc in $CCS; do
	for std in c89 c99 c11; do compile "$cc" "$std" "$T/inits.c" "every *_INIT"; done
done
for cxx in $CXXS; do
	for std in c++11 c++17; do compile "$cxx" "$std" "$T/inits.cc" "every *_INIT, static_assert"; done
done

# Link and run the C check against the built library.
if [ -f "$BUILD/libkftrainer.so" ] && [ -n "$CCS" ]; then
	cc1=$(echo $CCS | cut -d' ' -f1)
	if $cc1 -std=c89 $WFLAGS -I"$INC" -o "$T/inits" "$T/inits.c" -L"$BUILD" -lkftrainer \
		-Wl,-rpath,"$BUILD" >"$T/err" 2>&1; then
		n=$((n + 1))
		"$T/inits" || fail=1
	else
		echo "FAIL: linking the *_INIT check"; sed 's/^/    /' "$T/err" | head -20; fail=1
	fi
else
	echo "FAIL: $BUILD/libkftrainer.so not built (run make)"; fail=1
fi

echo "$n compilations/runs, $(echo $headers | wc -w) headers, $ninit INIT macros, compilers:$CCS$CXXS"
exit $fail
