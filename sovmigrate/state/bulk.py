"""Set-based store operations for fleets of tens of thousands of machines.

The ``Store`` methods ``mark_assessed`` and ``create_wave`` look machines up
through ``Store.machines``, which decodes every machine's facts and vars JSON; called for 80,000
machines and ~2,700 waves that decoding was most of the fleet import's and the planner's time.
These functions reach the same end state (same rows, same transitions, same errors with the
same messages) from light queries that never read the facts column, and write with one
``executemany`` per table. Each runs in the store's transaction (joining an outer one).
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sovmigrate.errors import StateConflict, UsageError
from sovmigrate.state import indexes
from sovmigrate.state.models import Campaign, MachineRecord, Wave
from sovmigrate.state.store import MachineRow, Store, machine_rows, utcnow, write_facts

# States from which joining a wave schedules a machine (as in Store._add_members).
_SCHEDULABLE = ("discovered", "assessed")
# Parameters per IN (...) list: well under SQLite's and PostgreSQL's limits.
_CHUNK = 500


@dataclass(frozen=True)
class NewWave:
    """A wave to create with ``create_waves``: members in their order in the wave."""

    name: str
    members: Sequence[str] = ()
    planned_for: str | None = None
    description: str = ""


@dataclass
class _Row:
    id: int
    name: str
    state: str
    wave: str | None


def _light(store: Store, campaign: Campaign) -> dict[str, _Row]:
    """Every machine of the campaign by name: id, state and wave, no JSON decoded."""
    rows = store.db.query(
        "SELECT m.id, m.name, m.state, w.name FROM machines m "
        "LEFT JOIN wave_members wm ON wm.machine_id = m.id "
        "LEFT JOIN waves w ON w.id = wm.wave_id WHERE m.campaign_id = ?",
        (campaign.id,),
    )
    return {r[1]: _Row(int(r[0]), r[1], r[2], r[3]) for r in rows}


def _unknown(campaign: Campaign, missing: list[str]) -> UsageError:
    # The wording of Store.machines(names=...), so callers see the same message either way.
    return UsageError(
        f"unknown machine(s) in campaign {campaign.name!r}: {', '.join(missing[:10])}"
        + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
    )


def _chunks(items: Sequence[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])


def machine_identities(store: Store, campaign: Campaign) -> list[tuple[str, str, str, str]]:
    """(name, facts key, facts uuid, facts deviceid) of every machine, '' where absent.

    The database extracts the three fields, so a re-import does not decode 80,000 facts.
    """
    if store.kind == "sqlite":
        fields = "json_extract(facts, '$.key'), json_extract(facts, '$.uuid'), " + (
            "json_extract(facts, '$.deviceid')"
        )
        facts = "x.facts"
    else:
        fields = "f ->> 'key', f ->> 'uuid', f ->> 'deviceid'"
        facts = "x.facts::jsonb AS f"
    rows = store.db.query(
        f"SELECT name, {fields} FROM (SELECT m.name, {facts} FROM machines m "
        "LEFT JOIN machine_facts x ON x.machine_id = m.id WHERE m.campaign_id = ?) AS t "
        "ORDER BY name",
        (campaign.id,),
    )
    return [(r[0], _str(r[1]), _str(r[2]), _str(r[3])) for r in rows]


def machine_summaries(
    store: Store, campaign: Campaign
) -> list[tuple[str, str, str | None, str | None]]:
    """(name, state, wave, summary JSON or None) of every machine, by name; no facts read."""
    select = (
        "SELECT m.name, m.state, w.name, m.summary FROM machines m "
        "LEFT JOIN wave_members wm ON wm.machine_id = m.id "
        "LEFT JOIN waves w ON w.id = wm.wave_id WHERE "
    )
    if not _most_of_the_store(store, campaign):
        rows = store.db.query(f"{select}m.campaign_id = ? ORDER BY m.name", (campaign.id,))
        return [(r[0], r[1], r[2], r[3]) for r in rows]
    # The table read in its own order (``+`` keeps SQLite off the campaign's indexes) and
    # sorted here: in name order through the index, each row is a B-tree descent of its own
    # (80,000 machines, in turns: 0.17-0.20 s of CPU instead of 0.26-0.32 s). The same order:
    # SQLite compares text as UTF-8 bytes, which sort as Python's code points do.
    rows = store.db.query(f"{select}+m.campaign_id = ?", (campaign.id,))
    rows.sort(key=_first)
    return rows  # sqlite3 gives each row as a tuple: no copy


_first = operator.itemgetter(0)


def _most_of_the_store(store: Store, campaign: Campaign) -> bool:
    """Whether the campaign holds most of a SQLite store's machines, so that reading the whole
    table costs less than finding the campaign's rows through an index."""
    if store.kind != "sqlite":
        return False
    row = store.db.one(
        "SELECT count(*), (SELECT max(rowid) FROM machines) FROM machines WHERE campaign_id = ?",
        (campaign.id,),
    )
    return bool(row and row[0] and 2 * row[0] >= (row[1] or 0))


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def mark_assessed(
    store: Store, campaign: Campaign, names: Sequence[str], *, reason: str = ""
) -> int:
    """discovered -> assessed for the named machines; same end state as ``Store.mark_assessed``."""
    machines = _light(store, campaign)
    missing = [n for n in names if n not in machines]
    if missing:
        raise _unknown(campaign, missing)
    ids = [machines[n].id for n in names if machines[n].state == "discovered"]
    now = utcnow()
    with store.db.transaction():
        store.db.executemany(
            "UPDATE machines SET state = 'assessed', updated_at = ? WHERE id = ? "
            "AND state = 'discovered'",
            [(now, i) for i in ids],
        )
        store.db.executemany(
            "INSERT INTO transitions (machine_id, from_state, to_state, stage, reason, actor, "
            "at) VALUES (?, 'discovered', 'assessed', NULL, ?, 'assess', ?)",
            [(i, reason, now) for i in ids],
        )
    return len(ids)


