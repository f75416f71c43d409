"""Every role's molecule scenario, each on real booted lab machines (systemd-nspawn).

A scenario creates its machines, converges the role, re-runs it expecting changed=0, verifies
with testinfra as an agent would, and destroys the machines. `make test` (CI) runs the
workstation roles' scenarios; the others are marked ``extended`` (`make test-all`) because CI's
90 minutes cannot hold every scenario and the same roles are converged, re-run and checked in
CI anyway: interministerial_suite and hardening by tests/integration/test_configure.py and the
lab demo, precheck, user_state_capture and user_state_restore by
tests/integration/test_userstate_roles.py, directory_join by
tests/integration/test_directory_join.py and the lab demo. Measured figures:
docs/workstation.md, docs/restore.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CI_ROLES = ["workstation_base", "workstation_desktop", "workstation_apps"]
EXTENDED_ROLES = [
    "interministerial_suite",
    "hardening",
    "precheck",
    "user_state_capture",
    "user_state_restore",
    "directory_join",
]


def test_every_role_scenario_is_listed() -> None:
    """A role whose scenario is in neither list would silently never run."""
    scenarios = ROOT.glob("roles/*/molecule/*/molecule.yml")
    found = sorted({p.parents[2].name for p in scenarios})
    assert found == sorted(CI_ROLES + EXTENDED_ROLES)


def _molecule_test(role: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("lab machines need root (systemd-nspawn)")
    bin_dir = Path(sys.executable).parent
    # No colour and wide lines: molecule wraps a failed task's message to the terminal width,
    # and the report below must carry all of it.
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_COLOR": "1",
        "ANSIBLE_NOCOLOR": "1",
        "COLUMNS": "400",
    }
    result = subprocess.run(
        [str(bin_dir / "molecule"), "test"],
        cwd=ROOT / "roles" / role,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, (
        f"molecule test failed for {role}:\n" + _failed_tasks(output) + "\n" + output[-6000:]
    )


def _failed_tasks(output: str) -> str:
    """Each failed task's header and whole message: the tail alone may not reach back to them."""
    lines = output.splitlines()
    picked: list[str] = []
    for i, line in enumerate(lines):
        if "fatal:" in line or "FAILED!" in line:
            task = next((t for t in reversed(lines[:i]) if "TASK [" in t), "")
            picked += [task, *lines[i : i + 12], ""]
    return "\n".join(picked[:200])


@pytest.mark.integration
@pytest.mark.parametrize("role", CI_ROLES)
def test_molecule_scenario_passes(role: str) -> None:
    _molecule_test(role)


@pytest.mark.integration
@pytest.mark.extended
@pytest.mark.parametrize("role", EXTENDED_ROLES)
def test_extended_molecule_scenario_passes(role: str) -> None:
    _molecule_test(role)
