"""A Windows volume to read: a mounted directory, or an image/block device we mount read-only.

Blockers are read before anything else and from the bytes themselves, because ntfs-3g
(2022.10.3, measured) mounts a hibernated volume read-only and a dirty one silently.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sovmigrate.errors import EnvironmentProblem, UsageError
from sovmigrate.userstate import ntfsraw


@dataclass(frozen=True)
class Blocker:
    code: str  # "hibernated", "dirty", "bitlocker"
    cause: str
    fix: str

    def __str__(self) -> str:
        return f"{self.cause}: {self.fix}"


HIBERNATED = Blocker(
    "hibernated",
    "the Windows volume is hibernated (Fast Startup or hibernation)",
    "boot Windows, disable Fast Startup and shut down fully",
)
DIRTY = Blocker(
    "dirty",
    "the Windows volume is marked dirty (not cleanly unmounted)",
    "boot Windows and shut down fully (run chkdsk if it asks)",
)
BITLOCKER = Blocker(
    "bitlocker",
    "the Windows volume is encrypted with BitLocker",
    "recovery key needed: unlock it (dislocker) and give the unlocked volume",
)


@dataclass
class Volume:
    root: Path  # where the Windows volume is readable
    device: Path | None  # the image or block device, when known
    blockers: list[Blocker]


def _device_of(directory: Path) -> Path | None:
    """The device behind a mounted directory (from /proc/mounts), if readable."""
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    target = os.path.realpath(directory)
    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and fields[1].replace("\\040", " ") == target:
            device = Path(fields[0])
            return device if device.exists() else None
    return None


def raw_blockers(device: Path) -> list[Blocker]:
    try:
        with device.open("rb") as f:
            if ntfsraw.is_bitlocker(f):
                return [BITLOCKER]
            try:
                return [DIRTY] if ntfsraw.is_dirty(f) else []
            except ValueError as exc:
                raise UsageError(f"{device}: not an NTFS volume ({exc})") from exc
    except OSError as exc:
        raise UsageError(f"cannot read {device}: {exc.strerror}") from exc


def hibernation_blocker(root: Path) -> list[Blocker]:
    for name in os.listdir(root):
        if name.lower() == "hiberfil.sys":
            try:
                with (root / name).open("rb") as f:
                    header = f.read(4)
            except OSError:
                return []
            # "HIBR"/"hibr": a hibernation image waits to be resumed ("wake" or zeros: none).
            return [HIBERNATED] if header.lower() == b"hibr" else []
    return []


def _mount_point(device: Path) -> Path:
    # Stable per source: restic finds its parent snapshot by path, so an unchanged file is
    # not read again on a re-run.
    digest = hashlib.sha256(str(device.resolve()).encode()).hexdigest()[:12]
    path = Path(tempfile.gettempdir()) / f"sovmigrate-ro-{digest}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


@contextlib.contextmanager
def open_volume(source: Path) -> Iterator[Volume]:
    """Yield the volume; an image or device is mounted read-only and always unmounted."""
    source = Path(source)
    if not source.exists():
        raise UsageError(f"{source}: no such file, device or directory")
    if source.is_dir():
        device = _device_of(source)
        blockers = raw_blockers(device) if device else []
        yield Volume(source, device, blockers + hibernation_blocker(source))
        return
    mode = source.stat().st_mode
    if not (stat.S_ISREG(mode) or stat.S_ISBLK(mode)):
        raise UsageError(f"{source}: not an image file, a block device or a directory")
    blockers = raw_blockers(source)
    if BITLOCKER in blockers:
        yield Volume(source, source, blockers)
        return
    mnt = _mount_point(source)
    subprocess.run(["umount", str(mnt)], capture_output=True, check=False)  # a killed run's
    try:
        result = subprocess.run(
            # kernel_cache: pages read once (by the capture's hashing) stay in the page
            # cache across opens, so restic's read of the same file right after does not go
            # through ntfs-3g again. Safe because the volume is read-only: nothing changes
            # behind the cache.
            ["ntfs-3g", "-o", "ro,kernel_cache", str(source), str(mnt)],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as exc:
        raise EnvironmentProblem("ntfs-3g not found: apt-get install ntfs-3g") from exc
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or ["no message"]
        raise UsageError(f"cannot mount {source} read-only: {lines[0]}")
    try:
        yield Volume(mnt, source, blockers + hibernation_blocker(mnt))
    finally:
        done = subprocess.run(["umount", str(mnt)], capture_output=True, check=False)
        if done.returncode != 0:
            # Still busy (a reader of a corrupt hive not yet collected): detach it now, the
            # kernel finishes when the last file closes, so no mount outlives this command.
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True, check=False)
        with contextlib.suppress(OSError):
            mnt.rmdir()
