"""Walk a user's folders on the mounted volume and classify every file into a manifest.

Links are never followed: ntfs-3g shows junctions and symlinks as symlinks to absolute paths
inside the mount (following one loops back into the volume), and cloud placeholders as
dangling links naming their reparse tag. Each is recorded, none is entered.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import stat
import struct
from collections.abc import Callable
from pathlib import Path

from sovmigrate.userstate.discovery import KNOWN_FOLDERS, UserProfile
from sovmigrate.userstate.manifest import Entry, Excluded, Manifest, NotMigrated
from sovmigrate.userstate.rules import SYSTEM_FOLDERS, Rule, classify

FILE_ATTRIBUTE_ENCRYPTED = 0x4000
_TAG = re.compile(r"unsupported reparse tag (0x[0-9a-fA-F]+)")
Progress = Callable[[int], None]


def _is_cloud_tag(tag: int) -> bool:
    # IO_REPARSE_TAG_CLOUD, CLOUD_1..CLOUD_F: 0x9000X01A
    return tag & 0xFFFF0FFF == 0x9000001A


def sha256_file(path: str | Path, progress: Progress | None = None) -> str:
    """SHA-256 of a file, read unbuffered into one reused buffer (a quarter less CPU than
    ``read()`` chunks, which allocate a new 1 MiB object each time)."""
    digest = hashlib.sha256()
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            digest.update(view[:n])
            if progress:
                progress(n)
    return digest.hexdigest()


def _attributes(path: str) -> int:
    try:
        raw = os.getxattr(path, "system.ntfs_attrib_be", follow_symlinks=False)
        return int(struct.unpack(">I", raw[:4])[0])
    except OSError:
        return 0


def _streams(path: str) -> list[str]:
    try:
        return sorted(
            n[5:] for n in os.listxattr(path, follow_symlinks=False) if n.startswith("user.")
        )
    except OSError:
        return []


class ScanCancelled(Exception):
    """The capture stopped (an error or Ctrl-C) while this scan ran in the background."""


class Scanner:
    def __init__(
        self,
        mount: Path,
        rules: list[Rule],
        *,
        hashing: bool = True,
        progress: Progress | None = None,
    ) -> None:
        self.mount = mount
        self.rules = rules
        self.hashing = hashing
        self.progress = progress
        self.cancelled = False  # set from another thread to stop a background scan

    def _tick(self, size: int) -> None:
        if self.cancelled:
            raise ScanCancelled()
        if self.progress:
            self.progress(size)

    def windows_path(self, target: str) -> str:
        """A link target under the mount point, as Windows would name it (C:\\...)."""
        prefix = str(self.mount).rstrip("/") + "/"
        if target.startswith(prefix):
            return "C:\\" + target[len(prefix) :].replace("/", "\\")
        return target

    def walk(
        self,
        manifest: Manifest,
        root_name: str,
        root_kind: str,
        folder_of: Callable[[str], str],
        skip: dict[str, str],
    ) -> None:
        """Classify everything under ``manifest.roots[root_name]``.

        ``skip`` maps volume-relative directories (lower case) to the reason they are not
        entered here (captured elsewhere); ``folder_of`` names the known folder of a path.
        """
        base = manifest.roots[root_name]
        stack = [""]
        while stack:
            if self.cancelled:
                raise ScanCancelled()
            rel_dir = stack.pop()
            directory = self.mount / base / rel_dir if rel_dir else self.mount / base
            try:
                with os.scandir(directory) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                manifest.not_migrated.append(
                    NotMigrated(root_name, rel_dir, "unreadable", exc.strerror or str(exc))
                )
                continue
            for entry in reversed(entries):
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                self._one(manifest, root_name, root_kind, entry, rel, folder_of, skip, stack)

    def _one(
        self,
        manifest: Manifest,
        root_name: str,
        root_kind: str,
        entry: os.DirEntry[str],
        rel: str,
        folder_of: Callable[[str], str],
        skip: dict[str, str],
        stack: list[str],
    ) -> None:
        base = manifest.roots[root_name]
        volume_rel = f"{base}/{rel}" if base else rel
        if entry.is_symlink():
            target = os.readlink(entry.path)
            tag = _TAG.search(target)
            if tag and _is_cloud_tag(int(tag.group(1), 16)):
                manifest.not_migrated.append(
                    NotMigrated(
                        root_name, rel, "onedrive-placeholder", "online-only file: no local content"
                    )
                )
            elif tag:
                manifest.not_migrated.append(
                    NotMigrated(root_name, rel, "unsupported-reparse-point", tag.group(1))
                )
            else:
                manifest.excluded.append(
                    Excluded(root_name, rel, "junction", detail=self.windows_path(target))
                )
            return
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            manifest.not_migrated.append(NotMigrated(root_name, rel, "unreadable", str(exc)))
            return
        if stat.S_ISDIR(st.st_mode):
            why = skip.get(volume_rel.lower())
            if why is not None:
                manifest.excluded.append(Excluded(root_name, rel, "captured-elsewhere", detail=why))
            else:
                stack.append(rel)
            return
        if not stat.S_ISREG(st.st_mode):
            manifest.excluded.append(Excluded(root_name, rel, "special-file"))
            return
        action, reason = classify(self.rules, root_kind, rel)
        if action == "exclude":
            manifest.excluded.append(Excluded(root_name, rel, reason, size=st.st_size))
            return
        attributes = _attributes(entry.path)
        if attributes & FILE_ATTRIBUTE_ENCRYPTED:
            manifest.not_migrated.append(
                NotMigrated(
                    root_name,
                    rel,
                    "efs-encrypted",
                    "EFS file: its key is bound to the Windows user",
                )
            )
            return
        try:
            digest = sha256_file(entry.path, self._tick) if self.hashing else ""
        except OSError as exc:
            manifest.not_migrated.append(NotMigrated(root_name, rel, "unreadable", str(exc)))
            return
        manifest.entries.append(
            Entry(
                root=root_name,
                path=rel,
                size=st.st_size,
                mtime_ns=st.st_mtime_ns,
                sha256=digest,
                folder=folder_of(volume_rel),
                attributes=attributes,
                streams=_streams(entry.path),
            )
        )


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def user_manifest(
    scanner: Scanner, user: UserProfile, host: str, wave: str, other_users: list[UserProfile]
) -> Manifest:
    roots = {"profile": user.profile}
    folders = {}
    for name, kf in user.known_folders.items():
        folders[name] = {
            "registry_value": kf.registry_value,
            "location": kf.location,
            "redirect": kf.redirect,
            "exists": str(kf.exists).lower(),
        }
        inside = kf.location.lower().startswith(user.profile.lower() + "/")
        if kf.redirect == "local" and kf.exists and not inside:
            # Outside the profile: a root of its own (inside, the profile walk covers it).
            roots[name] = kf.location
    manifest = Manifest(
        host=host,
        kind="user",
        name=user.name,
        sid=user.sid,
        roots=roots,
        wave=wave,
        created=_now(),
        known_folders=folders,
        settings=dict(user.settings),
    )
    locations = sorted(
        ((kf.location.lower(), n) for n, kf in user.known_folders.items() if kf.exists),
        reverse=True,
    )

    def folder_of(volume_rel: str) -> str:
        lowered = volume_rel.lower()
        for location, name in locations:
            if lowered == location or lowered.startswith(location + "/"):
                return name
        return ""

    # Another user's folder redirected into this profile is captured with its owner.
    skip = {
        kf.location.lower(): f"{o.name}: {n}"
        for o in other_users
        for n, kf in o.known_folders.items()
        if kf.redirect == "local" and kf.exists
    }
    scanner.walk(manifest, "profile", "profile", folder_of, skip)
    for name in roots:
        if name != "profile":
            scanner.walk(manifest, name, "folder", folder_of, skip)
    for name, kf in user.known_folders.items():
        if kf.redirect in ("unc", "other-drive"):
            reason = "unc-redirect" if kf.redirect == "unc" else "other-drive"
            manifest.not_migrated.append(
                NotMigrated("profile", KNOWN_FOLDERS[name], reason, kf.location)
            )
    manifest.settings["pst_files"] = sorted(
        manifest.volume_path(e) for e in manifest.entries if e.path.lower().endswith(".pst")
    )
    return manifest


def drive_manifest(scanner: Scanner, users: list[UserProfile], host: str, wave: str) -> Manifest:
    """Data folders at the root of the drive (``C:\\Donnees``...) and loose files there."""
    manifest = Manifest(
        host=host,
        kind="drive-data",
        name="",
        sid="",
        roots={"volume": ""},
        wave=wave,
        created=_now(),
    )
    skip = {
        kf.location.lower(): f"{u.name}: {n}"
        for u in users
        for n, kf in u.known_folders.items()
        if kf.redirect == "local" and kf.exists
    }
    for entry in _sorted_dir(scanner.mount):
        lowered = entry.name.lower()
        if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
            scanner._one(manifest, "volume", "drive", entry, entry.name, lambda _: "", skip, [])
        elif lowered == "users":
            _users_folder(scanner, manifest, entry.name, users, skip)
        elif lowered in SYSTEM_FOLDERS:
            manifest.excluded.append(Excluded("volume", entry.name, "system-folder"))
        else:
            manifest.roots[entry.name] = entry.name
            scanner.walk(manifest, entry.name, "drive", lambda _: "", skip)
    return manifest


def _sorted_dir(path: Path) -> list[os.DirEntry[str]]:
    with os.scandir(path) as it:
        return sorted(it, key=lambda e: e.name)


def _users_folder(
    scanner: Scanner, manifest: Manifest, name: str, users: list[UserProfile], skip: dict[str, str]
) -> None:
    """``C:\\Users``: profiles go with their user, Public is shared data, the rest is named."""
    profiles = {u.profile.lower(): u.name for u in users}
    for entry in _sorted_dir(scanner.mount / name):
        rel = f"{name}/{entry.name}"
        lowered = entry.name.lower()
        if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
            scanner._one(manifest, "volume", "drive", entry, rel, lambda _: "", skip, [])
        elif rel.lower() in profiles:
            manifest.excluded.append(
                Excluded("volume", rel, "captured-elsewhere", detail=profiles[rel.lower()])
            )
        elif lowered == "public":
            manifest.roots["Public"] = rel
            scanner.walk(manifest, "Public", "drive", lambda _: "", skip)
        elif lowered in ("default", "default user", "all users"):
            manifest.excluded.append(Excluded("volume", rel, "system-folder"))
        else:
            # A profile folder no ProfileList entry points to (a deleted account's leftovers):
            # reported for a human to decide, not captured blindly.
            manifest.excluded.append(Excluded("volume", rel, "not-in-profile-list"))
