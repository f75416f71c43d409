"""One batch of a playbook stage through ansible-runner, events turned into state as they come."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ansible_runner

from sovmigrate.errors import OperationFailed
from sovmigrate.run.cancel import CancelToken
from sovmigrate.run.events import EventCollector, HostStatus
from sovmigrate.run.inventory import group_name, write_stage_files
from sovmigrate.run.options import FAILED_ONLY_ABOVE, Progress, RunOptions, ensure_ansible_on_path
from sovmigrate.run.recorder import StageRecorder, failure_reason
from sovmigrate.state import Campaign, Machine, Store, Wave

if TYPE_CHECKING:
    from sovmigrate.run.runner import StageSummary

# Stages whose verdict needs the data the playbook reports (per-user verification).
NEEDS_RESULTS = frozenset({"capture", "restore", "postcheck"})


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
    recorder = StageRecorder(
        store,
        stage,
        wave_id=wave.id,
        actor=options.actor,
        controller=options.controller,
        artifacts=artifacts,
    )
    for m in batch:
        recorder.begin(m)
    summary.refused.update(recorder.refused)
    if not recorder.runs:
        return
    inventory, playbook = write_stage_files(
        workdir,
        campaign,
        wave,
        [m for m, _ in recorder.runs.values()],
        options.playbooks[stage].resolve(),
    )

    def on_change(host: HostStatus) -> None:
        progress.host_changed(stage, host.host, host.status, host.reason)
        after = recorder.on_change(host)
        if after is not None:
            _count(summary, after, host.host, stage)

    collector = EventCollector.for_hosts(list(recorder.runs), on_change)
    ensure_ansible_on_path()
    runner = ansible_runner.run(
        private_data_dir=str(private),
        ident=ident,
        playbook=str(playbook),
        inventory=str(inventory),
        forks=min(options.forks, len(recorder.runs)),
        extravars=dict(options.extravars),
        envvars=options.env(),
        event_handler=collector,
        cancel_callback=cancel,
        quiet=True,
        cmdline=_vars_files(options),
        rotate_artifacts=options.keep_artifacts,
        **_event_mode(stage, len(recorder.runs), options),
    )
    summary.events += collector.events
    summary.artifacts.append(artifacts)
    if collector.plays_started == 0 and runner.status == "failed":
        recorder.discard()
        summary.refused.clear()
        raise OperationFailed(_playbook_error(options.playbooks[stage], runner, collector))
    for name in recorder.unfinished():
        if runner.status in ("canceled", "timeout"):
            recorder.cancel(name)
            summary.canceled.append(name)
            progress.host_changed(stage, name, "canceled", "")
            continue
        host = collector.hosts[name]
        after = recorder.fail(host)
        _count(summary, after, name, stage)
        progress.host_changed(stage, name, "failed", failure_reason(host))


def _vars_files(options: RunOptions) -> str | None:
    args = [f"-e @{shlex.quote(str(Path(p).resolve()))}" for p in options.secret_vars_files]
    return " ".join(args) or None


def _count(summary: StageSummary, machine: Machine, name: str, stage: str) -> None:
    if machine.state == "failed":
        store_reason = machine.failed_stage or stage
        summary.failed[name] = store_reason
    else:
        summary.ok.append(name)


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
