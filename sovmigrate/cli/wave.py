"""Wave commands: create, add, run, status, history, report (machine verbs: cli/machine.py).

Parse, call, print: the work is in sovmigrate.state, sovmigrate.run and sovmigrate.report.
Every command takes ``--db PATH|URL`` (env SOVMIGRATE_DB) and ``--campaign`` (env
SOVMIGRATE_CAMPAIGN; optional when the database holds one campaign).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from sovmigrate.errors import OperationFailed, UsageError
from sovmigrate.state import STAGES, Campaign, Store, open_store
from sovmigrate.state.config import db_target, pick_campaign

_FORMATS = click.Choice(["text", "json"])


def store_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--campaign", help="Campaign name (env SOVMIGRATE_CAMPAIGN).")(func)
    return click.option(
        "--db", "db", metavar="PATH|URL", help="State database (env SOVMIGRATE_DB)."
    )(func)


@contextmanager
def _opened(
    db: str | None, campaign: str | None, *, create: bool = False
) -> Iterator[tuple[Store, Campaign]]:
    with open_store(db_target(db)) as store:
        yield store, pick_campaign(store, campaign, create=create)


def _emit(data: Any, fmt: str, text: Callable[[], str]) -> None:
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(text())


def _names(machines: tuple[str, ...], from_file: Path | None) -> list[str]:
    names = list(machines)
    if from_file is not None:
        try:
            lines = from_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"cannot read {from_file}: {exc.strerror}") from None
        names += [n.strip() for n in lines if n.strip() and not n.lstrip().startswith("#")]
    return names


def _select(
    store: Store, campaign: Campaign, names: list[str], site: str | None, state: str | None
) -> list[str]:
    if site is None and state is None:
        return names
    picked = store.machines(campaign, site=site, state=state)
    return names + [m.name for m in picked if m.wave is None and m.name not in names]


@click.group("wave")
def wave() -> None:
    """Create, fill and run migration waves."""


@wave.command("create")
@click.argument("name")
@click.argument("machines", nargs=-1)
@click.option("--from-file", type=click.Path(path_type=Path), help="Machine names, one a line.")
@click.option("--site", help="Add every machine of this site not yet in a wave.")
@click.option("--state", "state", help="Add every machine in this state not yet in a wave.")
@click.option("--planned", help="Planned date (YYYY-MM-DD).")
@click.option("--description", default="")
@click.option("--format", "fmt", type=_FORMATS, default="text")
@store_options
def wave_create(
    name: str,
    machines: tuple[str, ...],
    from_file: Path | None,
    site: str | None,
    state: str | None,
    planned: str | None,
    description: str,
    fmt: str,
    db: str | None,
    campaign: str | None,
) -> None:
    """Create wave NAME with MACHINES (names, --from-file, --site/--state selections)."""
    with _opened(db, campaign, create=True) as (store, camp):
        names = _select(store, camp, _names(machines, from_file), site, state)
        created = store.create_wave(
            camp, name, names, planned_for=planned, description=description, actor=_actor()
        )
        members = store.machines(camp, wave=created)
    _emit(
        {"wave": name, "campaign": camp.name, "machines": [m.name for m in members]},
        fmt,
        lambda: f"wave {name}: {len(members)} machine(s) scheduled",
    )


@wave.command("add")
@click.argument("name")
@click.argument("machines", nargs=-1)
@click.option("--from-file", type=click.Path(path_type=Path))
@click.option("--site")
@click.option("--state", "state")
@click.option("--format", "fmt", type=_FORMATS, default="text")
@store_options
def wave_add(
    name: str,
    machines: tuple[str, ...],
    from_file: Path | None,
    site: str | None,
    state: str | None,
    fmt: str,
    db: str | None,
    campaign: str | None,
) -> None:
    """Add machines to wave NAME."""
    with _opened(db, campaign) as (store, camp):
        target = store.wave(camp, name)
        names = _select(store, camp, _names(machines, from_file), site, state)
        if not names:
            raise UsageError("no machine given (names, --from-file, --site or --state)")
        store.add_to_wave(camp, target, names, actor=_actor())
    _emit({"wave": name, "added": names}, fmt, lambda: f"wave {name}: {len(names)} added")


@wave.command("list")
@click.option("--format", "fmt", type=_FORMATS, default="text")
@store_options
def wave_list(fmt: str, db: str | None, campaign: str | None) -> None:
    """The campaign's waves."""
    with _opened(db, campaign) as (store, camp):
        rows = [dataclasses.asdict(w) for w in store.waves(camp)]
    _emit(rows, fmt, lambda: "\n".join(f"{r['name']}\t{r['planned_for'] or ''}" for r in rows))


