"""Benchmark: the lab's base image build, machine bring-up, and memory per machine (root).

    .venv/bin/python benchmarks/lab_up.py [--suite trixie] [--keep]

In a fresh lab directory (so the build is really measured), in one run:
1. build the base image (mmdebstrap + customisation);
2. bring up 1 machine from the cached base, then 5 more at once (create + boot + systemd
   ``running`` + sshd answering), and power them off;
3. memory per running machine: the PSS of every process in its PID namespace, idle after boot;
4. the baseline, measured in the same run: what the design's first recipe did per machine,
   ``cp -a`` of the base image, against the lab's overlay disk creation.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sovmigrate.lab import Lab  # noqa: E402
from sovmigrate.lab.state import load_machine, load_run  # noqa: E402


def pss_kib(leader: int) -> int:
    """Sum of PSS over the processes sharing the container init's PID namespace."""
    ns = Path(f"/proc/{leader}/ns/pid").readlink()
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "ns/pid").readlink() != ns:
                continue
            for line in (proc / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="trixie", choices=["trixie", "bookworm"])
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's lab directory")
    parser.add_argument(
        "--lab-dir", type=Path, help="an existing lab directory (its cached image: no build)"
    )
    args = parser.parse_args()

    Path("/var/lib/sovmigrate").mkdir(parents=True, exist_ok=True)
    root = args.lab_dir or Path(tempfile.mkdtemp(prefix="bench-", dir="/var/lib/sovmigrate"))
    lab = Lab(root)
    try:
        t = time.monotonic()
        first = lab.up(["bnch1"], suite=args.suite)
        total1 = time.monotonic() - t
        build = first.base_build_seconds or 0.0
        up1 = total1 - build
        lab.down(["bnch1"])
        t = time.monotonic()
        up1_again = lab.up(["bnch1"])  # boot of an existing machine
        boot_existing = time.monotonic() - t
        del up1_again

        names = [f"bnch{i}" for i in range(2, 7)]
        t = time.monotonic()
        lab.up(names)
        up5 = time.monotonic() - t
        time.sleep(5)  # let boot-time jobs finish: measure an idle machine
        mem = []
        for name in ["bnch1", *names]:
            run = load_run(lab.paths, name)
            assert run is not None
            mem.append(pss_kib(run.leader))
        t = time.monotonic()
        lab.down(["bnch1", *names])
        down6 = time.monotonic() - t

        # Baseline of the same run: a full copy of the base image per machine.
        rec = load_machine(lab.paths, "bnch1")
        assert rec is not None
        image = lab.paths.image(rec.image)
        copies = []
        for i in range(3):
            target = root / f"copy{i}"
            t = time.monotonic()
            subprocess.run(["cp", "-a", str(image), str(target)], check=True)
            copies.append(time.monotonic() - t)
            shutil.rmtree(target)
        t = time.monotonic()
        lab.destroy(["bnch6"])
        lab.up(["bnch6"])
        create_boot = time.monotonic() - t
        lab.down(["bnch6"])
        copy = sorted(copies)[1]

        mem_mib = sum(mem) / len(mem) / 1024
        print(f"base image build ({args.suite}):          {build:7.1f} s")
        print(f"bring up 1 machine from cached base:     {up1:7.1f} s")
        print(f"boot 1 existing machine:                 {boot_existing:7.1f} s")
        print(f"bring up 5 machines at once:             {up5:7.1f} s")
        print(f"power off 6 machines:                    {down6:7.1f} s")
        print(
            f"memory per running machine (PSS, idle):  {mem_mib:7.1f} MiB "
            f"(min {min(mem) / 1024:.1f}, max {max(mem) / 1024:.1f})"
        )
        print(f"baseline cp -a of the base image:        {copy:7.2f} s per machine (median of 3)")
        print(f"destroy + create + boot 1 machine:       {create_boot:7.2f} s")
        print(f"ratio bring-up of 5 / (5 x cp -a):       {up5 / (5 * copy):7.2f}")
    finally:
        lab.destroy([m.name for m in lab.status() if m.name.startswith("bnch")])
        if not args.keep and not args.lab_dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
