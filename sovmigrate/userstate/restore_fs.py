"""File-system steps of a restore: safe directories, sparse writes, hashing, ownership.

Every write goes below the home and never through a link: a symlink planted in the home (or a
folder that is one) cannot send a restored file elsewhere.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from sovmigrate.errors import UsageError
from sovmigrate.userstate.scan import sha256_file
from sovmigrate.userstate.xdg import LinuxUser

CHUNK = 1 << 20
_ZERO = bytes(CHUNK)


def sha256_of(path: Path) -> str:
    return sha256_file(path)  # one implementation, the capture's


def inside_home(user: LinuxUser, relative: PurePosixPath) -> Path:
    """``home/relative`` after checking that no existing component leads out of the home."""
    home = os.path.realpath(user.home)
    path = Path(home, *relative.parts)
    probe = Path(home)
    for part in relative.parts[:-1]:
        probe = probe / part
        if probe.is_symlink():
            real = os.path.realpath(probe)
            if not (real == home or real.startswith(home + os.sep)):
                raise UsageError(f"refused: {probe} is a link out of the home ({real})")
    if path.is_symlink():
        raise UsageError(f"refused: {path} is a link; a restored file never replaces one")
    return path


def make_dirs(user: LinuxUser, directory: Path) -> None:
    """Create missing directories, owned by the user (existing ones are left as they are)."""
    missing = []
    probe = directory
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for d in reversed(missing):
        d.mkdir(mode=0o755)
        os.chown(d, user.uid, user.gid)


def write_stream(chunks: Iterable[bytes | memoryview], out: Path, size: int) -> str:
    """Write ``size`` bytes of ``chunks`` (any sizes: restic's blobs are 0.5-8 MiB) to ``out``
    keeping each CHUNK of zeros as a hole; return the SHA-256 of what was written."""
    digest = hashlib.sha256()
    with out.open("wb") as f:
        left = size
        hole_at_end = False
        for chunk in chunks:
            if left <= 0:
                break
            digest.update(chunk)
            left -= len(chunk)
            view = memoryview(chunk)
            for start in range(0, len(view), CHUNK):
                piece = view[start : start + CHUNK]
                hole_at_end = len(piece) == CHUNK and piece == _ZERO
                if hole_at_end:
                    f.seek(CHUNK, os.SEEK_CUR)
                else:
                    f.write(piece)
        # A file ending in a hole gets its length here; any other already has it (a truncate
        # of each file was 0.13 s of system calls for the 1 GB set's 1079 files, by strace).
        if hole_at_end:
            f.truncate(size - left)
    return digest.hexdigest()


def finish(user: LinuxUser, path: Path, mtime_ns: int) -> None:
    os.chown(path, user.uid, user.gid, follow_symlinks=False)
    os.chmod(path, 0o644)
    os.utime(path, ns=(mtime_ns, mtime_ns), follow_symlinks=False)


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def write_if_changed(user: LinuxUser, path: Path, content: bytes, mode: int = 0o644) -> bool:
    """Write a small file owned by the user unless it already holds ``content``."""
    try:
        if path.read_bytes() == content:
            return False
    except OSError:
        pass
    make_dirs(user, path.parent)
    tmp = path.with_name(f".{path.name}.sovmigrate-tmp")
    tmp.write_bytes(content)
    os.chown(tmp, user.uid, user.gid)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True
