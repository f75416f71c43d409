#!/usr/bin/env python3
"""Benchmark: restore + verification into Linux homes, against ``cp -a`` of the same tree.

    sudo .venv/bin/python benchmarks/restore.py [--size 1g|10g] [--runs 3] [--keep DIR]

Builds the same disk as ``benchmarks/capture.py`` (``--size``), captures it once with the
real engine into a local restic store, then, ``--runs`` times: restores every captured
subject into fresh homes (owned by ``nobody``, French user-dirs) as the role does, one
``python3 -m sovmigrate.userstate.restore_main restore-all`` for all subjects, each verified,
then ``sync``: that is the measured figure (wall time, MB/s, files/s, peak RSS of the largest
process). The baseline, in the same run: ``cp -a`` of the restored homes to a sibling
directory on the same file system, then ``sync``. Prints each run, the median and the range,
and the load average around each run (other jobs share the machine). Needs root.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from capture import build_set_apart, capture_run, load, one_run, report, spread, timed

from sovmigrate.userstate import manifest as manifest_io

FRENCH_DIRS = (
    'XDG_DESKTOP_DIR="$HOME/Bureau"\nXDG_DOCUMENTS_DIR="$HOME/Documents"\n'
    'XDG_DOWNLOAD_DIR="$HOME/Téléchargements"\nXDG_PICTURES_DIR="$HOME/Images"\n'
    'XDG_MUSIC_DIR="$HOME/Musique"\nXDG_VIDEOS_DIR="$HOME/Vidéos"\n'
)


def restore_all(work: Path, password: Path, subjects: list[str]) -> tuple[float, int, int, int]:
    """Every subject into a fresh home, in one engine run: wall seconds, peak RSS, files and
    bytes restored."""
    homes = work / "homes"
    shutil.rmtree(homes, ignore_errors=True)
    homes.mkdir()
    for subject in subjects:
        home = homes / subject
        (home / ".config").mkdir(parents=True)
        (home / ".config" / "user-dirs.dirs").write_text(FRENCH_DIRS, encoding="utf-8")
        shutil.chown(home, "nobody")
    subprocess.run(["sync"], check=True)
    plan = [
        {"user": s, "name": s, "kind": "local", "login": "nobody", "home": str(homes / s)}
        for s in subjects
    ]
    out = work / "result.json"
    argv = [sys.executable, "-m", "sovmigrate.userstate.restore_main", "restore-all"]
    argv += ["--store", str(work / "store"), "--password-file", str(password)]
    argv += ["--host", "bench", "--plan", json.dumps(plan)]
    start = time.perf_counter()
    _, peak = timed(argv, stdout=out)
    subprocess.run(["sync"], check=True)
    elapsed = time.perf_counter() - start
    results = json.loads(out.read_text(encoding="utf-8"))
    for result in results:
        if not result["verified"]:
            raise SystemExit(f"restore of {result['user']} not verified: {result['reason']}")
    return elapsed, peak, sum(r["files"] for r in results), sum(r["bytes"] for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["1g", "10g"], default="1g")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work here and keep the files")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sovmigrate-bench-restore-", dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, float]] = []
    try:
        image = work / "windows.img"
        build_set_apart(image, args.size)
        password = work / "pw"
        password.write_text("benchmark-only\n")
        capture_s, _, manifest = capture_run(image, work, password)
        image.unlink()  # the restore reads the store only; leave the space to the homes
        subjects = [m.sid or "drive" for m in manifest_io.read(manifest)]
        for _ in range(args.runs):
            before = load()
            restore_s, rss, files, size = restore_all(work, password, subjects)
            copy = work / "homes-cp"
            shutil.rmtree(copy, ignore_errors=True)
            cp_s, cp_rss = timed(["sh", "-c", f"cp -a '{work / 'homes'}' '{copy}' && sync"])
            shutil.rmtree(copy)
            runs.append(one_run("restore_s", restore_s, rss, cp_s, cp_rss, size, files, before))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    figures: dict[str, Any] = {
        "size": args.size,
        "runs": len(runs),
        "subjects": len(subjects),
        "files": files,
        "bytes": size,
        "capture_s": round(capture_s, 1),
        "per_run": [{k: round(v, 2) for k, v in r.items()} for r in runs],
        "median_range": {k: spread([r[k] for r in runs]) for k in runs[0]},
        # Included in each peak RSS: a started process counts its parent's pages until exec.
        "benchmark_own_rss_MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3),
    }
    report(figures, args.format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
