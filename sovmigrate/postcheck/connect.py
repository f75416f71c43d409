"""Reach a machine with testinfra: through an Ansible inventory (its SSH details) or local."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sovmigrate.errors import EnvironmentProblem, UsageError


def default_inventory() -> Path | None:
    env = os.environ.get("ANSIBLE_INVENTORY")
    return Path(env) if env else None


def _ansible_on_path() -> None:
    # testinfra and this module call ansible-inventory: use the one installed next to this Python
    # (the venv's) even when the venv is not activated.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def _hostvars(name: str, inventory: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ansible-inventory", "-i", str(inventory), "--host", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise UsageError(f"host {name} is not in the inventory {inventory}")
    return dict(json.loads(out.stdout))


def testinfra_host(name: str, inventory: Path | None) -> Any:
    """A testinfra Host for ``name``; ``local`` checks the machine this runs on.

    The SSH details come from the inventory, and one multiplexed SSH connection carries every
    command (testinfra's ansible:// backend opens one connection per command without a
    ControlPath, ~0.6 s each).
    """
    try:
        import testinfra
    except ImportError as exc:  # pragma: no cover - a broken install
        msg = "pytest-testinfra is not installed (run ./scripts/bootstrap.sh)"
        raise EnvironmentProblem(msg) from exc
    if name == "local":
        return testinfra.get_host("local://")
    if inventory is None:
        msg = f"no inventory to find {name} in: pass --inventory or set ANSIBLE_INVENTORY"
        raise UsageError(msg)
    if not inventory.exists():
        raise UsageError(f"inventory {inventory} does not exist")
    _ansible_on_path()
    hv = _hostvars(name, inventory)
    if hv.get("ansible_connection", "ssh") not in ("ssh", "smart"):
        raise UsageError(f"host {name}: only SSH connections are supported by the postcheck")
    address = str(hv.get("ansible_host", name))
    user = str(hv.get("ansible_user", "root"))
    port = str(hv.get("ansible_port", 22))
    key = hv.get("ansible_ssh_private_key_file") or hv.get("ansible_private_key_file")
    extra = " ".join(
        [
            "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
            str(hv.get("ansible_ssh_common_args", "")),
            str(hv.get("ansible_ssh_extra_args", "")),
        ]
    ).strip()
    sockdir = Path(tempfile.gettempdir()) / f"sovmigrate-postcheck-{os.getuid()}"
    sockdir.mkdir(mode=0o700, exist_ok=True)
    host_spec = f"[{address}]" if ":" in address else address
    return testinfra.get_host(
        f"ssh://{user}@{host_spec}:{port}",
        ssh_identity_file=str(key) if key else None,
        ssh_extra_args=extra,
        controlpersist=60,
        controlpath=str(sockdir / "%%C"),  # testinfra %-formats the command
    )
