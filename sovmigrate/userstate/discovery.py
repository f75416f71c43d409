"""Users and their known folders, read from the hives of a mounted Windows volume."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovmigrate.errors import UsageError
from sovmigrate.userstate import winpath
from sovmigrate.userstate.registry import Hive
from sovmigrate.userstate.settings import read_settings

PROFILE_LIST = "Microsoft\\Windows NT\\CurrentVersion\\ProfileList"
USER_SHELL_FOLDERS = "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders"
SYSTEM_SIDS = {"S-1-5-18", "S-1-5-19", "S-1-5-20"}
SOFTWARE_HIVE = "Windows/System32/config/SOFTWARE"
DOWNLOADS = "{374DE290-123F-4565-9164-39C4925E467B}"
# Value name in User Shell Folders -> the folder Windows creates in the profile.
KNOWN_FOLDERS = {
    "Desktop": "Desktop",
    "Personal": "Documents",
    "My Pictures": "Pictures",
    "My Music": "Music",
    "My Video": "Videos",
    "Favorites": "Favorites",
    DOWNLOADS: "Downloads",
}


@dataclass
class KnownFolder:
    name: str
    registry_value: str
    location: str  # volume-relative (on-disk spelling), or the UNC / other-drive path
    redirect: str = ""  # "", "local", "onedrive", "unc", "other-drive"
    exists: bool = True


@dataclass
class UserProfile:
    name: str
    sid: str
    profile: str  # volume-relative, on-disk spelling
    profile_image_path: str
    known_folders: dict[str, KnownFolder] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def open_software(root: Path) -> Hive:
    relative = winpath.resolve(root, SOFTWARE_HIVE)
    if relative is None:
        raise UsageError(
            f"SOFTWARE hive not found ({SOFTWARE_HIVE.replace('/', chr(92))}): "
            "not a Windows system volume, or a damaged one"
        )
    return Hive(root / relative, "SOFTWARE hive")


def discover_users(root: Path) -> list[UserProfile]:
    """Every real user of ProfileList (system SIDs and ``.bak`` leftovers skipped)."""
    software = open_software(root)
    users = []
    for sid in software.subkeys(PROFILE_LIST):
        if sid in SYSTEM_SIDS or sid.lower().endswith(".bak") or not sid.startswith("S-1-5-"):
            continue
        image_path = software.value(f"{PROFILE_LIST}\\{sid}", "ProfileImagePath")
        if not isinstance(image_path, str) or not image_path:
            continue
        windows = winpath.expand(image_path, winpath.base_variables())
        relative = winpath.to_volume_relative(windows)
        on_disk = winpath.resolve(root, relative) if relative is not None else None
        if on_disk is None or not (root / on_disk).is_dir():
            raise UsageError(f"profile directory missing for {sid}: {windows}")
        user = UserProfile(
            name=on_disk.rsplit("/", 1)[-1],
            sid=sid,
            profile=on_disk,
            profile_image_path=image_path,
        )
        ntuser = _ntuser(root, user)
        user.known_folders = known_folders(root, user, ntuser, windows)
        user.settings = read_settings(root, user.profile, ntuser)
        users.append(user)
    return users


def _ntuser(root: Path, user: UserProfile) -> Hive:
    relative = winpath.resolve(root, user.profile + "/NTUSER.DAT")
    if relative is None:
        raise UsageError(f"NTUSER.DAT missing in the profile of {user.name} ({user.sid})")
    return Hive(root / relative, f"NTUSER.DAT of {user.name}")


def known_folders(
    root: Path, user: UserProfile, ntuser: Hive, windows_profile: str
) -> dict[str, KnownFolder]:
    values = ntuser.values(USER_SHELL_FOLDERS)
    lowered = {k.lower(): v for k, v in values.items()}
    variables = {**winpath.base_variables(), "USERPROFILE": windows_profile, "USERNAME": user.name}
    folders = {}
    for name, default in KNOWN_FOLDERS.items():
        raw = lowered.get(name.lower())
        registry_value = raw if isinstance(raw, str) and raw else f"%USERPROFILE%\\{default}"
        folders[name] = _locate(root, user, name, registry_value, variables, default)
    return folders


def _locate(
    root: Path,
    user: UserProfile,
    name: str,
    registry_value: str,
    variables: dict[str, str],
    default: str,
) -> KnownFolder:
    expanded = winpath.expand(registry_value, variables)
    if winpath.is_unc(expanded):
        return KnownFolder(name, registry_value, expanded, "unc", exists=False)
    relative = winpath.to_volume_relative(expanded)
    if relative is None:
        return KnownFolder(name, registry_value, expanded, "other-drive", exists=False)
    on_disk = winpath.resolve(root, relative)
    location = on_disk or relative
    prefix = user.profile.lower() + "/"
    lowered = location.lower()
    if lowered.startswith(prefix + "onedrive"):
        redirect = "onedrive"
    elif lowered == prefix + default.lower():
        redirect = ""
    else:
        redirect = "local"
    return KnownFolder(name, registry_value, location, redirect, exists=on_disk is not None)
