"""Where inventories come from: a file, a directory (recursively) or an archive of them.

Yields ``(name, kind, payload)``: ``name`` names the file for error messages (an archive
member is ``archive.tar.gz!member.json``), ``kind`` is ``"json"`` or ``"csv"`` and ``payload``
either the bytes or, for plain files, the path as ``str`` (read later).
"""

from __future__ import annotations

import os
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from sovmigrate.errors import UsageError

# A member bigger than this is not an inventory (guards against archive bombs).
MAX_MEMBER_BYTES = 64 * 1024 * 1024
_ARCHIVES = (".tar.gz", ".tgz", ".tar", ".tar.xz", ".tar.bz2", ".zip")

Item = tuple[str, str, "bytes | str"]


def _kind(name: str) -> str | None:
    low = name.lower()
    if low.endswith(".json"):
        return "json"
    if low.endswith(".csv"):
        return "csv"
    return None


def _is_archive(path: Path) -> bool:
    return path.name.lower().endswith(_ARCHIVES)


def _tar(path: Path) -> Iterator[Item]:
    try:
        with tarfile.open(path) as archive:
            for member in archive:
                kind = _kind(member.name)
                if not member.isfile() or kind is None:
                    continue
                if member.size > MAX_MEMBER_BYTES:
                    raise UsageError(f"{path}!{member.name}: too big for an inventory")
                handle = archive.extractfile(member)
                if handle is not None:
                    yield f"{path}!{member.name}", kind, handle.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise UsageError(f"{path}: unreadable archive ({exc})") from None


def _zip(path: Path) -> Iterator[Item]:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                kind = _kind(info.filename)
                if info.is_dir() or kind is None:
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    raise UsageError(f"{path}!{info.filename}: too big for an inventory")
                yield f"{path}!{info.filename}", kind, archive.read(info)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{path}: unreadable archive ({exc})") from None


def iter_sources(paths: list[Path]) -> Iterator[Item]:
    """Every inventory under ``paths``, in a stable order (sorted names)."""
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                # Plain strings: building 80,000 Path objects costs more than parsing; and
                # os.path.join(root, name) as one prefix per directory (a listed name has no
                # separator), a third of the listing's time.
                prefix = os.path.join(root, "")
                for name in sorted(files):
                    kind = _kind(name)
                    if kind is not None:
                        full = prefix + name
                        yield full, kind, full
        elif _is_archive(path):
            yield from (_zip(path) if path.name.lower().endswith(".zip") else _tar(path))
        else:
            yield str(path), _kind(path.name) or "json", str(path)
