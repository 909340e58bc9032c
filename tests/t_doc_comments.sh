#!/bin/sh
# Every public declaration (KFT_EXTERN in include/) carries a doc comment: the
# line before it ends a /** ... */ comment. The API point of issue 11 ("few
# public declarations carry doc comments") stays settled.
# SPDX-License-Identifier: Apache-2.0
set -u
TOP=${KFT_TOP:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null 2>&1 || { echo "skip: python3 not installed"; exit 77; }
python3 - "$TOP/include" <<'PY'
import glob, os, re, sys

top = sys.argv[1]
files = sorted(glob.glob(os.path.join(top, "kftrainer.h")) +
               glob.glob(os.path.join(top, "kftrainer", "*.h")) +
               glob.glob(os.path.join(top, "kftrainer", "sys", "*.h")))
missing, total = [], 0
for f in files:
    lines = open(f).read().split("\n")
    for i, line in enumerate(lines):
        if not line.startswith("KFT_EXTERN"):
            continue
        total += 1
        prev = lines[i - 1].strip() if i else ""
        if not prev.endswith("*/"):
            name = re.search(r"\b(kft_\w+)\s*\(", line)
            missing.append("%s:%d %s" % (os.path.relpath(f, top), i + 1,
                                          name.group(1) if name else line))
if missing:
    print("FAIL: public declarations without a doc comment:")
    for m in missing:
        print("    " + m)
    sys.exit(1)
print("%d public declarations in %d headers, each with a doc comment" % (total, len(files)))
PY
