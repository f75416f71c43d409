"""NTFS image primitives for fixtures: format, mount read-write, NTFS-only metadata, variants.

What ntfs-3g cannot create through plain file calls (junctions, cloud placeholders, attributes)
goes through its documented extended attributes (``system.ntfs_reparse_data``,
``system.ntfs_attrib_be``); alternate data streams through the default xattr view (``user.*``).
"""

from __future__ import annotations

import contextlib
import os
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sovmigrate.errors import EnvironmentProblem
from sovmigrate.userstate.ntfsraw import BITLOCKER_OEM_ID, VOLUME_IS_DIRTY, volume_flags_offsets

IO_REPARSE_TAG_MOUNT_POINT = 0xA0000003
IO_REPARSE_TAG_CLOUD_6 = 0x9000701A  # OneDrive files-on-demand placeholder

ATTR_READONLY = 0x01
ATTR_HIDDEN = 0x02
ATTR_SYSTEM = 0x04


def _run(argv: list[str]) -> None:
    try:
        subprocess.run(argv, check=True, capture_output=True)
    except FileNotFoundError as exc:
        raise EnvironmentProblem(f"{argv[0]} not found: install ntfs-3g") from exc
    except subprocess.CalledProcessError as exc:
        err = exc.stderr.decode(errors="replace").strip().splitlines()
        raise EnvironmentProblem(f"{argv[0]} failed: {err[-1] if err else exc.returncode}") from exc


def make_image(path: Path, size: int, label: str = "Windows") -> None:
    path.unlink(missing_ok=True)
    with path.open("wb") as f:
        f.truncate(size)
    _run(["mkntfs", "-F", "-f", "-q", "-L", label, str(path)])


@contextlib.contextmanager
def mounted_rw(image: Path) -> Iterator[Path]:
    mnt = Path(tempfile.mkdtemp(prefix="sovmigrate-windisk-"))
    _run(["ntfs-3g", "-o", "rw", str(image), str(mnt)])
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False, capture_output=True)
        with contextlib.suppress(OSError):
            mnt.rmdir()


def set_attributes(path: Path, attributes: int) -> None:
    os.setxattr(path, "system.ntfs_attrib_be", struct.pack(">I", attributes), follow_symlinks=False)


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def make_junction(path: Path, windows_target: str) -> None:
    """Turn the empty directory ``path`` into a junction to ``windows_target`` (``C:\\...``)."""
    substitute = _utf16("\\??\\" + windows_target)
    printed = _utf16(windows_target)
    buffer = substitute + b"\0\0" + printed + b"\0\0"
    body = struct.pack("<HHHH", 0, len(substitute), len(substitute) + 2, len(printed)) + buffer
    data = struct.pack("<IHH", IO_REPARSE_TAG_MOUNT_POINT, len(body), 0) + body
    path.mkdir(parents=True, exist_ok=True)
    os.setxattr(path, "system.ntfs_reparse_data", data)


def make_cloud_placeholder(path: Path, size: int) -> None:
    """A OneDrive "online-only" file: a size, a cloud reparse point, no local content."""
    with path.open("wb") as f:
        f.truncate(size)
    opaque = b"\x01\x00" + b"\0" * 22  # shape of the cloud filter blob: unread by anyone here
    data = struct.pack("<IHH", IO_REPARSE_TAG_CLOUD_6, len(opaque), 0) + opaque
    os.setxattr(path, "system.ntfs_reparse_data", data)


def write_stream(path: Path, stream: str, data: bytes) -> None:
    os.setxattr(path, f"user.{stream}", data)


def mark_dirty(image: Path) -> None:
    """Set the $Volume dirty flag in $MFT and $MFTMirr (ntfs-3g checks they agree)."""
    with image.open("r+b") as f:
        for offset in volume_flags_offsets(f):
            f.seek(offset)
            (flags,) = struct.unpack("<H", f.read(2))
            f.seek(offset)
            f.write(struct.pack("<H", flags | VOLUME_IS_DIRTY))


def mark_bitlocker(image: Path) -> None:
    """Write BitLocker's boot-sector signature (OEM id ``-FVE-FS-``) in both boot sectors.

    Only the signature: BitLocker itself cannot be produced here, and the signature is what a
    live system sees first (the volume is unreadable to ntfs-3g from then on).
    """
    size = image.stat().st_size
    with image.open("r+b") as f:
        f.seek(3)
        f.write(BITLOCKER_OEM_ID)
        # mkntfs writes the backup boot sector in the last sector of the volume.
        f.seek(size - 512 + 3)
        if f.read(8) == b"NTFS    ":
            f.seek(size - 512 + 3)
            f.write(BITLOCKER_OEM_ID)
