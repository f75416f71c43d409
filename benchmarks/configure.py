"""Benchmark: configure.yml on a fresh lab machine against one apt-get install (needs root).

    .venv/bin/python benchmarks/configure.py [--no-warmup] [--keep]

Two lab machines (Debian 13, systemd-nspawn), the minimal desktop profile, the Tchap stand-in
package of sovmigrate/lab/tchap_standin.py served from the lab's host-side address:
0. warm-up (skipped with --no-warmup): configure.yml once on machine A so the shared APT archive
   holds every package, then A is reinstalled from the clean base image;
1. cold configure.yml on the fresh A, warm package cache (wall time);
2. the idempotent re-run on A (wall time, changed=0 expected);
3. the floor: on the fresh B, ``apt-get update`` then ONE ``apt-get install`` of every package
   configure.yml added to A (the same set, dependencies included, Tchap's stand-in aside);
and prints the ratios cold/floor and re-run/cold.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from test_configure_support import StandInServer, lab_root, playbook  # noqa: E402

from sovmigrate.lab import Lab  # noqa: E402
from sovmigrate.lab.tchap_standin import build_tchap_deb  # noqa: E402

A, B = "wsbench-a", "wsbench-b"


def packages(argv: list[str]) -> set[str]:
    out = subprocess.run(
        [*argv, "dpkg-query -W -f='${Package}:${Architecture} ${Status}\\n'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split()[0] for line in out.splitlines() if line.endswith("install ok installed")}


def configure(lab: Lab, extra: dict[str, object]) -> tuple[float, int]:
    t0 = time.monotonic()
    run = playbook(lab.paths.inventory, A, "configure.yml", extra)
    elapsed = time.monotonic() - t0
    if run.rc != 0:
        sys.exit(f"configure.yml failed:\n{run.output[-4000:]}")
    return elapsed, run.recap(A)["changed"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-warmup", action="store_true", help="the APT archive is warm already")
    parser.add_argument("--keep", action="store_true", help="keep the two machines")
    args = parser.parse_args()

    lab = Lab(lab_root())
    report = lab.up([A, B])
    gateway = report.machines[0].address.rsplit(".", 1)[0] + ".1"
    with tempfile.TemporaryDirectory() as tmp:
        deb = build_tchap_deb(Path(tmp), "2.9.1")
        server = StandInServer(Path(tmp), gateway)
        server.start()
        extra: dict[str, object] = {
            "workstation_desktop_profile": "minimal",
            "workstation_apps_install_recommends": False,
            "interministerial_suite_tchap_version": deb.version,
            "interministerial_suite_tchap_sha256": deb.sha256,
            "interministerial_suite_tchap_base_url": server.url,
            "interministerial_suite_reachability_endpoints": [server.url + "/"],
        }
        try:
            if not args.no_warmup:
                print("warm-up: configure.yml once, then reinstall A from the base image")
                configure(lab, extra)
                lab.reinstall(A)
            before = packages(lab.ssh_argv(B))
            cold, cold_changed = configure(lab, extra)
            rerun, rerun_changed = configure(lab, extra)
            added = sorted(packages(lab.ssh_argv(A)) - before - {"tchap-prod:amd64"})
            install = (
                "export DEBIAN_FRONTEND=noninteractive; apt-get update -q >/dev/null && "
                "apt-get install -y -q --no-install-recommends "
                + " ".join(shlex.quote(p) for p in added)
                + " >/dev/null"
            )
            t0 = time.monotonic()
            subprocess.run([*lab.ssh_argv(B), install], check=True)
            floor = time.monotonic() - t0
        finally:
            server.stop()
            if not args.keep:
                lab.destroy([A, B])
    figures = {
        "packages_added": len(added),
        "apt_get_install_floor_s": round(floor, 1),
        "configure_cold_s": round(cold, 1),
        "configure_cold_changed": cold_changed,
        "configure_rerun_s": round(rerun, 1),
        "configure_rerun_changed": rerun_changed,
        "ratio_cold_to_floor": round(cold / floor, 2),
        "ratio_rerun_to_cold": round(rerun / cold, 2),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
