"""workstation_base: locale, keyboard, timezone, unattended upgrades, time sync."""

from __future__ import annotations

from sovmigrate.postcheck.context import Context
from sovmigrate.postcheck.model import Outcome, expect, failed, passed
from sovmigrate.postcheck.registry import check

ROLE = "workstation_base"


@check("base:locale", ROLE)
def locale(ctx: Context) -> Outcome:
    """The system locale is the expected one and is generated."""
    want = ctx.expected(ROLE)["locale"]
    text = ctx.read("/etc/default/locale") or ""
    if f"LANG={want}" not in text.replace('"', ""):
        return failed(f"/etc/default/locale does not set LANG={want}")
    generated = ctx.host.run("locale -a").stdout.lower().replace("-", "")
    norm = want.lower().replace("-", "")
    return expect(norm in generated.split(), f"LANG={want}", f"{want} is not generated")


@check("base:keyboard", ROLE)
def keyboard(ctx: Context) -> Outcome:
    """The console and X11 keyboard layout is the expected one."""
    want = ctx.expected(ROLE)["keyboard_layout"]
    text = (ctx.read("/etc/default/keyboard") or "").replace('"', "")
    return expect(f"XKBLAYOUT={want}" in text, f"XKBLAYOUT={want}", f"XKBLAYOUT is not {want}")


@check("base:timezone", ROLE)
def timezone(ctx: Context) -> Outcome:
    """/etc/localtime points at the expected zone."""
    want = ctx.expected(ROLE)["timezone"]
    target = ctx.host.run("readlink -f /etc/localtime").stdout.strip()
    return expect(target.endswith("/" + want), want, f"/etc/localtime is {target or 'missing'}")


@check("base:packages", ROLE)
def packages(ctx: Context) -> Outcome:
    """The base packages are installed."""
    missing = ctx.missing_packages(ctx.expected(ROLE)["packages"])
    return expect(not missing, "all installed", f"not installed: {', '.join(missing)}")


@check("base:unattended_upgrades", ROLE)
def unattended_upgrades(ctx: Context) -> Outcome:
    """APT runs unattended-upgrade daily."""
    dump = ctx.host.run("apt-config dump APT::Periodic").stdout
    return expect(
        'APT::Periodic::Unattended-Upgrade "1"' in dump,
        "APT::Periodic::Unattended-Upgrade 1",
        "APT::Periodic::Unattended-Upgrade is not 1",
    )


@check("base:time_sync", ROLE)
def time_sync(ctx: Context) -> Outcome:
    """systemd-timesyncd is enabled (it does not run in a container, by design)."""
    enabled = ctx.host.service("systemd-timesyncd").is_enabled
    return passed("enabled") if enabled else failed("systemd-timesyncd is not enabled")
