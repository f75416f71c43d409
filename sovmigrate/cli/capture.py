"""``sovmigrate capture SOURCE --store REPO ...``: capture users to restic, verified."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from sovmigrate.userstate.capture import Options, capture
from sovmigrate.userstate.store import ResticStore


@click.command("capture")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--store",
    "repo",
    required=True,
    help="restic repository: a local path, sftp:user@host:/path, ...",
)
@click.option(
    "--password-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="File holding the store password (never given on the command line).",
)
@click.option(
    "--ssh-config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ssh_config for an sftp: store (key, port, known hosts).",
)
@click.option("--host", required=True, help="Workstation name (snapshot host and tag).")
@click.option("--wave", default="", help="Wave name, tagged on every snapshot.")
@click.option("--user", "users", multiple=True, help="Capture only this user (name or SID).")
@click.option(
    "--rules",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Selection rules (JSON) replacing or extending the defaults.",
)
@click.option(
    "--manifest",
    "manifest_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the manifest (JSON, format version 1) here.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def capture_cmd(
    source: Path,
    repo: str,
    password_file: Path,
    ssh_config: Path | None,
    host: str,
    wave: str,
    users: tuple[str, ...],
    rules: Path | None,
    manifest_out: Path | None,
    fmt: str,
) -> None:
    """Capture every user of SOURCE (or --user) to a restic store and verify each snapshot.

    Exit 0 only when every capture is verified. A hibernated, dirty or BitLocker volume is
    refused before anything is written to the store.
    """
    store = ResticStore(repo, password_file, ssh_config=ssh_config)
    options = Options(host=host, wave=wave, users=list(users) or None, rules_file=rules)
    if fmt == "text" and sys.stderr.isatty():
        with Progress(
            TextColumn("{task.description}"),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=Console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task("reading and hashing", total=None)
            options.progress = lambda n: progress.advance(task, n)
            manifests = capture(
                source,
                store,
                options,
                manifest_out,
                log=lambda m: progress.console.print(m, markup=False),
            )
    else:
        log = (lambda m: click.echo(m, err=True)) if fmt == "text" else None
        manifests = capture(source, store, options, manifest_out, log=log)
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "kind": m.kind,
                        "name": m.name,
                        "sid": m.sid,
                        "files": len(m.entries),
                        "bytes": m.total_bytes,
                        "excluded": len(m.excluded),
                        "not_migrated": len(m.not_migrated),
                        "verified": m.verified,
                        "snapshot": m.snapshot.id if m.snapshot else None,
                    }
                    for m in manifests
                ],
                indent=1,
                ensure_ascii=False,
            )
        )
        return
    for m in manifests:
        label = m.name or "drive data"
        snap = m.snapshot.id if m.snapshot else "-"
        click.echo(
            f"{label}: {len(m.entries)} files verified in snapshot {snap}; "
            f"{len(m.excluded)} excluded, {len(m.not_migrated)} not migrated"
        )
