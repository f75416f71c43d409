"""Machine names: what the lab accepts, and the names it makes up for ``--count``."""

from __future__ import annotations

import re

from sovmigrate.errors import UsageError

# The host side of a machine's veth pair is "ve-<name>"; Linux caps interface names at 15
# characters and systemd-nspawn hashes longer ones, so keeping names at 11 characters keeps the
# link name predictable (``lab down`` must find and check it). The name is also the hostname.
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,9}[a-z0-9]$|^[a-z]$")
MAX_LEN = 11

SUITES = ("trixie", "bookworm")


def validate_name(name: str) -> str:
    """Return ``name`` if it is a valid lab machine name, else raise a UsageError saying why."""
    if not NAME_RE.match(name):
        raise UsageError(
            f"invalid machine name {name!r}: use 1 to {MAX_LEN} characters, lowercase letters, "
            "digits and '-', starting with a letter and not ending with '-'"
        )
    return name


def validate_names(names: list[str] | tuple[str, ...]) -> list[str]:
    """Validate every name and refuse duplicates, keeping the caller's order."""
    seen: list[str] = []
    for name in names:
        validate_name(name)
        if name in seen:
            raise UsageError(f"machine name {name!r} given twice")
        seen.append(name)
    return seen


def numbered_names(prefix: str, count: int) -> list[str]:
    """``prefix1`` .. ``prefixN``: the names ``lab up --count N`` uses."""
    if count < 1 or count > 254:
        raise UsageError(f"--count must be between 1 and 254, not {count}")
    return validate_names([f"{prefix}{i}" for i in range(1, count + 1)])


def validate_suite(suite: str) -> str:
    if suite not in SUITES:
        raise UsageError(f"unknown suite {suite!r}: choose one of {', '.join(SUITES)}")
    return suite
