"""Benchmark: import + assess + plan of a generated fleet (default 80,000 machines).

    .venv/bin/python benchmarks/fleet.py [--machines 80000] [--keep DIR [--reuse]] [--repeat N]

Generates the GLPI files into a temporary directory once, then measures in the same run:
1. the parse floor: reading and ``json.loads`` of every file, nothing else (one process; the
   faster of two passes, the first of which also warms the page cache for the import);
2. the same floor with the decoder the import uses (``fleet.jsontext.loads``: msgspec, with
   ``json.loads`` for what it refuses), about twice as fast as ``json.loads``: the ratio to it
   is printed too, so that a faster decoder does not pass for a faster import;
3. ``sovmigrate fleet import`` then ``sovmigrate plan``, each in a fresh process (SQLite state
   store, inventories written): wall time, CPU time and peak memory (max RSS).
Prints the figures and the ratios to the floors, in wall time and in CPU time (the CPU ratio
stays meaningful when other work shares the machine). Targets (2 cores, issue 15): < 60 s,
< 2 GB, at most 2x the floor: the ``json.loads`` floor, as the target was set. A shared VM's
speed drifts by 20% or more from one minute to the next: ``--repeat N`` measures N fresh
campaigns, each against its own floors, and prints the median and the range of each ratio,
with the load average seen after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sovmigrate.fleet.jsontext import loads  # noqa: E402
from sovmigrate.lab.fleetgen import campaign_settings, write_fleet  # noqa: E402


def parse_floor(directory: Path, decode: Callable[[bytes], Any]) -> tuple[float, float, int]:
    """Wall and CPU seconds to read and decode every file, and how many."""
    start, cpu = time.perf_counter(), time.process_time()
    count = 0
    for path in sorted(directory.glob("*.json")):
        decode(path.read_bytes())
        count += 1
    return time.perf_counter() - start, time.process_time() - cpu, count


def best_floor(directory: Path, decode: Callable[[bytes], Any], label: str) -> tuple[float, float]:
    """The faster of two passes (wall, CPU), printed."""
    passes = [parse_floor(directory, decode) for _ in range(2)]
    floor, floor_cpu, count = min(passes)
    print(
        f"parse floor (read + {label}, 1 process, best of 2): {floor:.2f} s wall, "
        f"{floor_cpu:.2f} s CPU for {count} files (passes: "
        + ", ".join(f"{w:.2f} s" for w, _, _ in passes)
        + ")"
    )
    return floor, floor_cpu


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


@dataclass
class Run:
    floor: float
    floor_cpu: float
    total: float
    total_cpu: float
    peak_mb: float
    fast_floor: float  # the floor with the import's decoder (fleet.jsontext.loads)
    fast_floor_cpu: float
    load: float = 0.0  # the 1-minute load average right after the run

    @property
    def ratio(self) -> float:
        return self.total / self.floor

    @property
    def ratio_cpu(self) -> float:
        return self.total_cpu / self.floor_cpu


def measure(fleet: Path, run: Path, machines: int) -> Run:
    """One fresh campaign in ``run``: the floor, then import and plan in their own processes."""
    inventories = run / "inventories"
    (inventories / "bench").mkdir(parents=True)
    (inventories / "bench" / "campaign.yml").write_text(campaign_settings(machines))
    db = run / "state.db"
    # The first pass also brings the files into the page cache, as it is for the import that
    # follows; the faster of two passes is the floor (the stricter ratio).
    floor, floor_cpu = best_floor(fleet, json.loads, "json.loads")
    fast, fast_cpu = best_floor(fleet, loads, "the import's decoder, fleet.jsontext.loads")
    common = ["--campaign", "bench", "--db", str(db), "--inventories", str(inventories)]
    imp, imp_cpu, imp_rss = run_cli(["fleet", "import", str(fleet), *common], run)
    plan, plan_cpu, plan_rss = run_cli(["plan", *common, "--start", "2027-01-04"], run)
    peak = max(imp_rss, plan_rss) / 1024
    result = Run(floor, floor_cpu, imp + plan, imp_cpu + plan_cpu, peak, fast, fast_cpu)
    print(
        f"import + assess: {imp:.2f} s wall, {imp_cpu:.2f} s CPU, peak RSS {imp_rss / 1024:.0f} MB"
    )
    print(
        f"plan (re-assess, waves in the store, inventories): {plan:.2f} s wall, "
        f"{plan_cpu:.2f} s CPU, peak RSS {plan_rss / 1024:.0f} MB"
    )
    result.load = os.getloadavg()[0]
    print(f"load average now: {result.load:.1f} on {os.cpu_count()} CPUs")
    print(
        f"TOTAL import+assess+plan: {result.total:.2f} s wall, {result.total_cpu:.2f} s CPU, "
        f"peak {result.peak_mb:.0f} MB; ratio to the parse floor (json.loads) "
        f"{result.ratio:.2f}x wall, {result.ratio_cpu:.2f}x CPU (targets: < 60 s, < 2048 MB, "
        f"<= 2x); to the floor with the import's decoder {result.total / fast:.2f}x wall, "
        f"{result.total_cpu / fast_cpu:.2f}x CPU"
    )
    return result


def _spread(values: list[float]) -> str:
    """'2.10x (from 1.90x to 2.30x)': the median and the range."""
    ordered = sorted(values)
    return f"{statistics.median(ordered):.2f}x (from {ordered[0]:.2f}x to {ordered[-1]:.2f}x)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=80_000)
    parser.add_argument("--keep", type=Path, help="Keep the generated files and state here.")
    parser.add_argument(
        "--reuse", action="store_true", help="With --keep: reuse files generated by a previous run."
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="Measure N fresh campaigns; print the median."
    )
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sovmigrate-bench-fleet-"))
    fleet = work / "glpi"
    start = time.perf_counter()
    if not (args.reuse and len(list(fleet.glob("*.json"))) == args.machines):
        write_fleet(fleet, args.machines)
    size = sum(p.stat().st_size for p in fleet.glob("*.json"))
    took = time.perf_counter() - start
    print(f"generated {args.machines} files ({size / 1e6:.0f} MB) in {took:.1f} s")

    # Each run has its own store and inventories. The one before is removed only after the
    # next is measured: ext4 scans past inodes freed in the last seconds when it creates
    # files, and the plan creates one per wave (measured: 1 ms a file instead of 0.06 ms right
    # after deleting a previous run's 2,775 inventories).
    runs_dir = work / "runs"
    results: list[Run] = []
    for i in range(max(1, args.repeat)):
        if args.repeat > 1:
            print(f"-- run {i + 1} of {args.repeat}")
        run = runs_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{i}"
        results.append(measure(fleet, run, args.machines))
        for previous in runs_dir.iterdir():
            if previous != run:
                shutil.rmtree(previous, ignore_errors=True)
    if len(results) > 1:
        totals = sorted(r.total for r in results)
        load = sorted(r.load for r in results)
        print(
            f"MEDIAN of {len(results)} runs: ratio to the parse floor (json.loads) "
            f"{_spread([r.ratio for r in results])} wall, "
            f"{_spread([r.ratio_cpu for r in results])} CPU; to the floor with the import's "
            f"decoder {_spread([r.total / r.fast_floor for r in results])} wall, "
            f"{_spread([r.total_cpu / r.fast_floor_cpu for r in results])} CPU; total "
            f"{statistics.median(totals):.2f} s (from {totals[0]:.2f} to {totals[-1]:.2f} s), "
            f"peak {max(r.peak_mb for r in results):.0f} MB; load average "
            f"{load[0]:.1f} to {load[-1]:.1f}"
        )
    if args.keep is None:
        subprocess.run(["rm", "-rf", str(work)], check=False)
    else:
        print(f"kept: the fleet in {fleet}, the last run's store and inventories in {run}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
