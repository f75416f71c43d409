"""``sovmigrate lab demo``: bring up lab machines and apply the configure playbook to them.

For now the demo is "machines boot and get configured by Ansible"; later stages of the
migration chain join it as their playbooks appear.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from sovmigrate.errors import EnvironmentProblem, OperationFailed
from sovmigrate.lab.lab import Lab, Log

REPO = Path(__file__).resolve().parents[2]


@dataclass
class DemoResult:
    machines: list[str]
    playbook: str | None  # None when the repository has no configure playbook yet
    returncode: int


def run_demo(lab: Lab, names: list[str], suite: str | None, log: Log) -> DemoResult:
    report = lab.up(names, suite=suite)
    playbook = REPO / "playbooks" / "configure.yml"
    if not playbook.is_file():
        log(f"no {playbook.relative_to(REPO)} yet: checking Ansible reaches the machines instead")
        rc = _ansible(["ansible", "lab", "-m", "ansible.builtin.ping"], lab, names)
        if rc != 0:
            raise OperationFailed("Ansible could not reach every demo machine; see above")
        return DemoResult([m.name for m in report.machines], None, rc)
    log(f"applying {playbook.relative_to(REPO)} to {', '.join(names)}")
    rc = _ansible(["ansible-playbook", str(playbook)], lab, names)
    if rc != 0:
        raise OperationFailed(f"{playbook.name} failed (exit status {rc}); see the output above")
    return DemoResult([m.name for m in report.machines], str(playbook), rc)


def _ansible(argv: list[str], lab: Lab, names: list[str]) -> int:
    # The tools of this virtualenv, with the repository's ansible.cfg (roles path, ssh options).
    tool = Path(sys.executable).parent / argv[0]
    if not tool.exists():
        raise EnvironmentProblem(f"{tool} is missing: run ./scripts/bootstrap.sh")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))
    cmd = [str(tool), *argv[1:], "-i", str(lab.paths.inventory), "--limit", ",".join(names)]
    return subprocess.run(cmd, cwd=REPO, env=env, check=False).returncode
