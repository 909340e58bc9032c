#!/bin/sh
# The caller's interpreter: `kft train --python PATH --script` runs the script
# with PATH's own torch.distributed.run (not the torchrun on PATH), as the
# Python binding does with sys.executable; without --python, python3/torchrun
# on PATH as before.
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${KFT_BUILD:-$TOP/build}
K="$BUILD/kft"
export KFT_SUPERVISOR=${KFT_SUPERVISOR:-$BUILD/kft-supervisor}
T=$(mktemp -d /tmp/kft-interp.XXXXXX)
trap 'rm -rf "$T"' EXIT
export KFT_STATE_DIR="$T/state" KFT_BACKEND=local
fail() { echo "FAIL: $*"; exit 1; }
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "skip: python3-torch is not installed"; exit 77; }
# a "virtualenv" interpreter: marks its processes, then runs the real one
mkdir -p "$T/venv/bin"
printf '#!/bin/sh\nexport VENV_MARK=from-venv\nexec /usr/bin/python3 "$@"\n' >"$T/venv/bin/python"
chmod 755 "$T/venv/bin/python"
printf 'import os, sys\nprint("mark=%%s" %% os.environ.get("VENV_MARK"), "rank=%%s" %% os.environ.get("RANK"))\n' >"$T/s.py"
PATH=/usr/bin:/bin "$K" train --name py1 --nodes 2 --python "$T/venv/bin/python" --script "$T/s.py" --wait \
	>/dev/null 2>&1 || fail "--python job: $("$K" logs py1)"
[ "$("$K" logs py1 | grep -c 'mark=from-venv rank=')" = 2 ] || fail "not run by --python: $("$K" logs py1)"
"$K" render --python "$T/venv/bin/python" --script "$T/s.py" | grep -q "KFT_PYTHON" || fail "render"
PATH=/usr/bin:/bin "$K" train --name py2 --script "$T/s.py" --wait >/dev/null 2>&1 || fail "default job"
"$K" logs py2 | grep -q 'mark=None rank=0' || fail "default interpreter: $("$K" logs py2)"
echo ok
