"""Fleet import and diagnostic against the state store (what the CLI commands call).

Import is one transaction: machines are upserted (re-imports update, never double: a machine
already stored under another host name is found again by its hardware UUID or GLPI deviceid)
and marked assessed, or nothing is written at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovmigrate.assess.catalogue import Catalogue
from sovmigrate.assess.config import CampaignConfig, load_config
from sovmigrate.assess.readiness import Assessment, Assessor
from sovmigrate.fleet.gcpause import paused_gc
from sovmigrate.fleet.importer import prepare_fleet
from sovmigrate.fleet.model import Machine
from sovmigrate.fleet.prepare import Prepared, assessor_for, combined, read_summary
from sovmigrate.state import Campaign, Store, bulk
from sovmigrate.state.store import encoded_rows, utcnow

DEFAULT_INVENTORIES = Path("inventories")


@dataclass
class Context:
    """A campaign with its settings, catalogue and assessor, ready to assess machines."""

    campaign: Campaign
    config: CampaignConfig
    catalogue: Catalogue
    assessor: Assessor


@dataclass
class ImportSummary:
    campaign: str
    files: int
    machines: int
    created: int
    updated: int
    duplicates: int
    status: dict[str, int]
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["skipped"] = [{"file": f, "reason": r} for f, r in self.skipped]
        return data


def config_path(campaign: str, inventories: Path, explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    candidate = inventories / campaign / "campaign.yml"
    return candidate if candidate.exists() else None


def context(
    store: Store, campaign: str, *, inventories: Path, config: Path | None, create: bool = False
) -> Context:
    camp = store.campaign(campaign, create=create)
    settings = load_config(config_path(campaign, inventories, config))
    assessor = assessor_for(settings)
    return Context(camp, settings, assessor.catalogue, assessor)


def _names(existing: list[tuple[str, str, str, str]], machines: list[Prepared]) -> list[str]:
    """Host names to store: the stored name of a known machine, else a collision-free name.

    ``existing``: (name, key, uuid, deviceid) of the stored machines, '' where absent.
    """
    by_id: dict[str, str] = {}
    taken: dict[str, str] = {}
    for stored, key, uuid, deviceid in existing:
        for ident in (key, uuid, deviceid):
            if ident:
                by_id[ident] = stored
        taken[stored] = key or stored
    names = []
    for m in machines:
        # The first of its ids that is stored ("" never is; a stored name never is "").
        found = by_id.get(m.key) or by_id.get(m.uuid) or by_id.get(m.deviceid)
        name = m.name if found is None else found
        if found is None and taken.get(name, m.key) != m.key:
            name = f"{m.name}-{m.key[:8]}"
        taken[name] = m.key
        names.append(name)
    return names


def import_fleet(
    store: Store,
    campaign: str,
    paths: list[Path],
    *,
    inventories: Path = DEFAULT_INVENTORIES,
    config: Path | None = None,
    skip_invalid: bool = False,
) -> ImportSummary:
    with paused_gc():
        return _import(store, campaign, paths, inventories, config, skip_invalid)


def _import(
    store: Store,
    campaign: str,
    paths: list[Path],
    inventories: Path,
    config: Path | None,
    skip_invalid: bool,
) -> ImportSummary:
    settings = load_config(config_path(campaign, inventories, config))
    # Parsed, assessed and encoded before the transaction: in worker processes for a fleet.
    result = prepare_fleet(paths, settings, skip_invalid=skip_invalid)
    with store.db.transaction():
        camp = store.campaign(campaign, create=True)
        # Identities only: decoding every stored machine's facts cost seconds at 80,000.
        existing = bulk.machine_identities(store, camp)
        known = {row[0] for row in existing}
        names = _names(existing, result.machines)
        _merge_stored(store, camp, settings, result.machines, names, known)
        status: dict[str, int] = {"ready": 0, "needs-action": 0, "blocked": 0}
        encoded = []
        for name, machine in zip(names, result.machines, strict=True):
            machine.name = name
            status[machine.status] += 1
            encoded.append((name, machine.site, machine.facts_json(), machine.summary_json()))
        # Upsert and discovered -> assessed in one write (Store.upsert_machines then
        # mark_assessed rewrote every row, facts included, a second time).
        now = utcnow()
        rows = encoded_rows(camp, encoded, now)
        bulk.upsert_assessed_rows(store, camp, rows, now, reason="fleet import")
    created = sum(1 for n in names if n not in known)
    return ImportSummary(
        campaign=campaign,
        files=result.files,
        machines=len(names),
        created=created,
        updated=len(names) - created,
        duplicates=result.duplicates,
        status=status,
        skipped=result.skipped,
    )


def _merge_stored(
    store: Store,
    camp: Campaign,
    settings: CampaignConfig,
    machines: list[Prepared],
    names: list[str],
    known: set[str],
) -> None:
    """Partial inventories of machines already stored: merged with the stored facts, so they
    update only the sections they carry (``fleet/partial.py``), and assessed again."""
    todo = {names[i]: i for i, m in enumerate(machines) if m.partial and names[i] in known}
    if not todo:
        return
    for row in store.machines(camp, names=list(todo)):
        i = todo[row.name]
        stored, fresh = Machine.from_facts(row.facts), machines[i].parsed()
        for machine in (stored, fresh):
            machine.key, machine.name = stored.key, row.name
        if fresh.inventory_date >= stored.inventory_date:
            machines[i] = combined(settings, stored, fresh)
        else:
            machines[i] = combined(settings, fresh, stored)


def assessed(store: Store, ctx: Context) -> list[tuple[Machine, Assessment, str | None, str]]:
    """Every stored machine re-assessed with today's rules: (machine, verdict, wave, state)."""
    out = []
    with paused_gc():
        for row in store.machines(ctx.campaign):
            machine = Machine.from_facts(row.facts)
            machine.name = row.name
            out.append((machine, ctx.assessor.assess(machine), row.wave, row.state))
    return out


def planning_view(store: Store, ctx: Context) -> list[tuple[Machine, Assessment, str | None, str]]:
    """``assessed`` as the planner needs it, without re-assessing what need not be.

    A machine whose stored verdict was made with today's rules (same ``Assessor.fingerprint``)
    keeps it, and is read from its summary (``fleet/prepare.py``: ``read_summary``), not from
    its facts. The others (rules changed since the import, machines stored another way) are
    decoded whole and re-assessed. On 80,000 machines decoding and re-assessing was most of
    the plan's time. Both ways plan the same (tests/unit/fleet/test_fleet_commands.py).
    """
    fingerprint = ctx.assessor.fingerprint
    out: list[tuple[Machine, Assessment, str | None, str] | None] = []
    stale: dict[str, int] = {}  # name -> index in out
    with paused_gc():
        for name, state, wave, summary in bulk.machine_summaries(store, ctx.campaign):
            found = read_summary(name, summary, fingerprint)
            if found is None:
                stale[name] = len(out)
                out.append(None)
                continue
            out.append((*found, wave, state))
        if stale:
            for row in store.machines(ctx.campaign, names=list(stale)):
                machine = Machine.from_facts(row.facts)
                machine.name = row.name
                verdict = ctx.assessor.assess(machine)
                out[stale[row.name]] = (machine, verdict, row.wave, row.state)
    return [row for row in out if row is not None]


def now_text() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
