"""A machine's disk: an overlay of its own upper directory on the shared, read-only base image.

Creating a machine writes a few files (hostname, machine id, host keys, network) into its upper
directory; nothing is copied. The overlay is mounted on ``rootfs/`` only while the machine runs.
Measured on this project's machine kind: copying the 280 MB base image took 1 to 25 s depending
on disk load from other work; creating an overlay machine takes well under a second.

Machines made before overlays (no ``image`` in machine.json) have a plain ``rootfs/`` copy and
are still booted as they are.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from sovmigrate.lab import host
from sovmigrate.lab.state import LabPaths, MachineRecord, write_text

NETWORK_FILE = "etc/systemd/network/10-host0.network"


def offline_root(paths: LabPaths, rec: MachineRecord, machine_dir: Path | None = None) -> Path:
    """Where to write the machine's own files while it is not running."""
    mdir = machine_dir or paths.machine(rec.name)
    return mdir / ("upper" if rec.image else "rootfs")


def populate(paths: LabPaths, rec: MachineRecord, mdir: Path) -> None:
    """Write what makes this machine itself into its (not yet used) disk directory ``mdir``."""
    for sub in ("upper", "work", "rootfs", "apt-upper"):
        (mdir / sub).mkdir()
    lower = paths.images / rec.image
    upper = mdir / "upper"
    put(lower, upper, "etc/hostname", rec.name + "\n")
    put(lower, upper, "etc/hosts", f"127.0.0.1 localhost\n127.0.1.1 {rec.name}\n")
    put(lower, upper, "etc/machine-id", uuid.uuid4().hex + "\n", 0o444)
    _parents(lower, upper, "etc/ssh/x")
    # Ed25519 only: an RSA host key costs a second or two of CPU per machine and adds nothing.
    key = upper / "etc/ssh/ssh_host_ed25519_key"
    host.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"root@{rec.name}", "-f", str(key)]
    )
    pub = paths.ssh_key.with_suffix(".pub").read_text()
    put(lower, upper, "root/.ssh/authorized_keys", pub, 0o600, dir_mode=0o700)
    write_network(paths, rec, mdir)


def write_network(paths: LabPaths, rec: MachineRecord, mdir: Path | None = None) -> None:
    root = offline_root(paths, rec, mdir)
    text = (
        "# Written by sovmigrate lab: the static end of the host's ve-<name> link.\n"
        "[Match]\nName=host0\n\n"
        f"[Network]\nAddress={rec.address}/24\nGateway={rec.gateway}\n"
        "LinkLocalAddressing=no\nIPv6AcceptRA=no\n"
    )
    if rec.image:
        put(paths.images / rec.image, root, NETWORK_FILE, text)
    else:
        write_text(root / NETWORK_FILE, text)


def put(
    lower: Path, upper: Path, rel: str, text: str, mode: int = 0o644, dir_mode: int = 0o755
) -> None:
    _parents(lower, upper, rel, dir_mode)
    write_text(upper / rel, text, mode)


def _parents(lower: Path, upper: Path, rel: str, dir_mode: int = 0o755) -> None:
    # A directory created in the upper layer shadows the image's metadata for it: give it the
    # image's mode and owner so the merged tree looks exactly like the image.
    parts = Path(rel).parts[:-1]
    for i in range(1, len(parts) + 1):
        sub = Path(*parts[:i])
        target = upper / sub
        if target.is_dir():
            continue
        target.mkdir()
        src = lower / sub
        if src.is_dir():
            st = src.stat()
            os.chown(target, st.st_uid, st.st_gid)
            target.chmod(st.st_mode & 0o7777)
        else:
            target.chmod(dir_mode)


def mount(paths: LabPaths, rec: MachineRecord) -> None:
    rootfs = paths.rootfs(rec.name)
    if not rec.image or rootfs.is_mount():
        return
    mdir = paths.machine(rec.name)
    opts = f"lowerdir={paths.images / rec.image},upperdir={mdir / 'upper'},workdir={mdir / 'work'}"
    host.run(["mount", "-t", "overlay", f"sovmigrate-lab-{rec.name}", "-o", opts, str(rootfs)])


def umount(paths: LabPaths, rec: MachineRecord) -> None:
    rootfs = paths.rootfs(rec.name)
    for _ in range(50):
        if not rootfs.is_mount():
            return
        host.run(["umount", str(rootfs)], check=False)
        time.sleep(0.1)
    # Still busy (a shell of the user's cwd in it): detach now, the kernel frees it later.
    host.run(["umount", "--lazy", str(rootfs)])
