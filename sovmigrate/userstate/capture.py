"""Inspect and capture: the two operations the CLI and the roles call (one implementation)."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sovmigrate.errors import EnvironmentProblem, OperationFailed, UsageError
from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate import manifest_store
from sovmigrate.userstate import rules as rules_mod
from sovmigrate.userstate.discovery import UserProfile, discover_users
from sovmigrate.userstate.manifest import Manifest, SnapshotRef
from sovmigrate.userstate.scan import Scanner, drive_manifest, user_manifest
from sovmigrate.userstate.source import Blocker, Volume, open_volume
from sovmigrate.userstate.store import NoRepository, ResticStore, Snapshot
from sovmigrate.userstate.targets import backup_targets
from sovmigrate.userstate.verify import verify_snapshot

INSPECT_FORMAT = "sovmigrate-inspect"
INSPECT_VERSION = 1
Log = Callable[[str], None]


class VolumeBlocked(EnvironmentProblem):
    def __init__(self, blockers: list[Blocker]) -> None:
        super().__init__("cannot read the Windows volume: " + "; ".join(map(str, blockers)))
        self.blockers = blockers


@dataclass
class Options:
    host: str
    wave: str = ""
    users: list[str] | None = None  # names or SIDs; None = all users and the drive data
    rules_file: Path | None = None
    progress: Callable[[int], None] | None = None  # called with each chunk of bytes hashed


def _select(users: list[UserProfile], wanted: list[str] | None) -> list[UserProfile]:
    if not wanted:
        return users
    chosen = [u for u in users if u.name in wanted or u.sid in wanted]
    unknown = set(wanted) - {u.name for u in chosen} - {u.sid for u in chosen}
    if unknown:
        known = ", ".join(u.name for u in users) or "none"
        raise UsageError(f"no such user on this volume: {sorted(unknown)[0]} (users: {known})")
    return chosen


def _scans(
    volume: Volume, options: Options, hashing: bool
) -> tuple[Scanner, list[Callable[[], Manifest]]]:
    """One deferred scan per subject; discovery (and its bad-input errors) happens now."""
    rules = rules_mod.load(options.rules_file)
    users = discover_users(volume.root)
    chosen = _select(users, options.users)
    scanner = Scanner(volume.root, rules, hashing=hashing, progress=options.progress)
    scans: list[Callable[[], Manifest]] = [
        functools.partial(
            user_manifest, scanner, u, options.host, options.wave, [o for o in users if o is not u]
        )
        for u in chosen
    ]
    if not options.users:
        scans.append(functools.partial(drive_manifest, scanner, users, options.host, options.wave))
    return scanner, scans


def scan_volume(volume: Volume, options: Options, hashing: bool = True) -> list[Manifest]:
    return [scan() for scan in _scans(volume, options, hashing)[1]]


def _summary(m: Manifest) -> dict[str, Any]:
    by_reason: dict[str, int] = {}
    for e in m.excluded:
        by_reason[e.reason] = by_reason.get(e.reason, 0) + 1
    folders: dict[str, dict[str, Any]] = {}
    for name, info in m.known_folders.items():
        inside = [e for e in m.entries if e.folder == name]
        folders[name] = {
            **info,
            "exists": info["exists"] == "true",
            "files": len(inside),
            "bytes": sum(e.size for e in inside),
        }
    return {
        "kind": m.kind,
        "name": m.name,
        "sid": m.sid,
        "roots": m.roots,
        "known_folders": folders,
        "settings": m.settings,
        "selected": {"files": len(m.entries), "bytes": m.total_bytes},
        "excluded": {
            "files": len(m.excluded),
            "bytes": sum(e.size for e in m.excluded),
            "by_reason": by_reason,
        },
        "excluded_items": [dataclasses.asdict(e) for e in m.excluded],
        "not_migrated": [dataclasses.asdict(e) for e in m.not_migrated],
    }


def inspect(source: Path, rules_file: Path | None = None) -> dict[str, Any]:
    """What a capture would take, leave and refuse; reads only (no hashing, no store)."""
    with open_volume(source) as volume:
        report: dict[str, Any] = {
            "format": INSPECT_FORMAT,
            "version": INSPECT_VERSION,
            "source": str(source),
            "blockers": [dataclasses.asdict(b) for b in volume.blockers],
            "users": [],
            "drive_data": None,
        }
        if any(b.code == "bitlocker" for b in volume.blockers):
            return report  # encrypted: nothing readable
        manifests = scan_volume(volume, Options(host="", rules_file=rules_file), hashing=False)
    users = [m for m in manifests if m.kind == "user"]
    report["users"] = [_summary(m) for m in users]
    drive = next((m for m in manifests if m.kind == "drive-data"), None)
    report["drive_data"] = _summary(drive) if drive else None
    return report


def capture(
    source: Path,
    store: ResticStore,
    options: Options,
    manifest_out: Path | None = None,
    log: Log | None = None,
) -> list[Manifest]:
    """Capture every selected user (and the drive data) to ``store``; verify each snapshot.

    Raises before touching the store on any blocker or bad input; raises OperationFailed when
    a snapshot does not hold its manifest. Re-running is safe: restic deduplicates, and a run
    killed midway leaves nothing a new run trips on (its stale lock is removed when met).
    """
    say = log or (lambda _msg: None)
    with open_volume(source) as volume:
        if volume.blockers:
            raise VolumeBlocked(volume.blockers)
        say(f"reading {source}")
        scanner, scans = _scans(volume, options, hashing=True)
        manifests = _pipeline(store, volume.root, scanner, scans, options, say)
    if manifest_out is not None:
        manifest_io.write(manifest_out, manifests)
    return manifests


def _pipeline(
    store: ResticStore,
    root: Path,
    scanner: Scanner,
    scans: list[Callable[[], Manifest]],
    options: Options,
    say: Log,
) -> list[Manifest]:
    """Three subjects in flight: hash the next, back up this one, verify the previous.

    Hashing (Python, through ntfs-3g) fills the page cache that restic's backup of the same
    subject then reads; the verification (restic dump) of a subject runs while restic backs
    up the next one, so restic's I/O waits and the two cores overlap. A subject is hashed
    completely before its backup starts, and verified before its manifest is saved.
    """
    manifests: list[Manifest] = []
    with (
        tempfile.TemporaryDirectory(prefix="sovmigrate-verify-") as verify_cache,
        concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool,
    ):
        pending = pool.submit(scans[0]) if scans else None
        verifying: concurrent.futures.Future[None] | None = None
        try:
            earlier = _open_store(store, options.host)
            for index in range(len(scans)):
                assert pending is not None
                m = pending.result()
                pending = pool.submit(scans[index + 1]) if index + 1 < len(scans) else None
                manifests.append(m)
                parent = _parent(m, earlier)
                snapshot = _backup_one(store, root, m, options, say, parent)
                if verifying is not None:
                    verifying.result()  # the previous subject's verdict, in order
                verifying = pool.submit(
                    _finish_one, store, m, snapshot, say, Path(verify_cache), parent
                )
            if verifying is not None:
                verifying.result()
        except BaseException:
            scanner.cancelled = True  # do not hash on while the error reaches the user
            raise
    return manifests


def _open_store(store: ResticStore, host: str) -> list[Snapshot]:
    """This host's earlier snapshots; creates the repository when there is none.

    Each restic run costs ~0.5 s of key derivation: listing snapshots doubles as the "does
    the repository exist, is the password right" probe. It runs while the first subject is
    hashed, and a wrong password or a dead store stops that hashing at once. Stale locks of
    a killed run are removed only when one is met (ResticStore.run), not by one more run.
    """
    try:
        return store.snapshots(host=host)
    except NoRepository:
        # Another machine of the wave may have created it meanwhile: then it may hold
        # snapshots of this host's earlier runs.
        return [] if store.init_if_absent() else store.snapshots(host=host)


def _parent(m: Manifest, earlier: list[Snapshot]) -> str | None:
    """The last snapshot of this user on this host: restic skips re-reading the files
    unchanged since, and the verification does not hash them again (verify.py)."""
    previous = [s for s in earlier if s.tag("sid") == (m.sid or "drive")]
    return previous[-1].id if previous else None


def _backup_one(
    store: ResticStore, root: Path, m: Manifest, options: Options, say: Log, parent: str | None
) -> SnapshotRef | None:
    """Back up one subject; None when it has no file to capture."""
    if not m.entries:
        return None
    sid = m.sid or "drive"
    tags = [f"host:{options.host}", f"sid:{sid}", f"kind:{m.kind}"]
    if options.wave:
        tags.append(f"wave:{options.wave}")
    if m.name:
        tags.append(f"user:{m.name}")
    say(f"{m.name or 'drive data'}: backing up {len(m.entries)} files, {m.total_bytes} bytes")
    snapshot_id = store.backup(root, backup_targets(m), host=options.host, tags=tags, parent=parent)
    return SnapshotRef(id=snapshot_id, tags=tags, repository=store.repo)


def _finish_one(
    store: ResticStore,
    m: Manifest,
    snapshot: SnapshotRef | None,
    say: Log,
    cache: Path,
    parent: str | None = None,
) -> None:
    """Verify the snapshot against the manifest, then keep the manifest in the store."""
    label = m.name or "drive data"
    if snapshot is None:
        m.verified = True
        manifest_store.save(store, m)  # restore reads what did not migrate from the store
        say(f"{label}: nothing to capture")
        return
    verdict = verify_snapshot(store, m, snapshot.id, cache, parent)
    if not verdict.ok:
        raise OperationFailed(f"capture of {label} not verified: {verdict.summary()}")
    m.snapshot = snapshot
    m.verified = True
    # Saved only once verified: a manifest in the store always describes a good snapshot.
    manifest_store.save(store, m)
    say(f"{label}: snapshot {snapshot.id} verified ({verdict.summary()})")
