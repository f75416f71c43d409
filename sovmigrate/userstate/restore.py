"""Restore one captured Windows user into a Linux home, verified against the capture manifest.

Order matters for "no partial writes": everything that can refuse (store, password, user,
manifest paths, free space) is checked first; the snapshot is then streamed into a staging
directory inside the home (same file system: the final move is a rename) and hashed on the way;
only a complete, matching stream is moved into place. Restoring again writes nothing: a file
already at its place with the captured hash is left alone, and the result says so.
"""

from __future__ import annotations

import os
import pwd
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from sovmigrate.errors import EnvironmentProblem, OperationFailed, SovmigrateError, UsageError
from sovmigrate.userstate import identity, manifest_store, placement, restore_fs, xdg
from sovmigrate.userstate.manifest import Manifest
from sovmigrate.userstate.placement import Placement
from sovmigrate.userstate.prefetch import prefetched
from sovmigrate.userstate.restic_repo import RepoDamaged, open_snapshot
from sovmigrate.userstate.store import ResticStore
from sovmigrate.userstate.tarstream import Member, TarStreamError
from sovmigrate.userstate.xdg import LinuxUser

Log = Callable[[str], None]
STAGING = ".local/share/sovmigrate/staging"
# Kept free beyond the data: a full home breaks the desktop session at next login.
MARGIN = 64 << 20


@dataclass
class Placed:
    placement: Placement
    path: PurePosixPath  # relative to the home: the target or a collision name
    state: str  # "present" (already there, same hash), "write", "collision" (kept both)
    collided_with: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    manifest: Manifest
    user: LinuxUser
    snapshot: str
    placed: list[Placed]
    written: int = 0
    verified: bool = False
    mismatches: list[str] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    report_changed: bool = False

    @property
    def changed(self) -> bool:
        return (
            bool(self.written)
            or self.report_changed
            or any(s["status"] == "applied" for s in self.settings)
        )


def linux_user(name: str, home: Path | None = None) -> LinuxUser:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise UsageError(
            f"no Linux user {name!r} on this machine: create it first "
            "(user_state_restore_create_users) or map the Windows user to an existing one"
        ) from None
    where = Path(home) if home else Path(entry.pw_dir)
    if not where.is_dir():
        raise UsageError(f"the home of {name} does not exist: {where}")
    return LinuxUser(entry.pw_name, entry.pw_uid, entry.pw_gid, where)


def _receiver(req: Request, m: Manifest) -> LinuxUser:
    """The account whose home receives ``m``: the target login, or root's technician-only
    place for a SID that resolves to no account (nothing is given to anyone else)."""
    if req.unresolved:
        if not m.sid:
            raise UsageError("only a user's profile can be unresolved, not the drive data")
        place = identity.unresolved_place(m.host, m.sid)
        return LinuxUser("root", 0, 0, place)
    if req.create_home and req.home is None:
        identity.ensure_home(req.to_user, req.home_umask)
    return linux_user(req.to_user, req.home)


def _xdg_relative(user: LinuxUser, locale: str | None) -> dict[str, PurePosixPath]:
    home = os.path.realpath(user.home)
    out = {}
    for key, path in xdg.resolve(user, locale).items():
        real = os.path.realpath(path)
        if real.startswith(home + os.sep):  # $HOME itself or outside: not a place to restore to
            out[key] = PurePosixPath(os.path.relpath(real, home))
    return out


def _locate(user: LinuxUser, p: Placement, hashes: dict[Path, str]) -> Placed:
    """The first of target, ``name (Windows).ext``... that is free or holds this very file."""
    taken: list[str] = []
    for candidate in placement.alternatives(p.target):
        path = restore_fs.inside_home(user, candidate)
        if not path.exists():
            state = "collision" if taken else "write"
            return Placed(p, candidate, state, taken)
        if path.is_file() and path.stat().st_size == p.entry.size:
            digest = hashes.get(path) or restore_fs.sha256_of(path)
            hashes[path] = digest
            if digest == p.entry.sha256:
                return Placed(p, candidate, "present", taken)
        taken.append(str(candidate))
    raise OperationFailed(f"no free name for {p.target} in the home of {user.name}")


