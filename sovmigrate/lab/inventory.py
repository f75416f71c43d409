"""The lab's Ansible inventory and known_hosts, rewritten after every change to the lab."""

from __future__ import annotations

import json
from typing import Any

import yaml

from sovmigrate.lab.disk import offline_root
from sovmigrate.lab.state import LabPaths, MachineRecord, write_text

HEADER = "# Written by `sovmigrate lab`; rewritten by every lab command. Do not edit.\n"


def host_vars(paths: LabPaths, rec: MachineRecord) -> dict[str, Any]:
    return {
        "ansible_host": rec.address,
        "ansible_user": "root",
        "ansible_ssh_private_key_file": str(paths.ssh_key),
        "ansible_python_interpreter": "/usr/bin/python3",
        # Verify each machine's own host key when no ansible.cfg says otherwise (the project's
        # ssh_args come first on the ssh command line and win where they set the same option).
        "ansible_ssh_common_args": (
            f"-o UserKnownHostsFile={paths.known_hosts} -o StrictHostKeyChecking=yes"
        ),
        "sovmigrate_lab_suite": rec.suite,
    }


def render(paths: LabPaths, machines: list[MachineRecord]) -> dict[str, Any]:
    """Group ``lab`` holds every machine; ``lab_<suite>`` groups split them by Debian suite."""
    children: dict[str, Any] = {
        "lab": {"hosts": {m.name: host_vars(paths, m) for m in machines}},
    }
    for suite in sorted({m.suite for m in machines}):
        children[f"lab_{suite}"] = {"hosts": {m.name: {} for m in machines if m.suite == suite}}
    return {"all": {"children": children}}


def script_json(paths: LabPaths, machines: list[MachineRecord]) -> dict[str, Any]:
    """The same inventory in Ansible's inventory-script format (inventories/lab/lab.sh)."""
    out: dict[str, Any] = {"_meta": {"hostvars": {m.name: host_vars(paths, m) for m in machines}}}
    out["lab"] = {"hosts": [m.name for m in machines]}
    for suite in sorted({m.suite for m in machines}):
        out[f"lab_{suite}"] = {"hosts": [m.name for m in machines if m.suite == suite]}
    return out


def write(paths: LabPaths, machines: list[MachineRecord]) -> None:
    text = yaml.safe_dump(render(paths, machines), sort_keys=True, default_flow_style=False)
    write_text(paths.inventory, HEADER + text)
    write_text(paths.root / "inventory.json", json.dumps(script_json(paths, machines), indent=1))
    lines = []
    for m in machines:
        for pub in sorted((offline_root(paths, m) / "etc/ssh").glob("ssh_host_*_key.pub")):
            kind, key = pub.read_text().split()[:2]
            lines.append(f"{m.address} {kind} {key}\n")
    write_text(paths.known_hosts, "".join(lines))
