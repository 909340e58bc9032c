#!/bin/sh
# The version is set in ONE place, include/kftrainer/version.h. Everything that
# must repeat it (the Python package, the Rust example, man pages) or derives it
# (Makefile, kftrainer.pc, the shared library's file name, `kft version`,
# kft_version_string()) agrees with it.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
fail=0
V=$(sed -n 's/^#define KFT_VERSION_STRING "\(.*\)"$/\1/p' "$TOP/include/kftrainer/version.h")
num=$(sed -n 's/^#define KFT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' "$TOP/include/kftrainer/version.h" | paste -sd.)
[ -n "$V" ] || { echo "FAIL: no KFT_VERSION_STRING in version.h"; exit 1; }
[ "$V" = "$num" ] || { echo "FAIL: version.h: KFT_VERSION_STRING \"$V\" but MAJOR.MINOR.PATCH $num"; fail=1; }

check() { # what, value
	if [ "$2" != "$V" ]; then echo "FAIL: $1 says \"$2\", version.h says \"$V\""; fail=1; fi
}
check "make's VERSION" "$(make -s -C "$TOP" --no-print-directory -p -n all 2>/dev/null | sed -n 's/^VERSION := //p' | head -1)"
check "bindings/python/kftrainer/__init__.py" \
	"$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$TOP/bindings/python/kftrainer/__init__.py")"
check "examples/rust/Cargo.toml" "$(sed -n 's/^version = "\(.*\)"$/\1/p' "$TOP/examples/rust/Cargo.toml" | head -1)"
if [ -f "$BUILD/kftrainer.pc" ]; then
	check "$BUILD/kftrainer.pc" "$(sed -n 's/^Version: //p' "$BUILD/kftrainer.pc")"
fi
[ -e "$BUILD/libkftrainer.so.$V" ] || { echo "FAIL: $BUILD/libkftrainer.so.$V not built"; fail=1; }
if [ -x "$BUILD/kft" ]; then
	out=$("$BUILD/kft" version 2>&1)
	case "$out" in *"$V"*) ;; *) echo "FAIL: kft version prints \"$out\", not $V"; fail=1 ;; esac
fi
n=0
for f in "$TOP"/man/man*/*.[137]; do
	grep -q '^\.so ' "$f" && continue
	n=$((n + 1))
	mv=$(sed -n '1s/.*"libkftrainer \([0-9][^"]*\)".*/\1/p' "$f")
	[ -n "$mv" ] || continue
	check "$(basename "$f")'s .TH line" "$mv"
done
echo "version $V; $n man pages checked"
exit $fail