@wave.command("inventory")
@click.argument("name")
@click.option(
    "--output-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Default: inventories/ (env SOVMIGRATE_INVENTORY_DIR).",
)
@store_options
def wave_inventory(
    name: str, output_dir: Path | None, db: str | None, campaign: str | None
) -> None:
    """Write inventories/<campaign>/<wave>.yml for plain ansible-playbook and AWX."""
    from sovmigrate.run import write_wave_inventory

    with _opened(db, campaign) as (store, camp):
        path = write_wave_inventory(store, camp, store.wave(camp, name), _inventory_dir(output_dir))
    click.echo(str(path))


def _inventory_dir(value: Path | None) -> Path:
    return value or Path(os.environ.get("SOVMIGRATE_INVENTORY_DIR", "inventories"))


def _actor() -> str:
    from sovmigrate.run.options import _actor as actor

    return actor()


@wave.command("run")
@click.argument("name")
@click.option(
    "--stages",
    default=",".join(STAGES),
    show_default=True,
    help="Comma-separated stages, run in pipeline order.",
)
@click.option("--forks", type=int, default=10, show_default=True)
@click.option("--serial", type=int, default=0, help="Machines per batch (0: all at once).")
@click.option(
    "--max-fail",
    type=float,
    default=100.0,
    show_default=True,
    help="Stop the wave when more than this % of machines failed.",
)
@click.option(
    "--reinstaller", type=click.Choice(["lab", "pxe", "none"]), default="none", show_default=True
)
@click.option("--lab-dir", type=click.Path(path_type=Path))
@click.option("--pxe-root", type=click.Path(path_type=Path))
@click.option("--pxe-http")
@click.option("--ssh-key", type=click.Path(path_type=Path), help="Public key for PXE installs.")
@click.option("--playbooks", "playbooks_dir", type=click.Path(path_type=Path))
@click.option(
    "--artifacts",
    type=click.Path(path_type=Path),
    help="Artifacts root (env SOVMIGRATE_ARTIFACTS_DIR, default artifacts/).",
)
@click.option(
    "--event-data", type=click.Choice(["auto", "full", "failed_only", "omit"]), default="auto"
)
@click.option("-e", "--extra-vars", "extra", multiple=True, help="key=value or @file.yml")
@click.option(
    "--secret-vars",
    "secret_vars",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Vars file holding secrets (store password...): read by ansible-playbook, never "
    "copied into the artifacts, unlike -e.",
)
@click.option("--inventory-dir", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=_FORMATS, default="text")
@store_options
def wave_run(
    name: str,
    stages: str,
    forks: int,
    serial: int,
    max_fail: float,
    reinstaller: str,
    lab_dir: Path | None,
    pxe_root: Path | None,
    pxe_http: str | None,
    ssh_key: Path | None,
    playbooks_dir: Path | None,
    artifacts: Path | None,
    event_data: str,
    extra: tuple[str, ...],
    secret_vars: tuple[Path, ...],
    inventory_dir: Path | None,
    fmt: str,
    db: str | None,
    campaign: str | None,
) -> None:
    """Run the stages of wave NAME; each machine resumes where it stopped."""
    from sovmigrate.run import CancelToken, cancel_on_sigint, run_wave, write_wave_inventory
    from sovmigrate.run.live import LiveProgress
    from sovmigrate.run.runner import order_stages
    from sovmigrate.run.setup import extravars_from, make_options, make_reinstaller, summary_text

    ordered = order_stages([s.strip() for s in stages.split(",") if s.strip()])
    options = make_options(
        forks=forks,
        serial=serial,
        max_fail=max_fail,
        playbooks_dir=playbooks_dir,
        artifacts=artifacts,
        event_data=event_data,
        extravars=extravars_from(extra),
    )
    options.secret_vars_files = [p.resolve() for p in secret_vars]
    step = make_reinstaller(
        reinstaller, lab_dir=lab_dir, pxe_root=pxe_root, pxe_http=pxe_http, ssh_key=ssh_key
    )
    with _opened(db, campaign) as (store, camp):
        target = store.wave(camp, name)
        write_wave_inventory(store, camp, target, _inventory_dir(inventory_dir))
        token = CancelToken()
        with cancel_on_sigint(token), LiveProgress(ordered) as progress:
            summary = run_wave(
                store,
                target,
                ordered,
                reinstaller=step,
                options=options,
                progress=progress,
                cancel=token,
            )
    data = dataclasses.asdict(summary)
    _emit(data, fmt, lambda: summary_text(data))
    if summary.canceled:
        raise click.exceptions.Abort()
    failed = sorted({n for s in data["stages"] for n in s["failed"]})
    if failed:
        raise OperationFailed(f"{len(failed)} machine(s) failed: {', '.join(failed[:10])}")
    if summary.stopped:
        raise OperationFailed(summary.stopped)


