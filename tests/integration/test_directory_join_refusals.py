"""directory_join on a real booted lab machine with no domain controller to reach.

What a technician sees when the directory is unreachable: the configure stage fails with one
line naming the cause, the join password appears nowhere (not in the run's output, not in any
file of ansible-runner's artifacts), and a check-mode run of the role on a machine that has
never been joined goes through without joining. The join against the lab's real Samba AD DC
is tested in test_directory_join.py.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import ansible_runner
import pytest

from sovmigrate.lab import Lab, default_root
from sovmigrate.run import RunOptions, run_wave
from sovmigrate.run.options import default_playbooks, ensure_ansible_on_path
from sovmigrate.run.reinstall import lab_host_vars
from sovmigrate.state import MachineRecord, UserResult, open_store
from sovmigrate.state.pipeline import StageOutcome, begin_stage, finish_stage

REPO = Path(__file__).resolve().parents[2]
NAME = "dj-refuse"
JOIN_PASSWORD = "Jo1n-S3cret-never-logged"
# The machine's own loopback, where no Kerberos or LDAP service listens: a DC that does not
# answer, with no packet leaving the machine (the tests send traffic nowhere else).
NO_DC = "127.0.0.1"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if os.geteuid() != 0:
        pytest.skip("lab machines need root (systemd-nspawn)")
    base = tmp_path_factory.mktemp("djlab")
    root = base / "lab"
    root.mkdir()
    shared = default_root() / "images"
    shared.mkdir(parents=True, exist_ok=True)
    (root / "images").symlink_to(shared)
    the_lab = Lab(root)
    the_lab.up([NAME])
    yield base, the_lab
    the_lab.destroy([NAME])


def _play(base: Path, lab: Lab, check: bool) -> tuple[int, str, Path]:
    playbook = base / "join.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: true\n  roles:\n    - role: directory_join\n",
        encoding="utf-8",
    )
    secrets = base / "secrets.yml"
    secrets.write_text(f"directory_join_password: {JOIN_PASSWORD}\n", encoding="utf-8")
    private = base / ("runner-check" if check else "runner")
    private.mkdir(exist_ok=True)
    ensure_ansible_on_path()
    run = ansible_runner.run(
        private_data_dir=str(private),
        playbook=str(playbook),
        inventory=str(lab.paths.inventory),
        limit=NAME,
        extravars={
            "directory_join_realm": "LAB.SOVMIGRATE.TEST",
            "directory_join_user": "joinposte",
            "directory_join_domain_controller": NO_DC,
        },
        # Secrets as -e @file, as the orchestrator passes them: never in extravars.
        cmdline=f"-e @{secrets}" + (" --check" if check else ""),
        envvars={
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
            "PYTHONPATH": str(REPO),
        },
        quiet=True,
    )
    return run.rc, run.stdout.read(), private


def _files_holding(root: Path, needle: str) -> list[str]:
    out = subprocess.run(
        ["grep", "-rlF", needle, str(root)], capture_output=True, text=True, check=False
    )
    return out.stdout.split()


def test_check_mode_on_a_machine_never_joined_goes_through(lab: Any) -> None:
    base, the_lab = lab
    rc, stdout, private = _play(base, the_lab, check=True)
    assert rc == 0, stdout[-3000:]
    assert JOIN_PASSWORD not in stdout
    assert _files_holding(private, JOIN_PASSWORD) == []


def test_unreachable_dc_fails_with_one_line_naming_it(lab: Any) -> None:
    base, the_lab = lab
    rc, stdout, private = _play(base, the_lab, check=False)
    assert rc != 0
    failed = [line for line in stdout.splitlines() if "directory join of" in line]
    assert failed, stdout[-3000:]
    assert "failed: no domain controller could be reached" in failed[0], failed[0]
    assert JOIN_PASSWORD not in stdout
    assert _files_holding(private, JOIN_PASSWORD) == []


def test_a_wave_leaves_the_machine_failed_at_configure_naming_the_cause(
    lab: Any, tmp_path: Path
) -> None:
    """The same refusal through ``run_wave`` and the state store, as a technician meets it.

    Stand-ins, named: the configure playbook holds only directory_join (the full one's other
    roles take minutes and do not touch the join), and the machine's history before configure
    (precheck, a verified capture, the reinstall) is recorded by hand.
    """
    _base, the_lab = lab
    book = tmp_path / "configure.yml"
    book.write_text(
        "- hosts: \"{{ sovmigrate_hosts | default('all') }}\"\n  gather_facts: true\n"
        "  roles:\n    - role: directory_join\n",
        encoding="utf-8",
    )
    secrets = tmp_path / "secrets.yml"
    secrets.write_text(f"directory_join_password: {JOIN_PASSWORD}\n", encoding="utf-8")
    with open_store(str(tmp_path / "state.db")) as store:
        camp = store.campaign("annuaire", create=True)
        store.upsert_machines(camp, [MachineRecord(NAME, vars=lab_host_vars(the_lab, NAME) or {})])
        wave = store.create_wave(camp, "w1", [NAME])
        for stage, outcome in (
            ("precheck", StageOutcome(ok=True)),
            ("capture", StageOutcome(ok=True, users=(UserResult("S-1-5-21-1-2-3-1001", True),))),
            ("reinstall", StageOutcome(ok=True)),
        ):
            m = store.machine(camp, NAME)
            run = begin_stage(store, m, stage, wave_id=wave.id)
            finish_stage(store, m.id, stage, run, outcome, "test")
        options = RunOptions(
            playbooks={**default_playbooks(), "configure": book},
            artifacts_root=tmp_path / "artifacts",
            extravars={
                "directory_join_realm": "LAB.SOVMIGRATE.TEST",
                "directory_join_user": "joinposte",
                "directory_join_domain_controller": NO_DC,
            },
            secret_vars_files=[secrets],
        )
        run_wave(store, wave, ["configure"], options=options)
        m = store.machine(camp, NAME)
        reason = store.transitions(m.id)[-1].reason
    assert (m.state, m.failed_stage) == ("failed", "configure")
    assert "failed: no domain controller could be reached" in reason, reason
    assert JOIN_PASSWORD not in reason
    assert _files_holding(tmp_path / "artifacts", JOIN_PASSWORD) == []
