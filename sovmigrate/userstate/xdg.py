"""The user's XDG folders as the target resolves them (xdg-user-dirs, in the user's locale).

Folder names are never hard-coded: on fr_FR ``xdg-user-dirs-update`` names them Bureau,
Documents, Téléchargements, Images, Musique, Vidéos; on another locale, other names. An
existing ``~/.config/user-dirs.dirs`` wins (the user or the desktop may have moved a folder).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sovmigrate.errors import EnvironmentProblem

# Windows known folder (User Shell Folders value) -> XDG key.
WINDOWS_TO_XDG = {
    "Desktop": "DESKTOP",
    "Personal": "DOCUMENTS",
    "My Pictures": "PICTURES",
    "My Music": "MUSIC",
    "My Video": "VIDEOS",
    "{374DE290-123F-4565-9164-39C4925E467B}": "DOWNLOAD",
}
KEYS = ("DESKTOP", "DOCUMENTS", "DOWNLOAD", "MUSIC", "PICTURES", "VIDEOS")
_LINE = re.compile(r'^XDG_([A-Z]+)_DIR=(".*")\s*$')


@dataclass
class LinuxUser:
    name: str
    uid: int
    gid: int
    home: Path


def parse_user_dirs(text: str, home: Path) -> dict[str, Path]:
    """``XDG_DESKTOP_DIR="$HOME/Bureau"`` lines -> {"DESKTOP": home/"Bureau"}."""
    dirs = {}
    for line in text.splitlines():
        match = _LINE.match(line.strip())
        if not match:
            continue
        value = shlex.split(match.group(2))[0] if match.group(2) else ""
        if value.startswith("$HOME"):
            path = home / value[len("$HOME") :].lstrip("/")
        elif value.startswith("/"):
            path = Path(value)
        else:
            continue
        dirs[match.group(1)] = path
    return dirs


def system_locale() -> str:
    """LANG of /etc/default/locale (what a login session of the user gets), else C.UTF-8."""
    try:
        for line in Path("/etc/default/locale").read_text().splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "LANG" and value.strip():
                return value.strip().strip('"')
    except OSError:
        pass
    return "C.UTF-8"


def as_user(user: LinuxUser, argv: list[str], locale: str) -> subprocess.CompletedProcess[str]:
    env = {
        "HOME": str(user.home),
        "USER": user.name,
        "LOGNAME": user.name,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": locale,
        "LC_ALL": locale,
    }
    prefix = [] if os.geteuid() == user.uid else ["runuser", "-u", user.name, "--"]
    return subprocess.run(
        [*prefix, "env", "-i", *[f"{k}={v}" for k, v in env.items()], *argv],
        capture_output=True,
        text=True,
        check=False,
    )


def resolve(user: LinuxUser, locale: str | None = None) -> dict[str, Path]:
    """The user's XDG folders; runs ``xdg-user-dirs-update`` as the user when needed."""
    config = user.home / ".config" / "user-dirs.dirs"
    if not config.is_file():
        try:
            result = as_user(user, ["xdg-user-dirs-update"], locale or system_locale())
        except FileNotFoundError as exc:  # runuser missing: not a Debian target
            raise EnvironmentProblem(f"cannot run as {user.name}: {exc}") from exc
        if result.returncode == 127 or "No such file" in result.stderr:
            raise EnvironmentProblem(
                "xdg-user-dirs-update not found: apt-get install xdg-user-dirs"
            )
    if not config.is_file():
        raise EnvironmentProblem(f"xdg-user-dirs wrote no {config}: is the home writable?")
    dirs = parse_user_dirs(config.read_text(encoding="utf-8"), user.home)
    # A key set to $HOME itself means "disabled": fall back to the home, never write above it.
    return {k: v for k, v in dirs.items() if k in KEYS}
