"""Benchmark: offline capture throughput and store deduplication (needs root: ntfs-3g).

    .venv/bin/python benchmarks/capture.py [--bytes 1000000000] [--keep DIR]

Builds a Windows disk image with 3 users and about ``--bytes`` of documents, half of each
user's files identical across the users, then measures in the same run, from the same
read-only ntfs-3g mount:
1. the floor: ``cp -a`` of the users' profiles and data folders to a local directory;
2. ``capture`` (scan + SHA-256, restic backup, verification by restic dump) to a fresh local
   restic store: wall time, throughput of selected bytes, ratio to ``cp -a``;
3. the store's size against the bytes captured (deduplication ratio; 3 users sharing half
   their files ideally give 1.5), and a second capture (everything deduplicated).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sovmigrate.lab.windisk import build_windows_disk  # noqa: E402
from sovmigrate.userstate.capture import Options, capture  # noqa: E402
from sovmigrate.userstate.source import open_volume  # noqa: E402
from sovmigrate.userstate.store import ResticStore  # noqa: E402

SEED = 1  # a seed that gives 3 users


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def cp_floor(image: Path, work: Path, subjects: list[str]) -> tuple[float, int]:
    target = work / "cp"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    with open_volume(image) as volume:
        start = time.perf_counter()
        subprocess.run(
            ["cp", "-a", *[str(volume.root / s) for s in subjects], str(target)], check=True
        )
        elapsed = time.perf_counter() - start
    size = du(target)
    shutil.rmtree(target)
    return elapsed, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bytes", type=int, default=1_000_000_000)
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: temporary)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sovmigrate-bench-capture-", dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        image = work / "windows.img"
        start = time.perf_counter()
        description = build_windows_disk(image, SEED, size_knob=args.bytes, huge_file=False)
        build_s = time.perf_counter() - start
        subjects = sorted({u.profile for u in description.users} | {"Donnees"})
        cp_s, cp_bytes = cp_floor(image, work, subjects)
        password = work / "pw"
        password.write_text("benchmark-only\n")
        store = ResticStore(str(work / "store"), password)
        start = time.perf_counter()
        manifests = capture(image, store, Options(host="bench"))
        capture_s = time.perf_counter() - start
        captured = sum(m.total_bytes for m in manifests)
        files = sum(len(m.entries) for m in manifests)
        stored = store.raw_size()
        start = time.perf_counter()
        capture(image, store, Options(host="bench"))
        again_s = time.perf_counter() - start
        stored_again = store.raw_size()
        cp2_s, _ = cp_floor(image, work, subjects)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    cp_best = min(cp_s, cp2_s)
    figures = {
        "users": len(description.users),
        "files_captured": files,
        "bytes_captured": captured,
        "build_s": round(build_s, 1),
        "cp_a_s": [round(cp_s, 1), round(cp2_s, 1)],
        "cp_a_MBps": round(cp_bytes / cp_best / 1e6, 1),
        "capture_s": round(capture_s, 1),
        "capture_MBps": round(captured / capture_s / 1e6, 1),
        "capture_to_cp_a_time_ratio": round(capture_s / cp_best, 2),
        "store_bytes": stored,
        "dedup_ratio": round(captured / stored, 2),
        "second_capture_s": round(again_s, 1),
        "second_capture_added_bytes": stored_again - stored,
    }
    if args.format == "json":
        print(json.dumps(figures, indent=1))
    else:
        for key, value in figures.items():
            print(f"{key:30} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
