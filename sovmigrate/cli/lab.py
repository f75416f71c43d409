"""``sovmigrate lab ...``: the local lab of booted Debian machines. Parse, call, print."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from sovmigrate.errors import OperationFailed, UsageError
from sovmigrate.lab import Lab, MachineStatus, default_root
from sovmigrate.lab.names import SUITES, numbered_names

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)


def _lab(ctx: click.Context) -> Lab:
    return Lab(ctx.obj, log=lambda msg: click.echo(msg, err=True))


@click.group()
@click.option(
    "--dir",
    "lab_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="SOVMIGRATE_LAB_DIR",
    help=f"Lab directory (images, machines, inventory). Default: {default_root()}.",
)
@click.pass_context
def lab(ctx: click.Context, lab_dir: Path | None) -> None:
    """Local lab: real booted Debian machines (systemd-nspawn), reachable over SSH. Needs root."""
    ctx.obj = lab_dir


def _print_machines(machines: list[MachineStatus], fmt: str, lab: Lab) -> None:
    if fmt == "json":
        out = {
            "lab_dir": str(lab.paths.root),
            "inventory": str(lab.paths.inventory),
            "ssh_key": str(lab.paths.ssh_key),
            "known_hosts": str(lab.paths.known_hosts),
            "machines": [m.as_dict() for m in machines],
        }
        click.echo(json.dumps(out, indent=2))
        return
    if not machines:
        click.echo("no lab machine")
        return
    click.echo(f"{'NAME':<12} {'STATE':<8} {'SUITE':<9} {'ADDRESS':<14} PID")
    for m in machines:
        click.echo(f"{m.name:<12} {m.state:<8} {m.suite:<9} {m.address:<14} {m.pid or '-'}")


def _parse_binds(binds: tuple[str, ...], ro: bool) -> list[str]:
    out = []
    for spec in binds:
        src, sep, dst = spec.partition(":")
        if not sep or not src.startswith("/") or not dst.startswith("/"):
            raise UsageError(f"bad bind {spec!r}: expected /host/path:/machine/path")
        if not os.path.exists(src):
            raise UsageError(f"bind source {src} does not exist")
        out.append(f"--bind{'-ro' if ro else ''}={src}:{dst}")
    return out


@lab.command()
@click.argument("names", nargs=-1)
@click.option("--count", type=int, help="Bring up PREFIX1..PREFIXN instead of naming machines.")
@click.option("--prefix", default="lab", show_default=True, help="Name prefix for --count.")
@click.option("--suite", type=click.Choice(SUITES), help="Debian suite of new machines [trixie].")
@click.option("--bind-ro", "bind_ro", multiple=True, help="Read-only bind HOST:MACHINE path.")
@click.option("--bind", "bind_rw", multiple=True, help="Read-write bind HOST:MACHINE path.")
@click.option("--fuse", is_flag=True, help="Give the machines /dev/fuse (ntfs-3g inside).")
@FORMAT
@click.pass_context
def up(
    ctx: click.Context,
    names: tuple[str, ...],
    count: int | None,
    prefix: str,
    suite: str | None,
    bind_ro: tuple[str, ...],
    bind_rw: tuple[str, ...],
    fuse: bool,
    fmt: str,
) -> None:
    """Create (from a cached base image) and boot machines; wait until SSH answers.

    Without NAMES or --count: every existing machine, or one machine 'lab1' in a new lab.
    Idempotent: running machines are left as they are.
    """
    lab = _lab(ctx)
    if names and count:
        raise UsageError("give machine names or --count, not both")
    binds = _parse_binds(bind_ro, True) + _parse_binds(bind_rw, False)
    if fuse:
        binds.append("--bind=/dev/fuse")
    wanted = list(names) if names else numbered_names(prefix, count) if count else []
    if not wanted:
        wanted = [m.name for m in lab.status()] or ["lab1"]
    report = lab.up(wanted, suite=suite, binds=binds)
    _print_machines(report.machines, fmt, lab)


@lab.command()
@FORMAT
@click.pass_context
def status(ctx: click.Context, fmt: str) -> None:
    """List the lab's machines: state, suite, address."""
    lab = _lab(ctx)
    _print_machines(lab.status(), fmt, lab)


