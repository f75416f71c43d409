"""Set-based store operations (state/bulk.py) reach the end state of the per-wave Store methods.

Where Store has its own implementation (mark_assessed, create_wave, upsert_machines), a test
runs it on one campaign and the bulk path on another campaign with the same machines, in the
same store, on SQLite and on PostgreSQL, then compares machines, waves, members and
transitions. Store.delete_wave is bulk.delete_waves for one wave: its tests state the expected
end state.
"""

from __future__ import annotations

from typing import Any

import pytest

from sovmigrate.errors import StateConflict, UsageError
from sovmigrate.state import Campaign, MachineRecord, Store, bulk

NAMES = [f"pc{i:02d}" for i in range(12)]


def _fleet(store: Store, name: str) -> Campaign:
    camp = store.campaign(name, create=True)
    store.upsert_machines(
        camp,
        [
            MachineRecord(n, site="lyon", facts={"key": f"k-{n}", "uuid": f"u-{n}", "ram": 8})
            for n in NAMES
        ],
    )
    return camp


def _set_state(store: Store, camp: Campaign, name: str, state: str) -> None:
    store.db.execute(
        "UPDATE machines SET state = ? WHERE campaign_id = ? AND name = ?", (state, camp.id, name)
    )


def _snapshot(store: Store, camp: Campaign) -> dict[str, Any]:
    machines = store.db.query(
        "SELECT m.name, m.state, w.name, wm.position FROM machines m "
        "LEFT JOIN wave_members wm ON wm.machine_id = m.id "
        "LEFT JOIN waves w ON w.id = wm.wave_id WHERE m.campaign_id = ? ORDER BY m.name",
        (camp.id,),
    )
    waves = store.db.query(
        "SELECT name, planned_for, description FROM waves WHERE campaign_id = ? ORDER BY id",
        (camp.id,),
    )
    transitions = store.db.query(
        "SELECT m.name, t.from_state, t.to_state, t.stage, t.reason, t.actor FROM transitions t "
        "JOIN machines m ON m.id = t.machine_id WHERE m.campaign_id = ? ORDER BY t.id",
        (camp.id,),
    )
    return {"machines": machines, "waves": waves, "transitions": transitions}


@pytest.fixture
def pair(store: Store) -> tuple[Campaign, Campaign]:
    slow, fast = _fleet(store, "slow"), _fleet(store, "fast")
    for camp in (slow, fast):
        _set_state(store, camp, "pc03", "assessed")
        _set_state(store, camp, "pc04", "failed")
    return slow, fast


def test_mark_assessed_same_end_state(store: Store, pair: tuple[Campaign, Campaign]) -> None:
    slow, fast = pair
    chosen = NAMES[1:9]
    assert store.mark_assessed(slow, chosen, reason="import") == 6
    assert bulk.mark_assessed(store, fast, chosen, reason="import") == 6
    assert _snapshot(store, fast) == _snapshot(store, slow)
    states = {m.name: m.state for m in store.machines(fast)}
    assert states["pc01"] == "assessed" and states["pc04"] == "failed"
    assert states["pc00"] == "discovered"


def test_mark_assessed_unknown_machine_same_error(
    store: Store, pair: tuple[Campaign, Campaign]
) -> None:
    slow, fast = pair
    with pytest.raises(UsageError) as slow_error:
        store.mark_assessed(slow, ["pc01", "ghost"])
    with pytest.raises(UsageError) as fast_error:
        bulk.mark_assessed(store, fast, ["pc01", "ghost"])
    assert str(fast_error.value) == str(slow_error.value).replace("'slow'", "'fast'")
    assert _snapshot(store, fast) == _snapshot(store, slow)


def _plan() -> list[bulk.NewWave]:
    return [
        bulk.NewWave("w1", ["pc05", "pc01", "pc03"], planned_for="2027-01-04", description="a"),
        bulk.NewWave("w2", ["pc04", "pc02"], planned_for="2027-01-11", description="b"),
        bulk.NewWave("w3", [], planned_for=None, description=""),
    ]


def _deletable() -> list[bulk.NewWave]:
    return [
        bulk.NewWave("w1", ["pc05", "pc01", "pc03"]),
        bulk.NewWave("w2", ["pc06", "pc02"]),
        bulk.NewWave("w3", []),
    ]


