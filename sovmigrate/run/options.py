"""How a wave runs: playbooks per stage, parallelism, batches, thresholds, artifacts, progress."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sovmigrate.state.pipeline_states import STAGES

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Above this many hosts in one run, and for stages whose results need no event data, only failed
# events keep their data: the per-host verdict then comes from the marker line (see events.py).
FAILED_ONLY_ABOVE = 200


def default_playbooks(directory: Path | None = None) -> dict[str, Path]:
    base = directory or Path(os.environ.get("SOVMIGRATE_PLAYBOOKS_DIR", PROJECT_DIR / "playbooks"))
    return {s: base / f"{s}.yml" for s in STAGES if s != "reinstall"}


def _actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


@dataclass
class RunOptions:
    playbooks: dict[str, Path] = field(default_factory=default_playbooks)
    forks: int = 10
    serial: int = 0  # machines per batch; 0 = the whole wave in one batch
    max_fail_percentage: float = 100.0  # stop the wave once more than this share has failed
    artifacts_root: Path = field(
        default_factory=lambda: Path(os.environ.get("SOVMIGRATE_ARTIFACTS_DIR", "artifacts"))
    )
    keep_artifacts: int = 30  # stage-run artifact directories kept per wave
    event_data: str = "auto"  # auto | full | failed_only | omit
    extravars: dict[str, Any] = field(default_factory=dict)
    # Vars files given to ansible-playbook as ``-e @file``: secrets (vault passwords, restic
    # passwords) stay in their file; neither artifacts nor ``ps`` ever show their values.
    secret_vars_files: list[Path] = field(default_factory=list)
    envvars: dict[str, str] = field(default_factory=dict)
    ansible_config: Path | None = field(
        default_factory=lambda: (
            (PROJECT_DIR / "ansible.cfg") if (PROJECT_DIR / "ansible.cfg").is_file() else None
        )
    )
    actor: str = field(default_factory=_actor)
    controller: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    def env(self) -> dict[str, str]:
        # The venv's ansible-playbook first: the orchestrator may run from an unactivated venv.
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        env = {
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "PATH": path,
            # JSON results: the marker's host list is parsed from stdout when data is omitted
            # (the YAML format would fold long lines).
            "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
            **self.envvars,
        }
        if self.ansible_config is not None:
            env.setdefault("ANSIBLE_CONFIG", str(self.ansible_config))
        return env


class Progress(Protocol):
    """What a live display (the CLI's rich table) is told while a wave runs."""

    def stage_started(self, stage: str, total: int) -> None: ...
    def host_changed(self, stage: str, host: str, status: str, reason: str) -> None: ...
    def stage_finished(self, summary: Any) -> None: ...


class NullProgress:
    def stage_started(self, stage: str, total: int) -> None:
        pass

    def host_changed(self, stage: str, host: str, status: str, reason: str) -> None:
        pass

    def stage_finished(self, summary: Any) -> None:
        pass


def users_from(result: Mapping[str, Any] | None) -> list[dict[str, Any]] | None:
    if not result or not isinstance(result.get("users"), list):
        return None
    return [u for u in result["users"] if isinstance(u, dict)]


def ensure_ansible_on_path() -> None:
    """ansible-runner looks ansible-playbook up in this process's PATH: add the venv's bin."""
    if shutil.which("ansible-playbook") is None:
        bindir = str(Path(sys.executable).parent)
        os.environ["PATH"] = os.pathsep.join([bindir, os.environ.get("PATH", "")])
