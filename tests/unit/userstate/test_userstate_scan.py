"""The profile walk on a plain directory tree shaped like an ntfs-3g mount."""

from __future__ import annotations

import os
from pathlib import Path

from sovmigrate.userstate.discovery import KnownFolder, UserProfile
from sovmigrate.userstate.rules import load
from sovmigrate.userstate.scan import Scanner, user_manifest


def _tree(root: Path) -> UserProfile:
    profile = root / "Users" / "a"
    (profile / "Docs" / "sub").mkdir(parents=True)
    (profile / "Docs" / "sub" / "x.txt").write_text("x")
    (profile / "NTUSER.DAT").write_bytes(b"regf")
    # ntfs-3g shows a junction as an absolute link into the mount, a placeholder as a
    # dangling link naming its reparse tag.
    os.symlink(root / "Users", profile / "Docs" / "Boucle")
    os.symlink("unsupported reparse tag 0x9000701a", profile / "Docs" / "cloud.jpg")
    folders = {"Personal": KnownFolder("Personal", "%USERPROFILE%\\Docs", "Users/a/Docs", "local")}
    return UserProfile("a", "S-1-5-21-1-1001", "Users/a", "C:\\Users\\a", folders)


def test_links_are_recorded_not_followed_and_nothing_is_listed_twice(tmp_path: Path) -> None:
    user = _tree(tmp_path)
    m = user_manifest(Scanner(tmp_path, load(None)), user, "pc", "", [])
    assert [(e.root, e.path, e.folder) for e in m.entries] == [
        ("profile", "Docs/sub/x.txt", "Personal")
    ]
    excluded = {(x.path, x.reason, x.detail) for x in m.excluded}
    assert ("Docs/Boucle", "junction", "C:\\Users") in excluded
    assert ("NTUSER.DAT", "registry-hive", "") in excluded
    assert [(n.path, n.reason) for n in m.not_migrated] == [
        ("Docs/cloud.jpg", "onedrive-placeholder")
    ]
    assert m.entries[0].sha256 == "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