def test_create_waves_same_end_state(store: Store, pair: tuple[Campaign, Campaign]) -> None:
    slow, fast = pair
    for wave in _plan():
        store.create_wave(
            slow,
            wave.name,
            wave.members,
            planned_for=wave.planned_for,
            description=wave.description,
            actor="plan",
        )
    created = bulk.create_waves(store, fast, _plan(), actor="plan")
    assert [w.name for w in created] == ["w1", "w2", "w3"]
    assert sorted(w.name for w in created) == sorted(w.name for w in store.waves(fast))
    assert _snapshot(store, fast) == _snapshot(store, slow)
    # What a user sees: members in order, the failed machine kept its state.
    w1 = store.wave(fast, "w1")
    assert [m.name for m in store.machines(fast, wave=w1)] == ["pc05", "pc01", "pc03"]
    assert store.machine(fast, "pc04").state == "failed"
    assert store.machine(fast, "pc05").state == "scheduled"


@pytest.mark.parametrize(
    ("waves", "message"),
    [
        ([bulk.NewWave("bad/name")], "invalid wave name"),
        ([bulk.NewWave("w9", ["pc01", "pc01"])], "a machine is listed twice"),
        ([bulk.NewWave("w9", ["pc01", "ghost"])], "unknown machine(s) in campaign"),
        ([bulk.NewWave("w9", ["pc07"])], "already in another wave: pc07 (wave old)"),
        ([bulk.NewWave("old", ["pc08"])], "wave 'old' already exists"),
        (
            [bulk.NewWave("w8", ["pc09"]), bulk.NewWave("w9", ["pc10", "pc09"])],
            "already in another wave: pc09 (wave w8)",
        ),
        ([bulk.NewWave("w8"), bulk.NewWave("w8")], "wave 'w8' already exists"),
    ],
)
def test_create_waves_refusals_write_nothing(
    store: Store, pair: tuple[Campaign, Campaign], waves: list[bulk.NewWave], message: str
) -> None:
    _, fast = pair
    store.create_wave(fast, "old", ["pc07"])
    before = _snapshot(store, fast)
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bulk.create_waves(store, fast, waves)
    assert _snapshot(store, fast) == before


def test_create_waves_matches_slow_path_errors(
    store: Store, pair: tuple[Campaign, Campaign]
) -> None:
    slow, fast = pair
    for camp in pair:
        store.create_wave(camp, "old", ["pc07", "pc08"])
    with pytest.raises(UsageError) as slow_error:
        store.create_wave(slow, "w9", ["pc01", "pc08", "pc07"])
    with pytest.raises(UsageError) as fast_error:
        bulk.create_waves(store, fast, [bulk.NewWave("w9", ["pc01", "pc08", "pc07"])])
    assert str(fast_error.value) == str(slow_error.value)


def test_delete_waves_puts_the_members_back(store: Store, pair: tuple[Campaign, Campaign]) -> None:
    # Store.delete_wave is delete_waves for one wave: expectations, not a comparison.
    _, fast = pair
    bulk.create_waves(store, fast, _deletable(), actor="plan")
    store.create_wave(fast, "manual", ["pc11"])
    before = _snapshot(store, fast)["transitions"]
    store.delete_wave(fast, "w1", actor="plan")
    bulk.delete_waves(store, fast, ["w2", "w3"], actor="plan")
    after = _snapshot(store, fast)
    assert [w.name for w in store.waves(fast)] == ["manual"]
    assert store.machine(fast, "pc05").state == "assessed"
    assert [(n, s, w) for n, s, w, _ in after["machines"] if s != "discovered"] == [
        ("pc01", "assessed", None),
        ("pc02", "assessed", None),
        ("pc03", "assessed", None),
        ("pc04", "failed", None),
        ("pc05", "assessed", None),
        ("pc06", "assessed", None),
        ("pc11", "scheduled", "manual"),
    ]
    assert after["transitions"][len(before) :] == [
        (n, "scheduled", "assessed", None, f"wave {w} deleted", "plan")
        for w, members in (("w1", ["pc05", "pc01", "pc03"]), ("w2", ["pc06", "pc02"]))
        for n in members
    ]


def test_delete_waves_refuses_a_started_wave_and_deletes_nothing(
    store: Store, pair: tuple[Campaign, Campaign]
) -> None:
    _, fast = pair
    bulk.create_waves(store, fast, _deletable(), actor="plan")
    _set_state(store, fast, "pc02", "failed")
    before = _snapshot(store, fast)
    with pytest.raises(StateConflict) as one_error:
        store.delete_wave(fast, "w2")
    with pytest.raises(StateConflict) as fast_error:
        bulk.delete_waves(store, fast, ["w1", "w2"])
    assert str(fast_error.value) == str(one_error.value)
    assert str(one_error.value) == (
        "wave 'w2' has started (pc02 past scheduled); exclude machines instead"
    )
    assert _snapshot(store, fast) == before
    with pytest.raises(UsageError, match="unknown wave 'nope'"):
        bulk.delete_waves(store, fast, ["w1", "nope"])
    assert _snapshot(store, fast) == before