@click.command("status")
@click.argument("wave_name", required=False)
@click.option("--format", "fmt", type=_FORMATS, default="text")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@store_options
def status(
    wave_name: str | None, fmt: str, lang: str, db: str | None, campaign: str | None
) -> None:
    """Where each machine of WAVE stands (or every wave of the campaign)."""
    from sovmigrate.report.reasons import of_machine, render
    from sovmigrate.state.views import campaign_status, wave_status

    with _opened(db, campaign) as (store, camp):
        if wave_name is None:
            data = campaign_status(store, camp)
            text = (
                "\n".join(
                    f"{w['wave']}: " + ", ".join(f"{k} {v}" for k, v in w["states"].items())
                    for w in data["waves"]
                )
                or "no wave"
            )
        else:
            data = wave_status(store, camp, wave_name)
            for m in data["members"]:  # the raw reason stays; its codes, said in --lang
                codes = of_machine(store, store.machine(camp, m["name"]), m["reason"])
                m["reasons"] = [{"code": c, "params": p} for c, p in codes]
                m["message"] = render(codes, m["reason"], lang)
            text = "\n".join(
                f"{m['name']:<24} {m['state']:<12} {m['failed_stage'] or ''} "
                f"{m['message']}".rstrip()
                for m in data["members"]
            )
    _emit(data, fmt, lambda: text)


@click.command("history")
@click.argument("machine_name")
@click.option("--format", "fmt", type=_FORMATS, default="text")
@store_options
def history(machine_name: str, fmt: str, db: str | None, campaign: str | None) -> None:
    """Every state change, stage run and verification of MACHINE."""
    from sovmigrate.state.views import history_text, machine_history

    with open_store(db_target(db)) as store:
        if campaign or os.environ.get("SOVMIGRATE_CAMPAIGN"):
            machines = [store.machine(pick_campaign(store, campaign), machine_name)]
        else:
            machines = store.machines_named(machine_name)
        if not machines:
            raise UsageError(f"unknown machine {machine_name!r}")
        if len(machines) > 1:
            raise UsageError(f"{machine_name!r} is in several campaigns: pass --campaign")
        data = machine_history(store, machines[0])
    _emit(data, fmt, lambda: history_text(data))


@click.command("report")
@click.argument("wave_name")
@click.option("--format", "fmt", type=click.Choice(["html", "json", "junit"]), default="html")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Default: stdout.")
@store_options
def report(
    wave_name: str, fmt: str, lang: str, output: Path | None, db: str | None, campaign: str | None
) -> None:
    """The wave report: self-contained HTML, JSON, or JUnit XML (one test case per machine)."""
    from sovmigrate.report.wave import collect, render

    with _opened(db, campaign) as (store, camp):
        text = render(collect(store, camp, store.wave(camp, wave_name)), fmt, lang)
    if output is None:
        click.echo(text, nl=False)
    else:
        from sovmigrate.report.html import write

        write(output, text)
        click.echo(str(output))
