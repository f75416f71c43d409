"""The shared molecule harness: a scenario runs its full `molecule test` on a lab machine."""

from __future__ import annotations

import os
import subprocess

import pytest
from labtools import REPO, VENV_BIN, lab_dir, nspawn_pids

pytestmark = pytest.mark.integration


def test_molecule_scenario_with_idempotence():
    env = dict(
        os.environ,
        PATH=f"{VENV_BIN}:{os.environ['PATH']}",  # molecule calls ansible-* by name
        SOVMIGRATE_LAB_DIR=str(lab_dir()),
        ANSIBLE_NOCOLOR="1",
        NO_COLOR="1",
    )
    proc = subprocess.run(
        [str(VENV_BIN / "molecule"), "test", "-s", "lab_smoke"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    for step in ("create", "converge", "idempotence", "verify", "destroy"):
        assert f"{step}: Executed: Successful" in out, step
    assert "3 passed" in out  # the testinfra checks really ran
    assert nspawn_pids("lab-mol1") == []  # destroy powered the machine off