def test_machine_identities_reads_the_facts(store: Store, pair: tuple[Campaign, Campaign]) -> None:
    _, fast = pair
    store.upsert_machines(fast, [MachineRecord("bare", facts={"deviceid": "d-bare"})])
    found = bulk.machine_identities(store, fast)
    assert found[0] == ("bare", "", "", "d-bare")
    assert found[1] == ("pc00", "k-pc00", "u-pc00", "")
    assert len(found) == len(NAMES) + 1


def test_upsert_assessed_same_end_state(store: Store, pair: tuple[Campaign, Campaign]) -> None:
    slow, fast = pair
    for camp in pair:
        store.create_wave(camp, "old", ["pc07"])
    records = [
        MachineRecord(n, site="paris", facts={"key": f"k2-{n}"}, vars={"v": 1})
        for n in ["new1", "pc00", "pc03", "pc04", "pc07", "new0"]
    ]
    assert store.upsert_machines(slow, records) == 6
    store.mark_assessed(slow, [r.name for r in records], reason="fleet import")
    assert bulk.upsert_assessed(store, fast, records, reason="fleet import") == 6
    assert _snapshot(store, fast) == _snapshot(store, slow)
    for name in ("new1", "pc07"):
        slow_m, fast_m = store.machine(slow, name), store.machine(fast, name)
        assert (fast_m.site, fast_m.facts, fast_m.vars, fast_m.state, fast_m.wave) == (
            slow_m.site,
            slow_m.facts,
            slow_m.vars,
            slow_m.state,
            slow_m.wave,
        )
    assert store.machine(fast, "pc07").state == "scheduled"
    assert store.machine(fast, "new0").state == "assessed"


@pytest.mark.parametrize(
    ("names", "message"),
    [(["new1", "new1"], "appears twice"), (["new1", " pc00"], "invalid machine name")],
)
def test_upsert_assessed_refusals_write_nothing(
    store: Store, pair: tuple[Campaign, Campaign], names: list[str], message: str
) -> None:
    _, fast = pair
    before = _snapshot(store, fast)
    with pytest.raises(UsageError, match=message):
        bulk.upsert_assessed(store, fast, [MachineRecord(n) for n in names])
    assert _snapshot(store, fast) == before


def test_upsert_assessed_without_vars_keeps_the_machines_vars(
    store: Store, pair: tuple[Campaign, Campaign]
) -> None:
    _, fast = pair
    store.set_vars(fast, "pc03", {"sovmigrate_mac": "52:54:00:00:00:03"})
    bulk.upsert_assessed(store, fast, [MachineRecord("pc03", facts={"key": "k-new"})])
    machine = store.machine(fast, "pc03")
    assert machine.facts == {"key": "k-new"}
    assert machine.vars == {"sovmigrate_mac": "52:54:00:00:00:03"}


@pytest.mark.parametrize("others", [2, 40])
def test_machine_summaries_in_name_order(store: Store, others: int) -> None:
    """Read through the campaign's index or, in SQLite when the campaign holds most of the
    store, the whole table sorted in Python: the same rows in the same order either way."""
    names = ["pc10", "pc9", "Zeta", "alpha", "été", "Ämter", "pc-ü", "日本", "a b", "pc1"]
    camp = store.campaign("main", create=True)
    store.upsert_machines(camp, [MachineRecord(n, summary=f"[{n!r}]") for n in names])
    other = store.campaign("other", create=True)
    store.upsert_machines(other, [MachineRecord(f"o{i}") for i in range(others)])
    store.create_wave(camp, "w", ["été", "pc9"])
    expected = store.db.query(
        "SELECT m.name, m.state, w.name, m.summary FROM machines m "
        "LEFT JOIN wave_members wm ON wm.machine_id = m.id "
        "LEFT JOIN waves w ON w.id = wm.wave_id WHERE m.campaign_id = ? ORDER BY m.name",
        (camp.id,),
    )
    got = bulk.machine_summaries(store, camp)
    assert [tuple(r) for r in got] == [tuple(r) for r in expected]
    assert ("pc9", "scheduled", "w", "['pc9']") in got
