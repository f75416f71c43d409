"""The AWX path on booted lab machines with a PostgreSQL store: each stage as two
``ansible-playbook`` runs at once on disjoint halves of the wave (what AWX job slices do), the
state_store callback recording, the real reinstall play re-creating the machines from the
clean base image. The store ends as one ``sovmigrate wave run`` of the same wave leaves it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from awx_support import campaign_state, run_sliced, write_inventory_config
from test_wave_support import PLAYBOOKS

from sovmigrate.run import LabReinstaller, RunOptions, default_playbooks, run_wave
from sovmigrate.state import MachineRecord, open_store
from sovmigrate.state.pgtest import shared_database

pytestmark = pytest.mark.integration
NORTH, SOUTH = ["awx-n1", "awx-n2"], ["awx-s1", "awx-s2"]
NAMES = NORTH + SOUTH
REMOTE_ROOT = "/var/lib/sovmigrate-test"
FAILURES = {
    "test_fail_hosts_capture": ["awx-n2"],
    "test_unverified_capture": ["awx-s2:bob"],
    "test_fail_hosts_configure": ["awx-s1"],
}
# The site's reinstall command, for lab machines: a fresh root file system, same address.
LAB_REINSTALL = [
    sys.executable,
    "-c",
    "import sys; from sovmigrate.lab import Lab; Lab().reinstall(sys.argv[1])",
    "{{ inventory_hostname }}",
]


@pytest.fixture(scope="module")
def lab() -> Iterator[object]:
    if os.geteuid() != 0:
        pytest.skip("lab machines need root (systemd-nspawn)")
    from sovmigrate.lab import Lab

    lab = Lab()
    try:
        lab.up(NAMES)
        yield lab
    finally:
        lab.destroy(NAMES)


def _seed(lab: object) -> str:
    data = yaml.safe_load(Path(lab.paths.inventory).read_text())  # type: ignore[attr-defined]
    hosts = data["all"]["children"]["lab"]["hosts"]
    url = shared_database()
    with open_store(url) as store:
        camp = store.campaign("lab-awx", create=True)
        records = [
            MachineRecord(n, site="north" if n in NORTH else "south", vars=hosts[n]) for n in NAMES
        ]
        store.upsert_machines(camp, records)
        store.create_wave(camp, "pilot", NAMES)
    return url


def _remote_stages(lab: object, name: str) -> list[str]:
    argv = lab.ssh_argv(name, ("cat", f"{REMOTE_ROOT}/{name}/stages.log"))  # type: ignore[attr-defined]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return [line.split()[0] for line in done.stdout.splitlines()]


def test_two_slices_on_lab_machines_leave_the_state_of_one_wave_run(
    lab: object, tmp_path: Path
) -> None:
    sliced = _seed(lab)
    inventory = write_inventory_config(tmp_path, sliced)
    extravars = {
        "test_root": REMOTE_ROOT,
        "sovmigrate_reinstall_command": LAB_REINSTALL,
        "sovmigrate_reinstall_delay": 1,
        "sovmigrate_reinstall_timeout": 120,
        **FAILURES,
    }
    run_sliced(sliced, inventory, {"site_north": NORTH, "site_south": SOUTH}, extravars)
    after_slices = {n: _remote_stages(lab, n) for n in NAMES}

    waved = _seed(lab)  # the same machines, a new store: one wave run
    for name in NAMES:
        lab.reinstall(name)  # type: ignore[attr-defined]
    with open_store(waved) as store:
        wave = store.wave(store.campaign("lab-awx"), "pilot")
        opts = RunOptions(
            playbooks=default_playbooks(PLAYBOOKS),
            artifacts_root=tmp_path / "artifacts",
            extravars={"test_root": REMOTE_ROOT, **FAILURES},
        )
        run_wave(store, wave, reinstaller=LabReinstaller(lab), options=opts)
    after_wave = {n: _remote_stages(lab, n) for n in NAMES}

    state = campaign_state(sliced)
    assert state == campaign_state(waved)
    assert {n: s["state"][:2] for n, s in state.items()} == {
        "awx-n1": ("done", None),
        "awx-n2": ("failed", "capture"),
        "awx-s1": ("failed", "configure"),
        "awx-s2": ("failed", "capture"),
    }
    # The disks really were replaced where the capture was verified, and only there.
    assert after_slices == after_wave
    assert after_slices["awx-n1"] == ["configure", "restore", "postcheck"]
    assert after_slices["awx-s1"] == ["configure"]
    assert after_slices["awx-s2"] == ["precheck", "capture"]
