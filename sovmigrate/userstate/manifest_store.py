"""Keep each capture manifest inside the store, next to the snapshot it describes.

Restore needs the manifest (hashes, known folders, settings, what did not migrate) and must
work from nothing but the store and its password: a technician restoring a reinstalled PC has
no other copy at hand. The manifest is a small snapshot of its own, tagged
``manifest-sid:<sid>`` (not ``sid:``, so the capture's parent lookup never picks it).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sovmigrate.errors import OperationFailed, SovmigrateError, UsageError
from sovmigrate.userstate.manifest import Manifest
from sovmigrate.userstate.restic_repo import LocalRepository, RepoDamaged, RepoUnreadable
from sovmigrate.userstate.store import ResticStore, Snapshot, tag_value

NAME = "sovmigrate-manifest.json"
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?")
DRIVE = "drive"  # the SID word for the data folders at the drive root


def _tags(m: Manifest) -> list[str]:
    tags = [f"host:{m.host}", f"manifest-sid:{m.sid or DRIVE}", "kind:manifest"]
    if m.name:
        tags.append(f"user:{m.name}")
    if m.snapshot:
        tags.append(f"data:{m.snapshot.id[:16]}")
    return tags


def kept(store: ResticStore, host: str) -> set[tuple[str, str]]:
    """(subject, data snapshot id) of every manifest the store keeps for ``host``: one restic
    run (each costs its key derivation, ~0.5 s of CPU) for all of a machine's manifests."""
    return {
        (snap.tag("manifest-sid") or "", snap.tag("data") or "")
        for snap in store.snapshots(host=host, tags=["kind:manifest"])
    }


def is_saved(store: ResticStore, m: Manifest, known: set[tuple[str, str]] | None = None) -> bool:
    """True when the store already keeps this manifest (same host, subject, data snapshot);
    ``known``: ``kept(store, m.host)`` when the caller has it."""
    if m.snapshot is None:
        return False
    key = (m.sid or DRIVE, m.snapshot.id[:16])
    return key in (known if known is not None else kept(store, m.host))


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
    wanted = [tag_value(t) for t in ("kind:manifest", f"manifest-sid:{sid}")]
    try:
        repo = LocalRepository.of(store)
    except RepoUnreadable:
        repo = None
    if repo is not None:  # a local store: read directly, no restic run but the key's
        try:
            return _latest_direct(repo, host, wanted, sid)
        except RepoDamaged:
            pass  # e.g. another machine's damaged snapshot: restic decides, as before
    args = ["dump", "--host", host, "--tag", ",".join(wanted), "latest", "/" + NAME]
    try:
        text = store.run(args, what="dump")
    except OperationFailed:
        return None  # no snapshot found (a wrong password or a dead store raise otherwise)
    return _parse(text, sid)


def verified_of(repo: LocalRepository, m: Manifest, snapshot_id: str) -> Manifest | None:
    """The verified manifest the store keeps for ``m``'s subject and data snapshot
    ``snapshot_id`` (an earlier capture of that machine); None when there is none or it
    cannot be read (the caller then proves everything again)."""
    sid = m.sid or DRIVE
    wanted = [tag_value(t) for t in ("kind:manifest", f"manifest-sid:{sid}")]
    try:
        earlier = _latest_direct(
            repo,
            m.host,
            wanted,
            sid,
            also=lambda tags: any(_names(t, "data:", snapshot_id) for t in tags),
        )
    except (RepoDamaged, SovmigrateError, UnicodeDecodeError):
        return None
    if earlier is None or not earlier.verified or earlier.snapshot is None:
        return None
    return earlier if _names(earlier.snapshot.id, "", snapshot_id) else None


def _names(tag: str, prefix: str, snapshot_id: str) -> bool:
    """Does ``tag`` (``prefix`` + a snapshot id, full or cut) name ``snapshot_id``?"""
    short = tag[len(prefix) :] if tag.startswith(prefix) else ""
    return len(short) >= 8 and snapshot_id.startswith(short)


def _latest_direct(
    repo: LocalRepository,
    host: str,
    tags: list[str],
    who: str,
    also: Callable[[list[str]], bool] = lambda _tags: True,
) -> Manifest | None:
    """What ``restic dump --host H --tag T latest /NAME`` gives: the newest such snapshot
    (``also``: a further test of its tags)."""
    found = [
        s
        for s in repo.snapshots()
        if s.get("hostname") == host
        and set(tags) <= set(s.get("tags") or [])
        and also(list(s.get("tags") or []))
    ]
    if not found:
        return None
    newest = max(found, key=lambda s: _when(str(s.get("time", ""))))
    content = repo.read_file(newest["id"], "/" + NAME)
    return None if content is None else _parse(content.decode("utf-8"), who)


def _when(text: str) -> datetime:
    """restic's RFC 3339 time, nanoseconds cut to what ``datetime`` holds."""
    match = _TIME.match(text)
    if match is None:
        return datetime.min.replace(tzinfo=UTC)
    head, fraction, zone = match.groups()
    zone = "+00:00" if zone in (None, "Z") else zone
    return datetime.fromisoformat(f"{head}.{(fraction or '')[:6]:0<6}{zone}")


def _parse(text: str, who: str) -> Manifest:
    try:
        return Manifest.from_dict(json.loads(text))
    except (ValueError, TypeError, KeyError) as exc:
        raise UsageError(f"the manifest of {who} in the store is unreadable: {exc}") from exc
