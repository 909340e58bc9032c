#!/bin/sh
# Install the Debian packages libkftrainer needs, if any are missing.
# Idempotent and quick when everything is present; says what it installs.
# Package lists: scripts/deps.d/*.txt (one feature per file, '#' comments).
# KFT_SKIP_DEPS=1 skips.
set -eu
[ "${KFT_SKIP_DEPS:-0}" = 1 ] && exit 0
dir=$(dirname "$0")/deps.d
PKGS=$(cat "$dir"/*.txt | sed 's/#.*//' | tr -s ' \n' '\n\n' | sort -u)
missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	echo "deps: all $(echo "$PKGS" | wc -w) Debian packages present"
	exit 0
fi
echo "deps: installing missing Debian packages:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "deps: not root and no sudo; install these yourself:$missing" >&2; exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: installed$missing"
