#!/usr/bin/env python3
"""Writes the archive harness's seeds, fuzz/corpus/archive/*, with Python's own
tarfile, zipfile, gzip, bz2 and lzma: every seed is made here, none is a blob of
unknown origin. Deterministic (fixed times and owners): rerunning it changes
nothing. Usage: python3 fuzz/archive-seeds.py [DIR] (default fuzz/corpus/archive).

libarchive is dlopen'ed, so the fuzzer sees no coverage inside it: these seeds
are what reaches its formats (tar: ustar, pax, GNU; gzip, bzip2, xz; zip:
stored, deflated) and each rule of kft__archive_extract (names that escape,
links, devices, writes through a symlink, member and size bounds, bombs).
SPDX-License-Identifier: Apache-2.0
"""
import bz2
import gzip
import io
import lzma
import os
import sys
import tarfile
import zipfile

MTIME = 1700000000  # fixed: the same bytes on every run


def member(name, data=b"", kind=tarfile.REGTYPE, link="", mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    return ti, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def tar(members, fmt=tarfile.USTAR_FORMAT):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for m in members:
            t.addfile(*member(*m))
    return out.getvalue()


def gz(data):
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0, compresslevel=9) as g:
        g.write(data)
    return out.getvalue()


def zipped(files, method=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as z:
        for name, data in files:
            zi = zipfile.ZipInfo(name, date_time=(2023, 11, 14, 22, 13, 20))
            zi.compress_type = method
            zi.external_attr = (0o40755 if name.endswith("/") else 0o100644) << 16
            z.writestr(zi, data)
    return out.getvalue()


DATASET = [("data/", b"", tarfile.DIRTYPE, "", 0o755),
           ("data/train.csv", b"x,y\n1,2\n3,4\n"),
           ("data/README", b"a small dataset\n")]
LONG = "d/" + "n" * 120 + "/file.txt"   # past ustar's 100-byte name: pax or GNU headers

SEEDS = {
    "simple.tar": tar(DATASET),
    "simple.tgz": gz(tar(DATASET)),
    "simple.tar.bz2": bz2.compress(tar(DATASET), 9),
    "simple.tar.xz": lzma.compress(tar(DATASET)),
    "simple.zip": zipped([("data/", b""), ("data/train.csv", b"x,y\n1,2\n")]),
    "stored.zip": zipped([("model.bin", bytes(range(256)))], zipfile.ZIP_STORED),
    "pax-long-name.tar": tar([(LONG, b"long\n")], tarfile.PAX_FORMAT),
    "gnu-long-name.tgz": gz(tar([(LONG, b"long\n")], tarfile.GNU_FORMAT)),
    "empty.tar": tar([]),
    "symlink-inside.tgz": gz(tar([("a.txt", b"a\n"),
                                  ("b", b"", tarfile.SYMTYPE, "a.txt")])),
    # each refused by a rule of kft__archive_extract
    "absolute.tgz": gz(tar([("/tmp/kft-escape", b"x\n")])),
    "dotdot.tgz": gz(tar([("../escape", b"x\n")])),
    "dotdot.zip": zipped([("a/../../escape", b"x\n")]),
    "hardlink.tgz": gz(tar([("a.txt", b"a\n"),
                            ("h", b"", tarfile.LNKTYPE, "a.txt")])),
    "device.tar": tar([("null", b"", tarfile.CHRTYPE)]),
    "fifo.tar": tar([("pipe", b"", tarfile.FIFOTYPE)]),
    "symlink-then-write.tgz": gz(tar([("l", b"", tarfile.SYMTYPE, ".."),
                                      ("l/escape", b"x\n")])),
    "many-members.tgz": gz(tar([("f%03d" % i, b"") for i in range(110)])),
    # bombs: a few KiB that expand to 8 MiB (the harness allows 4 MiB, ratio 50 past 1 MiB)
    "bomb.tgz": gz(tar([("zeros", bytes(8 << 20))])),
    "bomb.zip": zipped([("zeros", bytes(8 << 20))]),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "archive")
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print("%d seeds in %s" % (len(SEEDS), out))


if __name__ == "__main__":
    main()
