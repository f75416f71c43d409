"""Wave inventories written by a child process while the planner updates the store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sovmigrate.errors import EnvironmentProblem
from sovmigrate.fleet.model import Machine
from sovmigrate.plan import inventory
from sovmigrate.plan.planner import Plan, PlanSettings, Wave

DATA = Path(__file__).parents[2] / "data" / "glpi"


def _plan(waves: int, per_wave: int) -> tuple[Plan, dict[str, Machine]]:
    machines: dict[str, Machine] = {}
    plan_waves = []
    day = dt.date(2027, 1, 4)
    for w in range(waves):
        members = [f"pc-{w:03d}-{i:02d}" for i in range(per_wave)]
        for name in members:
            machines[name] = Machine(key=f"k-{name}", name=name, site=f"SITE{w}", department="RH")
        plan_waves.append(Wave(f"site{w}-1", f"SITE{w}", [day], members, [per_wave], 1.0))
    return Plan(plan_waves, [], PlanSettings(start=day)), machines


def _read(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.iterdir())}


def test_the_child_writes_what_the_process_itself_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan, machines = _plan(30, 12)
    monkeypatch.setattr(inventory, "CONCURRENT_FROM", 10**9)
    alone = inventory.start_staging(tmp_path / "a", "camp", plan, machines)
    assert not alone.concurrent
    monkeypatch.setattr(inventory, "CONCURRENT_FROM", 1)
    child = inventory.start_staging(tmp_path / "b", "camp", plan, machines)
    assert child.concurrent  # the test machines have 2 cores
    expected = _read(alone.wait().directory)
    assert len(expected) == 30
    assert _read(child.wait().directory) == expected


@pytest.mark.parametrize("concurrent_from", [1, 10**9])
def test_an_inventory_that_cannot_be_written_is_one_error_and_nothing_staged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, concurrent_from: int
) -> None:
    plan, machines = _plan(3, 2)
    plan.waves[1].name = "x" * 300  # longer than a file name may be
    monkeypatch.setattr(inventory, "CONCURRENT_FROM", concurrent_from)
    with pytest.raises(EnvironmentProblem, match=r"writing the wave inventories: .*xxxx.*\.yml"):
        inventory.start_staging(tmp_path, "camp", plan, machines).wait()
    assert list((tmp_path / "camp").iterdir()) == []


def test_a_failed_writer_rolls_the_plan_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store commits the new waves only once their inventories are written."""
    from sovmigrate.fleet.service import context, import_fleet
    from sovmigrate.plan import service
    from sovmigrate.state import open_store

    monkeypatch.setattr(inventory, "CONCURRENT_FROM", 1)
    inventories = tmp_path / "inventories"
    with open_store(tmp_path / "state.db") as store:
        import_fleet(store, "c8", [DATA / "good"], inventories=inventories)
        ctx = context(store, "c8", inventories=inventories, config=None)

        def disk_full(*_args: object) -> str:
            raise EnvironmentProblem("no space left on device (stand-in for a full disk)")

        monkeypatch.setattr(inventory, "wave_inventory", disk_full)
        with pytest.raises(EnvironmentProblem, match="no space left"):
            service.make_plan(store, ctx, inventories=inventories)
        assert store.waves(ctx.campaign) == []
        assert {m.state for m in store.machines(ctx.campaign)} == {"assessed"}
    assert list((inventories / "c8").iterdir()) == []
