"""The molecule scenarios of interministerial_suite and hardening, on real lab machines.

Each: create a lab machine, (prepare the Tchap stand-in mirror), converge, re-run expecting
changed=0, verify with the postcheck's own checks over molecule's testinfra host, destroy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.integration
@pytest.mark.parametrize("role", ["interministerial_suite", "hardening"])
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
        stdin=subprocess.DEVNULL,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"molecule test failed for {role}:\n{output[-6000:]}"
