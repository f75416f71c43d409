"""Paths handed to restic: clean directories collapse, anything near an exclusion stays exact."""

from __future__ import annotations

from sovmigrate.userstate.manifest import Entry, Excluded, Manifest, NotMigrated
from sovmigrate.userstate.targets import backup_targets


def _entry(root: str, path: str) -> Entry:
    return Entry(root, path, 1, 0, "0" * 64)


def test_clean_directories_collapse_and_dirty_ones_do_not() -> None:
    m = Manifest(
        host="h",
        kind="user",
        name="a",
        sid="s",
        roots={"profile": "Users/a", "Personal": "Donnees/a/Docs"},
        entries=[
            _entry("profile", "Documents/Projets/x.odt"),
            _entry("profile", "Documents/Projets/sub/y.odt"),
            _entry("profile", "Documents/z.txt"),
            _entry("profile", "Pictures/p.jpg"),
            _entry("profile", "OneDrive/ok.jpg"),
            _entry("Personal", "r.txt"),
        ],
        excluded=[
            Excluded("profile", "NTUSER.DAT", "registry-hive"),
            Excluded("profile", "Documents/Boucle", "junction"),
        ],
        not_migrated=[NotMigrated("profile", "OneDrive/online.jpg", "onedrive-placeholder")],
    )
    assert backup_targets(m) == [
        "Donnees/a/Docs",  # a whole redirected folder, clean
        "Users/a/Documents/Projets",  # clean subtree of a dirty folder
        "Users/a/Documents/z.txt",  # next to a junction: exact
        "Users/a/OneDrive/ok.jpg",  # next to a placeholder: exact
        "Users/a/Pictures",
    ]


def test_drive_root_files_are_never_collapsed_to_the_volume() -> None:
    m = Manifest(
        host="h",
        kind="drive-data",
        name="",
        sid="",
        roots={"volume": "", "Donnees": "Donnees"},
        entries=[_entry("volume", "notes.txt"), _entry("Donnees", "c/d.txt")],
    )
    assert backup_targets(m) == ["Donnees", "notes.txt"]
