"""Shared pieces of the orchestrator's integration tests (local-connection hosts); no test here.

Local-connection hosts let the tests run real ansible-runner waves in seconds; they have no
disk to wipe, so their reinstall step is ``FakeDiskReinstaller`` (a fake, named as such): it
records each call in the host's stages.log, which is how the tests count destructive steps.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sovmigrate.run import RunOptions, default_playbooks
from sovmigrate.state import MachineRecord, Store, Wave, open_store
from sovmigrate.state.pgtest import shared_database

PLAYBOOKS = Path(__file__).parent / "playbooks"
ROOT = Path(__file__).resolve().parents[2]


class FakeDiskReinstaller:
    def __init__(self, root: Path, sleep: float = 0.0) -> None:
        self.root, self.sleep = root, sleep

    def reinstall(self, machine: Any) -> None:
        log = self.root / machine.name / "stages.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a") as handle:
            handle.write("reinstall\n")
        time.sleep(self.sleep)


def local_vars() -> dict[str, str]:
    return {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}


def make_db(kind: str, tmp: Path) -> str:
    return str(tmp / "state.db") if kind == "sqlite" else shared_database()


def seed(url: str, names: list[str], wave: str = "w1") -> None:
    with open_store(url) as store:
        camp = store.campaign("test", create=True)
        store.upsert_machines(
            camp, [MachineRecord(n, site="lyon", vars=local_vars()) for n in names]
        )
        store.create_wave(camp, wave, names)


def options(root: Path, **extravars: Any) -> RunOptions:
    return RunOptions(
        playbooks=default_playbooks(PLAYBOOKS),
        artifacts_root=root / "artifacts",
        extravars={"test_root": str(root), **extravars},
    )


def stage_counts(root: Path, name: str) -> dict[str, int]:
    log = root / name / "stages.log"
    counts: dict[str, int] = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        stage = line.split()[0]
        counts[stage] = counts.get(stage, 0) + 1
    return counts


def wave_of(store: Store, name: str = "w1") -> Wave:
    return store.wave(store.campaign("test"), name)


def wait_for(
    predicate: Callable[[], bool],
    timeout: float = 120,
    what: str = "",
    proc: subprocess.Popen[str] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"controller exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def runs_by_result(url: str) -> list[tuple[str, str, str]]:
    """(machine, stage, result) of every stage run, read while a controller writes."""
    with open_store(url) as store:
        return [
            (store.machine_by_id(r.machine_id).name, r.stage, r.result) for r in store.stage_runs()
        ]


def sqlite_dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


# A controller in its own process, so that the tests can SIGKILL or SIGINT it.
DRIVER = """
import json, sys
sys.path.insert(0, sys.argv[4])
from pathlib import Path
from test_wave_support import FakeDiskReinstaller, options
from sovmigrate.run import CancelToken, cancel_on_sigint, run_wave
from sovmigrate.state import STAGES, open_store
url, root, extravars = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
reinstall_sleep = float(extravars.pop("reinstall_sleep", 0))
serial = int(extravars.pop("serial", 0))
stages = extravars.pop("stages", None)
opts = options(root, **extravars)
opts.serial = serial
with open_store(url) as store:
    wave = store.wave(store.campaign("test"), "w1")
    token = CancelToken()
    with cancel_on_sigint(token):
        summary = run_wave(store, wave, stages or STAGES,
                           reinstaller=FakeDiskReinstaller(root, reinstall_sleep),
                           options=opts, cancel=token)
print(json.dumps({"canceled": summary.canceled, "recovered": summary.recovered,
                  "states": summary.states}))
sys.exit(130 if summary.canceled else 0)
"""


def start_driver(url: str, root: Path, **extravars: Any) -> subprocess.Popen[str]:
    import json

    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            DRIVER,
            url,
            str(root),
            json.dumps(extravars),
            str(Path(__file__).parent),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
