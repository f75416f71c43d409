"""workstation_desktop: dconf database (values, locks, compiled), favourites, keyring, CUPS."""

from __future__ import annotations

from sovmigrate.postcheck.context import Context
from sovmigrate.postcheck.model import Outcome, expect, failed, passed
from sovmigrate.postcheck.registry import check

ROLE = "workstation_desktop"


def _dconf_read(ctx: Context, key: str) -> str:
    # Root's own user database is empty, so this reads the system database through the profile.
    return str(ctx.host.run(f"env DCONF_PROFILE=user dconf read {key}").stdout.strip())


@check("desktop:packages", ROLE)
def packages(ctx: Context) -> Outcome:
    """The desktop packages are installed."""
    missing = ctx.missing_packages(ctx.expected(ROLE)["packages"])
    return expect(not missing, "all installed", f"not installed: {', '.join(missing)}")


@check("desktop:dconf_compiled", ROLE)
def dconf_compiled(ctx: Context) -> Outcome:
    """The system dconf database exists and is newer than its sources (dconf update ran)."""
    db = ctx.expected(ROLE)["dconf_db"]
    out = ctx.host.run(
        f"test -f /etc/dconf/db/{db} && find /etc/dconf/db/{db}.d -newer /etc/dconf/db/{db} -type f"
    )
    if out.rc != 0:
        return failed(f"/etc/dconf/db/{db} is not compiled")
    stale = out.stdout.split()
    return expect(not stale, f"/etc/dconf/db/{db} up to date", f"newer than the db: {stale}")


@check("desktop:dconf_values", ROLE)
def dconf_values(ctx: Context) -> Outcome:
    """The system defaults read back with the expected values."""
    wrong = []
    for key, want in ctx.expected(ROLE)["dconf"].items():
        got = _dconf_read(ctx, key)
        if got != want:
            wrong.append(f"{key}={got or 'unset'} (want {want})")
    return expect(not wrong, "all values as expected", "; ".join(wrong))


@check("desktop:dconf_locks", ROLE)
def dconf_locks(ctx: Context) -> Outcome:
    """The locked keys are listed in the database's locks directory."""
    db = ctx.expected(ROLE)["dconf_db"]
    listed = ctx.host.run(f"cat /etc/dconf/db/{db}.d/locks/* 2>/dev/null").stdout.split()
    missing = [k for k in ctx.expected(ROLE)["locks"] if k not in listed]
    return expect(not missing, f"{len(listed)} locks", f"not locked: {', '.join(missing)}")


@check("desktop:favorites", ROLE)
def favorites(ctx: Context) -> Outcome:
    """Tchap and Visio are among the favourite applications."""
    got = _dconf_read(ctx, "/org/gnome/shell/favorite-apps")
    missing = [f for f in ctx.expected(ROLE)["favorites"] if f"'{f}'" not in got]
    return expect(not missing, "present", f"not in favorite-apps: {', '.join(missing)}")


@check("desktop:services", ROLE)
def services(ctx: Context) -> Outcome:
    """The desktop services (CUPS) are enabled and running."""
    down = []
    for name in ctx.expected(ROLE)["services"]:
        svc = ctx.host.service(name)
        if not (svc.is_enabled and svc.is_running):
            down.append(name)
    return passed("running") if not down else failed(f"not enabled and running: {down}")
