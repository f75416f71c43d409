"""Transitions and gates as an operator meets them."""

from __future__ import annotations

import pytest

from sovmigrate.errors import StateConflict, UsageError
from sovmigrate.state import Campaign, Machine, Store, UserResult
from sovmigrate.state.pipeline import (
    StageOutcome,
    abandon_stage,
    begin_stage,
    exclude,
    finish_stage,
    retry,
    rollback,
)

GOOD = (UserResult("alice", True, 10, 100), UserResult("bob", True, 3, 30))


def _run(store: Store, m: Machine, stage: str, outcome: StageOutcome) -> Machine:
    run = begin_stage(store, store.machine_by_id(m.id), stage, wave_id=None)
    return finish_stage(store, m.id, stage, run, outcome, actor="test")


def _to_captured(store: Store, campaign: Campaign, users: tuple[UserResult, ...]) -> Machine:
    store.create_wave(campaign, "w1", ["pc1"])
    m = store.machine(campaign, "pc1")
    m = _run(store, m, "precheck", StageOutcome(ok=True))
    return _run(store, m, "capture", StageOutcome(ok=True, users=users))


def test_full_path_reaches_done(store: Store, campaign: Campaign) -> None:
    m = _to_captured(store, campaign, GOOD)
    for stage in ("reinstall", "configure"):
        m = _run(store, m, stage, StageOutcome(ok=True))
    m = _run(store, m, "restore", StageOutcome(ok=True, users=GOOD))
    m = _run(store, m, "postcheck", StageOutcome(ok=True))
    assert m.state == "done"
    states = [t.to_state for t in store.transitions(m.id)]
    assert states[-3:] == ["restored", "postchecked", "done"]


def test_unverified_user_blocks_the_wipe(store: Store, campaign: Campaign) -> None:
    users = (UserResult("alice", True), UserResult("bob", False, detail={"missing": ["a.txt"]}))
    m = _to_captured(store, campaign, users)
    assert (m.state, m.failed_stage) == ("failed", "capture")
    assert "bob" in store.transitions(m.id)[-1].reason
    with pytest.raises(StateConflict, match="reinstall needs captured"):
        begin_stage(store, m, "reinstall", wave_id=None)
    # Retrying does not help until a capture verifies every user.
    m = retry(store, m, "store fixed", "op")
    assert m.state == "prechecked"
    with pytest.raises(StateConflict, match="needs captured"):
        begin_stage(store, m, "reinstall", wave_id=None)


def test_capture_without_users_is_not_verified(store: Store, campaign: Campaign) -> None:
    m = _to_captured(store, campaign, ())
    assert m.state == "failed"


def test_restore_missing_a_user_is_not_done(store: Store, campaign: Campaign) -> None:
    m = _to_captured(store, campaign, GOOD)
    for stage in ("reinstall", "configure"):
        m = _run(store, m, stage, StageOutcome(ok=True))
    m = _run(store, m, "restore", StageOutcome(ok=True, users=GOOD[:1]))
    assert (m.state, m.failed_stage) == ("failed", "restore")
    assert "bob" in store.transitions(m.id)[-1].reason


def test_destructive_stage_never_starts_twice(store: Store, campaign: Campaign) -> None:
    m = _to_captured(store, campaign, GOOD)
    run = begin_stage(store, m, "reinstall", wave_id=None)
    # The controller dies; on resume the run is found unfinished.
    abandon_stage(store, run, "interrupted", "controller died")
    m = store.machine_by_id(m.id)
    assert (m.state, m.failed_stage) == ("failed", "reinstall")
    m = retry(store, m, "checked the disk: untouched", "op")
    assert m.state == "captured"
    run = begin_stage(store, m, "reinstall", wave_id=None)
    with pytest.raises(StateConflict, match=r"in progress|already started once"):
        begin_stage(store, store.machine_by_id(m.id), "reinstall", wave_id=None)
    finish_stage(store, m.id, "reinstall", run, StageOutcome(ok=True), "t")
    assert store.machine_by_id(m.id).state == "provisioned"


def test_canceled_stage_keeps_the_machine_where_it_was(store: Store, campaign: Campaign) -> None:
    store.create_wave(campaign, "w1", ["pc1"])
    m = store.machine(campaign, "pc1")
    run = begin_stage(store, m, "precheck", wave_id=None)
    abandon_stage(store, run, "canceled", "Ctrl-C")
    assert store.machine_by_id(m.id).state == "scheduled"
    assert store.stage_run(run).result == "canceled"


def test_operator_commands_need_a_reason(store: Store, campaign: Campaign) -> None:
    m = store.machine(campaign, "pc1")
    for command in (exclude, rollback):
        with pytest.raises(UsageError, match="reason"):
            command(store, m, "  ", "op")
    m = exclude(store, m, "broken screen", "op")
    assert m.state == "excluded"
    with pytest.raises(StateConflict):
        exclude(store, m, "again", "op")
    m = retry(store, m, "screen replaced", "op")
    assert m.state == "discovered"
    m = rollback(store, m, "user on leave", "op")
    last = store.transitions(m.id)[-1]
    assert (last.to_state, last.reason, last.actor) == ("rolled_back", "user on leave", "op")


def test_unknown_stage(store: Store, campaign: Campaign) -> None:
    with pytest.raises(UsageError, match="unknown stage"):
        begin_stage(store, store.machine(campaign, "pc1"), "format-c", wave_id=None)


def test_a_machine_in_a_running_stage_cannot_start_another(
    store: Store, campaign: Campaign
) -> None:
    store.create_wave(campaign, "w1", ["pc1"])
    m = store.machine(campaign, "pc1")
    begin_stage(store, m, "precheck", wave_id=None, controller="other:1")
    with pytest.raises(StateConflict, match="in progress"):
        begin_stage(store, store.machine_by_id(m.id), "precheck", wave_id=None)


def test_exclusion_during_a_run_stands(store: Store, campaign: Campaign) -> None:
    store.create_wave(campaign, "w1", ["pc1"])
    m = store.machine(campaign, "pc1")
    run = begin_stage(store, m, "precheck", wave_id=None)
    exclude(store, store.machine_by_id(m.id), "agent leaves the agency", "op")
    after = finish_stage(store, m.id, "precheck", run, StageOutcome(ok=True), "runner")
    assert after.state == "excluded"
    assert store.stage_run(run).result == "ok"
    assert "kept" in store.stage_run(run).reason