def delete_waves(
    store: Store, campaign: Campaign, names: Sequence[str], *, actor: str = ""
) -> None:
    """Drop waves that have not started (re-planning), in that order, with a few set-based
    statements; their machines go back to ``assessed``. ``Store.delete_wave`` is this for one.

    All or nothing: a wave that has started (a member past ``scheduled``) refuses the whole call
    with the message ``delete_wave`` gives, and nothing is deleted.
    """
    if not names:
        return
    waves = {
        r[1]: int(r[0])
        for r in store.db.query("SELECT id, name FROM waves WHERE campaign_id = ?", (campaign.id,))
    }
    for name in names:
        if name not in waves:
            raise UsageError(f"unknown wave {name!r} in campaign {campaign.name!r}")
    wanted = {waves[n]: n for n in names}
    members: dict[str, list[tuple[int, str, str]]] = {n: [] for n in names}
    rows = store.db.query(
        "SELECT wm.wave_id, m.id, m.name, m.state FROM wave_members wm "
        "JOIN machines m ON m.id = wm.machine_id JOIN waves w ON w.id = wm.wave_id "
        "WHERE w.campaign_id = ? ORDER BY wm.wave_id, wm.position, m.name",
        (campaign.id,),
    )
    for wave_id, machine_id, machine, state in rows:
        wave = wanted.get(int(wave_id))
        if wave is not None:
            members[wave].append((int(machine_id), machine, state))
    for name in names:
        started = [m for _, m, state in members[name] if state != "scheduled"]
        if started:
            raise StateConflict(
                f"wave {name!r} has started ({', '.join(started[:5])} past scheduled); "
                "exclude machines instead"
            )
    now = utcnow()
    moved = sum(len(members[n]) for n in names)
    with store.db.transaction(), indexes.rebuilt(store, {"machines": moved, "transitions": moved}):
        store.db.executemany(
            "INSERT INTO transitions (machine_id, from_state, to_state, stage, reason, actor, "
            "at) VALUES (?, 'scheduled', 'assessed', NULL, ?, ?, ?)",
            [(i, f"wave {n} deleted", actor, now) for n in names for i, _, _ in members[n]],
        )
        store.db.executemany(
            "UPDATE machines SET state = 'assessed', updated_at = ? WHERE id = ?",
            [(now, i) for n in names for i, _, _ in members[n]],
        )
        ids = [waves[n] for n in names]
        for chunk in _chunks(ids):
            marks = ", ".join("?" * len(chunk))
            store.db.execute(f"DELETE FROM wave_members WHERE wave_id IN ({marks})", chunk)
            store.db.execute(f"DELETE FROM waves WHERE id IN ({marks})", chunk)


def create_waves(
    store: Store, campaign: Campaign, waves: Sequence[NewWave], *, actor: str = ""
) -> list[Wave]:
    """``Store.create_wave`` for each wave, in order, in one transaction; the same checks.

    One query reads every machine's id, state and wave; each table is written with one
    ``executemany``. Any refusal (bad or taken wave name, unknown machine, a machine listed
    twice or already in another wave, including an earlier wave of the same call) writes
    nothing.
    """
    if not waves:
        return []
    existing = {
        r[0] for r in store.db.query("SELECT name FROM waves WHERE campaign_id = ?", (campaign.id,))
    }
    machines = _light(store, campaign)
    assigned: dict[str, str] = {}  # machine -> wave given earlier in this call
    for wave in waves:
        name = wave.name
        if not name or name != name.strip() or "/" in name:
            raise UsageError(f"invalid wave name {name!r}")
        if name in existing:
            raise UsageError(f"wave {name!r} already exists in campaign {campaign.name!r}")
        existing.add(name)
        members = list(wave.members)
        if len(set(members)) != len(members):
            raise UsageError("a machine is listed twice")
        missing = [n for n in members if n not in machines]
        if missing:
            raise _unknown(campaign, missing)
        taken = [
            (n, machines[n].wave or assigned[n])
            for n in members
            if machines[n].wave is not None or n in assigned
        ]
        if taken:
            shown = ", ".join(f"{n} (wave {w})" for n, w in taken[:5])
            raise UsageError(f"machine(s) already in another wave: {shown}")
        for n in members:
            assigned[n] = name
    now = utcnow()
    with store.db.transaction():
        store.db.executemany(
            "INSERT INTO waves (campaign_id, name, planned_for, description, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(campaign.id, w.name, w.planned_for, w.description, now) for w in waves],
        )
        rows = store.db.query(
            "SELECT id, campaign_id, name, planned_for, description, created_at FROM waves "
            "WHERE campaign_id = ?",
            (campaign.id,),
        )
        created = {r[2]: Wave(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5]) for r in rows}
        result = [created[w.name] for w in waves]
        members_rows = [
            (machines[n].id, stored.id, position)
            for wave, stored in zip(waves, result, strict=True)
            for position, n in enumerate(wave.members, start=1)
        ]
        # In key order: appending to the B-trees is cheaper than inserting at random places.
        members_rows.sort()
        store.db.executemany(
            "INSERT INTO wave_members (machine_id, wave_id, position) VALUES (?, ?, ?)",
            members_rows,
        )
        _schedule(store, [w.id for w in result], len(members_rows), actor, now)
    return result


