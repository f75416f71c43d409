"""``sovmigrate windows inspect SOURCE``: what a capture would take, leave and refuse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from sovmigrate.userstate.capture import inspect as inspect_volume


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def _print_subject(subject: dict[str, Any]) -> None:
    sel, exc = subject["selected"], subject["excluded"]
    title = f"{subject['name']} ({subject['sid']})" if subject["kind"] == "user" else "drive data"
    click.echo(
        f"{title}: {sel['files']} files, {_human(sel['bytes'])} to capture; {exc['files']} excluded"
    )
    for name, folder in subject["known_folders"].items():
        where = folder["location"] + (f"  [{folder['redirect']}]" if folder["redirect"] else "")
        click.echo(f"  {name:<14} {_human(folder['bytes']):>9}  {where}")
    settings = subject.get("settings") or {}
    for key in (
        "mapped_drives",
        "printers",
        "default_printer",
        "wallpaper",
        "browser_bookmarks",
        "firefox_profiles",
        "outlook_signatures",
        "pst_files",
    ):
        if settings.get(key):
            click.echo(f"  {key}: {settings[key]}")
    for item in subject["not_migrated"]:
        click.echo(f"  will not migrate: {item['path']} ({item['reason']}) {item['detail']}")


@click.group()
def windows() -> None:
    """Read a Windows volume offline (mounted root, block device or image file)."""


@windows.command("inspect")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--rules",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Selection rules (JSON) replacing or extending the defaults.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def inspect_cmd(source: Path, rules: Path | None, fmt: str) -> None:
    """Users, known folders with sizes, settings, what will not migrate, and blockers.

    An image or device is mounted read-only by the command and unmounted after (needs root).
    """
    report = inspect_volume(source, rules)
    if fmt == "json":
        click.echo(json.dumps(report, indent=1, ensure_ascii=False))
        return
    for blocker in report["blockers"]:
        click.echo(f"BLOCKER: {blocker['cause']}: {blocker['fix']}")
    for user in report["users"]:
        _print_subject(user)
    if report["drive_data"]:
        _print_subject(report["drive_data"])
