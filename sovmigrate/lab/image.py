"""The base image: one mmdebstrap build per suite and recipe, cached, shared read-only by every
machine (the lower layer of their overlay disks). Never modified once built."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from sovmigrate.lab import host
from sovmigrate.lab.state import LabPaths, locked, write_text

# What every lab machine needs to be a real, Ansible-reachable workstation: systemd as PID 1,
# logind and D-Bus, sshd, Python with python3-apt (the apt module would otherwise install it on
# each machine), sudo for become tests.
PACKAGES = (
    "systemd",
    "systemd-sysv",
    "libpam-systemd",
    "dbus",
    "openssh-server",
    "python3",
    "python3-apt",
    "sudo",
    "iproute2",
    "ca-certificates",
)

# apt deletes what it downloaded unless told otherwise; the lab folds each machine's downloads
# back into the shared cache when the machine stops, so they must survive.
APT_KEEP = """// sovmigrate lab: keep downloaded packages for the shared cache
APT::Keep-Downloaded-Packages "true";
Binary::apt::APT::Keep-Downloaded-Packages "true";
"""


# Lab machines are disposable: a unit that hangs at shutdown must not hold up `lab down`
# (measured: root's user@0.service, started by every SSH login, hangs at stop in these
# containers until its stop timeout, by default 90 s; every other unit stops at once).
STOP_TIMEOUTS = """# sovmigrate lab: power off quickly
[Manager]
DefaultTimeoutStopSec=5s
"""
USER_STOP = """# sovmigrate lab: power off quickly
[Service]
TimeoutStopSec=1s
"""
# Bump when _customize changes: cached images of an older recipe are rebuilt.
RECIPE_VERSION = "2"
STAMP = ".sovmigrate-recipe"


def recipe_id() -> str:
    text = RECIPE_VERSION + " " + " ".join(PACKAGES) + APT_KEEP + STOP_TIMEOUTS + USER_STOP
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_current(root: Path) -> bool:
    stamp = root / STAMP
    return stamp.is_file() and stamp.read_text().strip() == recipe_id()


def image_id(suite: str) -> str:
    # The recipe is part of the name: machines keep the exact image their disk was made on.
    return f"{suite}-{recipe_id()}"


def ensure_base(
    paths: LabPaths, suite: str, log: Callable[[str], None] = print
) -> tuple[str, float | None]:
    """Build the base image of ``suite`` unless cached; return its id and the build time
    (None when it was cached)."""
    ident = image_id(suite)
    final = paths.image(ident)
    if is_current(final):
        return ident, None
    with locked(paths.images / f"{suite}.lock", f"the {suite} base image build"):
        if is_current(final):  # built by the command that held the lock
            return ident, None
        host.require_tools(host.BUILD_TOOLS)
        mirror = host.apt_mirror()
        log(f"building the {suite} base image with mmdebstrap (once; 1 to 3 minutes)")
        # An interrupted build leaves this directory; it is thrown away here, never used.
        tmp = paths.images / f".{suite}.partial"
        if tmp.exists():
            shutil.rmtree(tmp)
        start = time.monotonic()
        host.run(
            [
                "mmdebstrap",
                "--variant=minbase",
                "--include=" + ",".join(PACKAGES),
                # Keep the package lists: machines can install without an `apt update` each.
                "--skip=cleanup/apt/lists",
                suite,
                str(tmp),
                mirror,
            ],
            timeout=1800,
        )
        _customize(tmp)
        tmp.rename(final)
        return ident, time.monotonic() - start


def _customize(root: Path) -> None:
    # Every machine gets its own host keys and machine id at creation; none may be shared.
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    write_text(root / "etc/machine-id", "")
    write_text(root / "etc/apt/apt.conf.d/90sovmigrate-lab", APT_KEEP)
    for path, text in (
        ("etc/systemd/system.conf.d/90-sovmigrate-lab.conf", STOP_TIMEOUTS),
        ("etc/systemd/system/user@.service.d/90-sovmigrate-lab.conf", USER_STOP),
    ):
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        write_text(root / path, text)
    # Offline enable: works on the image directory without a running systemd.
    host.run(["systemctl", f"--root={root}", "enable", "systemd-networkd.service"])
    # Nothing in a lab machine reads a console; a getty there only spams the nspawn log.
    host.run(["systemctl", f"--root={root}", "mask", "console-getty.service"])
    write_text(root / STAMP, recipe_id() + "\n")


def remove_images(paths: LabPaths) -> None:
    if paths.images.is_dir():
        shutil.rmtree(paths.images)


def prune(paths: LabPaths, in_use: set[str]) -> list[str]:
    """Delete images of an older recipe that no machine's disk is built on any more."""
    current = {image_id(suite) for suite in ("trixie", "bookworm")}
    removed = []
    for d in sorted(paths.images.iterdir()) if paths.images.is_dir() else []:
        if d.is_dir() and not d.name.startswith(".") and d.name not in current | in_use:
            shutil.rmtree(d)
            removed.append(d.name)
    return removed
