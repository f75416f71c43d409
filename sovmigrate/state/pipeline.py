"""The pipeline's transitions and GATES, in one place (DESIGN.md §2).

Every state change of a machine goes through ``_move``, which refuses a transition into
``provisioned`` without a verified capture of every user, and into ``done`` without a verified
restore of every captured user and a passed postcheck. No caller, flag or command can skip it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sovmigrate.errors import StateConflict, UsageError
from sovmigrate.state.models import Machine, UserResult
from sovmigrate.state.pipeline_states import (
    DESTRUCTIVE_STAGES,
    DONE_STATE,
    READY_STATE,
    STAGES,
)
from sovmigrate.state.store import Store


@dataclass(frozen=True)
class StageOutcome:
    """What one stage run reported for one machine."""

    ok: bool
    reason: str = ""
    result: str = ""  # the stage_runs.result word; derived from ok when empty
    users: tuple[UserResult, ...] | None = None  # capture/restore: per-user verification
    data: dict[str, Any] = field(default_factory=dict)


# -- gates ---------------------------------------------------------------------------------------
def capture_problem(store: Store, machine_id: int) -> str | None:
    """Why the disk may not be wiped yet, or None when every user's capture is verified."""
    users = store.latest_verifications(machine_id, "capture")
    if not users:
        return "no verified capture is recorded"
    bad = sorted(v.user for v in users if not v.verified)
    if bad:
        return f"capture not verified for user(s) {', '.join(bad)}"
    return None


def restore_problem(store: Store, machine_id: int) -> str | None:
    """Why the machine may not be done, or None when every captured user's restore verified."""
    captured = {v.user for v in store.latest_verifications(machine_id, "capture")}
    if not captured:
        return "no capture is recorded"
    restored = {v.user for v in store.latest_verifications(machine_id, "restore") if v.verified}
    missing = sorted(captured - restored)
    if missing:
        return f"restore not verified for user(s) {', '.join(missing)}"
    return None


def postcheck_problem(store: Store, machine_id: int) -> str | None:
    runs = store.stage_runs(machine_id=machine_id, stage="postcheck")
    if not runs or runs[-1].result != "ok":
        return "postcheck has not passed"
    return None


def stage_problem(store: Store, machine: Machine, stage: str) -> str | None:
    """Why ``stage`` may not start on ``machine`` now, or None."""
    if stage not in STAGES:
        raise UsageError(f"unknown stage {stage!r} (stages: {', '.join(STAGES)})")
    needed = READY_STATE[stage]
    if machine.state != needed:
        return f"{machine.name} is {machine.state}; {stage} needs {needed}"
    if stage == "reinstall":
        problem = capture_problem(store, machine.id)
        if problem:
            return f"{machine.name}: {problem}"
    if stage in DESTRUCTIVE_STAGES and _destructive_already_started(store, machine, stage):
        return (
            f"{machine.name}: {stage} already started once since it became {needed}; "
            f"check the machine, then `sovmigrate machine retry {machine.name} --reason ...`"
        )
    return None


def _destructive_already_started(store: Store, machine: Machine, stage: str) -> bool:
    # An explicit retry writes a fresh transition into the ready state: that, and only that,
    # authorises one more destructive run.
    entered = [t.at for t in store.transitions(machine.id) if t.to_state == READY_STATE[stage]]
    since = entered[-1] if entered else ""
    return any(r.started_at >= since for r in store.stage_runs(machine_id=machine.id, stage=stage))


def _move(
    store: Store,
    machine: Machine,
    to_state: str,
    *,
    stage: str | None,
    reason: str,
    actor: str,
    failed_stage: str | None = None,
    resume_state: str | None = None,
) -> Machine:
    if to_state == "provisioned":
        problem = capture_problem(store, machine.id)
        if problem:
            raise StateConflict(f"gate: {machine.name} cannot be provisioned: {problem}")
    if to_state == "done":
        problem = restore_problem(store, machine.id) or postcheck_problem(store, machine.id)
        if problem:
            raise StateConflict(f"gate: {machine.name} cannot be done: {problem}")
    store.set_state(
        machine.id,
        machine.state,
        to_state,
        stage=stage,
        reason=reason,
        actor=actor,
        failed_stage=failed_stage,
        resume_state=resume_state,
    )
    return store.machine_by_id(machine.id)


# -- stage runs ----------------------------------------------------------------------------------
def begin_stage(
    store: Store,
    machine: Machine,
    stage: str,
    *,
    wave_id: int | None,
    artifacts: str = "",
    controller: str = "",
) -> int:
    """Check the gate and record the run as started, in one transaction. Returns the run id.

    For a destructive stage the committed 'running' row is the proof that it was attempted:
    a crash after this point never lets it run again without an operator's retry.
    """
    with store.db.transaction():
        if store.kind == "postgresql":
            # Several controllers on one store: the first to lock the machine claims it.
            claimed = store.db.one(
                "SELECT id FROM machines WHERE id = ? FOR UPDATE SKIP LOCKED", (machine.id,)
            )
            if claimed is None:
                raise StateConflict(f"gate: {machine.name} is claimed by another controller")
        current = store.machine_by_id(machine.id)
        if store.stage_runs(machine_id=machine.id, result="running"):
            raise StateConflict(f"gate: {machine.name} has a stage run in progress")
        problem = stage_problem(store, current, stage)
        if problem:
            raise StateConflict(f"gate: {problem}")
        return store.start_stage_run(
            machine.id, stage, wave_id=wave_id, artifacts=artifacts, controller=controller
        )


