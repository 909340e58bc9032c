#!/bin/sh
# ABI hygiene:
#  - every public header compiles alone as C89, C99, C11, C++11 and C++17 with
#    -Wall -Wextra -Werror (so it includes what it uses and has extern "C");
#  - every *_INIT macro expands to a full initializer of its struct (no
#    missing field under -Wextra) in each of those languages;
#  - the exported dynamic symbols are exactly the KFT_EXTERN functions the
#    headers declare, all kft_*, none kft__*, all in version node KFT_0, and
#    the SONAME is libkftrainer.so.<major>;
#  - kft_version() and the KFT_VERSION_* macros agree (a C program checks).
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
CC=${CC:-cc}
CXX=${CXX:-c++}
LIB=$BUILD/libkftrainer.so
[ -f "$LIB" ] || { echo "t_abi: $LIB not built"; exit 1; }
command -v nm >/dev/null 2>&1 || { echo "no nm (binutils)"; exit 77; }
tmp=$(mktemp -d /tmp/kft-abi.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

have_cxx=1
command -v "$CXX" >/dev/null 2>&1 || { have_cxx=0; echo "note: no C++ compiler, C++ checks skipped"; }

# 1. each header alone
cd "$TOP/include" || exit 1
headers=$(ls kftrainer.h kftrainer/*.h kftrainer/sys/*.h)
n=0
for h in $headers; do
	printf '#include <%s>\nint kft_abi_test_dummy;\n' "$h" >"$tmp/h.c"
	for std in c89 c99 c11; do
		"$CC" -std=$std -Wall -Wextra -Werror -I"$TOP/include" -c -o "$tmp/h.o" "$tmp/h.c" \
			2>"$tmp/err" || { bad "$h alone as $std:"; sed 's/^/    /' "$tmp/err"; }
		n=$((n + 1))
	done
	if [ $have_cxx = 1 ]; then
		cp "$tmp/h.c" "$tmp/h.cpp"
		for std in c++11 c++17; do
			"$CXX" -std=$std -Wall -Wextra -Werror -I"$TOP/include" -c -o "$tmp/h.o" \
				"$tmp/h.cpp" 2>"$tmp/err" || { bad "$h alone as $std:"; sed 's/^/    /' "$tmp/err"; }
			n=$((n + 1))
		done
	fi
done
echo "headers: $(echo "$headers" | wc -w) headers, $n compilations"

# 2. every INIT macro: KFT_FOO_BAR_INIT initializes kft_foo_bar_t
macros=$(cat $headers | sed -n 's/^#define \(KFT_[A-Z0-9_]*_INIT\)[ \t].*/\1/p' | sort -u)
{
	echo '#include <kftrainer.h>'
	echo '#include <kftrainer/sys/backend.h>'
	echo 'int kft_abi_init_test(void);'
	echo 'int kft_abi_init_test(void) {'
	echo '	int sum = 0;'
	for m in $macros; do
		t=$(echo "$m" | sed 's/_INIT$//' | tr 'A-Z' 'a-z')_t
		v=$(echo "$m" | tr 'A-Z' 'a-z')
		echo "	{ $t $v = $m; sum += (int)$v.version; }"
	done
	echo '	return sum;'
	echo '}'
} >"$tmp/init.c"
for std in c89 c99 c11; do
	"$CC" -std=$std -Wall -Wextra -Werror -Wmissing-field-initializers -I"$TOP/include" -c \
		-o "$tmp/init.o" "$tmp/init.c" 2>"$tmp/err" || {
		bad "INIT macros as $std:"; sed 's/^/    /' "$tmp/err"; }
done
if [ $have_cxx = 1 ]; then
	cp "$tmp/init.c" "$tmp/init.cpp"
	for std in c++11 c++17; do
		"$CXX" -std=$std -Wall -Wextra -Werror -Wmissing-field-initializers -I"$TOP/include" \
			-c -o "$tmp/init.o" "$tmp/init.cpp" 2>"$tmp/err" || {
			bad "INIT macros as $std:"; sed 's/^/    /' "$tmp/err"; }
	done
fi
echo "INIT macros: $(echo "$macros" | wc -w) ($(echo $macros))"
[ -n "$macros" ] || bad "no *_INIT macro found"

# 3. exported symbols = declared functions
nm -D --defined-only "$LIB" | awk '{print $3}' | sed 's/@.*//' | grep -v '^KFT_0$' |
	sort -u >"$tmp/exported"
cat $headers | tr '\n' ' ' | sed 's/;/;\n/g' | grep 'KFT_EXTERN' |
	sed -n 's/.*[ *]\(kft_[a-z0-9_]*\)[ \t]*(.*/\1/p' | sort -u >"$tmp/declared"
grep -v '^kft_' "$tmp/exported" | while read -r s; do echo "FAIL: exported non-kft_ symbol $s"; done
grep -q -v '^kft_' "$tmp/exported" && fails=$((fails + 1))
grep '^kft__' "$tmp/exported" >"$tmp/leaks" && { bad "internal symbols exported:"; cat "$tmp/leaks"; }
comm -23 "$tmp/exported" "$tmp/declared" >"$tmp/undeclared"
[ -s "$tmp/undeclared" ] && { bad "exported but not declared in a public header:"; cat "$tmp/undeclared"; }
comm -13 "$tmp/exported" "$tmp/declared" >"$tmp/missing"
[ -s "$tmp/missing" ] && { bad "declared but not exported by the library:"; cat "$tmp/missing"; }
unversioned=$(nm -D --defined-only "$LIB" | awk '{print $3}' | grep '^kft_' | grep -vc '@@KFT_0$')
[ "$unversioned" = 0 ] || bad "$unversioned exported symbols outside version node KFT_0"
echo "symbols: $(wc -l <"$tmp/exported") exported, $(wc -l <"$tmp/declared") declared"

major=$(sed -n 's/^#define KFT_VERSION_MAJOR \([0-9]*\).*/\1/p' "$TOP/include/kftrainer/version.h")
if command -v readelf >/dev/null 2>&1; then
	readelf -d "$LIB" | grep -q "SONAME.*\[libkftrainer\.so\.$major\]" ||
		bad "SONAME is not libkftrainer.so.$major"
fi

# Documented names: only reported here (the docs lint owns enforcement).
if [ -d "$TOP/man/man3" ]; then
	undoc=""
	for f in $(cat "$tmp/declared"); do
		[ -f "$TOP/man/man3/$f.3" ] || undoc="$undoc $f"
	done
	[ -n "$undoc" ] && echo "note: no man/man3 page for:$undoc"
fi

# 4. run-time version = compile-time macros
cat >"$tmp/ver.c" <<'C'
#include <kftrainer.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	char s[32];
	snprintf(s, sizeof(s), "%d.%d.%d", KFT_VERSION_MAJOR, KFT_VERSION_MINOR, KFT_VERSION_PATCH);
	if (kft_version() != KFT_VERSION_NUM || strcmp(kft_version_string(), KFT_VERSION_STRING) ||
	    strcmp(s, KFT_VERSION_STRING)) {
		printf("mismatch: run-time %d %s, headers %d %s\n", kft_version(),
		       kft_version_string(), KFT_VERSION_NUM, KFT_VERSION_STRING);
		return 1;
	}
	printf("version %s (0x%06x)\n", kft_version_string(), (unsigned)kft_version());
	return 0;
}
C
"$CC" -std=c99 -Wall -Wextra -Werror -I"$TOP/include" -o "$tmp/ver" "$tmp/ver.c" -L"$BUILD" \
	-lkftrainer -Wl,-rpath,"$BUILD" && "$tmp/ver" || bad "kft_version() vs KFT_VERSION_*"

[ $fails -eq 0 ] || { echo "$fails ABI check(s) failed"; exit 1; }
echo "ABI checks passed"
