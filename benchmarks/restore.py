#!/usr/bin/env python3
"""Restore + verify throughput on a generated profile set, against ``cp -a`` of the same tree.

    sudo .venv/bin/python benchmarks/restore.py [--bytes 1000000000] [--keep DIR]

Builds a fixture Windows disk (~--bytes of documents over 3-4 users), captures it with the real
engine into a local restic store, then restores every user into fresh homes (owned by
``nobody``) and verifies them: that is the measured figure. The baseline, in the same run, is
``cp -a`` of the restored homes to a sibling directory on the same file system. Prints the
figures and the ratio (restore+verify time / cp -a time). Needs root (ntfs-3g mount).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sovmigrate.lab.windisk import build_windows_disk
from sovmigrate.userstate.capture import Options, capture
from sovmigrate.userstate.manifest_store import save
from sovmigrate.userstate.restore import Request
from sovmigrate.userstate.restore_main import run_restore
from sovmigrate.userstate.store import ResticStore

FRENCH_DIRS = (
    'XDG_DESKTOP_DIR="$HOME/Bureau"\nXDG_DOCUMENTS_DIR="$HOME/Documents"\n'
    'XDG_DOWNLOAD_DIR="$HOME/Téléchargements"\nXDG_PICTURES_DIR="$HOME/Images"\n'
    'XDG_MUSIC_DIR="$HOME/Musique"\nXDG_VIDEOS_DIR="$HOME/Vidéos"\n'
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bytes", type=int, default=1_000_000_000)
    parser.add_argument("--keep", type=Path, help="work here and keep the files")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sovmigrate-bench-restore-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        image = work / "windows.img"
        t0 = time.monotonic()
        build_windows_disk(image, seed=42, size_knob=args.bytes, huge_file=False)
        print(f"disk built in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        password = work / "pw"
        password.write_text("bench\n")
        store = ResticStore(str(work / "store"), password)
        t0 = time.monotonic()
        manifests = capture(image, store, Options(host="bench"))
        for m in manifests:
            save(store, m)
        print(f"captured in {time.monotonic() - t0:.1f} s", file=sys.stderr)
        homes = work / "homes"
        homes.mkdir()
        subprocess.run(["sync"], check=True)
        t0 = time.monotonic()
        files = size = 0
        for m in manifests:
            home = homes / (m.sid or "drive")
            (home / ".config").mkdir(parents=True)
            (home / ".config" / "user-dirs.dirs").write_text(FRENCH_DIRS, encoding="utf-8")
            shutil.chown(home, "nobody")
            req = Request(host="bench", user=m.sid or "drive", to_user="nobody", home=home)
            out = run_restore(store, req)
            assert out["verified"], out["reason"]
            files += out["files"]
            size += out["bytes"]
        subprocess.run(["sync"], check=True)
        restore_s = time.monotonic() - t0
        t0 = time.monotonic()
        subprocess.run(["cp", "-a", str(homes), str(work / "homes-cp")], check=True)
        subprocess.run(["sync"], check=True)
        cp_s = time.monotonic() - t0
        mb = size / 1e6
        print(f"restored+verified: {files} files, {mb:.0f} MB in {restore_s:.1f} s "
              f"= {mb / restore_s:.0f} MB/s")  # fmt: skip
        print(f"cp -a of the restored homes: {cp_s:.1f} s = {mb / cp_s:.0f} MB/s")
        print(f"ratio restore+verify / cp -a: {restore_s / cp_s:.2f}x the time")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
