"""Fleet commands: ``fleet import``, ``diagnose``, ``plan``. Parse, call, print.

The work is in sovmigrate.fleet, sovmigrate.assess, sovmigrate.plan and sovmigrate.report.
Campaign settings come from ``--config`` or ``<inventories>/<campaign>/campaign.yml``.
Exit codes: 0 done, 2 bad input (file, field, campaign), 3 environment, 4 state store refused.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sovmigrate.errors import UsageError
from sovmigrate.state import open_store
from sovmigrate.state.config import db_target


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.option(
                "--campaign", required=True, envvar="SOVMIGRATE_CAMPAIGN", help="Campaign name."
            ),
            click.option("--db", metavar="PATH|URL", help="State database (env SOVMIGRATE_DB)."),
            click.option(
                "--inventories",
                type=click.Path(path_type=Path),
                default=Path("inventories"),
                show_default=True,
                help="Where campaign settings are read and wave inventories written.",
            ),
            click.option(
                "--config",
                type=click.Path(path_type=Path, dir_okay=False),
                help="Campaign settings (default: <inventories>/<campaign>/campaign.yml).",
            ),
        ]
    ):
        func = option(func)
    return func


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return
    from sovmigrate.report.html import write

    write(output, text)
    click.echo(f"written: {output}", err=True)


@click.group("fleet")
def fleet() -> None:
    """Import the fleet's inventories (GLPI JSON, CSV)."""


@fleet.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_common
@click.option("--skip-invalid", is_flag=True, help="Skip bad files (listed) instead of failing.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def fleet_import(
    paths: tuple[Path, ...],
    campaign: str,
    db: str | None,
    inventories: Path,
    config: Path | None,
    skip_invalid: bool,
    fmt: str,
) -> None:
    """Import GLPI inventories (files, directories, .tar.gz/.zip) or CSV into CAMPAIGN."""
    from sovmigrate.fleet.service import import_fleet

    with open_store(db_target(db)) as store:
        summary = import_fleet(
            store, campaign, list(paths), inventories=inventories, config=config,
            skip_invalid=skip_invalid,
        )  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(summary.to_json(), indent=2, ensure_ascii=False))
        return
    for _file, reason in summary.skipped:
        click.echo(f"skipped: {reason}", err=True)
    s = summary.status
    click.echo(
        f"{summary.machines} machines from {summary.files} files into campaign {campaign}: "
        f"{summary.created} new, {summary.updated} updated, "
        f"{summary.duplicates} duplicates merged, "
        f"{len(summary.skipped)} files skipped; ready {s['ready']}, "
        f"needs-action {s['needs-action']}, blocked {s['blocked']}"
    )


@click.command("diagnose")
@_common
@click.option("--format", "fmt", type=click.Choice(["html", "csv", "json"]), default="html")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False))
def diagnose(
    campaign: str,
    db: str | None,
    inventories: Path,
    config: Path | None,
    fmt: str,
    lang: str,
    output: Path | None,
) -> None:
    """Readiness, dependency map and projected figure of CAMPAIGN."""
    from sovmigrate.assess.cartography import summarize
    from sovmigrate.fleet.service import assessed, context, now_text
    from sovmigrate.plan.service import stored_waves
    from sovmigrate.report import diagnostic

    with open_store(db_target(db)) as store:
        ctx = context(store, campaign, inventories=inventories, config=config)
        rows = assessed(store, ctx)
        waves = stored_waves(store, ctx)
    pairs = [(m, a) for m, a, _w, _s in rows]
    if not pairs:
        raise UsageError(f"campaign {campaign!r} has no machine: run `sovmigrate fleet import`")
    if fmt == "csv":
        _write(diagnostic.render_csv(pairs, ctx.config.rules, lang), output)
        return
    summary = summarize(pairs, ctx.catalogue, waves)
    if fmt == "json":
        data = diagnostic.render_json(summary, pairs, ctx.config.rules, campaign=campaign,
                                      lang=lang)  # fmt: skip
        _write(json.dumps(data, indent=2, ensure_ascii=False), output)
        return
    page = diagnostic.render_html(
        summary, ctx.config.rules, campaign=campaign, lang=lang, generated=now_text()
    )
    _write(page, output)


def _start(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--start: {value!r} is not a date (YYYY-MM-DD)") from None


@click.command("plan")
@_common
@click.option("--start", help="First day of the campaign (YYYY-MM-DD; default: plan.start).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False))
def plan_cmd(
    campaign: str,
    db: str | None,
    inventories: Path,
    config: Path | None,
    start: str | None,
    fmt: str,
    lang: str,
    output: Path | None,
) -> None:
    """Plan CAMPAIGN in waves; record them and write inventories/<campaign>/waves/*.yml."""
    from sovmigrate.fleet.service import context, now_text
    from sovmigrate.plan.service import make_plan
    from sovmigrate.report import plan as plan_report

    with open_store(db_target(db)) as store:
        ctx = context(store, campaign, inventories=inventories, config=config)
        result = make_plan(store, ctx, inventories=inventories, start=_start(start))
    plan = result.plan
    if fmt == "json":
        data = plan_report.render_json(plan, campaign=campaign)
        data["inventories"] = str(result.inventories)
        _write(json.dumps(data, indent=2, ensure_ascii=False), output)
        return
    if fmt == "html":
        from sovmigrate.assess.readiness import Reason

        codes = {c for _n, _s, cs in plan.blocked for c in cs}
        reasons = {c: Reason(c, "blocked").message(ctx.config.rules, lang) for c in codes}
        page = plan_report.render_html(
            plan, campaign=campaign, lang=lang, generated=now_text(), reasons=reasons
        )
        _write(page, output)
        return
    end = plan.end.isoformat() if plan.end else "-"
    click.echo(
        f"{plan.scheduled} machines in {len(plan.waves)} waves, forecast end {end}; "
        f"{len(plan.blocked)} blocked left out; {result.kept} kept in started or manual waves; "
        f"inventories in {result.inventories}"
    )
