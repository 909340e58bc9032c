#!/bin/sh
# The Python package: pip-installed offline into a virtualenv, then tested
# against build/libkftrainer.so.0 (bad input, errors, render, runtimes, and
# local jobs once the local backend runs them).
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
LIB=$BUILD/libkftrainer.so.0
[ -f "$LIB" ] || { echo "t_python: $LIB not built (run make)"; exit 1; }

# A Python with venv and setuptools (Debian's python3-venv/python3-setuptools,
# or the pyenv python, which carries both).
PY=""
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null 2>&1 &&
	   "$p" -c 'import venv, setuptools' >/dev/null 2>&1 &&
	   { "$p" -m pip --version || "$p" -c 'import ensurepip'; } >/dev/null 2>&1; then
		PY=$(command -v "$p"); break
	fi
done
if [ -z "$PY" ]; then
	echo "no python3 with venv, setuptools and pip (apt-get install python3-venv python3-setuptools python3-pip)"
	exit 77
fi

tmp=$(mktemp -d /tmp/kft-py.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "python: $PY ($("$PY" --version 2>&1))"
# --system-site-packages: setuptools (and pip, when the system has it) come from
# the base Python, so nothing is downloaded and no wheel is bootstrapped.
if "$PY" -m pip --version >/dev/null 2>&1; then
	"$PY" -m venv --system-site-packages --without-pip "$tmp/venv"
else
	"$PY" -m venv --system-site-packages "$tmp/venv"
fi || { echo "venv creation failed"; exit 1; }
# Build from a copy: pip builds in the source tree and would leave build/ and
# *.egg-info behind in the checkout.
cp -R "$TOP/bindings/python" "$tmp/src"
rm -rf "$tmp/src/build" "$tmp/src"/*.egg-info
"$tmp/venv/bin/python" -m pip install --quiet --no-build-isolation --no-index \
	--disable-pip-version-check "$tmp/src" || { echo "pip install failed"; exit 1; }

export KFTRAINER_LIBRARY="$LIB" KFT_TOP="$TOP" KFT_BUILD="$BUILD"
# Run from an unrelated directory so "import kftrainer" must find the installed copy.
cd "$tmp" || exit 1
"$tmp/venv/bin/python" -c 'import kftrainer, sys; p = kftrainer.__file__
sys.exit(0 if "/venv/" in p else "kftrainer imported from %s, not the venv" % p)' || exit 1
"$tmp/venv/bin/python" "$TOP/bindings/python/tests/test_kftrainer.py" 2>&1
