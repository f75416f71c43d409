"""What the lab's directory holds: groups, users and file shares, from a description file.

A pilot describes the agency's directory in a few lines of YAML (or JSON)::

    groups: [admins-poste, agents]
    users:
      - {login: alice.martin, groups: [agents, admins-poste]}
      - {login: bruno.petit, groups: [agents]}
    shares: [partage]

The lab DC creates what is missing and never deletes anything: running it again with a longer
description adds to the directory. Passwords are generated; none is written in the description.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sovmigrate.errors import UsageError

# sAMAccountName: 20 characters at most, none of \ / [ ] : ; | = , + * ? < > " @ or blanks.
_LOGIN = re.compile(r'^[A-Za-z0-9][^\\/\[\]:;|=,+*?<>"@\s]{0,19}$')
_GROUP = re.compile(r'^[A-Za-z0-9][^\\/\[\]:;|=,+*?<>"@]{0,63}$')
_SHARE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")
# Groups the provisioning creates itself: users may join them, the description may not add them.
BUILTIN_GROUPS = ("Domain Admins", "Domain Users")


@dataclass(frozen=True)
class DirectoryUser:
    login: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class DirectoryDescription:
    groups: tuple[str, ...] = ()
    users: tuple[DirectoryUser, ...] = ()
    shares: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    def user(self, login: str) -> DirectoryUser:
        for u in self.users:
            if u.login.lower() == login.lower():
                return u
        raise KeyError(login)

    def merged(self, other: DirectoryDescription) -> DirectoryDescription:
        """This description plus what ``other`` adds (same login: ``other``'s groups win)."""
        users = {u.login.lower(): u for u in self.users}
        users.update({u.login.lower(): u for u in other.users})
        return DirectoryDescription(
            groups=tuple(dict.fromkeys(self.groups + other.groups)),
            users=tuple(users.values()),
            shares=tuple(dict.fromkeys(self.shares + other.shares)),
            source=other.source or self.source,
        )


def from_data(data: Any, source: str = "the directory description") -> DirectoryDescription:
    """Validate ``data`` (parsed YAML/JSON); a bad entry is one error naming it."""
    if not isinstance(data, dict):
        raise UsageError(f"{source}: expected a mapping with groups, users and shares")
    unknown = sorted(set(data) - {"groups", "users", "shares"})
    if unknown:
        raise UsageError(f"{source}: unknown key {unknown[0]!r} (groups, users, shares)")
    groups = _names(data.get("groups") or [], _GROUP, "group", source)
    clash = [g for g in groups if g.lower() in (b.lower() for b in BUILTIN_GROUPS)]
    if clash:
        raise UsageError(f"{source}: group {clash[0]!r} exists in every domain: do not list it")
    known = {g.lower() for g in groups} | {b.lower() for b in BUILTIN_GROUPS}
    users: list[DirectoryUser] = []
    seen: set[str] = set()
    raw_users = data.get("users") or []
    if not isinstance(raw_users, list):
        raise UsageError(f"{source}: users must be a list")
    for i, raw in enumerate(raw_users, 1):
        if isinstance(raw, str):
            raw = {"login": raw}
        if not isinstance(raw, dict) or not isinstance(raw.get("login"), str):
            raise UsageError(f"{source}: user #{i} has no login")
        login = raw["login"]
        if not _LOGIN.match(login):
            raise UsageError(f"{source}: {login!r} is not a valid logon name (20 characters)")
        if login.lower() in seen:
            raise UsageError(f"{source}: user {login!r} is listed twice")
        seen.add(login.lower())
        member_of = _names(raw.get("groups") or [], _GROUP, "group", source)
        missing = [g for g in member_of if g.lower() not in known]
        if missing:
            raise UsageError(f"{source}: user {login!r} is in group {missing[0]!r}, not listed")
        users.append(DirectoryUser(login, member_of))
    shares = _names(data.get("shares") or [], _SHARE, "share", source)
    return DirectoryDescription(tuple(groups), tuple(users), tuple(shares), source)


def load(path: Path) -> DirectoryDescription:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the directory description ({exc.strerror})") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        kind = "JSON" if path.suffix == ".json" else "YAML"
        raise UsageError(f"{path}: not valid {kind}: {first}") from exc
    return from_data(data, str(path))


def _names(value: Any, pattern: re.Pattern[str], what: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{source}: {what}s must be a list of names")
    for v in value:
        if not pattern.match(v):
            raise UsageError(f"{source}: {v!r} is not a valid {what} name")
    return tuple(dict.fromkeys(value))


# The lab's directory when no description is given: a join account, the site's admin group,
# two agents. The demo adds its own agents to it.
JOIN_ACCOUNT = "joinposte"
LAB_DEFAULT = DirectoryDescription(
    groups=("admins-poste", "agents"),
    users=(
        DirectoryUser(JOIN_ACCOUNT, ("Domain Admins",)),
        DirectoryUser("agent.un", ("agents", "admins-poste")),
        DirectoryUser("agent.deux", ("agents",)),
    ),
    shares=("partage",),
    source="the lab's default directory",
)
