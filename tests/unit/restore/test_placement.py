"""Where captured files land in the Linux home, collisions, and refused paths (pure)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from sovmigrate.errors import UsageError
from sovmigrate.userstate import bookmarks
from sovmigrate.userstate.manifest import Entry, Manifest
from sovmigrate.userstate.placement import alternatives, check_relative, plan
from sovmigrate.userstate.xdg import parse_user_dirs

DIRS = {
    "DESKTOP": PurePosixPath("Bureau"),
    "DOCUMENTS": PurePosixPath("Documents"),
    "DOWNLOAD": PurePosixPath("Téléchargements"),
    "PICTURES": PurePosixPath("Images"),
}


def manifest(*entries: Entry) -> Manifest:
    return Manifest(
        host="pc1",
        kind="user",
        name="alice",
        sid="S-1-5-21-1-2-3-1001",
        roots={"profile": "Users/alice", "Personal": "Donnees/alice/Mes documents"},
        known_folders={
            "Desktop": {"location": "Users/alice/Desktop"},
            "Personal": {"location": "Donnees/alice/Mes documents"},
            "My Pictures": {"location": "Users/alice/Pictures"},
            "Favorites": {"location": "Users/alice/Favorites"},
            "{374DE290-123F-4565-9164-39C4925E467B}": {"location": "Users/alice/Downloads"},
        },
        entries=list(entries),
    )


def entry(root: str, path: str, folder: str = "") -> Entry:
    return Entry(root=root, path=path, size=1, mtime_ns=0, sha256="0" * 64, folder=folder)


def test_known_folders_go_to_the_xdg_folders_of_the_locale() -> None:
    m = manifest(
        entry("profile", "Desktop/notes.txt", "Desktop"),
        entry("Personal", "Été/cr.txt", "Personal"),
        entry("profile", "Downloads/f.pdf", "{374DE290-123F-4565-9164-39C4925E467B}"),
        entry("profile", "Favorites/Intranet.url", "Favorites"),
        entry("profile", "Projets/plan.xlsx"),
        entry("profile", "AppData/Roaming/Microsoft/Signatures/s.htm"),
        entry("profile", "Pictures/a.jpg", "My Pictures"),
    )
    got = [str(p.target) for p in plan(m, DIRS)]
    assert got == [
        "Bureau/notes.txt",
        "Documents/Été/cr.txt",
        "Téléchargements/f.pdf",
        "Documents/Windows/Favoris/Intranet.url",
        "Documents/Windows/Profil/Projets/plan.xlsx",
        ".local/share/sovmigrate/windows/S-1-5-21-1-2-3-1001/AppData/Roaming/Microsoft/Signatures/s.htm",
        "Images/a.jpg",
    ]


def test_drive_data_goes_under_documents_windows_c() -> None:
    m = manifest(entry("Donnees", "Commun/procedure.odt"))
    m.kind, m.name, m.sid, m.roots = "drive-data", "", "", {"Donnees": "Donnees"}
    assert str(plan(m, DIRS)[0].target) == "Documents/Windows/C/Donnees/Commun/procedure.odt"


@pytest.mark.parametrize(
    "path", ["../etc/passwd", "a/../../b", "/etc/shadow", "a//b", "./a", "a/\0b", ""]
)
def test_paths_that_could_leave_the_home_are_refused(path: str) -> None:
    with pytest.raises(UsageError, match="outside the home"):
        check_relative(path, "test")
    with pytest.raises(UsageError, match="outside the home"):
        plan(manifest(entry("profile", "Projets/ok.txt"), entry("profile", path)), DIRS)


def test_collision_names_are_deterministic_and_keep_the_extension() -> None:
    names = [p.name for p in list(alternatives(PurePosixPath("Documents/rapport.odt")))[:3]]
    assert names == ["rapport.odt", "rapport (Windows).odt", "rapport (Windows 2).odt"]
    assert (
        list(alternatives(PurePosixPath("nom avec point.")))[1].name == "nom avec point. (Windows)"
    )
    assert list(alternatives(PurePosixPath(".bashrc")))[1].name == ".bashrc (Windows)"
    assert len(list(alternatives(PurePosixPath("a.txt")))) == 100


def test_user_dirs_parsing_resolves_home_relative_and_absolute() -> None:
    text = 'XDG_DESKTOP_DIR="$HOME/Bureau"\n# c\nXDG_VIDEOS_DIR="/srv/v"\nXDG_X="bad"\n'
    assert parse_user_dirs(text, Path("/home/a")) == {
        "DESKTOP": Path("/home/a/Bureau"),
        "VIDEOS": Path("/srv/v"),
    }


def test_bookmarks_from_chromium_json_and_url_files(tmp_path: Path) -> None:
    chrome = tmp_path / "Bookmarks"
    chrome.write_text(
        '{"roots": {"bookmark_bar": {"children": [{"name": "Intra", "type": "url",'
        ' "url": "https://intra.example/"}, {"type": "folder", "children": [{"name": "B",'
        ' "type": "url", "url": "https://b.example/"}]}]}}}'
    )
    url = tmp_path / "x.url"
    url.write_bytes(b"[InternetShortcut]\r\nURL=https://c.example/\r\n")
    items = [*bookmarks.from_chromium(chrome), ("x", bookmarks.url_of_shortcut(url))]
    html = bookmarks.netscape_html(items + items, "Favoris")
    assert html.count("https://") == 3 and 'HREF="https://b.example/"' in html
    assert bookmarks.from_firefox(url) == []  # not a database: no crash, nothing
