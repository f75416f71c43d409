"""Restore every planned user of a machine in one process: the restore role's one run.

The role used to start the engine once per user. Each start paid Python's start-up and, above
all, restic's key derivation (scrypt, ~0.5 s of CPU) to open the store again: on a machine
with four captured subjects that was a third of the restore. Here the store is opened once
and each user of the plan (``restore_main plan``) is restored in turn, exactly as
``restore_main restore`` restores one: same requests, same verification, same JSON result.

One user's failure does not stop the others: it becomes that user's result, not verified,
with the one-line reason the single restore would have printed; the caller decides (the role
fails the play when a user is not verified).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sovmigrate.errors import SovmigrateError, UsageError
from sovmigrate.userstate import identity
from sovmigrate.userstate.restore import Request
from sovmigrate.userstate.store import ResticStore

KINDS = ("local", "directory", "unresolved")


@dataclass(frozen=True)
class Options:
    """What the role passes once for all users of the machine."""

    host: str
    locale: str | None = None
    apply_settings: bool = True
    mount_shares: bool = True
    home_umask: str = identity.DEFAULT_UMASK


def requests(plan: Any, options: Options) -> list[Request]:
    """The single restore's request for each entry of ``plan``, as the role builds them:
    a directory account gets its home made, an unresolved SID a technician-only place.
    Checked whole before anything is restored: a bad entry names itself, nothing runs."""
    if not isinstance(plan, list):
        raise UsageError("--plan: expected a JSON list (the output of 'plan')")
    out = []
    for n, entry in enumerate(plan, 1):
        if not isinstance(entry, dict):
            raise UsageError(f"--plan: entry {n} is not an object")
        user, login, kind = (entry.get(k) for k in ("user", "login", "kind"))
        if not isinstance(user, str) or not user:
            raise UsageError(f"--plan: entry {n} has no 'user'")
        if kind not in KINDS:
            raise UsageError(f"--plan: entry {n} ({user}): 'kind' must be one of {KINDS}")
        if not isinstance(login, str) or (not login and kind != "unresolved"):
            raise UsageError(f"--plan: entry {n} ({user}) has no 'login'")
        home = entry.get("home")  # not in the plan's output: homes mounted elsewhere
        if home is not None and (not isinstance(home, str) or not home.startswith("/")):
            raise UsageError(f"--plan: entry {n} ({user}): 'home' must be an absolute path")
        out.append(
            Request(
                host=options.host,
                user=user,
                to_user=login,
                home=Path(home) if home else None,
                locale=options.locale,
                apply_settings=options.apply_settings,
                mount_shares=options.mount_shares,
                create_home=kind == "directory",
                home_umask=options.home_umask,
                account=kind,
                unresolved=kind == "unresolved",
            )
        )
    return out


def refused(req: Request, name: str, reason: str) -> dict[str, Any]:
    """The result of a user whose restore refused or failed: the shape of a restore's
    result, nothing restored, the reason in one line."""
    return {
        "host": req.host,
        "user": req.user,
        "name": name,
        "linux_user": "" if req.unresolved else req.to_user,
        "account": req.account,
        "kept_in": "",
        "ok": False,
        "verified": False,
        "files": 0,
        "bytes": 0,
        "snapshot": None,
        "reason": reason,
        "changed": False,
        "written": 0,
        "collisions": 0,
        "settings": [],
        "report": "",
    }


def restore_planned(
    store: ResticStore,
    plan: Any,
    options: Options,
    run: Callable[[ResticStore, Request], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each planned user restored with ``run`` (``restore_main.run_restore``), in order,
    through the one ``store`` (its master key is derived once, at the first user)."""
    todo = requests(plan, options)
    results = []
    for req, entry in zip(todo, plan, strict=True):
        try:
            results.append(run(store, req))
        except SovmigrateError as exc:
            results.append(refused(req, str(entry.get("name") or ""), str(exc)))
    return results