@lab.command(context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def ssh(ctx: click.Context, name: str, command: tuple[str, ...]) -> None:
    """Open a root shell on NAME (or run COMMAND there) over SSH."""
    argv = _lab(ctx).ssh_argv(name, command)
    os.execvp(argv[0], argv)


@lab.command()
@click.argument("names", nargs=-1)
@FORMAT
@click.pass_context
def down(ctx: click.Context, names: tuple[str, ...], fmt: str) -> None:
    """Power off machines (all without NAMES) and remove their links and NAT rules."""
    stopped = _lab(ctx).down(names)
    if fmt == "json":
        click.echo(json.dumps({"stopped": stopped}))
    else:
        click.echo(f"stopped: {', '.join(stopped) or 'none (already stopped)'}")


@lab.command()
@click.argument("names", nargs=-1)
@click.option("--purge", is_flag=True, help="Also delete the cached base images and APT cache.")
@FORMAT
@click.pass_context
def destroy(ctx: click.Context, names: tuple[str, ...], purge: bool, fmt: str) -> None:
    """Power off and delete machines (all without NAMES) with their disks."""
    removed = _lab(ctx).destroy(names, purge=purge)
    if fmt == "json":
        click.echo(json.dumps({"destroyed": removed, "purged": purge}))
    else:
        click.echo(f"destroyed: {', '.join(removed) or 'none'}")


@lab.command()
@click.argument("name", default="lab-dc")
@click.option(
    "--directory",
    "description",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML/JSON file of groups, users and shares to create (docs/lab.md). "
    "Default: a join account, two agents, the admins-poste group and the share 'partage'.",
)
@FORMAT
@click.pass_context
def dc(ctx: click.Context, name: str, description: Path | None, fmt: str) -> None:
    """Bring up a Samba AD domain controller (realm LAB.SOVMIGRATE.TEST) as the lab machine
    NAME, with the groups, users and shares of a description.

    Idempotent: an existing DC is only completed. Generated passwords are kept in
    <lab dir>/directory/NAME.json (root only) and never printed.
    """
    from sovmigrate.lab.directory import LAB_DEFAULT, load
    from sovmigrate.lab.samba_dc import SambaDC

    wanted = LAB_DEFAULT if description is None else load(description)
    lab = _lab(ctx)
    domain = SambaDC(lab, name).up(wanted)
    out: dict[str, Any] = {
        "realm": domain.realm,
        "domain_sid": domain.domain_sid,
        "dc": domain.fqdn,
        "address": domain.address,
        "users": {login: domain.sids[login] for login in sorted(domain.sids)},
        "shares": [f"\\\\{domain.fqdn}\\{s}" for s in domain.description.shares],
        "credentials": str(domain.secrets_file),
    }
    if fmt == "json":
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(
        f"{out['dc']} ({out['address']}): realm {out['realm']}, domain SID {out['domain_sid']}"
    )
    for login, sid in out["users"].items():
        click.echo(f"  {login:<20} {sid}")
    for unc in out["shares"]:
        click.echo(f"  share {unc}")
    click.echo(f"passwords: {out['credentials']} (root only)")


@lab.command()
@click.option(
    "--machines",
    "count",
    type=int,
    default=3,
    show_default=True,
    help="How many Windows workstations to migrate (the second one is blocked on purpose).",
)
@click.option(
    "--fresh",
    is_flag=True,
    help="Throw the previous demo away (machines, disks, store, state); otherwise resume it.",
)
@click.option(
    "--desktop",
    type=click.Choice(["full", "minimal"]),
    default="full",
    show_default=True,
    help="GNOME profile of the migrated machines (minimal: a quicker trial).",
)
@click.option(
    "--directory/--no-directory",
    default=True,
    show_default=True,
    help="PCs joined to the lab's Samba AD domain (a DC machine 'demo-dc'), their profiles "
    "restored into the directory accounts; --no-directory: local accounts only.",
)
@click.option("--forks", type=int, default=5, show_default=True)
@FORMAT
@click.pass_context
def demo(
    ctx: click.Context,
    count: int,
    fresh: bool,
    desktop: str,
    directory: bool,
    forks: int,
    fmt: str,
) -> None:
    """Migrate Windows-like lab workstations through every stage, then print the verdicts.

    Precheck, capture to a restic store, reinstall from the clean base image (the Windows disk
    is destroyed), configure, restore, postcheck: the real playbooks and roles. State, store,
    disks and reports live under <lab dir>/demo.
    """
    from sovmigrate.demo import run_demo
    from sovmigrate.run import CancelToken, cancel_on_sigint
    from sovmigrate.run.live import LiveProgress
    from sovmigrate.state import STAGES

    lab = _lab(ctx)
    token = CancelToken()
    with cancel_on_sigint(token), LiveProgress(list(STAGES)) as progress:
        result = run_demo(
            lab,
            count,
            fresh=fresh,
            desktop_profile=desktop,
            directory=directory,
            forks=forks,
            log=lab.log,
            progress=progress,
            cancel=token,
        )
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "ok": result.ok,
                    "database": str(result.database),
                    "report": str(result.report),
                    "machines": result.verdicts,
                }
            )
        )
    else:
        for name, v in sorted(result.verdicts.items()):
            where = f" at {v['failed_stage']}" if v["failed_stage"] else ""
            why = f": {v['reason']}" if v["state"] != "done" and v["reason"] else ""
            note = "" if v["state"] == v["expected"] else f"  (expected {v['expected']})"
            click.echo(f"{name}  {v['state']}{where}{why}{note}")
        click.echo(f"wave report: {result.report}")
    if result.canceled:
        raise click.exceptions.Abort()
    if not result.ok:
        raise OperationFailed("the demo wave did not end as expected; see the verdicts above")