def _resolve_all(user: LinuxUser, plan: list[Placement], hashes: dict[Path, str]) -> list[Placed]:
    placed: list[Placed] = []
    claimed: set[PurePosixPath] = set()
    for p in plan:
        spot = _locate(user, p, hashes)
        n = 0
        # Two entries of one manifest aiming at one name: the second gets the next free name.
        while spot.state != "present" and spot.path in claimed:
            n += 1
            alts = list(placement.alternatives(p.target))
            spot = Placed(p, alts[min(n, len(alts) - 1)], "collision", [str(spot.path)])
        claimed.add(spot.path)
        placed.append(spot)
    return placed


def _check_space(user: LinuxUser, todo: list[Placed]) -> None:
    need = sum(p.placement.entry.size for p in todo)
    free = restore_fs.free_bytes(user.home)
    if need + MARGIN > free:
        raise EnvironmentProblem(
            f"not enough space in {user.home}: the restore needs {need} bytes "
            f"(+{MARGIN >> 20} MiB margin), {free} are free; nothing was written"
        )


def _stage(store: ResticStore, snapshot: str, todo: list[Placed], staging: Path) -> None:
    """Stream the snapshot, keep the wanted files under ``staging/<n>``, check each hash."""
    wanted = {p.placement.volume_path: (n, p) for n, p in enumerate(todo)}
    seen: set[str] = set()
    bad: list[str] = []
    current = ""

    def to_restore(member: Member) -> bool:  # the members whose content is read
        return member.kind == "file" and member.name.lstrip("/") in wanted

    try:
        with (
            open_snapshot(store, snapshot) as source,
            prefetched(source, to_restore) as tar,
        ):
            for member in tar:
                if not to_restore(member):
                    continue
                name = current = member.name.lstrip("/")
                n, p = wanted[name]
                digest = restore_fs.write_stream(tar.chunks(), staging / str(n), member.size)
                seen.add(name)
                if digest != p.placement.entry.sha256 or member.size != p.placement.entry.size:
                    bad.append(name)
    except (SovmigrateError, RepoDamaged, TarStreamError, OSError) as exc:
        where = f" while reading {current}" if current else ""
        raise OperationFailed(
            f"the store is damaged: snapshot {snapshot[:8]} could not be read{where} ({exc}); "
            "run 'restic check --read-data' on the store; nothing was restored"
        ) from exc
    missing = sorted(set(wanted) - seen)
    if bad or missing:
        first = (bad or missing)[0]
        raise OperationFailed(
            f"the store is damaged: snapshot {snapshot[:8]} gives {len(bad)} different and "
            f"{len(missing)} missing files (first: {first}); nothing was restored"
        )


def _place(user: LinuxUser, todo: list[Placed], staging: Path) -> dict[Path, os.stat_result]:
    """Move each staged file to its place; return what each placed file was when staged."""
    written = {}
    for n, p in enumerate(todo):
        path = restore_fs.inside_home(user, p.path)
        restore_fs.make_dirs(user, path.parent)
        restore_fs.finish(user, staging / str(n), p.placement.entry.mtime_ns)
        written[path] = os.stat(staging / str(n))
        os.replace(staging / str(n), path)
    return written


