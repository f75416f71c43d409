"""Property: whatever the stage results and operator commands, the gates hold.

Hypothesis drives random sequences (stage outcomes with random per-user verification, crashes
mid-stage, exclude/rollback/retry) through the pipeline API, then the test replays the recorded
history and checks: no reinstall ever started without a verified capture of every user, no
machine reached `done` without a verified restore of every captured user and a passed postcheck,
and no reinstall started twice without an operator's retry in between.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sovmigrate.errors import StateConflict
from sovmigrate.state import MachineRecord, Store, UserResult
from sovmigrate.state.pipeline import (
    StageOutcome,
    abandon_stage,
    begin_stage,
    exclude,
    finish_stage,
    retry,
    rollback,
    stage_problem,
)
from sovmigrate.state.pipeline_states import STAGES

_users = st.lists(
    st.tuples(st.sampled_from(["alice", "bob", "chloé"]), st.booleans()), max_size=3
).map(lambda pairs: tuple(UserResult(name, ok) for name, ok in dict(pairs).items()))

_op = st.one_of(
    st.tuples(st.just("stage"), st.sampled_from(STAGES), st.booleans(), _users),
    st.tuples(st.just("next"), st.booleans(), st.booleans(), _users),
    st.tuples(st.just("crash"), st.sampled_from(STAGES)),
    st.tuples(st.sampled_from(["exclude", "rollback", "retry"])),
)
_counter = itertools.count()


def _apply(store: Store, machine_id: int, op: tuple) -> None:  # type: ignore[type-arg]
    m = store.machine_by_id(machine_id)
    try:
        if op[0] in ("stage", "next"):
            stage = op[1] if op[0] == "stage" else _next_stage(m.state)
            if stage is None:
                return
            ok, users = op[2], op[3]
            run = begin_stage(store, m, stage, wave_id=None)
            finish_stage(store, m.id, stage, run, StageOutcome(ok=ok, users=users), "prop")
        elif op[0] == "crash":
            if stage_problem(store, m, op[1]) is None:
                run = begin_stage(store, m, op[1], wave_id=None)
                abandon_stage(store, run, "interrupted", "killed")
        else:
            {"exclude": exclude, "rollback": rollback, "retry": retry}[op[0]](
                store, m, "because", "prop"
            )
    except StateConflict:
        pass  # refused: exactly what a gate or a wrong state must do


def _next_stage(state: str) -> str | None:
    from sovmigrate.state.pipeline_states import READY_STATE

    return next((s for s, ready in READY_STATE.items() if ready == state), None)


def _check_history(store: Store, machine_id: int) -> None:
    events: list[tuple[str, str, object]] = []
    for v in store.verifications(machine_id):
        events.append((v.at, f"verify-{v.kind}", v))
    for r in store.stage_runs(machine_id=machine_id):
        events.append((r.started_at, "run-start", r))
        if r.ended_at:
            events.append((r.ended_at, "run-end", r))
    for t in store.transitions(machine_id):
        events.append((t.at, "transition", t))
    events.sort(key=lambda e: e[0])
    capture: dict[int | None, dict[str, bool]] = {}
    restore: dict[int | None, dict[str, bool]] = {}
    last_capture: dict[str, bool] = {}
    last_restore: dict[str, bool] = {}
    postcheck_ok = False
    reinstall_armed = False
    for _, kind, obj in events:
        if kind == "verify-capture":
            capture.setdefault(obj.stage_run_id, {})[obj.user] = obj.verified  # type: ignore[attr-defined]
            last_capture = capture[obj.stage_run_id]  # type: ignore[attr-defined]
        elif kind == "verify-restore":
            restore.setdefault(obj.stage_run_id, {})[obj.user] = obj.verified  # type: ignore[attr-defined]
            last_restore = restore[obj.stage_run_id]  # type: ignore[attr-defined]
        elif kind == "transition" and obj.to_state == "captured":  # type: ignore[attr-defined]
            reinstall_armed = True
        elif kind == "run-start" and obj.stage == "reinstall":  # type: ignore[attr-defined]
            assert last_capture and all(last_capture.values()), "wipe without verified capture"
            assert reinstall_armed, "reinstall started twice without a retry"
            reinstall_armed = False
        elif kind == "run-end" and obj.stage == "postcheck":  # type: ignore[attr-defined]
            postcheck_ok = obj.result == "ok"  # type: ignore[attr-defined]
        elif kind == "transition" and obj.to_state == "done":  # type: ignore[attr-defined]
            restored = {u for u, ok in last_restore.items() if ok}
            assert last_capture and set(last_capture) <= restored, "done without restore"
            assert postcheck_ok, "done without postcheck"


def _property(store: Store, ops: list) -> None:  # type: ignore[type-arg]
    camp = store.campaign(f"prop{next(_counter)}", create=True)
    store.upsert_machines(camp, [MachineRecord("pc")])
    store.create_wave(camp, "w", ["pc"])
    machine_id = store.machine(camp, "pc").id
    for op in ops:
        _apply(store, machine_id, op)
    _check_history(store, machine_id)
    final = store.machine_by_id(machine_id)
    if final.state == "done":
        assert not any(r.result == "running" for r in store.stage_runs(machine_id=machine_id))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(_op, min_size=1, max_size=25))
def test_gates_hold_for_any_sequence(store: Store, ops: list) -> None:  # type: ignore[type-arg]
    _property(store, ops)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(verdicts=st.lists(st.booleans(), min_size=6, max_size=6), users=_users)
def test_a_straight_run_ends_done_only_when_everything_verified(
    store: Store, verdicts: list[bool], users: tuple[UserResult, ...]
) -> None:
    ops = [("next", ok, ok, users) for ok in verdicts]
    camp = store.campaign(f"straight{next(_counter)}", create=True)
    store.upsert_machines(camp, [MachineRecord("pc")])
    store.create_wave(camp, "w", ["pc"])
    m = store.machine(camp, "pc")
    for op in ops:
        _apply(store, m.id, op)
    everything_ok = all(verdicts) and users and all(u.verified for u in users)
    assert (store.machine_by_id(m.id).state == "done") == bool(everything_ok)
    _check_history(store, m.id)
