"""The software catalogue (data/software_catalogue.yml) and the matcher of installed titles.

A title matches an entry when one of the entry's name patterns is found in it (case-insensitive)
and, if the inventory gives a publisher, the publisher's pattern matches it too: "Office" from
another vendor is not Microsoft Office. Results are cached per (title, publisher): a fleet of
80,000 machines has millions of installations but only thousands of distinct titles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from sovmigrate.errors import UsageError

# libyaml when present: the pure-Python loader takes a second and a half on the catalogue.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

DATA = Path(__file__).with_name("data") / "software_catalogue.yml"
# fmt: off
EU = frozenset((
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
))
# fmt: on
AXES = ("workstation", "collaboration", "antivirus", "ai", "databases", "virtualisation", "network")
ACTIONS = ("replace", "linux-version", "web", "remove", "ignore", "exception")
# After migration, these actions leave no dependency on the title's publisher.
RESOLVING_ACTIONS = frozenset({"replace", "web", "remove"})
# Business applications (``category: business``) say how their users keep working: through
# the application's web access, a Windows desktop published by VDI, a Windows exception
# machine, or a Linux version of the client.
PATHS = ("web", "vdi", "windows", "linux")


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    name: str
    publisher: str
    country: str
    axis: str
    license: str
    action: str
    replacement: str
    sill: bool
    packages: tuple[str, ...]
    blocks: bool
    patterns: tuple[re.Pattern[str], ...]
    publisher_re: re.Pattern[str] | None
    category: str = ""  # "business" for business applications
    path: str = ""  # for business applications: one of PATHS

    @property
    def jurisdiction(self) -> str:
        """``eu``, ``non-eu`` or ``unknown`` (no country given)."""
        if not self.country:
            return "unknown"
        return "eu" if self.country in EU else "non-eu"

    @property
    def dependency(self) -> bool:
        """Proprietary software from a non-EU publisher: the figure the ministries publish."""
        return self.license == "proprietary" and self.jurisdiction == "non-eu"


class Catalogue:
    def __init__(self, entries: list[Entry], version: int = 1) -> None:
        self.entries = entries
        self.by_id = {e.id: e for e in entries}
        self.version = version
        self._cache: dict[tuple[str, str], Entry | None] = {}

    def match(self, title: str, publisher: str = "") -> Entry | None:
        key = (title, publisher)
        try:
            return self._cache[key]
        except KeyError:
            pass
        low, pub = title.lower(), publisher.lower()
        found = None
        for entry in self.entries:
            if any(p.search(low) for p in entry.patterns):
                if pub and entry.publisher_re is not None and not entry.publisher_re.search(pub):
                    continue
                found = entry
                break
        self._cache[key] = found
        return found

    def packages(self) -> dict[str, list[str]]:
        """Entry id -> Debian packages of its replacement (what workstation_apps installs)."""
        return {e.id: list(e.packages) for e in self.entries if e.packages}


def _entry(raw: dict[str, Any], publishers: dict[str, Any], where: str) -> Entry:
    for key in ("id", "name", "match", "publisher", "axis", "license", "action"):
        if key not in raw:
            raise UsageError(f"{where}: entry {raw.get('id', '?')}: missing {key!r}")
    pub = publishers.get(raw["publisher"])
    if pub is None:
        raise UsageError(f"{where}: entry {raw['id']}: unknown publisher {raw['publisher']!r}")
    if raw["axis"] not in AXES:
        raise UsageError(f"{where}: entry {raw['id']}: axis {raw['axis']!r} not in {AXES}")
    if raw["action"] not in ACTIONS:
        raise UsageError(f"{where}: entry {raw['id']}: action {raw['action']!r} not in {ACTIONS}")
    category, path = str(raw.get("category") or ""), str(raw.get("path") or "")
    if category not in ("", "business"):
        raise UsageError(f"{where}: entry {raw['id']}: category {category!r} is not 'business'")
    if (category == "business") != bool(path) or (path and path not in PATHS):
        raise UsageError(
            f"{where}: entry {raw['id']}: a business application (and only one) has a path in "
            f"{PATHS}"
        )
    try:
        patterns = tuple(re.compile(p, re.IGNORECASE) for p in raw["match"])
        pub_re = re.compile(pub["match"], re.IGNORECASE) if pub.get("match") else None
    except re.error as exc:
        raise UsageError(f"{where}: entry {raw['id']}: bad pattern ({exc})") from None
    if pub_re is not None and pub_re.pattern == "^$":
        pub_re = None  # "Unknown" publisher: match on the title only
    return Entry(
        id=str(raw["id"]),
        name=str(raw["name"]),
        publisher=str(raw["publisher"]),
        country=str(pub.get("country") or ""),
        axis=raw["axis"],
        license=str(raw["license"]),
        action=raw["action"],
        replacement=str(raw.get("replacement") or ""),
        sill=bool(raw.get("sill", False)),
        packages=tuple(raw.get("packages") or ()),
        blocks=bool(raw.get("blocks", False)),
        patterns=patterns,
        publisher_re=pub_re,
        category=category,
        path=path,
    )


def load_catalogue(
    path: Path | None = None, extra: list[dict[str, Any]] | None = None
) -> Catalogue:
    """The shipped catalogue (or ``path``); ``extra`` entries (a campaign's) are tried first."""
    source = path or DATA
    try:
        data = yaml.load(source.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{source}: unreadable catalogue ({exc})") from None
    publishers = data.get("publishers") or {}
    raw_entries = list(extra or []) + list(data.get("entries") or [])
    entries = [_entry(e, publishers, str(source)) for e in raw_entries]
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise UsageError(f"{source}: entry id {dup!r} appears twice")
    return Catalogue(entries, int(data.get("version", 1)))


@cache
def default_catalogue() -> Catalogue:
    return load_catalogue()
