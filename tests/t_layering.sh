#!/bin/sh
# Layering (DESIGN.md §2): dependencies point one way.
#   1. The core (lib/) references no symbol that only backends/ define, apart from
#      the built-in backends' factories that the registry names (kft__backend_*_factory).
#   2. A backend references no other backend's internals; the shared job runner
#      (backends/runner/) is the one folder the local and container backends share.
# Read from the objects of the last build (nm), so a declaration slipped into a
# .c file is caught as surely as an #include.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
OBJ="$BUILD/obj"
command -v nm >/dev/null 2>&1 || { echo "skip: nm (binutils) not installed"; exit 77; }
T=$(mktemp -d /tmp/kft-layering.XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM
fail=0

defined() { # objects... -> defined global symbols
	nm --defined-only -g "$@" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u
}
undefined() { # object -> undefined symbols
	nm -u "$1" | awk '{ print $NF }' | sort -u
}

# the objects of today's sources (a build dir may hold objects of moved files);
# the programs the build links separately (*_main.c) are not part of the library
objs() { # folder -> its objects
	for c in "$TOP/$1"/*.c; do
		case "$c" in *_main.c) continue ;; esac
		[ -f "$c" ] && echo "$OBJ/$1/$(basename "$c" .c).o"
	done
}
for o in $(objs lib) $(for d in "$TOP"/backends/*/; do objs "backends/$(basename "$d")"; done); do
	[ -f "$o" ] || { echo "FAIL: $o not built (run make)"; exit 1; }
done
defined $(objs lib) >"$T/lib"
for d in "$TOP"/backends/*/; do
	b=$(basename "$d")
	defined $(objs "backends/$b") >"$T/be.$b"
done
cat "$T"/be.* | sort -u >"$T/backends"
comm -23 "$T/backends" "$T/lib" | grep -v '^kft__backend_[a-z0-9]*_factory$' >"$T/backend_only"

# 1. the core
n=0
for o in $(objs lib); do
	n=$((n + 1))
	undefined "$o" | comm -12 - "$T/backend_only" >"$T/bad"
	if [ -s "$T/bad" ]; then
		echo "FAIL: lib/$(basename "$o" .o).c calls into a backend:"
		sed 's/^/    /' "$T/bad"
		fail=1
	fi
done

# 2. backends among themselves
m=0
for d in "$TOP"/backends/*/; do
	b=$(basename "$d")
	[ "$b" = runner ] && continue
	others=$(ls "$T"/be.* | grep -v -e "/be\.$b\$" -e '/be\.runner$')
	[ -n "$others" ] || continue
	cat $others | sort -u | comm -23 - "$T/be.$b" | comm -23 - "$T/lib" >"$T/foreign"
	for o in $(objs "backends/$b"); do
		m=$((m + 1))
		undefined "$o" | comm -12 - "$T/foreign" >"$T/bad"
		if [ -s "$T/bad" ]; then
			echo "FAIL: backends/$b/$(basename "$o" .o).c uses another backend's internals:"
			sed 's/^/    /' "$T/bad"
			fail=1
		fi
	done
done
echo "$n core objects, $m backend objects checked; $(wc -l <"$T/backend_only") symbols only backends define"
exit $fail
