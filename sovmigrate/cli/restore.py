"""``sovmigrate restore --store REPO ...``: one captured Windows user into a Linux home."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sovmigrate.errors import OperationFailed
from sovmigrate.userstate.restore import Request
from sovmigrate.userstate.restore_main import run_restore
from sovmigrate.userstate.store import ResticStore


@click.command("restore")
@click.option("--store", "repo", required=True, help="restic repository of the capture.")
@click.option(
    "--password-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the store password (never given on the command line).",
)
@click.option("--host", required=True, help="Workstation name given at capture.")
@click.option("--user", "win_user", required=True, help="Windows user (name or SID), or 'drive'.")
@click.option("--to-user", required=True, help="Linux user receiving the files.")
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    help="Restore into this directory instead of the Linux user's home.",
)
@click.option("--locale", help="Locale naming the XDG folders [LANG of /etc/default/locale].")
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Capture manifest file (default: the one kept in the store).",
)
@click.option("--verify-only", is_flag=True, help="Only hash the home against the manifest.")
@click.option("--no-settings", is_flag=True, help="Restore files only, no settings.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def restore_cmd(
    repo: str,
    password_file: Path,
    host: str,
    win_user: str,
    to_user: str,
    home: Path | None,
    locale: str | None,
    manifest: Path | None,
    verify_only: bool,
    no_settings: bool,
    fmt: str,
) -> None:
    """Restore a captured Windows user into a Linux home and verify every file.

    Exit 0 only when every restored file hashes equal to the capture manifest; 1 when not,
    2 on bad input (unknown host/user, wrong password, unsafe manifest), 3 when the machine
    lacks something (space, tools).
    """
    store = ResticStore(repo, password_file)
    req = Request(
        host=host,
        user=win_user,
        to_user=to_user,
        home=home,
        locale=locale,
        verify_only=verify_only,
        apply_settings=not no_settings,
        manifest=manifest,
    )
    log = (lambda m: click.echo(m, err=True)) if fmt == "text" else None
    result = run_restore(store, req, log=log)
    if fmt == "json":
        click.echo(json.dumps(result, indent=1, ensure_ascii=False))
    else:
        state = "verified" if result["verified"] else "NOT verified"
        click.echo(
            f"{result['name'] or 'drive data'} -> {result['linux_user']}: {result['files']} files "
            f"{state} ({result['written']} written, {result['collisions']} renamed on collision)"
        )
        for s in result["settings"]:
            click.echo(f"  {s['name']}: {s['status']}{' - ' + s['detail'] if s['detail'] else ''}")
        if not result["changed"]:
            click.echo("nothing changed")
    if not result["verified"]:
        if fmt == "json":
            sys.exit(1)
        raise OperationFailed(f"restore not verified: {result['reason']}")
