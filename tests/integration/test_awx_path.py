"""The AWX path without AWX: stages run by plain ansible-playbook with the collection's plugins
(state_store inventory and callback) advance the campaign exactly as ``sovmigrate wave run``
does, and the reinstall play's gate holds (verified capture, store reachable, run recorded).

Hosts are local-connection machines (no disk to wipe: the reinstall command appends to the
host's stages.log, as test_wave_support.FakeDiskReinstaller does for wave run). The same path
on booted lab machines with a PostgreSQL store is in test_awx_lab.py.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from awx_support import (
    ansible_env,
    campaign_state,
    run_playbook,
    run_sliced,
    stage_playbook,
    write_inventory_config,
)
from test_wave_support import FakeDiskReinstaller, local_vars, options, stage_counts

from sovmigrate.run import run_wave, write_wave_inventory
from sovmigrate.state import MachineRecord, UserResult, open_store
from sovmigrate.state.pgtest import shared_database, start_cluster
from sovmigrate.state.pipeline import StageOutcome, begin_stage, finish_stage

pytestmark = pytest.mark.integration
NORTH, SOUTH = ["awx-n1", "awx-n2"], ["awx-s1", "awx-s2"]
FAILURES = {
    "test_fail_hosts_capture": ["awx-n2"],  # a task fails
    "test_unverified_capture": ["awx-s2:bob"],  # reported, not verified: never wiped
    "test_fail_hosts_configure": ["awx-s1"],  # fails after the wipe
}


def _url(kind: str, directory: Path) -> str:
    directory.mkdir()
    return str(directory / "state.db") if kind == "sqlite" else shared_database()


def _seed(url: str, names: list[str], site: dict[str, str] | None = None) -> None:
    with open_store(url) as store:
        camp = store.campaign("test", create=True)
        records = [
            MachineRecord(n, site=(site or {}).get(n, "lyon"), vars=local_vars()) for n in names
        ]
        store.upsert_machines(camp, records)
        store.create_wave(camp, "w1", names)


def _reinstall_vars(root: Path) -> dict[str, object]:
    log = "{{ test_root }}/{{ inventory_hostname }}/stages.log"
    return {
        "test_root": str(root),
        "sovmigrate_reinstall_command": [
            "sh",
            "-c",
            'mkdir -p "${0%/*}" && echo reinstall >> "$0"',
            log,
        ],
        "sovmigrate_reinstall_delay": 0,
        "sovmigrate_reinstall_timeout": 30,
    }


# SQLite here (two writers on one file); PostgreSQL with booted lab machines in test_awx_lab.py,
# which CI runs: this one is left to `make test-all` for CI's time budget (47 s measured).
@pytest.mark.extended
@pytest.mark.parametrize("kind", ["sqlite"])
def test_two_slices_at_once_leave_the_state_of_one_wave_run(kind: str, tmp_path: Path) -> None:
    names = NORTH + SOUTH
    sites = {n: "north" if n in NORTH else "south" for n in names}
    # Through AWX's road: two job slices at once per stage, the callback recording.
    sliced = _url(kind, tmp_path / "sliced")
    _seed(sliced, names, sites)
    inventory = write_inventory_config(tmp_path / "sliced", sliced)
    root_a = tmp_path / "sliced-hosts"
    run_sliced(
        sliced,
        inventory,
        {"site_north": NORTH, "site_south": SOUTH},
        {**_reinstall_vars(root_a), **FAILURES},
    )
    # Through the orchestrator's: one wave run.
    waved = _url(kind, tmp_path / "waved")
    _seed(waved, names, sites)
    root_b = tmp_path / "waved-hosts"
    with open_store(waved) as store:
        wave = store.wave(store.campaign("test"), "w1")
        run_wave(
            store,
            wave,
            reinstaller=FakeDiskReinstaller(root_b),
            options=options(root_b, **FAILURES),
        )

    state = campaign_state(sliced)
    assert state == campaign_state(waved)
    assert {n: s["state"][:2] for n, s in state.items()} == {
        "awx-n1": ("done", None),
        "awx-n2": ("failed", "capture"),
        "awx-s1": ("failed", "configure"),
        "awx-s2": ("failed", "capture"),
    }
    # The same stages really ran on each machine, the wipe once where the capture was verified.
    for name in names:
        assert stage_counts(root_a, name) == stage_counts(root_b, name), name
    assert stage_counts(root_a, "awx-s2").get("reinstall") is None


def test_inventory_plugin_lists_what_wave_inventory_writes(tmp_path: Path) -> None:
    for kind in ("sqlite", "postgresql"):
        url = _url(kind, tmp_path / kind)
        _seed(url, ["inv-a", "inv-b"], {"inv-a": "lyon", "inv-b": "paris 2"})
        with open_store(url) as store:
            camp = store.campaign("test")
            store.set_vars(camp, "inv-b", {"sovmigrate_mac": "52:54:00:12:34:56", "port": 2222})
            store.create_wave(camp, "w2", [])  # an empty wave lists nothing
        written = subprocess.run(
            ["sovmigrate", "wave", "inventory", "w1", "--output-dir", str(tmp_path / kind / "inv")],
            env=ansible_env(url),
            capture_output=True,
            text=True,
            check=True,
        )
        assert "w1.yml" in written.stdout + written.stderr
        from_file = _inventory(tmp_path / kind / "inv" / "test" / "w1.yml", url)
        from_plugin = _inventory(write_inventory_config(tmp_path / kind, url, waves=["w1"]), url)
        assert from_plugin["hostvars"] == from_file["hostvars"]
        assert from_file["hostvars"]["inv-b"]["port"] == 2222
        shared = {g: h for g, h in from_plugin["groups"].items() if g != "wave_w1"}
        assert shared == from_file["groups"]
        assert from_plugin["groups"]["wave_w1"] == ["inv-a", "inv-b"]
        assert "site_paris_2" in shared and "state_scheduled" in shared


def _inventory(source: Path, url: str) -> dict[str, object]:
    """``ansible-inventory --list``, the way a user looks at an inventory."""
    done = subprocess.run(
        ["ansible-inventory", "-i", str(source), "--list"],
        env=ansible_env(url, callback=False),
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(done.stdout, object_hook=_plain)
    hostvars = data.pop("_meta")["hostvars"]
    groups = {g: sorted(v.get("hosts", [])) for g, v in data.items() if v.get("hosts")}
    return {"hostvars": hostvars, "groups": groups}


def _plain(obj: dict[str, object]) -> object:
    # Values from an inventory plugin are marked unsafe (never templated); the file's are not.
    return obj["__ansible_unsafe"] if set(obj) == {"__ansible_unsafe"} else obj


def test_an_unreadable_store_is_one_line_naming_it(tmp_path: Path) -> None:
    config = write_inventory_config(tmp_path, str(tmp_path / "missing" / "state.db"))
    done = subprocess.run(
        ["ansible-inventory", "-i", str(config), "--list"],
        env=ansible_env("", callback=False),
        capture_output=True,
        text=True,
    )
    assert "sovmigrate state store: state database" in done.stderr
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr


def _advance(url: str, name: str, stages: list[str]) -> None:
    with open_store(url) as store:
        machine = store.machine(store.campaign("test"), name)
        for stage in stages:
            run = begin_stage(store, machine, stage, wave_id=None)
            users = (UserResult("alice", True, 3, 120),) if stage == "capture" else None
            finish_stage(store, machine.id, stage, run, StageOutcome(ok=True, users=users), "t")


def _reinstall(
    inventory: Path, url: str, root: Path, name: str, *args: str, callback: bool = True
) -> subprocess.CompletedProcess[str]:
    return run_playbook(
        inventory,
        stage_playbook("reinstall"),
        ansible_env(url, callback=callback),
        limit=name,
        extravars=_reinstall_vars(root),
        args=args,
    )


def _wipes(root: Path, name: str) -> int:
    return stage_counts(root, name).get("reinstall", 0)


def _reinstall_runs(url: str, name: str) -> list[str]:
    with open_store(url) as store:
        machine = store.machine(store.campaign("test"), name)
        return [r.result for r in store.stage_runs(machine_id=machine.id, stage="reinstall")]


def test_the_reinstall_play_refuses_before_any_change(tmp_path: Path) -> None:
    cluster = start_cluster()
    try:
        url = cluster.new_database("gate")
        _seed(url, ["gate-no-capture", "gate-ready"])
        _advance(url, "gate-no-capture", ["precheck"])
        _advance(url, "gate-ready", ["precheck", "capture"])
        config = write_inventory_config(tmp_path, url)
        root = tmp_path / "hosts"

        refused = _reinstall(config, url, root, "gate-no-capture")
        assert refused.returncode == 2
        assert "gate: gate-no-capture is prechecked; reinstall needs captured" in refused.stdout
        assert (
            _wipes(root, "gate-no-capture") == 0 and _reinstall_runs(url, "gate-no-capture") == []
        )

        unrecorded = _reinstall(config, url, root, "gate-ready", callback=False)
        assert unrecorded.returncode == 2 and "callback is not enabled" in unrecorded.stdout

        with open_store(url) as store:
            camp = store.campaign("test")
            # An inventory file written earlier: the plays start without the store.
            static = write_wave_inventory(store, camp, store.wave(camp, "w1"), tmp_path / "inv")
        cluster.stop_server()  # the store goes away: the gate fails closed
        unreachable = _reinstall(static, url, root, "gate-ready")
        assert unreachable.returncode != 0
        assert "cannot reach state database" in unreachable.stdout
        cluster.start_server()
        assert _wipes(root, "gate-ready") == 0 and _reinstall_runs(url, "gate-ready") == []

        checked = _reinstall(config, url, root, "gate-ready", "--check")
        assert checked.returncode == 0, checked.stdout[-2000:]
        assert _wipes(root, "gate-ready") == 0 and _reinstall_runs(url, "gate-ready") == []

        wiped = _reinstall(config, url, root, "gate-ready")
        assert wiped.returncode == 0, wiped.stdout[-2000:]
        assert _wipes(root, "gate-ready") == 1 and _reinstall_runs(url, "gate-ready") == ["ok"]
        again = _reinstall(config, url, root, "gate-ready")
        assert again.returncode == 2 and "reinstall needs captured" in again.stdout
        assert _wipes(root, "gate-ready") == 1
    finally:
        cluster.stop()


def test_a_check_mode_run_records_nothing(tmp_path: Path) -> None:
    url = _url("sqlite", tmp_path / "store")
    _seed(url, ["chk-1"])
    config = write_inventory_config(tmp_path / "store", url)
    extravars = {"test_root": str(tmp_path / "hosts")}
    checked = run_playbook(
        config, stage_playbook("precheck"), ansible_env(url), extravars=extravars, args=("--check",)
    )
    assert checked.returncode == 0, checked.stdout[-2000:]
    assert "check mode, nothing is recorded in the state store" in checked.stdout
    assert campaign_state(url)["chk-1"]["state"][0] == "scheduled"
    assert campaign_state(url)["chk-1"]["runs"] == []
    ran = run_playbook(config, stage_playbook("precheck"), ansible_env(url), extravars=extravars)
    assert ran.returncode == 0 and campaign_state(url)["chk-1"]["state"][0] == "prechecked"
