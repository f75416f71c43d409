"""Selection rules: data, first match wins, overridable from a JSON file.

A rule is ``{"match": GLOB, "action": "select"|"exclude", "reason": CODE, "roots": [...]}``.
GLOB is matched case-insensitively (as Windows would) against the path relative to its root;
``*`` stays within one path component, ``**`` spans any number of them. ``roots`` limits a
rule to roots of those kinds (``profile``, ``folder``, ``drive``); absent, it applies
everywhere. A path no rule matches is selected: when in doubt, a file is kept.
Documented in docs/capture.md; the defaults below are that document's table.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sovmigrate.errors import UsageError

DEFAULT_RULES: list[dict[str, object]] = [
    # Settings that live in AppData but are carried over (read by the restore).
    {
        "match": "AppData/Roaming/Microsoft/Signatures/**",
        "action": "select",
        "reason": "outlook-signatures",
        "roots": ["profile"],
    },
    {
        "match": "AppData/Local/Google/Chrome/User Data/*/Bookmarks",
        "action": "select",
        "reason": "browser-bookmarks",
        "roots": ["profile"],
    },
    {
        "match": "AppData/Local/Microsoft/Edge/User Data/*/Bookmarks",
        "action": "select",
        "reason": "browser-bookmarks",
        "roots": ["profile"],
    },
    {
        "match": "AppData/Roaming/Mozilla/Firefox/profiles.ini",
        "action": "select",
        "reason": "firefox-profile",
        "roots": ["profile"],
    },
    {
        "match": "AppData/Roaming/Mozilla/Firefox/Profiles/*/places.sqlite",
        "action": "select",
        "reason": "firefox-profile",
        "roots": ["profile"],
    },
    {
        "match": "AppData/Roaming/Mozilla/Firefox/Profiles/*/favicons.sqlite",
        "action": "select",
        "reason": "firefox-profile",
        "roots": ["profile"],
    },
    {
        "match": "AppData/**/*.pst",
        "action": "select",
        "reason": "outlook-pst",
        "roots": ["profile"],
    },
    # Windows' own per-user state: read as settings, useless on Linux.
    {"match": "NTUSER.DAT*", "action": "exclude", "reason": "registry-hive", "roots": ["profile"]},
    {"match": "ntuser.ini", "action": "exclude", "reason": "registry-hive", "roots": ["profile"]},
    {"match": "**/UsrClass.dat*", "action": "exclude", "reason": "registry-hive"},
    {"match": "**/Cache/**", "action": "exclude", "reason": "cache"},
    {"match": "**/Cache_Data/**", "action": "exclude", "reason": "cache"},
    {"match": "**/Code Cache/**", "action": "exclude", "reason": "cache"},
    {"match": "**/GPUCache/**", "action": "exclude", "reason": "cache"},
    {"match": "**/cache2/**", "action": "exclude", "reason": "cache"},
    {"match": "**/INetCache/**", "action": "exclude", "reason": "cache"},
    {"match": "AppData/Local/Temp/**", "action": "exclude", "reason": "temp", "roots": ["profile"]},
    {"match": "**/~$*", "action": "exclude", "reason": "temp"},
    {"match": "AppData/**", "action": "exclude", "reason": "appdata", "roots": ["profile"]},
    {"match": "**/desktop.ini", "action": "exclude", "reason": "shell-metadata"},
    {"match": "**/Thumbs.db", "action": "exclude", "reason": "shell-metadata"},
    {"match": "**/ehthumbs*.db", "action": "exclude", "reason": "shell-metadata"},
    {"match": "**/*.lnk", "action": "exclude", "reason": "shortcut"},
    # Files at the root of the drive that belong to Windows.
    {"match": "pagefile.sys", "action": "exclude", "reason": "system-file", "roots": ["drive"]},
    {"match": "hiberfil.sys", "action": "exclude", "reason": "system-file", "roots": ["drive"]},
    {"match": "swapfile.sys", "action": "exclude", "reason": "system-file", "roots": ["drive"]},
    {"match": "DumpStack.log*", "action": "exclude", "reason": "system-file", "roots": ["drive"]},
    {"match": "bootmgr", "action": "exclude", "reason": "system-file", "roots": ["drive"]},
    {"match": "BOOTNXT", "action": "exclude", "reason": "system-file", "roots": ["drive"]},
]

# Top-level folders of the system drive that are never user data.
SYSTEM_FOLDERS = {
    "$recycle.bin",
    "$winreagent",
    "$windows.~bt",
    "$windows.~ws",
    "config.msi",
    "documents and settings",
    "msocache",
    "perflogs",
    "program files",
    "program files (x86)",
    "programdata",
    "recovery",
    "system volume information",
    "users",
    "windows",
    "windows.old",
    "intel",
    "amd",
    "nvidia",
    "drivers",
    "onedrivetemp",
    "inetpub",
}


@dataclass(frozen=True)
class Rule:
    match: str
    action: str
    reason: str
    roots: tuple[str, ...] = field(default_factory=tuple)

    def applies(self, root_kind: str, path: str) -> bool:
        if self.roots and root_kind not in self.roots:
            return False
        return _compile(self.match).fullmatch(path) is not None


@lru_cache(maxsize=256)
def _compile(glob: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out), re.IGNORECASE | re.DOTALL)


def parse(raw: object) -> list[Rule]:
    if not isinstance(raw, list):
        raise UsageError("selection rules must be a JSON list of rules")
    rules = []
    for item in raw:
        if not isinstance(item, dict) or item.get("action") not in ("select", "exclude"):
            raise UsageError(f"bad selection rule (needs match, action select|exclude): {item}")
        rules.append(
            Rule(
                str(item["match"]),
                str(item["action"]),
                str(item.get("reason", "")),
                tuple(item.get("roots", ())),
            )
        )
    return rules


def load(path: Path | None) -> list[Rule]:
    """The default rules, or those of ``path``; a file may say ``{"extend": [...]}`` to put
    its rules before the defaults instead of replacing them."""
    if path is None:
        return parse(DEFAULT_RULES)
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read selection rules {path}: {exc}") from exc
    if isinstance(raw, dict) and "extend" in raw:
        return parse(raw["extend"]) + parse(DEFAULT_RULES)
    return parse(raw)


def classify(rules: list[Rule], root_kind: str, path: str) -> tuple[str, str]:
    """("select"|"exclude", reason) for a root-relative path."""
    for rule in rules:
        if rule.applies(root_kind, path):
            return rule.action, rule.reason
    return "select", ""
