"""Secondary indexes made again after a bulk write instead of kept up to date row by row.

An import of 80,000 machines into a new SQLite store inserts 80,000 entries into each index
of ``machines`` and ``transitions``, a plan's scheduling moves 75,000 of them in
``machines_state`` and adds 75,000 to ``transitions_machine``, in no useful order: one B-tree
descent per entry. Dropped at the start of the write and created at its end (one sort), the
import's SQL took 1.77 s instead of 2.27 s, the plan's wave writes 0.92 s instead of 1.30 s
(the same rows, measured on copies of one store). Both happen in the caller's transaction:
readers keep seeing the indexes until it commits, and a rollback (an error, a crash) brings
them back as they were.

Only where the write touches a good part of the table: making an index again reads the whole
table, every campaign's rows. PostgreSQL keeps its indexes (not measured there).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress

from sovmigrate.state.store import Store

# Each index that a bulk write may make again: its table and its definition, as the
# migrations left it (``state/schema.py``; tests/unit/state/test_indexes.py compares them
# with a new database's).
INDEXES: dict[str, tuple[str, str]] = {
    "machines_state": ("machines", "CREATE INDEX machines_state ON machines (campaign_id, state)"),
    "transitions_machine": (
        "transitions",
        "CREATE INDEX transitions_machine ON transitions (machine_id, id)",
    ),
}
# Under this many rows written, keeping the indexes up to date costs a few milliseconds.
MIN_ROWS = 1000
# Made again when the rows written are at least this share of the table's: an entry kept up
# to date costs ~2.4 us, a row read and sorted to make the index again ~0.35 us (SQLite, 80,000
# machines and as many transitions: 0.05 s for both indexes).
SHARE = 0.25


def _table_rows(store: Store, table: str) -> int:
    """The table's highest rowid: its number of rows or more (rows are deleted seldom), read
    from the end of the B-tree instead of counting it."""
    row = store.db.one(f"SELECT max(rowid) FROM {table}")  # a table named in INDEXES
    return int(row[0]) if row and row[0] is not None else 0


@contextmanager
def rebuilt(store: Store, writes: Mapping[str, int]) -> Iterator[None]:
    """Around a bulk write in the caller's transaction: ``writes`` maps each table to the rows
    the write will add or change; the indexes of ``INDEXES`` on a table where that is a good
    part of its rows are dropped during the write and created again after it."""
    if store.kind != "sqlite" or not store.db.depth:
        yield
        return
    dropped = [
        (name, create)
        for name, (table, create) in INDEXES.items()
        if writes.get(table, 0) >= MIN_ROWS and writes[table] >= SHARE * _table_rows(store, table)
    ]
    for name, _ in dropped:
        store.db.execute(f"DROP INDEX {name}")
    try:
        yield
    except BaseException:
        # The transaction is about to roll back, which restores them; made again all the same
        # in case a caller catches the error and commits what it has.
        with suppress(Exception):
            for _, create in dropped:
                store.db.execute(create)
        raise
    for _, create in dropped:
        store.db.execute(create)
