"""Windows paths on a mounted volume: expand variables, map C:\\ to the mount, any case.

ntfs-3g looks names up case-sensitively while Windows does not, so a registry path
(``C:\\users\\Alice``) is resolved one component at a time against the directory listing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

SYSTEM_DRIVE = "C:"


def expand(value: str, variables: dict[str, str]) -> str:
    """Expand ``%VAR%`` case-insensitively; unknown variables are left as they are."""
    lowered = {k.lower(): v for k, v in variables.items()}

    def sub(match: re.Match[str]) -> str:
        return lowered.get(match.group(1).lower(), match.group(0))

    return re.sub(r"%([^%]+)%", sub, value)


def base_variables() -> dict[str, str]:
    return {
        "SystemDrive": SYSTEM_DRIVE,
        "SystemRoot": SYSTEM_DRIVE + "\\Windows",
        "windir": SYSTEM_DRIVE + "\\Windows",
    }


def is_unc(path: str) -> bool:
    return path.startswith("\\\\")


def to_volume_relative(path: str) -> str | None:
    """``C:\\Users\\a`` -> ``Users/a``; None when the path is not on the system drive."""
    if path[:2].upper() != SYSTEM_DRIVE:
        return None
    parts = [p for p in path[2:].replace("/", "\\").split("\\") if p and p != "."]
    return "/".join(parts)


def resolve(root: Path, relative: str) -> str | None:
    """The on-disk spelling of a volume-relative path, or None if it does not exist.

    Never follows a link: a path component that is a junction ends the lookup.
    """
    current = root
    actual: list[str] = []
    parts = [p for p in relative.split("/") if p]
    for index, part in enumerate(parts):
        candidate = current / part
        if not os.path.lexists(candidate):
            try:
                names = os.listdir(current)
            except OSError:
                return None
            match = next((n for n in names if n.lower() == part.lower()), None)
            if match is None:
                return None
            candidate = current / match
        if candidate.is_symlink():
            return None
        if index < len(parts) - 1 and not candidate.is_dir():
            return None
        actual.append(candidate.name)
        current = candidate
    return "/".join(actual)
