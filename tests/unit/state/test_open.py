"""Opening a state database: corrupt, newer, locked, all refused in one line and untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sovmigrate.errors import StateConflict, UsageError
from sovmigrate.state import open_store
from sovmigrate.state.schema import CURRENT_VERSION


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def test_corrupt_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.write_bytes(b"not a database\n" * 500)
    before = path.read_bytes()
    with pytest.raises(StateConflict, match="not a usable sovmigrate state database"):
        open_store(path).__enter__()
    assert path.read_bytes() == before


def test_newer_schema_is_refused_untouched(store_url: str) -> None:
    with open_store(store_url) as store:
        store.campaign("c", create=True)
        store.db.execute(
            "INSERT INTO schema_version (version, at) VALUES (?, 'x')", (CURRENT_VERSION + 1,)
        )
        before = store.db.query("SELECT * FROM campaigns")
    with pytest.raises(StateConflict, match="newer than this sovmigrate"):
        open_store(store_url).__enter__()
    with pytest.raises(StateConflict):
        open_store(store_url).__enter__()
    import contextlib

    from sovmigrate.state.backend import connect

    backend = connect(store_url)
    with contextlib.closing(backend.conn):
        assert backend.query("SELECT * FROM campaigns") == before


def test_locked_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.db"
    with open_store(path) as store:
        store.campaign("c", create=True)
    before = _dump(path)
    monkeypatch.setenv("SOVMIGRATE_DB_BUSY_TIMEOUT_MS", "200")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with (
            pytest.raises(StateConflict, match="locked by another process") as err,
            open_store(path) as store,
        ):
            store.campaign("d", create=True)
        assert "\n" not in str(err.value)
    finally:
        holder.rollback()
        holder.close()
    assert _dump(path) == before


def test_missing_directory_and_bad_url(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        open_store(tmp_path / "no" / "state.db").__enter__()
    with pytest.raises(UsageError, match="unsupported"):
        open_store("mysql://x/y").__enter__()


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    with open_store(path) as store:
        assert store.db.one("SELECT max(version) FROM schema_version") == (CURRENT_VERSION,)
        assert store.db.one("PRAGMA journal_mode") == ("wal",)
    with open_store(path) as store:  # reopening migrates nothing twice
        versions = store.db.query("SELECT version FROM schema_version ORDER BY version")
        assert versions == [(v,) for v in range(1, CURRENT_VERSION + 1)]


def test_a_version_1_database_is_upgraded_with_its_machines(tmp_path: Path) -> None:
    """A store written before schema version 2 (summary column, facts in their own table)
    keeps its machines and their facts; the summary is NULL, so the planner reads the facts."""
    from sovmigrate.state.backend import connect
    from sovmigrate.state.schema import MIGRATIONS

    path = tmp_path / "state.db"
    old = connect(str(path))
    with old.transaction():
        old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, at TEXT)")
        for statement in MIGRATIONS[0](old):
            old.execute(statement)
        old.execute("INSERT INTO schema_version (version, at) VALUES (1, 'then')")
        old.execute("INSERT INTO campaigns (name, created_at) VALUES ('c', 'then')")
        old.execute(
            "INSERT INTO machines (campaign_id, name, facts, updated_at) "
            "VALUES (1, 'PC-1', '{\"key\": \"k1\"}', 'then')"
        )
    old.close()
    with open_store(path) as store:
        rows = store.db.query(
            "SELECT m.name, f.facts, m.summary FROM machines m "
            "JOIN machine_facts f ON f.machine_id = m.id"
        )
        assert rows == [("PC-1", '{"key": "k1"}', None)]
        assert store.machines(store.campaign("c"))[0].facts == {"key": "k1"}
