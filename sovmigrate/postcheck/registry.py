"""Checks register themselves here with their name and the role they verify.

A check is a plain function ``(ctx) -> Outcome | None``; it reads the machine through
``ctx.host`` (a testinfra Host), so the CLI and the Ansible role run the very same code.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sovmigrate.postcheck.context import Context
    from sovmigrate.postcheck.model import Outcome


CheckFn = Callable[["Context"], "Outcome"]


@dataclass(frozen=True)
class Check:
    name: str
    role: str
    fn: CheckFn
    description: str


_CHECKS: list[Check] = []

ROLES = (
    "workstation_base",
    "workstation_desktop",
    "workstation_apps",
    "interministerial_suite",
    "hardening",
    "directory_join",
)


def check(name: str, role: str) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` under ``name`` (unique) for ``role``."""

    def register(fn: CheckFn) -> CheckFn:
        if any(c.name == name for c in _CHECKS):
            raise ValueError(f"duplicate postcheck name {name}")
        _CHECKS.append(Check(name, role, fn, (fn.__doc__ or "").strip().splitlines()[0]))
        return fn

    return register


def all_checks() -> list[Check]:
    # Importing the modules registers their checks, in file order.
    from sovmigrate.postcheck import checks  # noqa: F401

    return list(_CHECKS)


def select(roles: list[str] | None = None, patterns: list[str] | None = None) -> list[Check]:
    """Checks of ``roles`` whose name matches one of the glob ``patterns`` (all when empty)."""
    chosen = []
    order = {role: i for i, role in enumerate(ROLES)}
    for c in sorted(all_checks(), key=lambda c: order.get(c.role, len(order))):
        if roles and c.role not in roles:
            continue
        if patterns and not any(fnmatch.fnmatchcase(c.name, p) for p in patterns):
            continue
        chosen.append(c)
    return chosen
