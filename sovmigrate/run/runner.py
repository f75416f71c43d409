"""Run stages of a wave: each machine that is ready advances, a failed one stops there.

``run_wave`` is the whole command; ``run_stage`` one stage over the wave's ready machines, in
batches of ``serial`` machines, stopping the wave when the failure share passes the threshold.
Playbook stages go through ansible-runner (``playbook.py``); the destructive reinstall through a
``Reinstaller`` (``destructive.py``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sovmigrate.errors import StateConflict, UsageError
from sovmigrate.run.cancel import CancelToken
from sovmigrate.run.options import NullProgress, Progress, RunOptions
from sovmigrate.run.reinstall import Reinstaller
from sovmigrate.state import STAGES, Campaign, Machine, Store, Wave
from sovmigrate.state.pipeline import abandon_stage
from sovmigrate.state.pipeline_states import READY_STATE


@dataclass
class StageSummary:
    stage: str
    targets: int = 0
    ok: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    canceled: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # a gate said no at the last moment
    stopped: str = ""  # why the stage (and the wave) stopped early
    seconds: float = 0.0
    events: int = 0
    artifacts: list[str] = field(default_factory=list)


@dataclass
class WaveSummary:
    wave: str
    stages: list[StageSummary] = field(default_factory=list)
    canceled: bool = False
    stopped: str = ""
    recovered: list[str] = field(default_factory=list)  # machines whose run a crash interrupted
    states: dict[str, int] = field(default_factory=dict)


def order_stages(stages: Sequence[str]) -> list[str]:
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise UsageError(f"unknown stage(s) {', '.join(unknown)} (stages: {', '.join(STAGES)})")
    return [s for s in STAGES if s in stages]


def campaign_of(store: Store, wave: Wave) -> Campaign:
    return next(c for c in store.campaigns() if c.id == wave.campaign_id)


def recover_interrupted(store: Store, wave: Wave, controller: str) -> list[str]:
    """Close the runs a dead controller left 'running'; refuse if a live one still owns them."""
    recovered = []
    host = controller.rsplit(":", 1)[0]
    for run in store.stage_runs(wave_id=wave.id, result="running"):
        owner_host, _, pid = run.controller.rpartition(":")
        if run.controller != controller and owner_host == host and _alive(pid):
            raise StateConflict(
                f"wave {wave.name!r} is being run by process {pid} on this host; wait or stop it"
            )
        if owner_host != host:
            raise StateConflict(
                f"wave {wave.name!r} has a run in progress by controller {run.controller}"
            )
        abandon_stage(store, run.id, "interrupted", f"controller {run.controller} stopped")
        recovered.append(store.machine_by_id(run.machine_id).name)
    return recovered


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def run_wave(
    store: Store,
    wave: Wave,
    stages: Sequence[str] = STAGES,
    *,
    reinstaller: Reinstaller | None = None,
    options: RunOptions | None = None,
    progress: Progress | None = None,
    cancel: CancelToken | None = None,
) -> WaveSummary:
    """Run ``stages`` in order over the wave; resumable: each machine starts where it stopped."""
    options = options or RunOptions()
    progress = progress or NullProgress()
    cancel = cancel or CancelToken()
    ordered = order_stages(stages)
    _check_inputs(ordered, options, reinstaller)
    campaign = campaign_of(store, wave)
    summary = WaveSummary(wave.name)
    summary.recovered = recover_interrupted(store, wave, options.controller)
    for stage in ordered:
        if cancel.cancelled:
            break
        result = run_stage(
            store, campaign, wave, stage, options, progress, cancel, reinstaller=reinstaller
        )
        summary.stages.append(result)
        if result.stopped:
            summary.stopped = result.stopped
            break
    summary.canceled = cancel.cancelled
    summary.states = _states(store.machines(campaign, wave=wave))
    return summary


def _check_inputs(stages: list[str], options: RunOptions, reinstaller: Reinstaller | None) -> None:
    if "reinstall" in stages and reinstaller is None:
        raise UsageError("the reinstall stage needs a reinstaller (lab or pxe)")
    for stage in stages:
        if stage == "reinstall":
            continue
        playbook = options.playbooks.get(stage)
        if playbook is None or not playbook.is_file():
            raise UsageError(f"no playbook for stage {stage}: {playbook} does not exist")
    missing = [p for p in options.secret_vars_files if not p.is_file()]
    if missing:
        raise UsageError(f"vars file {missing[0]} does not exist")
    if options.forks < 1 or options.serial < 0 or not 0 <= options.max_fail_percentage <= 100:
        raise UsageError("forks must be >= 1, serial >= 0, max-fail between 0 and 100")


def _states(machines: list[Machine]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for m in machines:
        counts[m.state] = counts.get(m.state, 0) + 1
    return counts


def run_stage(
    store: Store,
    campaign: Campaign,
    wave: Wave,
    stage: str,
    options: RunOptions,
    progress: Progress,
    cancel: CancelToken,
    *,
    reinstaller: Reinstaller | None = None,
) -> StageSummary:
    from sovmigrate.run.destructive import run_reinstall_batch
    from sovmigrate.run.playbook import run_playbook_batch

    started = time.monotonic()
    targets = [m for m in store.machines(campaign, wave=wave) if m.state == READY_STATE[stage]]
    summary = StageSummary(stage, targets=len(targets))
    progress.stage_started(stage, len(targets))
    size = options.serial or max(len(targets), 1)
    for number, start in enumerate(range(0, len(targets), size), start=1):
        if cancel.cancelled:
            break
        batch = targets[start : start + size]
        if stage == "reinstall":
            assert reinstaller is not None
            run_reinstall_batch(store, wave, batch, reinstaller, options, progress, cancel, summary)
        else:
            run_playbook_batch(
                store, campaign, wave, stage, batch, number, options, progress, cancel, summary
            )
        done = len(summary.ok) + len(summary.failed)
        if done and 100.0 * len(summary.failed) / done > options.max_fail_percentage:
            summary.stopped = (
                f"{stage}: {len(summary.failed)} of {done} machines failed, over the "
                f"{options.max_fail_percentage:g}% threshold; wave stopped"
            )
            break
    summary.seconds = time.monotonic() - started
    progress.stage_finished(summary)
    return summary
