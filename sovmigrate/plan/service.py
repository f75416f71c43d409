"""Plan a campaign from the state store: waves recorded in the store and written as inventories.

Re-planning replaces the waves of the previous plan that have not started; machines already in a
started wave (or in a wave someone created by hand) keep it and are left out of the new plan.
The inventories are written into a hidden directory (by a child process, for a large plan,
while the store is updated), the store update is one transaction that commits only once they
are written, and the inventories are then put in place in one directory rename; a refused
store update leaves the previous inventories as they were.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sovmigrate.fleet.gcpause import paused_gc
from sovmigrate.fleet.service import Context, planning_view
from sovmigrate.plan.inventory import publish_inventories, start_staging
from sovmigrate.plan.planner import Plan, PlanSettings, plan_waves
from sovmigrate.state import Store, bulk

PLAN_MARK = "sovmigrate plan"
_PLANNABLE_STATES = ("discovered", "assessed", "scheduled")


@dataclass
class PlanResult:
    plan: Plan
    inventories: Path
    kept: int  # machines left in waves that had started or were made by hand


def make_plan(
    store: Store, ctx: Context, *, inventories: Path, start: dt.date | None = None
) -> PlanResult:
    with paused_gc():
        return _make_plan(store, ctx, inventories, start)


def _make_plan(store: Store, ctx: Context, inventories: Path, start: dt.date | None) -> PlanResult:
    settings = PlanSettings.from_config(ctx.config, start)
    rows = planning_view(store, ctx)
    ours = {w.name for w in store.waves(ctx.campaign) if w.description.startswith(PLAN_MARK)}
    started = {wave for _, _, wave, state in rows if wave in ours and state != "scheduled"}
    free = [
        (m, a)
        for m, a, wave, state in rows
        if state in _PLANNABLE_STATES and (wave is None or (wave in ours and wave not in started))
    ]
    plan = plan_waves(free, ctx.config, settings)
    taken = {w.name for w in store.waves(ctx.campaign)} - (ours - started)
    for wave in plan.waves:
        base, n = wave.name, 1
        while wave.name in taken:  # a started wave keeps its name; the new one gets a suffix
            n += 1
            wave.name = f"{base}-r{n}"
        taken.add(wave.name)
    machines = {m.name: m for m, _ in free}
    staging = start_staging(inventories, ctx.campaign.name, plan, machines)
    try:
        with store.db.transaction():
            _record(store, ctx, plan, sorted(ours - started))
            # Inside the transaction: inventories that could not be written roll it back.
            staged = staging.wait()
    except BaseException:
        staging.discard()
        raise
    directory = publish_inventories(staged)
    return PlanResult(plan, directory, len(rows) - len(free))


def _record(store: Store, ctx: Context, plan: Plan, replaced: list[str]) -> None:
    """The plan's waves in the store, in place of ``replaced``, in the caller's transaction."""
    # Set-based: Store.delete_wave/create_wave per wave decode the members' facts each time,
    # which dominated a plan of 80,000 machines in ~2,700 waves.
    bulk.delete_waves(store, ctx.campaign, replaced, actor="plan")
    bulk.create_waves(
        store,
        ctx.campaign,
        [
            bulk.NewWave(
                wave.name,
                wave.members,
                planned_for=wave.start.isoformat(),
                description=f"{PLAN_MARK}: {wave.site} {wave.start} -> {wave.end}",
            )
            for wave in plan.waves
        ],
        actor="plan",
    )


def stored_waves(store: Store, ctx: Context) -> list[tuple[str, str, list[str]]]:
    """(wave, planned date, members) in date order, for the diagnostic's projection."""
    members: dict[str, list[str]] = {}
    for row in store.machines(ctx.campaign):
        if row.wave is not None:
            members.setdefault(row.wave, []).append(row.name)
    return [
        (w.name, w.planned_for or "", members.get(w.name, [])) for w in store.waves(ctx.campaign)
    ]