def finish_stage(
    store: Store, machine_id: int, stage: str, run_id: int, outcome: StageOutcome, actor: str
) -> Machine:
    """Record a stage's verdict and move the machine, atomically."""
    with store.db.transaction():
        machine = store.machine_by_id(machine_id)
        kind = {"capture": "capture", "restore": "restore"}.get(stage)
        if kind and outcome.users is not None:
            store.record_verifications(machine_id, run_id, kind, outcome.users)
        problem = None if outcome.ok else (outcome.reason or f"{stage} failed")
        if problem is None and stage == "capture":
            problem = capture_problem(store, machine_id)
        if problem is None and stage == "restore":
            problem = restore_problem(store, machine_id)
        result = outcome.result or ("ok" if problem is None else "failed")
        if machine.state != READY_STATE[stage]:
            # An operator excluded or rolled the machine back while the stage ran: the run is
            # recorded, the operator's decision stands.
            note = f"{problem or 'ok'}; machine became {machine.state} during the run, kept"
            store.finish_stage_run(run_id, result, reason=note, data=outcome.data)
            return machine
        store.finish_stage_run(run_id, result, reason=problem or "", data=outcome.data)
        if problem is not None:
            return _move(
                store,
                machine,
                "failed",
                stage=stage,
                reason=problem,
                actor=actor,
                failed_stage=stage,
                resume_state=machine.state,
            )
        machine = _move(store, machine, DONE_STATE[stage], stage=stage, reason="", actor=actor)
        if stage == "postcheck":
            problem = restore_problem(store, machine_id)
            if problem:
                return _move(
                    store,
                    machine,
                    "failed",
                    stage=stage,
                    reason=problem,
                    actor=actor,
                    failed_stage=stage,
                    resume_state="restored",
                )
            machine = _move(
                store, machine, "done", stage=None, reason="all gates passed", actor=actor
            )
        return machine


def abandon_stage(store: Store, run_id: int, result: str, reason: str) -> None:
    """A run that did not finish (canceled, interrupted): the machine stays where it was.

    A destructive stage that may have started acting is the exception: its machine is failed,
    because nobody can tell in which state the disk is.
    """
    with store.db.transaction():
        run = store.stage_run(run_id)
        store.finish_stage_run(run_id, result, reason=reason)
        machine = store.machine_by_id(run.machine_id)
        if run.stage in DESTRUCTIVE_STAGES and machine.state == READY_STATE[run.stage]:
            _move(
                store,
                machine,
                "failed",
                stage=run.stage,
                reason=f"{run.stage} {result} after it started: {reason}; check the machine",
                actor="sovmigrate",
                failed_stage=run.stage,
                resume_state=machine.state,
            )


# -- operator commands ---------------------------------------------------------------------------
def _need_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise UsageError("a reason is required (--reason)")
    return reason.strip()


def exclude(store: Store, machine: Machine, reason: str, actor: str) -> Machine:
    reason = _need_reason(reason)
    if machine.state == "excluded":
        raise StateConflict(f"{machine.name} is already excluded")
    resume = machine.resume_state if machine.state == "failed" else machine.state
    with store.db.transaction():
        return _move(
            store, machine, "excluded", stage=None, reason=reason, actor=actor, resume_state=resume
        )


def rollback(store: Store, machine: Machine, reason: str, actor: str) -> Machine:
    reason = _need_reason(reason)
    if machine.state in ("rolled_back", "excluded", "done"):
        raise StateConflict(f"{machine.name} is {machine.state}; rollback does not apply")
    resume = machine.resume_state if machine.state == "failed" else machine.state
    with store.db.transaction():
        return _move(
            store,
            machine,
            "rolled_back",
            stage=None,
            reason=reason,
            actor=actor,
            resume_state=resume,
        )


def retry(store: Store, machine: Machine, reason: str, actor: str) -> Machine:
    """Put a failed, excluded or rolled-back machine back where it stopped (gates re-apply)."""
    reason = _need_reason(reason)
    if machine.state not in ("failed", "excluded", "rolled_back") or not machine.resume_state:
        raise StateConflict(f"{machine.name} is {machine.state}; only a stopped machine retries")
    with store.db.transaction():
        return _move(
            store,
            machine,
            machine.resume_state,
            stage=machine.failed_stage,
            reason=f"retry: {reason}",
            actor=actor,
        )
