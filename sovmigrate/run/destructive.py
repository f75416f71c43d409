"""The reinstall stage: a Reinstaller per machine, the gate checked right before each one."""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

from sovmigrate.errors import StateConflict
from sovmigrate.run.cancel import CancelToken
from sovmigrate.run.options import Progress, RunOptions
from sovmigrate.run.reinstall import Reinstaller
from sovmigrate.state import Machine, MachineRecord, Store, Wave
from sovmigrate.state.pipeline import StageOutcome, begin_stage, finish_stage

if TYPE_CHECKING:
    from sovmigrate.run.runner import StageSummary


def run_reinstall_batch(
    store: Store,
    wave: Wave,
    batch: list[Machine],
    reinstaller: Reinstaller,
    options: RunOptions,
    progress: Progress,
    cancel: CancelToken,
    summary: StageSummary,
) -> None:
    # Store writes stay on this thread (SQLite connections are per thread); workers only act.
    pending = list(batch)
    active: dict[Future[dict[str, Any] | None], tuple[Machine, int]] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(options.forks, len(batch)))) as pool:
        while pending or active:
            while pending and len(active) < options.forks and not cancel.cancelled:
                machine = pending.pop(0)
                try:
                    run_id = begin_stage(
                        store, machine, "reinstall", wave_id=wave.id, controller=options.controller
                    )
                except StateConflict as refused:
                    summary.refused[machine.name] = str(refused)
                    continue
                progress.host_changed("reinstall", machine.name, "running", "")
                active[pool.submit(reinstaller.reinstall, machine)] = (machine, run_id)
            if cancel.cancelled:
                pending.clear()  # never started: they stay captured, untouched
            if not active:
                continue
            done, _ = wait(list(active), return_when=FIRST_COMPLETED)
            for future in done:
                machine, run_id = active.pop(future)
                error = future.exception()
                if error is None and future.result():
                    _refresh_vars(store, machine, future.result() or {})
                outcome = (
                    StageOutcome(ok=True)
                    if error is None
                    else StageOutcome(ok=False, reason=f"reinstall failed: {error}")
                )
                after = finish_stage(store, machine.id, "reinstall", run_id, outcome, options.actor)
                if after.state == "failed":
                    summary.failed[machine.name] = outcome.reason
                    progress.host_changed("reinstall", machine.name, "failed", outcome.reason)
                else:
                    summary.ok.append(machine.name)
                    progress.host_changed("reinstall", machine.name, "ok", "")


def _refresh_vars(store: Store, machine: Machine, new_vars: dict[str, Any]) -> None:
    """A re-created machine may have a new address: the next stages must reach it there."""
    campaign = next(c for c in store.campaigns() if c.id == machine.campaign_id)
    merged = {**machine.vars, **new_vars}
    store.upsert_machines(
        campaign, [MachineRecord(machine.name, machine.site, machine.facts, merged)]
    )
