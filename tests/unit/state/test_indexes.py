"""Indexes dropped during a bulk write and made again (state/indexes.py), and schema v4."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovmigrate.state import MachineRecord, Store, bulk, open_store
from sovmigrate.state.backend import connect
from sovmigrate.state.indexes import INDEXES, MIN_ROWS
from sovmigrate.state.schema import MIGRATIONS

MANY = MIN_ROWS + 200


def _indexes(store: Store) -> dict[str, str]:
    rows = store.db.query("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
    return {r[0]: r[1] for r in rows if r[1] is not None}


def _records(count: int, prefix: str = "pc") -> list[MachineRecord]:
    return [
        MachineRecord(f"{prefix}{i:05d}", site="lyon", facts={"key": f"k-{prefix}{i}"})
        for i in range(count)
    ]


def test_the_definitions_are_those_of_a_new_database(tmp_path: Path) -> None:
    with open_store(tmp_path / "state.db") as store:
        made = _indexes(store)
    for name, (_table, create) in INDEXES.items():
        assert " ".join(made[name].split()) == create


def test_a_bulk_import_and_plan_leave_every_index(tmp_path: Path) -> None:
    with open_store(tmp_path / "state.db") as store:
        before = _indexes(store)
        camp = store.campaign("c", create=True)
        bulk.upsert_assessed(store, camp, _records(MANY), reason="fleet import")
        assert _indexes(store) == before
        names = [f"pc{i:05d}" for i in range(MANY)]
        bulk.create_waves(
            store, camp, [bulk.NewWave("w1", names[:700]), bulk.NewWave("w2", names[700:])]
        )
        assert _indexes(store) == before
        bulk.delete_waves(store, camp, ["w1", "w2"])
        assert _indexes(store) == before
        assert store.count_machines(camp) == {"assessed": MANY}
        # The planner uses them again: the state index answers the count by state.
        plan = store.db.query(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM machines WHERE campaign_id = ? AND state = ?",
            (camp.id, "assessed"),
        )
        assert any("machines_state" in str(row) for row in plan)


def test_a_failed_bulk_write_rolls_back_with_its_indexes(tmp_path: Path) -> None:
    with open_store(tmp_path / "state.db") as store:
        before = _indexes(store)
        camp = store.campaign("c", create=True)
        records = _records(MANY)

        class Boom(Exception):
            pass

        def fail(*_args: object) -> None:  # after the machines' rows, indexes dropped
            raise Boom

        original = bulk.write_facts
        bulk.write_facts = fail  # type: ignore[assignment]
        try:
            with pytest.raises(Boom):
                bulk.upsert_assessed(store, camp, records)
        finally:
            bulk.write_facts = original  # type: ignore[assignment]
        assert _indexes(store) == before
        assert store.count_machines(camp) == {}


def test_a_small_write_keeps_the_indexes_in_place(tmp_path: Path) -> None:
    with open_store(tmp_path / "state.db") as store:
        camp = store.campaign("c", create=True)
        seen: list[str] = []
        store.db.conn.set_trace_callback(seen.append)
        bulk.upsert_assessed(store, camp, _records(10))
        store.db.conn.set_trace_callback(None)
    assert not [s for s in seen if "INDEX" in s]


def test_a_version_3_database_is_upgraded_with_its_facts_and_waves(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    old = connect(str(path))
    with old.transaction():
        old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, at TEXT)")
        for number, migration in enumerate(MIGRATIONS[:3], start=1):
            for statement in migration(old):
                old.execute(statement)
            old.execute("INSERT INTO schema_version (version, at) VALUES (?, 'then')", (number,))
        old.execute("INSERT INTO campaigns (name, created_at) VALUES ('c', 'then')")
        for i in (1, 2):
            old.execute(
                "INSERT INTO machines (campaign_id, name, updated_at, summary) "
                "VALUES (1, ?, 'then', NULL)",
                (f"PC-{i}",),
            )
            old.execute(
                "INSERT INTO machine_facts (machine_id, facts) VALUES (?, ?)",
                (i, f'{{"key": "k{i}"}}'),
            )
        old.execute("INSERT INTO waves (campaign_id, name, created_at) VALUES (1, 'w', 'then')")
        old.execute("INSERT INTO wave_members (machine_id, wave_id, position) VALUES (2, 1, 1)")
    old.close()
    with open_store(path) as store:
        camp = store.campaign("c")
        machines = store.machines(camp)
        assert [(m.name, m.facts, m.wave) for m in machines] == [
            ("PC-1", {"key": "k1"}, None),
            ("PC-2", {"key": "k2"}, "w"),
        ]
        # The keys are the tables' rowids now: no separate index for them.
        assert not [n for n in _indexes(store) if n.startswith("sqlite_autoindex_machine_facts")]
        assert "wave_members_wave" in _indexes(store)
        columns = store.db.query("PRAGMA table_info(wave_members)")
        assert [(c[1], c[2], c[5]) for c in columns] == [
            ("machine_id", "INTEGER", 1),
            ("wave_id", "BIGINT", 0),
            ("position", "INTEGER", 0),
        ]
