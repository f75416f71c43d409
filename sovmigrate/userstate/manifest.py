"""The capture manifest (format version 1): what was captured, what was left out and why.

One manifest per captured subject (a user, or the data folders at the drive root). Paths are
POSIX-style and relative to a *root* named in ``roots``; ``roots`` maps each root name to a
volume-relative directory (``Users/alice``). In the restic snapshot a file lies at
``/<roots[root]>/<path>`` (the capture runs restic from the volume root), so restore needs
nothing but the manifest and the snapshot. JSON Schema: ``docs/formats/manifest-v1.schema.json``.
Standard library only: this module runs on the live system.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FORMAT = "sovmigrate-manifest"
VERSION = 1


@dataclass
class Entry:
    """A selected file: captured, and checked in the store by size and SHA-256."""

    root: str
    path: str
    size: int
    mtime_ns: int
    sha256: str
    folder: str = ""  # known folder value name ("Personal"...) holding it, "" elsewhere
    attributes: int = 0  # NTFS attributes (hidden 0x2, system 0x4...)
    streams: list[str] = field(default_factory=list)  # alternate data streams (kept as xattrs)


@dataclass
class Excluded:
    """A file or link deliberately left out, with the reason code of the rule that did it."""

    root: str
    path: str
    reason: str
    size: int = 0
    detail: str = ""


@dataclass
class NotMigrated:
    """Something of the user's that cannot be carried over from this disk."""

    root: str
    path: str
    reason: str  # onedrive-placeholder, unc-redirect, efs-encrypted, unreadable
    detail: str = ""


@dataclass
class SnapshotRef:
    id: str
    tags: list[str]
    repository: str  # as given by the user; never holds a password


@dataclass
class Manifest:
    host: str
    kind: str  # "user" or "drive-data"
    name: str  # user name ("" for drive data)
    sid: str  # user SID ("" for drive data)
    roots: dict[str, str]
    wave: str = ""
    created: str = ""
    known_folders: dict[str, dict[str, str]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    entries: list[Entry] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    not_migrated: list[NotMigrated] = field(default_factory=list)
    snapshot: SnapshotRef | None = None
    verified: bool = False
    format: str = FORMAT
    version: int = VERSION

    def volume_path(self, entry: Entry | Excluded | NotMigrated) -> str:
        """Volume-relative path of an entry (also its path in the snapshot, without "/")."""
        base = self.roots[entry.root]
        return f"{base}/{entry.path}" if base else entry.path

    @property
    def total_bytes(self) -> int:
        return sum(e.size for e in self.entries)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Manifest:
        if raw.get("format") != FORMAT:
            raise ValueError("not a sovmigrate manifest")
        if raw.get("version") != VERSION:
            raise ValueError(f"manifest version {raw.get('version')} is not supported")
        data = dict(raw)
        data["entries"] = [Entry(**e) for e in raw.get("entries", [])]
        data["excluded"] = [Excluded(**e) for e in raw.get("excluded", [])]
        data["not_migrated"] = [NotMigrated(**e) for e in raw.get("not_migrated", [])]
        snap = raw.get("snapshot")
        data["snapshot"] = SnapshotRef(**snap) if snap else None
        return cls(**data)


def dumps(manifests: list[Manifest]) -> str:
    return json.dumps([m.to_dict() for m in manifests], indent=1, ensure_ascii=False)


def write(path: Path, manifests: list[Manifest]) -> None:
    """Write atomically: a reader never sees half a manifest."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(dumps(manifests) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: Path) -> list[Manifest]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(raw, dict):
        raw = [raw]
    return [Manifest.from_dict(m) for m in raw]
