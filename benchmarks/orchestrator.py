"""Orchestrator overhead and event handling at scale (one command, figures on stdout).

    .venv/bin/python benchmarks/orchestrator.py [--hosts 500] [--tasks 3]

Same playbook, same local-connection hosts, same forks, measured in the same run:
- baseline: plain ``ansible-playbook`` (default stdout callback, output discarded);
- orchestrator: ``run_stage`` (ansible-runner, event handler, state store writes, marker play);
then the ratio. Then, for the orchestrator run: events handled, events per second, the peak RSS
of the controller process (ansible-playbook children excluded), and the event handler's own
throughput replaying the run's events (no Ansible) — and the same play with
``only_failed_event_data`` for comparison.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLAY = """---
- name: Benchmark stage
  hosts: all
  gather_facts: false
  tasks:
{tasks}
"""
TASK = """    - name: Step {i}
      ansible.builtin.raw: "true"
      changed_when: false
"""

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[5])
from pathlib import Path
from sovmigrate.run import CancelToken, NullProgress, RunOptions
from sovmigrate.run.runner import run_stage
from sovmigrate.state import MachineRecord, open_store
work, hosts, playbook, mode = Path(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
db = work / f"bench-{mode}.db"
local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
with open_store(db) as store:
    camp = store.campaign("bench", create=True)
    names = [f"h{i:04d}" for i in range(hosts)]
    store.upsert_machines(camp, [MachineRecord(n, vars=local) for n in names])
    wave = store.create_wave(camp, "w", names)
    opts = RunOptions(playbooks={"precheck": playbook}, forks=int(sys.argv[6]),
                      artifacts_root=work / f"art-{mode}", event_data=mode)
    t0 = time.perf_counter()
    summary = run_stage(store, camp, wave, "precheck", opts, NullProgress(), CancelToken())
    seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "events": summary.events, "ok": len(summary.ok),
                  "failed": len(summary.failed), "artifacts": summary.artifacts[0],
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _inventory(path: Path, hosts: int) -> None:
    lines = [
        "all:",
        "  vars:",
        "    ansible_connection: local",
        f"    ansible_python_interpreter: {sys.executable}",
        "  hosts:",
    ]
    lines += [f"    h{i:04d}:" for i in range(hosts)]
    path.write_text("\n".join(lines) + "\n")


def baseline(work: Path, playbook: Path, hosts: int, forks: int) -> float:
    inventory = work / "hosts.yml"
    _inventory(inventory, hosts)
    binary = Path(sys.executable).parent / "ansible-playbook"
    t0 = time.perf_counter()
    subprocess.run(
        [str(binary), "-i", str(inventory), "--forks", str(forks), str(playbook)],
        stdout=subprocess.DEVNULL,
        check=True,
        cwd=ROOT,
    )
    return time.perf_counter() - t0


def orchestrated(work: Path, playbook: Path, hosts: int, forks: int, mode: str) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(work),
            str(hosts),
            str(playbook),
            mode,
            str(ROOT),
            str(forks),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def replay(artifacts: Path, hosts: int) -> tuple[int, float]:
    from sovmigrate.run.events import EventCollector

    events = [json.loads(p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"))]
    collector = EventCollector.for_hosts([f"h{i:04d}" for i in range(hosts)])
    t0 = time.perf_counter()
    for _ in range(5):
        for event in events:
            collector(event)
    return len(events) * 5, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=500)
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--forks", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sovmigrate-bench-") as tmp:
        work = Path(tmp)
        playbook = work / "stage.yml"
        playbook.write_text(PLAY.format(tasks="".join(TASK.format(i=i) for i in range(args.tasks))))
        print(
            f"play: {args.tasks} raw tasks over {args.hosts} local-connection hosts, "
            f"forks {args.forks}"
        )
        base = baseline(work, playbook, args.hosts, args.forks)
        full = orchestrated(work, playbook, args.hosts, args.forks, "full")
        lean = orchestrated(work, playbook, args.hosts, args.forks, "failed_only")
        count, seconds = replay(Path(full["artifacts"]), args.hosts)
    assert full["ok"] == lean["ok"] == args.hosts, (full, lean)
    print(f"plain ansible-playbook           {base:8.1f} s")
    print(
        f"orchestrator (full event data)   {full['seconds']:8.1f} s   "
        f"ratio {full['seconds'] / base:.2f}"
    )
    print(
        f"orchestrator (only failed data)  {lean['seconds']:8.1f} s   "
        f"ratio {lean['seconds'] / base:.2f}"
    )
    print(
        f"events handled (full)            {full['events']:8d}     "
        f"{full['events'] / full['seconds']:.0f} events/s end to end"
    )
    print(
        f"peak RSS of the controller       {full['maxrss_kb'] / 1024:8.1f} MiB (full), "
        f"{lean['maxrss_kb'] / 1024:.1f} MiB (only failed)"
    )
    print(f"event handler alone (replay)     {count / seconds:8.0f} events/s")
    print(
        f"own RSS of this process          "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.1f} MiB"
    )


if __name__ == "__main__":
    main()
