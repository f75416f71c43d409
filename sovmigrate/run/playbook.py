"""One batch of a playbook stage through ansible-runner, events turned into state as they come."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ansible_runner

from sovmigrate.errors import OperationFailed, StateConflict
from sovmigrate.run.cancel import CancelToken
from sovmigrate.run.events import EventCollector, HostStatus
from sovmigrate.run.inventory import group_name, write_stage_files
from sovmigrate.run.options import (
    FAILED_ONLY_ABOVE,
    Progress,
    RunOptions,
    ensure_ansible_on_path,
    users_from,
)
from sovmigrate.state import Campaign, Machine, Store, UserResult, Wave
from sovmigrate.state.pipeline import StageOutcome, abandon_stage, begin_stage, finish_stage

if TYPE_CHECKING:
    from sovmigrate.run.runner import StageSummary

# Stages whose verdict needs the data the playbook reports (per-user verification).
NEEDS_RESULTS = frozenset({"capture", "restore", "postcheck"})


def outcome_from(stage: str, result: dict[str, Any] | None) -> StageOutcome:
    """A host that reached the end of the stage: what did the playbook report?"""
    users = users_from(result)
    parsed = None
    if users is not None:
        parsed = tuple(
            UserResult(
                user=str(u.get("user") or u.get("name") or "?"),
                verified=u.get("verified") is True,
                files=int(u.get("files") or 0),
                bytes=int(u.get("bytes") or 0),
                detail={k: v for k, v in u.items() if k not in ("user", "name", "verified")},
            )
            for u in users
        )
    result = result or {}
    verdict = str(result.get("verdict", "pass")).lower()
    if result.get("ok") is False or verdict in ("fail", "failed"):
        reason = str(result.get("reason") or f"{stage} reported a failing verdict")
        return StageOutcome(ok=False, reason=reason, users=parsed, data=_small(result))
    return StageOutcome(ok=True, users=parsed, data=_small(result))


def _small(result: dict[str, Any]) -> dict[str, Any]:
    # The users go to the verifications table; keep the rest (checks, counts) with the run.
    return {k: v for k, v in result.items() if k != "users"}


def _event_mode(stage: str, hosts: int, options: RunOptions) -> dict[str, bool]:
    mode = options.event_data
    if mode == "auto":
        mode = "failed_only" if hosts > FAILED_ONLY_ABOVE and stage not in NEEDS_RESULTS else "full"
    # "omit": no event data at all; success still comes from the marker line, a failure keeps
    # no reason beyond "did not reach the end of the stage".
    return {"only_failed_event_data": mode == "failed_only", "omit_event_data": mode == "omit"}


def run_playbook_batch(
    store: Store,
    campaign: Campaign,
    wave: Wave,
    stage: str,
    batch: list[Machine],
    number: int,
    options: RunOptions,
    progress: Progress,
    cancel: CancelToken,
    summary: StageSummary,
) -> None:
    ident = f"{stage}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-b{number}"
    private = (options.artifacts_root / group_name(campaign.name) / wave.name).resolve()
    workdir = private / "inputs" / ident
    workdir.mkdir(parents=True, exist_ok=True)
    artifacts = str(private / "artifacts" / ident)
    runs: dict[str, tuple[Machine, int]] = {}
    for m in batch:
        try:
            runs[m.name] = (
                m,
                begin_stage(
                    store,
                    m,
                    stage,
                    wave_id=wave.id,
                    artifacts=artifacts,
                    controller=options.controller,
                ),
            )
        except StateConflict as refused:
            summary.refused[m.name] = str(refused)
    if not runs:
        return
    inventory, playbook = write_stage_files(
        workdir,
        campaign,
        wave,
        [m for m, _ in runs.values()],
        options.playbooks[stage].resolve(),
    )
    finished: set[str] = set()

    def on_change(host: HostStatus) -> None:
        progress.host_changed(stage, host.host, host.status, host.reason)
        if host.status == "ok":
            # Recorded the moment the host reaches the end: a crash later cannot re-run it.
            machine, run_id = runs[host.host]
            after = finish_stage(
                store, machine.id, stage, run_id, outcome_from(stage, host.result), options.actor
            )
            finished.add(host.host)
            _count(summary, after, host.host, stage)

    collector = EventCollector.for_hosts(list(runs), on_change)
    ensure_ansible_on_path()
    runner = ansible_runner.run(
        private_data_dir=str(private),
        ident=ident,
        playbook=str(playbook),
        inventory=str(inventory),
        forks=min(options.forks, len(runs)),
        extravars=dict(options.extravars),
        envvars=options.env(),
        event_handler=collector,
        cancel_callback=cancel,
        quiet=True,
        cmdline=_vars_files(options),
        rotate_artifacts=options.keep_artifacts,
        **_event_mode(stage, len(runs), options),
    )
    summary.events += collector.events
    summary.artifacts.append(artifacts)
    if collector.plays_started == 0 and runner.status == "failed":
        _discard(store, runs, summary)
        raise OperationFailed(_playbook_error(options.playbooks[stage], runner, collector))
    for name, (machine, run_id) in runs.items():
        if name in finished:
            continue
        host = collector.hosts[name]
        if runner.status in ("canceled", "timeout"):
            abandon_stage(store, run_id, "canceled", "run canceled by the operator")
            summary.canceled.append(name)
            progress.host_changed(stage, name, "canceled", "")
            continue
        reason = host.reason or "did not reach the end of the stage (the play stopped)"
        result = "unreachable" if host.status == "unreachable" else "failed"
        # What the playbook reported before failing (e.g. which user was not verified) is kept.
        reported = outcome_from(stage, host.result).users
        after = finish_stage(
            store,
            machine.id,
            stage,
            run_id,
            StageOutcome(ok=False, reason=reason, result=result, users=reported),
            options.actor,
        )
        _count(summary, after, name, stage)
        progress.host_changed(stage, name, "failed", reason)


def _vars_files(options: RunOptions) -> str | None:
    args = [f"-e @{shlex.quote(str(Path(p).resolve()))}" for p in options.secret_vars_files]
    return " ".join(args) or None


def _count(summary: StageSummary, machine: Machine, name: str, stage: str) -> None:
    if machine.state == "failed":
        store_reason = machine.failed_stage or stage
        summary.failed[name] = store_reason
    else:
        summary.ok.append(name)


def _discard(store: Store, runs: dict[str, tuple[Machine, int]], summary: StageSummary) -> None:
    """The playbook never started (syntax error): nothing happened, so nothing is recorded."""
    store.discard_running_runs([run_id for _, run_id in runs.values()])
    summary.refused.clear()


def _playbook_error(playbook: Any, runner: Any, collector: EventCollector) -> str:
    text = "\n".join(collector.errors)
    if not text:
        try:
            text = runner.stdout.read()
        except (AttributeError, OSError, ValueError):
            text = ""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = next((line for line in lines if "ERROR" in line), lines[0] if lines else "")
    return f"playbook {playbook} did not start: {first[:300] or 'ansible-playbook failed'}"
