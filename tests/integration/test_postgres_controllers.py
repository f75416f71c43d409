"""Several controllers on one PostgreSQL store: a machine advances once, a live run is not
taken over, a dead one is recovered."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_wave_support import make_db, options, seed, wave_of

from sovmigrate.errors import StateConflict
from sovmigrate.run import run_wave
from sovmigrate.run.runner import recover_interrupted
from sovmigrate.state import open_store
from sovmigrate.state.pipeline import begin_stage

pytestmark = pytest.mark.integration


def test_two_connections_race_for_one_machine(tmp_path: Path) -> None:
    url = make_db("postgresql", tmp_path)
    seed(url, ["pc1"])
    with open_store(url) as first, open_store(url) as second:
        pc1 = first.machine(first.campaign("test"), "pc1")
        stale = second.machine(second.campaign("test"), "pc1")
        first.set_state(
            pc1.id, "scheduled", "prechecked", stage="precheck", reason="", actor="controller-a"
        )
        with pytest.raises(StateConflict, match="no longer scheduled"):
            second.set_state(
                stale.id, "scheduled", "excluded", stage=None, reason="x", actor="controller-b"
            )
        assert [t.actor for t in second.transitions(pc1.id)][-1] == "controller-a"


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_live_run_is_not_taken_over_and_a_dead_one_is(kind: str, tmp_path: Path) -> None:
    url = make_db(kind, tmp_path)
    seed(url, ["pc1", "pc2"])
    host = os.uname().nodename
    with open_store(url) as store:
        wave = wave_of(store)
        pc1 = store.machine(store.campaign("test"), "pc1")
        # Another controller process of this host, alive (our parent), owns a running stage.
        begin_stage(store, pc1, "precheck", wave_id=wave.id, controller=f"{host}:{os.getppid()}")
        with pytest.raises(StateConflict, match="is being run by process"):
            recover_interrupted(store, wave, f"{host}:{os.getpid()}")
        # Once that process is gone (a pid that cannot exist), the run is closed and resumed.
        store.db.execute("UPDATE stage_runs SET controller = ?", (f"{host}:999999999",))
        summary = run_wave(store, wave, ["precheck"], options=options(tmp_path))
        assert summary.recovered == ["pc1"]
        assert summary.states == {"prechecked": 2}
        runs = [(r.result, r.reason) for r in store.stage_runs(machine_id=pc1.id)]
        assert runs[0] == ("interrupted", "controller " + f"{host}:999999999 stopped")
        assert runs[1][0] == "ok"
