"""Shared pieces of the AWX-path tests (plain ansible-playbook with the collection's plugins).

What AWX does is what these helpers do: an inventory from the store (the state_store inventory
plugin), one ``ansible-playbook`` per stage with the state_store callback enabled, job slices
as concurrent processes on disjoint parts of the inventory. AWX itself cannot run here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from test_wave_support import PLAYBOOKS

from sovmigrate.state import STAGES, open_store
from sovmigrate.state.pipeline_states import READY_STATE

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def stage_playbook(stage: str) -> Path:
    # The real reinstall play (its gate is what is under test); test stand-ins for the others.
    return (
        REPO / "playbooks" / "reinstall.yml" if stage == "reinstall" else PLAYBOOKS / f"{stage}.yml"
    )


def write_inventory_config(directory: Path, url: str, **options: Any) -> Path:
    path = directory / "sovmigrate_store.yml"
    path.write_text(json.dumps({"plugin": "state_store", "db": url, **options}), encoding="utf-8")
    return path


def ansible_env(url: str, *, callback: bool = True) -> dict[str, str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"  # one line per result: messages not folded
    env["SOVMIGRATE_DB"] = url
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    if callback:
        env["ANSIBLE_CALLBACKS_ENABLED"] = "state_store"
    else:
        env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    return env


def start_playbook(
    inventory: Path,
    playbook: Path,
    env: dict[str, str],
    *,
    limit: str | None = None,
    extravars: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
) -> subprocess.Popen[str]:
    argv = [str(VENV_BIN / "ansible-playbook"), "-i", str(inventory), str(playbook), *args]
    if limit:
        argv += ["--limit", limit]
    if extravars:
        argv += ["-e", json.dumps(extravars)]
    return subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        stdin=subprocess.DEVNULL,
    )


def run_playbook(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = start_playbook(*args, **kwargs)
    out, _ = proc.communicate(timeout=900)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "")


def ready_in(url: str, names: list[str], stage: str) -> list[str]:
    with open_store(url) as store:
        camp = store.campaigns()[0]
        return [m.name for m in store.machines(camp, names=names) if m.state == READY_STATE[stage]]


def run_sliced(
    url: str,
    inventory: Path,
    slices: dict[str, list[str]],
    extravars: dict[str, Any],
) -> list[str]:
    """Every stage in order, each as concurrent ansible-playbook runs, one per slice (group).

    A slice targets its group's machines ready for the stage (``site_X:&state_<ready>``), as a
    job template limited to the ready state would. Returns each run's output, for messages.
    """
    outputs = []
    for stage in STAGES:
        procs = [
            start_playbook(
                inventory,
                stage_playbook(stage),
                ansible_env(url),
                limit=f"{group}:&state_{READY_STATE[stage]}",
                extravars=extravars,
            )
            for group, members in slices.items()
            if ready_in(url, members, stage)
        ]
        for proc in procs:
            out, _ = proc.communicate(timeout=900)
            outputs.append(f"== {stage} rc={proc.returncode}\n{out[-3000:]}")
            # 0: all hosts passed; 2: some failed (what the test arranges). Anything else is a
            # broken run, not a verdict.
            assert proc.returncode in (0, 2), outputs[-1]
    return outputs


def campaign_state(url: str) -> dict[str, dict[str, Any]]:
    """What a user compares between two runs: per machine, its state, the transitions, the
    stage runs and the verifications (not times, ids, actors or controllers)."""
    out: dict[str, dict[str, Any]] = {}
    with open_store(url) as store:
        camp = store.campaigns()[0]
        for m in store.machines(camp):
            out[m.name] = {
                "state": (m.state, m.failed_stage, m.resume_state),
                "transitions": [
                    (t.from_state, t.to_state, t.stage, t.reason) for t in store.transitions(m.id)
                ],
                "runs": [
                    (r.stage, r.result, r.reason, r.data) for r in store.stage_runs(machine_id=m.id)
                ],
                "verifications": sorted(
                    (v.kind, v.user, v.verified, v.files, v.bytes)
                    for v in store.verifications(m.id)
                ),
            }
    return out