def verify(
    user: LinuxUser,
    placed: list[Placed],
    hashes: dict[Path, str],
    written: dict[Path, os.stat_result] | None = None,
) -> list[str]:
    """Every restored file against the manifest's SHA-256.

    A file this run wrote was hashed on its way in (``_stage`` refuses a stream that does not
    match): it is proven by being that very file (same inode, same size), not read again.
    Any other file is hashed (cached hashes are from this run).
    """
    mismatches = []
    for p in placed:
        path = restore_fs.inside_home(user, p.path)
        if not path.is_file():
            mismatches.append(f"missing: {p.path}")
            continue
        staged = (written or {}).get(path)
        if staged is not None and _same_file(path.stat(), staged, p.placement.entry.size):
            continue
        digest = hashes.get(path) if p.state == "present" else None
        if (digest or restore_fs.sha256_of(path)) != p.placement.entry.sha256:
            mismatches.append(f"different: {p.path}")
    return mismatches


def _same_file(now: os.stat_result, staged: os.stat_result, size: int) -> bool:
    return (now.st_dev, now.st_ino, now.st_size) == (staged.st_dev, staged.st_ino, size)


@dataclass
class Request:
    host: str
    user: str  # Windows user name, SID, or "drive"
    to_user: str
    home: Path | None = None  # override the passwd home (tests, homes mounted elsewhere)
    locale: str | None = None
    verify_only: bool = False
    apply_settings: bool = True
    mount_shares: bool = True  # a directory account's mapped drives mounted at login
    manifest: Path | None = None  # a manifest file instead of the one kept in the store
    # A directory account's home is made as its first login would make it (identity.py).
    create_home: bool = False
    home_umask: str = identity.DEFAULT_UMASK
    # The SID resolves to no account: restore, verified, into a technician-only place.
    unresolved: bool = False
    account: str = ""  # "directory" or "local": what the plan said, kept in the result


def _manifest(store: ResticStore, req: Request) -> Manifest:
    if req.manifest is None:
        # The roles name a subject by SID (or "drive"): one restic run fetches its newest
        # manifest. A name, or no such capture, goes through the listing (clear errors).
        if req.user.upper().startswith("S-1-") or req.user == manifest_store.DRIVE:
            found = manifest_store.load_latest(store, req.host, req.user)
            if found is not None:
                return found
        return manifest_store.load(store, manifest_store.find(store, req.host, req.user))
    from sovmigrate.userstate import manifest as manifest_io

    wanted = req.user.casefold()
    for m in manifest_io.read(req.manifest):
        if m.host == req.host and wanted in (m.sid.casefold(), m.name.casefold(), m.kind):
            return m
    raise UsageError(f"no manifest of user {req.user!r} on host {req.host!r} in {req.manifest}")


def restore(store: ResticStore, req: Request, log: Log | None = None) -> Outcome:
    say = log or (lambda _m: None)
    m = _manifest(store, req)
    user = _receiver(req, m)
    if m.entries and (m.snapshot is None or not m.verified):
        raise OperationFailed(f"the capture of {m.name or 'drive data'} was never verified")
    plan = placement.plan(m, _xdg_relative(user, req.locale))
    hashes: dict[Path, str] = {}
    placed = _resolve_all(user, plan, hashes)
    snapshot = m.snapshot.id if m.snapshot else ""
    outcome = Outcome(m, user, snapshot, placed)
    todo = [p for p in placed if p.state != "present"]
    written: dict[Path, os.stat_result] = {}
    if todo and not req.verify_only:
        _check_space(user, todo)
        staging = user.home / STAGING / snapshot[:16]
        shutil.rmtree(staging, ignore_errors=True)  # a killed run's leftovers
        staging.mkdir(parents=True, mode=0o700)
        try:
            say(f"{m.name or 'drive data'}: restoring {len(todo)} files from {snapshot[:8]}")
            _stage(store, snapshot, todo, staging)
            written = _place(user, todo, staging)
            outcome.written = len(todo)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    outcome.mismatches = verify(user, placed, hashes, written)
    outcome.verified = not outcome.mismatches
    if not req.verify_only and outcome.verified and req.apply_settings and not req.unresolved:
        from sovmigrate.userstate.settings_apply import apply_all

        outcome.settings = apply_all(outcome, mount_shares=req.mount_shares)
    return outcome
