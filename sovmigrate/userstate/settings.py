"""Per-user settings worth carrying to the Linux desktop, read from NTUSER.DAT and the profile.

The shape matches ``UserSettings`` of the disk builder's description (and the inspect JSON):
mapped drives, printers, default printer, wallpaper, browser bookmarks, Firefox profiles,
Outlook signatures, PST files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sovmigrate.userstate import winpath
from sovmigrate.userstate.registry import Hive

BROWSERS = {
    "chrome": "AppData/Local/Google/Chrome/User Data",
    "edge": "AppData/Local/Microsoft/Edge/User Data",
}
FIREFOX_PROFILES = "AppData/Roaming/Mozilla/Firefox/Profiles"
SIGNATURES = "AppData/Roaming/Microsoft/Signatures"
PST_DIRS = ["AppData/Local/Microsoft/Outlook", "AppData/Roaming/Microsoft/Outlook"]


def _listdir(root: Path, relative: str) -> tuple[str, list[os.DirEntry[str]]]:
    on_disk = winpath.resolve(root, relative)
    if on_disk is None:
        return relative, []
    try:
        with os.scandir(root / on_disk) as it:
            return on_disk, sorted(it, key=lambda e: e.name)
    except OSError:
        return on_disk, []


def read_settings(root: Path, profile: str, ntuser: Hive) -> dict[str, Any]:
    drives = {}
    for letter in ntuser.subkeys("Network"):
        remote = ntuser.value(f"Network\\{letter}", "RemotePath")
        if isinstance(remote, str):
            drives[letter.upper()] = remote
    printers = []
    for key in ntuser.subkeys("Printers\\Connections"):
        # ",,server,queue" is the key spelling of \\server\queue
        parts = key.split(",")
        printers.append("\\\\" + "\\".join(p for p in parts if p))
    device = ntuser.value("Software\\Microsoft\\Windows NT\\CurrentVersion\\Windows", "Device")
    default_printer = device.split(",", 1)[0] if isinstance(device, str) else ""
    wallpaper = ntuser.value("Control Panel\\Desktop", "Wallpaper")
    bookmarks = {}
    for browser, base in BROWSERS.items():
        base_on_disk, entries = _listdir(root, f"{profile}/{base}")
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and os.path.isfile(
                Path(entry.path) / "Bookmarks"
            ):
                key = browser if entry.name == "Default" else f"{browser}:{entry.name}"
                rel = base_on_disk[len(profile) + 1 :]
                bookmarks[key] = f"{rel}/{entry.name}/Bookmarks"
    ff_base, ff_entries = _listdir(root, f"{profile}/{FIREFOX_PROFILES}")
    firefox = [
        f"{ff_base[len(profile) + 1 :]}/{e.name}"
        for e in ff_entries
        if e.is_dir(follow_symlinks=False) and os.path.isfile(Path(e.path) / "places.sqlite")
    ]
    _, sig_entries = _listdir(root, f"{profile}/{SIGNATURES}")
    signatures = sorted(
        {e.name.rsplit(".", 1)[0] for e in sig_entries if e.name.lower().endswith(".htm")}
    )
    return {
        "mapped_drives": drives,
        "printers": sorted(printers),
        "default_printer": default_printer,
        "wallpaper": wallpaper if isinstance(wallpaper, str) else "",
        "browser_bookmarks": bookmarks,
        "firefox_profiles": firefox,
        "outlook_signatures": signatures,
        # Filled from the selection: every selected *.pst, wherever the user kept it.
        "pst_files": [],
    }
