#!/bin/sh
# Man pages: lint-clean (mandoc -Tlint -Wwarning, else groff -ww -z), every
# real man3 page has the seven sections, every public kft_ function has a
# man3 page (real or .so link) whose SYNOPSIS declares it, every cross
# reference resolves, every complete EXAMPLE program compiles and links, and
# every kft command and flag that `kft --help` / `kft CMD --help` print is in
# kft.1.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
MAN="$TOP/man"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if command -v mandoc >/dev/null 2>&1; then LINT=mandoc
elif command -v groff >/dev/null 2>&1; then LINT=groff
else echo "skip: neither mandoc nor groff is installed (apt-get install mandoc)"; exit 77
fi
[ -d "$MAN/man3" ] || { bad "no $MAN/man3"; exit 1; }
T=$(mktemp -d /tmp/kft-man.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
BS=$(printf '\b')
render() { # page -> plain text (run from $MAN so .so links resolve)
	if [ $LINT = mandoc ]; then (cd "$MAN" && mandoc -Tascii "$1") | sed "s/.$BS//g"
	else (cd "$MAN" && groff -man -Tascii -P-cbou "$1" 2>/dev/null); fi
}
# roff source -> words: drop escapes for '-' and font changes
unroff() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\e/\\/g' "$@"; }

# ---- 1. lint ----
# .so link pages are what the task asks for (so `man kft_job_status` works);
# mandoc's only complaint about them, ".so is fragile, better use ln(1)", is
# expected and filtered; anything else fails.
pages=$(cd "$MAN" && ls man1/*.1 man3/*.3 man7/*.7 2>/dev/null)
npages=$(echo $pages | wc -w)
if [ $LINT = mandoc ]; then
	(cd "$MAN" && mandoc -Tlint -Wwarning $pages) >"$T/lint" 2>&1
	rc=$?
	grep -v 'WARNING: \.so is fragile, better use ln(1)' "$T/lint" >"$T/lint2"
	if [ -s "$T/lint2" ] || { [ $rc -ne 0 ] && [ "$(wc -l <"$T/lint")" = "$(wc -l <"$T/lint2")" ]; }; then
		bad "man pages are not lint-clean (mandoc -Tlint -Wwarning):"; sed 's/^/    /' "$T/lint2" | head -30
	fi
else
	for rel in $pages; do
		(cd "$MAN" && groff -man -ww -z "$rel") >"$T/lint" 2>&1
		if [ $? -ne 0 ] || [ -s "$T/lint" ]; then
			bad "$rel is not lint-clean (groff -ww -z):"; sed 's/^/    /' "$T/lint" | head -10
		fi
	done
fi
for s in man1/kft.1 man7/libkftrainer.7; do [ -f "$MAN/$s" ] || bad "missing $s"; done

# ---- 2. structure of man3 pages ----
# One awk pass over every man3 page writes records:
#   SO page target | SEC page section | NAME page function | SYN page function
(cd "$MAN" && awk '
	FNR == 1 { page = FILENAME; sub(/^man3\//, "", page); sub(/\.3$/, "", page); sec = ""; named = 0 }
	/^\.so[ \t]/ { t = $2; print "SO", page, t; next }
	/^\.SH/ { sec = $0; sub(/^\.SH[ \t]*/, "", sec); gsub(/"/, "", sec); print "SEC", page, sec; next }
	{ line = $0; gsub(/\\-/, "-", line); gsub(/\\f[BIRP]/, "", line); gsub(/\\&/, "", line) }
	sec == "NAME" && !named {
		# names up to the " \- description" separator, possibly over several lines
		if (line ~ / -( |$)/) { sub(/ -( .*|$)/, "", line); named = 1 }
		n = split(line, w, /[, ]+/)
		for (i = 1; i <= n; i++) if (w[i] != "") print "NAME", page, w[i]
	}
	sec == "SYNOPSIS" {
		while (match(line, /kft_[A-Za-z0-9_]*\(/)) {
			print "SYN", page, substr(line, RSTART, RLENGTH - 1)
			line = substr(line, RSTART + RLENGTH)
		}
	}' man3/*.3) >"$T/rec"
nlink=$(grep -c '^SO ' "$T/rec")
nreal=$(grep -c '^SEC [^ ]* NAME$' "$T/rec")
awk -v MAN="$MAN" '
	{ k = $2 }
	$1 == "SO" { so[k] = $3; next }
	$1 == "SEC" { s = $0; sub(/^SEC [^ ]* /, "", s); sec[k, s] = 1; pages[k] = 1; next }
	$1 == "NAME" { name[k, $3] = 1; names[k] = names[k] " " $3; pages[k] = 1; next }
	$1 == "SYN" { syn[k, $3] = 1; next }
	END {
		split("NAME|SYNOPSIS|DESCRIPTION|RETURN VALUE|ERRORS|EXAMPLE|SEE ALSO", want, "|")
		for (p in pages) {
			if (p in so) continue
			for (i = 1; i <= 7; i++) if (!((p, want[i]) in sec)) print "man3/" p ".3: no " want[i] " section"
			if (!((p, p) in name)) print "man3/" p ".3: NAME does not list " p
			n = split(names[p], f, " ")
			for (i = 1; i <= n; i++) {
				if (!((p, f[i]) in syn)) print "man3/" p ".3: SYNOPSIS does not declare " f[i] "()"
				if (!(f[i] in so) && f[i] != p && !(f[i] in pages)) print "man3/" p ".3 names " f[i] " but man3/" f[i] ".3 does not exist"
			}
		}
		for (p in so) {
			t = so[p]; sub(/^man3\//, "", t); sub(/\.3$/, "", t)
			if (!(t in pages) || (t in so)) { print "man3/" p ".3: .so target " so[p] " is not a real page"; continue }
			if (!((t, p) in name)) print "man3/" p ".3 links to " so[p] ", whose NAME does not list " p
		}
	}' "$T/rec" >"$T/errs"
if [ -s "$T/errs" ]; then sed 's/^/FAIL: /' "$T/errs"; fail=1; fi
# a .so page is one line
for p in $(grep -l '^\.so' "$MAN"/man3/*.3); do
	[ "$(wc -l <"$p")" -le 1 ] || bad "$(basename "$p"): a .so page must be one line"
done
[ "$nreal" -gt 0 ] || bad "no real man3 pages"
for sec in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" ENVIRONMENT EXAMPLES "SEE ALSO"; do
	sed -n 's/^\.SH[ 	]*//p' "$MAN/man1/kft.1" 2>/dev/null | tr -d '"' | grep -qx "$sec" ||
		bad "man1/kft.1: no $sec section"
done
for sec in NAME DESCRIPTION ENVIRONMENT FILES "SEE ALSO"; do
	sed -n 's/^\.SH[ 	]*//p' "$MAN/man7/libkftrainer.7" 2>/dev/null | tr -d '"' |
		grep -qx "$sec" || bad "man7/libkftrainer.7: no $sec section"
done

# ---- 3. cross references: every NAME(3|7|1) with a kft/libkftrainer name exists ----
cat "$MAN"/man1/*.1 "$MAN"/man3/*.3 "$MAN"/man7/*.7 2>/dev/null | unroff |
	grep -o '\(kft[a-z0-9_]*\|libkftrainer[a-z-]*\) *(\?[137])' | sed 's/[ "]//g' | sort -u >"$T/refs"
while read -r r; do
	n=${r%%(*}; s=${r#*(}; s=${s%)}
	[ -f "$MAN/man$s/$n.$s" ] || bad "reference $r: no man$s/$n.$s"
done <"$T/refs"

# ---- 4. every public function has a page ----
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || CC=gcc
if command -v "$CC" >/dev/null 2>&1; then
	(cd "$TOP/include" && ls kftrainer.h kftrainer/*.h kftrainer/sys/*.h) |
		sed 's/.*/#include <&>/' >"$T/all.c"
	"$CC" -E -P -I"$TOP/include" "$T/all.c" | tr '\n' ' ' | tr ';' '\n' |
		grep 'visibility *( *"default" *)' |
		sed 's/__attribute__ *(( *visibility *( *"default" *) *))//; s/(.*//; s/.*[^A-Za-z0-9_]//' |
		sort -u >"$T/declared"
	[ -s "$T/declared" ] || bad "found no functions in the public headers"
	ls "$MAN/man3" | sed -n 's/\.3$//p' | sort >"$T/pages"
	comm -23 "$T/declared" "$T/pages" >"$T/undoc"
	if [ -s "$T/undoc" ]; then
		bad "functions declared in include/ without a man3 page:"; sed 's/^/    /' "$T/undoc"
	fi
	nfuncs=$(wc -l <"$T/declared")

	# ---- 5. complete EXAMPLE programs compile and link ----
	nex=0
	for p in "$MAN"/man3/*.3 "$MAN"/man7/*.7; do
		grep -q '^\.so ' "$p" && continue
		awk '/^\.SH EXAMPLE/{f=1;next} /^\.SH/{f=0} f' "$p" |
			awk '/^\.EX/{f=1;next} /^\.EE/{f=0} f' | unroff >"$T/ex.c"
		grep -q 'int main' "$T/ex.c" || continue
		nex=$((nex + 1))
		grep -q '#include <stdio.h>' "$T/ex.c" || sed -i '1i #include <stdio.h>' "$T/ex.c"
		if ! "$CC" -std=c99 -Wall -Wextra -Werror -I"$TOP/include" -o "$T/ex" "$T/ex.c" \
			-L"$BUILD" -lkftrainer >"$T/err" 2>&1; then
			bad "the EXAMPLE of $(basename "$p") does not compile:"
			sed 's/^/    /' "$T/err" | head -10
		fi
	done
	# and the README's C example
	if [ -f "$TOP/README.md" ] && grep -q '^```c$' "$TOP/README.md"; then
		awk '/^```c$/{f=1;next} /^```$/{f=0} f' "$TOP/README.md" >"$T/readme.c"
		nex=$((nex + 1))
		"$CC" -std=c99 -Wall -Wextra -Werror -I"$TOP/include" -o "$T/ex" "$T/readme.c" \
			-L"$BUILD" -lkftrainer >"$T/err" 2>&1 ||
			{ bad "the C example of README.md does not compile:"; sed 's/^/    /' "$T/err" | head; }
	fi
else
	bad "no C compiler to read the public headers"; nfuncs=0; nex=0
fi

# ---- 6. kft.1 covers every command and flag of the built kft ----
KFT="$BUILD/kft"
if [ ! -x "$KFT" ]; then
	bad "$KFT not built (run make)"
else
	render man1/kft.1 >"$T/kft1.txt"
	"$KFT" --help >"$T/help" 2>&1 || bad "kft --help failed"
	cmds=$(awk '/^Commands:/{f=1;next} /^$/{f=0} f' "$T/help" |
		sed 's/^  //; s/  .*//' | tr ',' '\n' | awk '{print $1}' | grep '^[a-z]')
	[ -n "$cmds" ] || bad "could not read the commands from kft --help"
	cp "$T/help" "$T/allhelp"
	for c in $cmds; do
		"$KFT" "$c" --help >"$T/h.$c" 2>&1 || bad "kft $c --help failed"
		cat "$T/h.$c" >>"$T/allhelp"
		grep -Eq "^ +$c( |\$)" "$T/kft1.txt" || bad "kft.1 does not document the command \"$c\""
	done
	flags=$(grep -oE '(^|[ ,\[])--?[A-Za-z][A-Za-z0-9-]*' "$T/allhelp" | sed 's/^[ ,[]//' | sort -u)
	nflags=0
	for f in $flags; do
		nflags=$((nflags + 1))
		grep -Eq -- "(^|[^A-Za-z0-9-])$f([^A-Za-z0-9-]|\$)" "$T/kft1.txt" ||
			bad "kft.1 does not document the flag $f"
	done
	grep -q 'EXIT STATUS' "$T/kft1.txt" || bad "kft.1 has no EXIT STATUS"
	for st in 0 1 2 3 4; do
		awk '/^EXIT STATUS/{f=1;next} /^[A-Z]/{f=0} f' "$T/kft1.txt" | grep -Eq "^ +$st( |\$)" ||
			bad "kft.1: exit status $st is not documented"
	done
fi

echo "$npages pages ($nreal real man3, $nlink links), $nfuncs functions, $nex example programs," \
	"$(echo $cmds | wc -w) commands and ${nflags:-0} flags checked with $LINT"
exit $fail
