"""Helpers of the lab integration tests: run the CLI, look at the host like a user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from sovmigrate.lab.network import nat_rules, rule_tag

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def lab_dir() -> Path:
    # The default lab directory, so the base image built once serves every test module.
    return Path(os.environ.get("SOVMIGRATE_LAB_DIR") or "/var/lib/sovmigrate/lab")


def cli(*args: str, env: dict[str, str] | None = None, lab: Path | None = None):
    """Run ``sovmigrate lab ARGS`` as a user would; return the CompletedProcess."""
    full_env = dict(os.environ, **(env or {}))
    full_env["SOVMIGRATE_LAB_DIR"] = str(lab or lab_dir())
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", "lab", *args],
        capture_output=True,
        text=True,
        env=full_env,
        stdin=subprocess.DEVNULL,
        timeout=900,
        check=False,
    )


def nspawn_pids(name: str) -> list[int]:
    """Host pids of systemd-nspawn processes running a machine called ``name``."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv[:1] == [b"systemd-nspawn"] and f"--machine={name}".encode() in argv:
            pids.append(int(proc.name))
    return pids


def link_exists(name: str) -> bool:
    return Path("/sys/class/net", f"ve-{name}").exists()


def has_nat_rule(name: str, lab: Path | None = None) -> bool:
    return rule_tag(name, (lab or lab_dir()).absolute()) in nat_rules()


def ruleset_mentions(name: str) -> bool:
    out = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
    return re.search(rf"sovmigrate-lab {re.escape(name)}\b", out) is not None


def is_mounted(path: Path) -> bool:
    return any(
        line.split()[1] == str(path) for line in Path("/proc/mounts").read_text().splitlines()
    )


RECAP = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)",
    re.M,
)


def run_playbook(playbook: Path, inventory: Path, hosts: list[str]) -> dict[str, dict[str, int]]:
    """Run a playbook with the repository's ansible.cfg; return the recap per host."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(inventory),
            "--limit",
            ",".join(hosts),
            str(playbook),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    recap = {
        m["host"]: {k: int(v) for k, v in m.groupdict().items() if k != "host"}
        for m in RECAP.finditer(proc.stdout)
    }
    assert set(recap) == set(hosts), proc.stdout[-2000:]
    return recap


def isolated_ansible_env(tmp: Path, collections: Path | None = None) -> dict[str, str]:
    """An environment where only what a test installed answers: an empty ansible.cfg, a home
    of its own, the virtualenv's tools, and ``collections`` as the only collections path."""
    (tmp / "empty.cfg").touch()
    env = {
        "ANSIBLE_CONFIG": str(tmp / "empty.cfg"),
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "HOME": str(tmp),
    }
    if collections is not None:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections)
    return env
