"""Store fixtures of the unit tests: every store test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sovmigrate.state import Campaign, MachineRecord, Store, open_store
from sovmigrate.state.pgtest import shared_database


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    return shared_database()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with open_store(store_url) as opened:
        yield opened


@pytest.fixture
def campaign(store: Store) -> Campaign:
    camp = store.campaign("cnam-2026", create=True)
    store.upsert_machines(
        camp, [MachineRecord(f"pc{i}", site="lyon", facts={"ram_gb": 8}) for i in range(1, 6)]
    )
    return camp
