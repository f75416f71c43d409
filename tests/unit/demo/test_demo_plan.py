"""What the demo promises a pilot: one blocked machine among the others, named predictably."""

from __future__ import annotations

import pytest

from sovmigrate.demo import plan_machines
from sovmigrate.demo.wave import expected_state
from sovmigrate.errors import UsageError


def test_three_machines_one_blocked_by_fast_startup() -> None:
    machines = plan_machines(3)
    assert [m.name for m in machines] == ["demo-1", "demo-2", "demo-3"]
    assert [m.variant for m in machines] == ["clean", "hibernated", "clean"]
    assert [expected_state(m) for m in machines] == ["done", "failed", "done"]
    assert len({m.seed for m in machines}) == 3  # different users, settings and data


def test_a_demo_of_one_machine_migrates_it() -> None:
    (only,) = plan_machines(1)
    assert only.variant == "clean"


def test_out_of_range_machine_count_is_refused_before_anything_is_built(tmp_path) -> None:
    from sovmigrate.demo import run_demo
    from sovmigrate.lab import Lab

    with pytest.raises(UsageError, match="--machines 0"):
        run_demo(Lab(tmp_path / "lab"), 0)
    assert not (tmp_path / "lab").exists()
