"""Where each captured file lands in the Linux home (pure: no file system writes).

Windows known folders go to the user's XDG folders (resolved on the target, see xdg.py);
everything else has a documented place (docs/restore.md):

- Favorites                         -> <Documents>/Windows/Favoris/...
- other data of the profile         -> <Documents>/Windows/Profil/...
- AppData files kept for settings   -> ~/.local/share/sovmigrate/windows/<SID>/AppData/...
- data folders at the drive root    -> <Documents>/Windows/C/<path on C:>
A manifest path that could leave the home (absolute, ``..``, empty or ``.`` components, NUL)
is refused for the whole manifest, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from sovmigrate.errors import UsageError
from sovmigrate.userstate.manifest import Entry, Manifest
from sovmigrate.userstate.xdg import WINDOWS_TO_XDG

FAVORITES = "Favorites"
WINDOWS_DIR = "Windows"
SETTINGS_DIR = ".local/share/sovmigrate/windows"


@dataclass
class Placement:
    entry: Entry
    volume_path: str  # the file's path in the snapshot (without the leading "/")
    target: PurePosixPath  # relative to the home
    folder: str  # XDG key ("DOCUMENTS"...), "WINDOWS" (Documents/Windows) or "SETTINGS"


def check_relative(path: str, what: str) -> PurePosixPath:
    """A relative path that cannot climb out of its base; UsageError naming it otherwise."""
    parts = path.split("/")
    if not path or path.startswith("/") or "\0" in path or any(p in ("", ".", "..") for p in parts):
        raise UsageError(f"refused: manifest entry {path!r} ({what}) would land outside the home")
    return PurePosixPath(*parts)


def _in_folder(m: Manifest, entry: Entry, volume_path: str) -> str | None:
    """The entry's path inside its known folder, or None when it is not inside one."""
    info = m.known_folders.get(entry.folder)
    if not info:
        return None
    location = info.get("location", "").rstrip("/")
    if location and volume_path.lower().startswith(location.lower() + "/"):
        return volume_path[len(location) + 1 :]
    return None


def plan(m: Manifest, dirs: dict[str, PurePosixPath]) -> list[Placement]:
    """One placement per manifest entry. ``dirs``: XDG key -> folder relative to the home."""
    documents = dirs.get("DOCUMENTS", PurePosixPath("Documents"))
    windows = documents / WINDOWS_DIR
    out = []
    for entry in m.entries:
        volume_path = m.volume_path(entry)
        check_relative(volume_path, f"{m.name or 'drive data'}")
        check_relative(entry.path, f"{m.name or 'drive data'}")
        inside = _in_folder(m, entry, volume_path)
        key = WINDOWS_TO_XDG.get(entry.folder)
        if m.kind != "user":
            target, folder = windows / "C" / volume_path, "WINDOWS"
        elif inside is not None and key is not None and key in dirs:
            target, folder = dirs[key] / inside, key
        elif inside is not None and entry.folder == FAVORITES:
            target, folder = windows / "Favoris" / inside, "WINDOWS"
        elif entry.root == "profile" and entry.path.lower().startswith("appdata/"):
            target, folder = PurePosixPath(SETTINGS_DIR, m.sid or "drive", entry.path), "SETTINGS"
        elif entry.root == "profile":
            target, folder = windows / "Profil" / entry.path, "WINDOWS"
        else:
            target, folder = windows / "C" / volume_path, "WINDOWS"
        out.append(Placement(entry, volume_path, target, folder))
    return out


def alternatives(target: PurePosixPath) -> Iterator[PurePosixPath]:
    """Names tried in order when ``target`` holds another file: deterministic, never lost.

    ``rapport.odt`` -> ``rapport (Windows).odt``, ``rapport (Windows 2).odt``, ... (100 in
    all). Lazy: almost every file takes the first, and building the 100 paths of each of a
    profile's 50,000 files cost more than the restore's reads.
    """
    yield target
    name = target.name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or ext.strip() != ext or not ext:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    yield target.with_name(f"{stem} (Windows){suffix}")
    for n in range(2, 100):
        yield target.with_name(f"{stem} (Windows {n}){suffix}")
