"""The workstation roles' molecule scenarios, each on real booted lab machines (systemd-nspawn).

Each scenario creates its machines, converges the role, re-runs it expecting changed=0, runs it in
check mode on the configured machine, verifies with testinfra as an agent would, and destroys the
machines. Measured here (2 cores, warm APT cache of the workstation lab, other areas' jobs
loading the host): base 346-660 s (two machines, Debian 13 and 12), desktop 224 s, apps 265 s.
The scenarios use the lab directory /var/lib/sovmigrate/lab-workstation (SOVMIGRATE_LAB_DIR
overrides): its first use builds the trixie and bookworm base images (~1 min each).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLES = ["workstation_base", "workstation_desktop", "workstation_apps"]


@pytest.mark.integration
@pytest.mark.parametrize("role", ROLES)
def test_molecule_scenario_passes(role: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("lab machines need root (systemd-nspawn)")
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [str(bin_dir / "molecule"), "test"],
        cwd=ROOT / "roles" / role,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"molecule test failed for {role}:\n{output[-6000:]}"
