"""Benchmark: configure.yml on a fresh lab machine against one apt-get install, and the
idempotent re-run of configure.yml on the configured machine (needs root).

    .venv/bin/python benchmarks/configure.py [--no-warmup] [--rerun-only] [--runs N] [--keep]
                                             [--logs DIR]

Lab machines (Debian 13, systemd-nspawn) named ``cfgb-a`` and ``cfgb-b``, the minimal desktop
profile, the Tchap stand-in package of sovmigrate/lab/tchap_standin.py served from the lab's
host-side address:
0. warm-up (skipped with --no-warmup or --rerun-only): configure.yml once on machine A so the
   shared APT archive holds every package, then A is reinstalled from the clean base image;
1. cold configure.yml on the fresh A, warm package cache (wall time);
2. the idempotent re-run on A, ``--runs`` times (default 3): wall time of each, median and range,
   ``changed`` of each (0 expected), the load average at the start of each, the CPU seconds each
   used on the controller (ansible-playbook, its workers and ssh) and on the machine (every process
   of its PID namespace), less sensitive to the host's load than the wall time, and, from the
   ``profile_tasks`` callback of ansible.cfg, the seconds spent per role in the median run and its
   slowest tasks;
3. one ``--check --diff`` run on the configured A (wall time, changed=0 expected);
4. the floor (skipped with --rerun-only): on the fresh B, ``apt-get update`` then ONE
   ``apt-get install`` of every package configure.yml added to A (the same set, dependencies
   included, Tchap's stand-in aside);
and prints the figures as JSON. The machine is usually shared (other suites, CI): the load
averages are part of the figures, compare runs made under similar load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from test_configure_support import StandInServer, lab_root, playbook  # noqa: E402

from sovmigrate.lab import Lab  # noqa: E402
from sovmigrate.lab.tchap_standin import build_tchap_deb  # noqa: E402

A, B = "cfgb-a", "cfgb-b"

# profile_tasks (enabled in ansible.cfg) prints every task, in run order, as
# "role : task name ------ 1.23s"; these settings make its recap complete and unsorted.
PROFILE_ENV = {"PROFILE_TASKS_TASK_OUTPUT_LIMIT": "all", "PROFILE_TASKS_SORT_ORDER": "none"}
_PROFILE_LINE = re.compile(r"^(?P<name>.+?) -+ (?P<secs>\d+\.\d+)s$")
_TASK_LINE = re.compile(r"^(?:TASK|RUNNING HANDLER) \[(?P<name>.+)\] \*+$")


def controller_cpu_s() -> float:
    """CPU seconds of this process's reaped children (ansible-playbook, its workers, ssh)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine_cpu_s(lab: Lab, name: str) -> float:
    """CPU seconds used so far by the machine: every live process of its PID namespace, with the
    children each has reaped (a finished module run is counted in its sshd session or in the
    machine's init once reaped)."""
    nspawn = next(s.pid for s in lab.status() if s.name == name)
    init = Path(f"/proc/{nspawn}/task/{nspawn}/children").read_text().split()[0]
    namespace = os.readlink(f"/proc/{init}/ns/pid")
    ticks = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") != namespace:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def packages(argv: list[str]) -> set[str]:
    out = subprocess.run(
        [*argv, "dpkg-query -W -f='${Package}:${Architecture} ${Status}\\n'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line.split()[0] for line in out.splitlines() if line.endswith("install ok installed")}


def profile(output: str) -> list[tuple[str, float]]:
    """The (task, seconds) lines of the TASKS RECAP, in run order."""
    recap = output.split("TASKS RECAP", 1)[-1]
    tasks = []
    for line in recap.splitlines():
        m = _PROFILE_LINE.match(line.strip())
        if m:
            tasks.append((m["name"].strip(), float(m["secs"])))
    return tasks


def changed_tasks(output: str) -> list[str]:
    """The tasks (and handlers) that reported a change, in run order."""
    names: list[str] = []
    task = ""
    for line in output.splitlines():
        if m := _TASK_LINE.match(line):
            task = m["name"]
        elif line.startswith("changed:") and task and task not in names:
            names.append(task)
    return names


def per_role(tasks: list[tuple[str, float]]) -> dict[str, float]:
    roles: dict[str, float] = {}
    for name, secs in tasks:
        role = name.split(" : ", 1)[0] if " : " in name else "(play)"
        roles[role] = round(roles.get(role, 0.0) + secs, 1)
    return roles


@dataclass
class Run:
    secs: float
    changed: int
    load: float
    controller_cpu_s: float
    machine_cpu_s: float
    output: str


def configure(lab: Lab, extra: dict[str, object], *args: str) -> Run:
    os.environ.update(PROFILE_ENV)
    load = os.getloadavg()[0]
    cpu0, machine0, t0 = controller_cpu_s(), machine_cpu_s(lab, A), time.monotonic()
    run = playbook(lab.paths.inventory, A, "configure.yml", extra, *args)
    elapsed = time.monotonic() - t0
    cpu, machine = controller_cpu_s() - cpu0, machine_cpu_s(lab, A) - machine0
    if run.rc != 0:
        sys.exit(f"configure.yml {' '.join(args)} failed:\n{run.output[-4000:]}")
    return Run(elapsed, run.recap(A)["changed"], load, cpu, machine, run.output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-warmup", action="store_true", help="the APT archive is warm already")
    parser.add_argument(
        "--rerun-only", action="store_true", help="one machine, no warm-up, no apt-get floor"
    )
    parser.add_argument("--runs", type=int, default=3, help="idempotent re-runs measured")
    parser.add_argument("--keep", action="store_true", help="keep the machines")
    parser.add_argument("--logs", type=Path, help="write each run's output to this directory")
    args = parser.parse_args()

    names = [A] if args.rerun_only else [A, B]
    lab = Lab(lab_root())
    report = lab.up(names)
    gateway = report.machines[0].address.rsplit(".", 1)[0] + ".1"
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)

    def keep(label: str, run: Run) -> None:
        if args.logs:
            (args.logs / f"{label}.log").write_text(run.output)

    figures: dict[str, object] = {}
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
            if not (args.no_warmup or args.rerun_only):
                print("warm-up: configure.yml once, then reinstall A from the base image")
                configure(lab, extra)
                lab.reinstall(A)
            before = set() if args.rerun_only else packages(lab.ssh_argv(B))
            cold = configure(lab, extra)
            keep("cold", cold)
            figures.update(
                load_cold=round(cold.load, 1),
                configure_cold_s=round(cold.secs, 1),
                configure_cold_changed=cold.changed,
                configure_cold_controller_cpu_s=round(cold.controller_cpu_s, 1),
                configure_cold_machine_cpu_s=round(cold.machine_cpu_s, 1),
            )
            reruns = []
            for i in range(args.runs):
                run = configure(lab, extra)
                keep(f"rerun-{i + 1}", run)
                reruns.append(run)
                print(
                    f"re-run {i + 1}: {run.secs:.1f} s, changed={run.changed}, "
                    f"load {run.load:.1f}, CPU {run.controller_cpu_s:.1f} s controller "
                    f"+ {run.machine_cpu_s:.1f} s machine"
                    + "".join(f"\n  changed: {t}" for t in changed_tasks(run.output))
                )
            check = configure(lab, extra, "--check", "--diff")
            keep("check", check)
            times = [r.secs for r in reruns]
            median = statistics.median(times)
            median_run = min(reruns, key=lambda r: abs(r.secs - median))
            tasks = profile(median_run.output)
            figures.update(
                configure_rerun_s=[round(t, 1) for t in times],
                configure_rerun_median_s=round(median, 1),
                configure_rerun_range_s=[round(min(times), 1), round(max(times), 1)],
                configure_rerun_changed=[r.changed for r in reruns],
                configure_rerun_changed_tasks=[changed_tasks(r.output) for r in reruns],
                configure_rerun_load=[round(r.load, 1) for r in reruns],
                configure_rerun_controller_cpu_s=[round(r.controller_cpu_s, 1) for r in reruns],
                configure_rerun_machine_cpu_s=[round(r.machine_cpu_s, 1) for r in reruns],
                configure_rerun_tasks=len(tasks),
                configure_rerun_per_role_s=per_role(tasks),
                configure_rerun_slowest_tasks=sorted(tasks, key=lambda t: -t[1])[:10],
                configure_check_diff_s=round(check.secs, 1),
                configure_check_diff_changed=check.changed,
                configure_check_diff_load=round(check.load, 1),
                configure_check_diff_changed_tasks=changed_tasks(check.output),
                ratio_rerun_to_cold=round(median / cold.secs, 2),
            )
            if not args.rerun_only:
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
                figures.update(
                    packages_added=len(added),
                    apt_get_install_floor_s=round(floor, 1),
                    ratio_cold_to_floor=round(cold.secs / floor, 2),
                )
        finally:
            server.stop()
            if not args.keep:
                lab.destroy(names)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
