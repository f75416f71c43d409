"""What the builder wrote on a Windows disk image: the reference the engine is checked against.

Paths are relative to the volume root with ``/`` separators (``Users/alice/Documents/a.txt``).
Every file the capture walks appears in ``files`` with its expected classification:
``selected``, ``excluded`` (reason) or ``not-migrated`` (reason); the reason codes are those of
``sovmigrate/userstate/rules.py``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMAT_VERSION = 1


@dataclass
class KnownFolder:
    name: str  # value name in User Shell Folders ("Personal", "{374DE290-...}")
    registry_value: str  # REG_EXPAND_SZ as written ("%USERPROFILE%\\Documents")
    location: str  # volume-relative path, or the UNC path when redirected to a server
    redirect: str = ""  # "", "local" (elsewhere on the disk), "unc", "onedrive"


@dataclass
class UserSettings:
    mapped_drives: dict[str, str] = field(default_factory=dict)  # "Z" -> "\\\\srv\\share"
    printers: list[str] = field(default_factory=list)  # "\\\\srv\\queue"
    default_printer: str = ""
    wallpaper: str = ""  # Windows path as in the registry
    browser_bookmarks: dict[str, str] = field(default_factory=dict)  # "chrome" -> profile path
    firefox_profiles: list[str] = field(default_factory=list)  # profile-relative paths
    outlook_signatures: list[str] = field(default_factory=list)  # signature names
    pst_files: list[str] = field(default_factory=list)  # volume-relative paths


@dataclass
class UserDescription:
    name: str
    sid: str
    profile: str  # volume-relative ("Users/alice")
    profile_image_path: str  # as in ProfileList
    domain: str = ""  # NetBIOS domain of a directory account; "" for a local account
    known_folders: dict[str, KnownFolder] = field(default_factory=dict)
    settings: UserSettings = field(default_factory=UserSettings)


@dataclass
class FileExpectation:
    path: str  # volume-relative
    owner: str  # user name, or "" for data folders at the drive root
    expected: str  # "selected" | "excluded" | "not-migrated"
    reason: str = ""  # reason code, empty when selected
    size: int = 0
    sha256: str = ""  # of the content as written (empty for non-files)


@dataclass
class DiskDescription:
    image: str
    seed: int
    variant: str
    defect: str
    image_size: int
    users: list[UserDescription]
    skipped_profiles: list[str]  # ProfileList keys the engine must skip (system SIDs, .bak)
    drive_data_folders: list[str]  # top-level folders captured as drive data
    files: list[FileExpectation]
    blockers: list[str]  # "hibernated", "dirty", "bitlocker"
    notes: list[str] = field(default_factory=list)
    format_version: int = FORMAT_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True)

    def save(self, path: Path) -> None:
        path.write_text(self.to_json() + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> DiskDescription:
        raw = json.loads(path.read_text(encoding="utf-8"))
        users = []
        for u in raw.pop("users"):
            folders = {k: KnownFolder(**v) for k, v in u.pop("known_folders").items()}
            settings = UserSettings(**u.pop("settings"))
            users.append(UserDescription(**u, known_folders=folders, settings=settings))
        files = [FileExpectation(**f) for f in raw.pop("files")]
        return cls(**raw, users=users, files=files)

    def user(self, name: str) -> UserDescription:
        return next(u for u in self.users if u.name == name)
