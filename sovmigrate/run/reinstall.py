"""The reinstall step (the disk wipe), pluggable: the lab's clean base image, or PXE + preseed.

The runner checks the gate and records the run as started immediately before calling
``reinstall`` (see ``pipeline.begin_stage``); an implementation only has to do the work and
raise when it could not. It must never be called by anything but the runner.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import jinja2
import yaml

from sovmigrate.errors import OperationFailed, UsageError
from sovmigrate.state import Machine

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("sovmigrate.run", "templates"),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


class Reinstaller(Protocol):
    def reinstall(self, machine: Machine) -> dict[str, Any] | None:
        """Wipe and reinstall; return new inventory variables if the address changed."""
        ...


@dataclass
class LabReinstaller:
    """Lab machines: power off, fresh root file system from the clean base image, boot."""

    lab: Any  # sovmigrate.lab.Lab

    def reinstall(self, machine: Machine) -> dict[str, Any] | None:
        if hasattr(self.lab, "reinstall"):
            self.lab.reinstall(machine.name)
        else:
            # A lab without reinstall(): destroying the machine and creating it again from the
            # clean base image is the same operation (fresh root file system, new host keys).
            self.lab.destroy([machine.name])
            self.lab.up([machine.name])
        return lab_host_vars(self.lab, machine.name)


def lab_host_vars(lab: Any, name: str) -> dict[str, Any] | None:
    """The lab inventory's variables for ``name`` (its address may change on re-creation)."""
    path = getattr(lab, "inventory_path", None) or lab.paths.inventory
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    hosts = data.get("all", {}).get("children", {}).get("lab", {}).get("hosts", {})
    found = hosts.get(name)
    return dict(found) if isinstance(found, dict) else None


def mac_of(machine: Machine) -> str:
    mac = machine.vars.get("sovmigrate_mac") or machine.facts.get("mac")
    if not isinstance(mac, str) or len(mac.split(":")) != 6:
        raise UsageError(f"{machine.name}: no MAC address (inventory variable sovmigrate_mac)")
    return mac.lower()


@dataclass
class PxeReinstaller:
    """Real fleets: per-machine preseed + GRUB and iPXE entries keyed by MAC, then wait for SSH.

    ``boot_command`` (argv, ``{name}``/``{mac}``/``{address}`` substituted) makes the machine
    boot from the network: an IPMI/AMT/Wake-on-LAN call of the site. The PXE entries are removed
    once the machine answers again, so a later reboot never reinstalls it a second time.
    """

    tftp_root: Path
    http_base: str  # where the installer fetches preseed files (the tftp_root over HTTP)
    authorized_key: str
    mirror: str = ""
    boot_command: list[str] = field(default_factory=list)
    timeout: float = 3600.0
    poll: float = 5.0
    suite: str = "trixie"

    def render(self, machine: Machine) -> list[Path]:
        mac = mac_of(machine)
        context = {
            "name": machine.name,
            "mac": mac,
            "suite": self.suite,
            "mirror_host": _split_mirror(self.mirror)[0],
            "mirror_dir": _split_mirror(self.mirror)[1],
            "authorized_key": self.authorized_key,
            "preseed_url": f"{self.http_base.rstrip('/')}/preseed/{machine.name}.cfg",
            "locale": machine.vars.get("sovmigrate_locale", "fr_FR.UTF-8"),
            "keymap": machine.vars.get("sovmigrate_keymap", "fr"),
            "timezone": machine.vars.get("sovmigrate_timezone", "Europe/Paris"),
            "disk": machine.vars.get("sovmigrate_disk", ""),
        }
        dashed = mac.replace(":", "-")
        files = {
            self.tftp_root / "preseed" / f"{machine.name}.cfg": "preseed.cfg.j2",
            self.tftp_root / "grub" / f"grub.cfg-01-{dashed}": "grub.cfg.j2",
            self.tftp_root / "ipxe" / f"{dashed}.ipxe": "ipxe.j2",
        }
        for path, template in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_TEMPLATES.get_template(template).render(**context), encoding="utf-8")
        return list(files)

    def reinstall(self, machine: Machine) -> dict[str, Any] | None:
        entries = self.render(machine)
        address = str(machine.vars.get("ansible_host", machine.name))
        port = int(machine.vars.get("ansible_port", 22))
        if self.boot_command:
            argv = [
                a.format(name=machine.name, mac=mac_of(machine), address=address)
                for a in self.boot_command
            ]
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise OperationFailed(f"{machine.name}: boot command failed: {done.stderr[:200]}")
        # The live system that ran the capture answers SSH too: see it go away first, so the
        # SSH that answers next is the freshly installed Debian.
        wait_for_ssh_down(address, port, self.timeout, self.poll)
        wait_for_ssh(address, port, self.timeout, self.poll)
        for entry in entries[1:]:  # keep the preseed for the audit, drop the boot entries
            entry.unlink(missing_ok=True)
        return None


def _answers(address: str, port: int, poll: float) -> bool:
    try:
        with socket.create_connection((address, port), timeout=poll) as conn:
            conn.settimeout(poll)
            return conn.recv(64).startswith(b"SSH-")
    except OSError:
        return False


def wait_for_ssh_down(address: str, port: int, timeout: float, poll: float) -> None:
    deadline = time.monotonic() + timeout
    while _answers(address, port, poll):
        if time.monotonic() >= deadline:
            raise OperationFailed(
                f"{address}:{port} never went down in {timeout:g} s: did it boot from the network?"
            )
        time.sleep(poll)


def wait_for_ssh(address: str, port: int, timeout: float, poll: float) -> None:
    """Until an SSH server answers with its banner (an open port alone may be the installer)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=poll) as conn:
                conn.settimeout(poll)
                if conn.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise OperationFailed(f"{address}:{port} did not answer over SSH in {timeout:g} s")
        time.sleep(poll)


def _split_mirror(url: str) -> tuple[str, str]:
    """``http://host/debian`` -> (host, /debian); the mirror comes from the site's APT sources."""
    if not url:
        return "", ""
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    return host, "/" + (path.rstrip("/") or "debian")
