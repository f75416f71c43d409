"""Benchmark: offline capture (hash + encrypted store + verification) against ``cp -a``.

    .venv/bin/python benchmarks/capture.py [--size 1g|10g] [--runs 3] [--keep DIR]

Needs root (ntfs-3g). Builds a Windows disk image, then, ``--runs`` times, from the same
read-only ntfs-3g mount and in the same run:
1. the baseline: ``cp -a`` of the users' profiles and data folders to a local directory,
   then ``sync`` (restic's packs are on disk when it returns: the copy is too);
2. ``python3 -m sovmigrate.userstate capture`` (what the roles run) to a fresh local restic
   store: wall time, MB/s and files/s of the selected files, peak RSS (the largest process
   of the capture: Python or one of its restic runs), ratio to the baseline of that run.
Prints each run, then the median and the range. Then, once: the store's size against the
bytes captured (3 users sharing half their files ideally give 1.5) and a second capture of
the same disk (everything deduplicated). The load average is printed with each run: other
jobs share the machine.

Sizes: ``1g`` is the builder's fixture (3 users, ~1 GB, ~1,100 files, seed 1); ``10g`` adds
50,000 files of 4-392 kB (~10 GB) to the users' Documents, half identical across users.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sovmigrate.lab.windisk import build_windows_disk, ntfs  # noqa: E402
from sovmigrate.lab.windisk.plan import plan_disk  # noqa: E402
from sovmigrate.lab.windisk.writer import write_plan  # noqa: E402
from sovmigrate.userstate import manifest as manifest_io  # noqa: E402
from sovmigrate.userstate.source import open_volume  # noqa: E402
from sovmigrate.userstate.store import ResticStore  # noqa: E402

SEED = 1  # a seed that gives 3 users
LARGE_FILES = 50_000
LARGE_SIZES = (4_000, 392_000)  # mean ~198 kB: 50,000 files ~ 10 GB


def build_set(image: Path, size: str) -> list[str]:
    """Build the disk; return the volume folders a plain copy takes (profiles, data)."""
    if size == "1g":
        description = build_windows_disk(image, SEED, size_knob=1_000_000_000, huge_file=False)
        return sorted({u.profile for u in description.users} | {"Donnees"})
    plan = plan_disk(SEED, 30_000_000, False)
    ntfs.make_image(image, int(LARGE_FILES * sum(LARGE_SIZES) / 2 * 1.25) + (256 << 20))
    write_plan(image, plan, hibernated=False, defect="")
    with ntfs.mounted_rw(image) as root:
        users = plan.users
        for index in range(LARGE_FILES):
            user = users[index % len(users)]
            shared = (index // len(users)) % 2 == 0  # the same content for every user
            rng = random.Random(f"bulk-{index // len(users)}" if shared else f"bulk-{index}")
            docs = user.known_folders["Personal"]
            base = docs.location if docs.redirect == "local" else user.profile
            folder = root / base / "Masse" / f"{index % 500:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"piece-{index:05d}.bin").write_bytes(
                rng.randbytes(rng.randint(*LARGE_SIZES))
            )
    return sorted({u.profile for u in plan.users} | {"Donnees"})


def build_set_apart(image: Path, size: str) -> list[str]:
    """``build_set`` in a child process: the builder holds the files in memory, and a
    process started later from a big parent would report the parent's size as its peak."""
    code = "import json, sys; from capture import build_set; "
    code += "print(json.dumps(build_set(__import__('pathlib').Path(sys.argv[1]), sys.argv[2])))"
    out = subprocess.run(
        [sys.executable, "-c", code, str(image), size],
        cwd=Path(__file__).parent,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return list(json.loads(out.splitlines()[-1]))


def load() -> float:
    return os.getloadavg()[0]


def timed(argv: list[str], stdout: Path | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of the largest process of the command's tree."""
    start = time.perf_counter()
    with open(stdout or os.devnull, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return elapsed, usage.ru_maxrss * 1024


def cp_floor(image: Path, work: Path, subjects: list[str]) -> tuple[float, int]:
    target = work / "cp"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    with open_volume(image) as volume:
        # cp then sync in one timed shell: the copy is on disk, as restic's packs are.
        sources = " ".join(f"'{volume.root / s}'" for s in subjects)
        elapsed, rss = timed(["sh", "-c", f"cp -a {sources} '{target}' && sync"])
    shutil.rmtree(target)
    return elapsed, rss


def capture_run(
    image: Path, work: Path, password: Path, fresh: bool = True
) -> tuple[float, int, Path]:
    """One capture as the roles run it; ``fresh=False``: into the last run's store again."""
    store = work / "store"
    if fresh:
        shutil.rmtree(store, ignore_errors=True)
    out = work / ("manifest.json" if fresh else "manifest-again.json")
    argv = [sys.executable, "-m", "sovmigrate.userstate", "capture", str(image)]
    argv += ["--store", str(store), "--password-file", str(password), "--host", "bench"]
    elapsed, rss = timed([*argv, "--manifest", str(out)])
    return elapsed, rss, out


def one_run(
    name: str,
    seconds: float,
    rss: int,
    cp_s: float,
    cp_rss: int,
    size: int,
    files: int,
    load_before: float,
) -> dict[str, float]:
    """The figures of one run (also printed at once, on stderr)."""
    figures = {
        name: seconds,
        "cp_a_s": cp_s,
        "ratio": seconds / cp_s,
        "MBps": size / seconds / 1e6,
        "files_per_s": files / seconds,
        "peak_rss_MB": rss / 1e6,
        "cp_peak_rss_MB": cp_rss / 1e6,
        "load_before": load_before,
        "load_after": load(),
    }
    line = {k: round(v, 2) for k, v in figures.items()}
    print(f"run: {json.dumps(line)}", file=sys.stderr, flush=True)
    return figures


def report(figures: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(figures, indent=1))
        return
    for key, value in figures.items():
        if key == "median_range":
            for name, text in value.items():
                print(f"{'median [range] ' + name:36} {text}")
        elif key != "per_run":
            print(f"{key:36} {value}")


def spread(values: list[float], digits: int = 2) -> str:
    median = statistics.median(values)
    return f"{median:.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["1g", "10g"], default="1g")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: temporary)")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sovmigrate-bench-capture-", dir="/var/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    runs: list[dict[str, float]] = []
    try:
        image = work / "windows.img"
        start = time.perf_counter()
        subjects = build_set_apart(image, args.size)
        build_s = time.perf_counter() - start
        password = work / "pw"
        password.write_text("benchmark-only\n")
        for _ in range(args.runs):
            before = load()
            cp_s, cp_rss = cp_floor(image, work, subjects)
            cap_s, cap_rss, out = capture_run(image, work, password)
            manifests = manifest_io.read(out)
            size = sum(m.total_bytes for m in manifests)
            files = sum(len(m.entries) for m in manifests)
            runs.append(one_run("capture_s", cap_s, cap_rss, cp_s, cp_rss, size, files, before))
        store = ResticStore(str(work / "store"), password)
        stored = store.raw_size()
        again_s, _, _ = capture_run(image, work, password, fresh=False)
        added = store.raw_size() - stored
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    figures: dict[str, Any] = {
        "size": args.size,
        "runs": len(runs),
        "files": files,
        "bytes": size,
        "build_s": round(build_s, 1),
        # Included in each peak RSS: a started process counts its parent's pages until exec.
        "benchmark_own_rss_MB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3),
        "per_run": [{k: round(v, 2) for k, v in r.items()} for r in runs],
        "median_range": {k: spread([r[k] for r in runs]) for k in runs[0]},
        "dedup_ratio": round(size / stored, 2),
        "second_capture_s": round(again_s, 1),
        "second_capture_added_bytes": added,
    }
    report(figures, args.format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
