"""Benchmark: import + assess + plan of a generated fleet (default 80,000 machines).

    .venv/bin/python benchmarks/fleet.py [--machines 80000] [--keep DIR]

Generates the GLPI files into a temporary directory once, then measures in the same run:
1. the parse floor: reading and ``json.loads`` of every file, nothing else (one process);
2. ``sovmigrate fleet import`` then ``sovmigrate plan``, each in a fresh process (SQLite state
   store, inventories written): wall time, CPU time and peak memory (max RSS).
Prints the figures and the ratios to the floor, in wall time and in CPU time (the CPU ratio
stays meaningful when other work shares the machine). Targets (2 cores): < 60 s, < 2 GB,
< 3x the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sovmigrate.lab.fleetgen import campaign_settings, write_fleet  # noqa: E402


def parse_floor(directory: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds to read and json.loads every file, and how many."""
    start, cpu = time.perf_counter(), time.process_time()
    count = 0
    for path in sorted(directory.glob("*.json")):
        json.loads(path.read_bytes())
        count += 1
    return time.perf_counter() - start, time.process_time() - cpu, count


def run_cli(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and max RSS (KiB) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sovmigrate", *args], cwd=cwd, stdout=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark: sovmigrate {' '.join(args)} failed:\n{out}")
    print(f"  {out.strip()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=80_000)
    parser.add_argument("--keep", type=Path, help="Keep the generated files and state here.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sovmigrate-bench-fleet-"))
    fleet = work / "glpi"
    inventories = work / "inventories"
    (inventories / "bench").mkdir(parents=True, exist_ok=True)
    (inventories / "bench" / "campaign.yml").write_text(campaign_settings(args.machines))
    db = work / "state.db"
    db.unlink(missing_ok=True)

    start = time.perf_counter()
    write_fleet(fleet, args.machines)
    size = sum(p.stat().st_size for p in fleet.glob("*.json"))
    took = time.perf_counter() - start
    print(f"generated {args.machines} files ({size / 1e6:.0f} MB) in {took:.1f} s")

    floor, floor_cpu, count = parse_floor(fleet)
    print(
        f"parse floor (read + json.loads, 1 process): {floor:.2f} s wall, "
        f"{floor_cpu:.2f} s CPU for {count} files"
    )

    common = ["--campaign", "bench", "--db", str(db), "--inventories", str(inventories)]
    imp, imp_rss, _ = run_cli(["fleet", "import", str(fleet), *common], work)
    plan, plan_rss, workers = run_cli(["plan", *common, "--start", "2027-01-04"], work)
    total = imp + plan
    peak_mb = max(imp_rss, plan_rss) / 1024
    print(f"import + assess: {imp:.2f} s, peak RSS {imp_rss / 1024:.0f} MB")
    print(
        f"plan (re-assess, waves in the store, inventories): {plan:.2f} s, "
        f"peak RSS {plan_rss / 1024:.0f} MB"
    )
    print(f"largest worker process RSS: {workers / 1024:.0f} MB")
    print(
        f"TOTAL import+assess+plan: {total:.2f} s, peak {peak_mb:.0f} MB, "
        f"ratio to parse floor {total / floor:.2f}x (targets: < 60 s, < 2048 MB, < 3x)"
    )
    if args.keep is None:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
