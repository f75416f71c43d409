"""Keep each capture manifest inside the store, next to the snapshot it describes.

Restore needs the manifest (hashes, known folders, settings, what did not migrate) and must
work from nothing but the store and its password: a technician restoring a reinstalled PC has
no other copy at hand. The manifest is a small snapshot of its own, tagged
``manifest-sid:<sid>`` (not ``sid:``, so the capture's parent lookup never picks it).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sovmigrate.errors import OperationFailed, UsageError
from sovmigrate.userstate.manifest import Manifest
from sovmigrate.userstate.store import ResticStore, Snapshot, tag_value

NAME = "sovmigrate-manifest.json"
DRIVE = "drive"  # the SID word for the data folders at the drive root


def _tags(m: Manifest) -> list[str]:
    tags = [f"host:{m.host}", f"manifest-sid:{m.sid or DRIVE}", "kind:manifest"]
    if m.name:
        tags.append(f"user:{m.name}")
    if m.snapshot:
        tags.append(f"data:{m.snapshot.id[:16]}")
    return tags


def is_saved(store: ResticStore, m: Manifest) -> bool:
    """True when the store already keeps this manifest (same host, subject, data snapshot)."""
    if m.snapshot is None:
        return False
    for snap in store.snapshots(host=m.host, tags=["kind:manifest"]):
        if snap.tag("manifest-sid") == (m.sid or DRIVE) and snap.tag("data") == m.snapshot.id[:16]:
            return True
    return False


def save(store: ResticStore, m: Manifest) -> str:
    """Store ``m`` (after its capture is verified); return the manifest snapshot id."""
    with tempfile.TemporaryDirectory(prefix="sovmigrate-manifest-") as tmp:
        Path(tmp, NAME).write_text(json.dumps(m.to_dict(), ensure_ascii=False), encoding="utf-8")
        return store.backup(Path(tmp), [NAME], host=m.host, tags=_tags(m))


@dataclass
class Captured:
    """A user (or the drive data) captured for a host: the newest manifest snapshot."""

    host: str
    sid: str
    name: str
    snapshot: Snapshot


def captured(store: ResticStore, host: str) -> list[Captured]:
    """Every subject captured for ``host``, newest manifest of each."""
    found: dict[str, Captured] = {}
    for snap in store.snapshots(host=host, tags=["kind:manifest"]):
        sid = snap.tag("manifest-sid") or ""
        found[sid] = Captured(host, sid, snap.tag("user") or "", snap)  # sorted by time
    return sorted(found.values(), key=lambda c: (c.name, c.sid))


def find(store: ResticStore, host: str, user: str) -> Captured:
    """The capture of ``user`` (Windows name, SID, or ``drive``) on ``host``; clear errors."""
    subjects = captured(store, host)
    if not subjects:
        hosts = sorted({s.hostname for s in store.snapshots(tags=["kind:manifest"])})
        raise UsageError(
            f"no capture of host {host!r} in the store {store.repo} "
            f"(hosts: {', '.join(hosts) or 'none'})"
        )
    wanted = user.casefold()
    for c in subjects:
        if wanted in (c.sid.casefold(), c.name.casefold(), tag_value(c.name).casefold()):
            return c
    names = ", ".join(c.name or c.sid for c in subjects)
    raise UsageError(f"no capture of user {user!r} on host {host!r} (captured: {names})")


def load(store: ResticStore, c: Captured) -> Manifest:
    text = store.run(["dump", c.snapshot.id, "/" + NAME], what="dump")
    return _parse(text, c.name or c.sid)


def load_latest(store: ResticStore, host: str, sid: str) -> Manifest | None:
    """The newest manifest of ``sid`` (or ``drive``) on ``host`` in one restic run, as
    ``captured`` + ``load`` would give it (two runs, each ~0.5 s of key derivation); None
    when restic finds no such snapshot (the caller then lists, for a clear error)."""
    tags = ",".join(tag_value(t) for t in ("kind:manifest", f"manifest-sid:{sid}"))
    args = ["dump", "--host", host, "--tag", tags, "latest", "/" + NAME]
    try:
        text = store.run(args, what="dump")
    except OperationFailed:
        return None  # no snapshot found (a wrong password or a dead store raise otherwise)
    return _parse(text, sid)


def _parse(text: str, who: str) -> Manifest:
    try:
        return Manifest.from_dict(json.loads(text))
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"the manifest of {who} in the store is unreadable: {exc}") from exc