def _schedule(store: Store, waves: list[int], members: int, actor: str, now: str) -> None:
    """The members of new waves ``scheduled``, with their transitions (``create_waves``)."""
    with indexes.rebuilt(store, {"machines": members, "transitions": members}):
        # Set-based, in the database: per-row statements for 80,000 machines cost seconds.
        # The transitions first, as they read the state the update changes.
        schedulable = ", ".join(f"'{s}'" for s in _SCHEDULABLE)
        for chunk in _chunks(waves):
            marks = ", ".join("?" * len(chunk))
            store.db.execute(
                "INSERT INTO transitions (machine_id, from_state, to_state, stage, reason, actor, "
                "at) SELECT m.id, m.state, 'scheduled', NULL, 'added to wave ' || w.name, ?, ? "
                "FROM wave_members wm JOIN machines m ON m.id = wm.machine_id "
                f"JOIN waves w ON w.id = wm.wave_id WHERE wm.wave_id IN ({marks}) "
                f"AND m.state IN ({schedulable}) ORDER BY wm.wave_id, wm.position",
                [actor, now, *chunk],
            )
            store.db.execute(
                f"UPDATE machines SET state = 'scheduled', updated_at = ? WHERE state IN "
                f"({schedulable}) AND id IN (SELECT machine_id FROM wave_members "
                f"WHERE wave_id IN ({marks}))",
                [now, *chunk],
            )


def upsert_assessed(
    store: Store, campaign: Campaign, records: Sequence[MachineRecord], *, reason: str = ""
) -> int:
    """``Store.upsert_machines`` then ``Store.mark_assessed`` of the same machines, in one pass.

    A new machine is inserted as ``assessed`` (with its discovered -> assessed transition)
    instead of being written and then rewritten: the second write of 80,000 rows carrying
    their facts JSON cost as much as the first. Known machines keep their state, wave and
    history as in ``upsert_machines``; those still ``discovered`` become ``assessed``. A record
    without host variables (GLPI and CSV inventories carry none) keeps the machine's, set with
    ``machine vars``.
    """
    now = utcnow()
    return upsert_assessed_rows(store, campaign, machine_rows(campaign, records, now), now, reason)


def upsert_assessed_rows(
    store: Store, campaign: Campaign, rows: Sequence[MachineRow], now: str, reason: str
) -> int:
    """``upsert_assessed`` of rows already validated (``store.machine_rows``,
    ``store.encoded_rows``), made at ``now``."""
    with store.db.transaction():
        before = _light(store, campaign)
        names = [r.machine[1] for r in rows]
        moved = [n for n in names if n not in before or before[n].state == "discovered"]
        with indexes.rebuilt(store, {"machines": len(rows), "transitions": len(moved)}):
            store.db.executemany(
                "INSERT INTO machines (campaign_id, name, site, vars, updated_at, summary, "
                "state) VALUES (?, ?, ?, ?, ?, ?, 'assessed') ON CONFLICT (campaign_id, name) DO "
                "UPDATE SET site = excluded.site, vars = CASE WHEN "
                "excluded.vars = '{}' THEN machines.vars ELSE excluded.vars END, "
                "updated_at = excluded.updated_at, summary = excluded.summary, "
                "state = CASE WHEN machines.state = 'discovered' THEN 'assessed' "
                "ELSE machines.state END",
                [r.machine for r in rows],
            )
            ids = write_facts(store, rows)
            store.db.executemany(
                "INSERT INTO transitions (machine_id, from_state, to_state, stage, reason, "
                "actor, at) VALUES (?, 'discovered', 'assessed', NULL, ?, 'assess', ?)",
                [(ids[n], reason, now) for n in moved],
            )
    return len(rows)
