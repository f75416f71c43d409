"""The state store: campaigns, machines, waves. Stage runs and verifications are in ``runs.py``.

Every write is one transaction; a rejected input leaves the database exactly as it was.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sovmigrate.errors import UsageError
from sovmigrate.state.backend import Backend, connect
from sovmigrate.state.models import Campaign, Machine, MachineRecord, Wave
from sovmigrate.state.pipeline_states import STOPPED_STATES
from sovmigrate.state.runs import RunsMixin
from sovmigrate.state.schema import migrate

_MACHINE_COLUMNS = (
    "m.id, m.campaign_id, m.name, m.site, COALESCE(f.facts, '{}'), m.vars, m.state, "
    "m.failed_stage, m.resume_state, m.updated_at, w.name"
)
_MACHINE_FROM = (
    "machines m LEFT JOIN machine_facts f ON f.machine_id = m.id "
    "LEFT JOIN wave_members wm ON wm.machine_id = m.id LEFT JOIN waves w ON w.id = wm.wave_id"
)
_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# States from which joining a wave schedules a machine.
_SCHEDULABLE = ("discovered", "assessed")


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _machine(row: Sequence[Any]) -> Machine:
    return Machine(
        id=int(row[0]),
        campaign_id=int(row[1]),
        name=row[2],
        site=row[3],
        facts=json.loads(row[4]),
        vars=json.loads(row[5]),
        state=row[6],
        failed_stage=row[7],
        resume_state=row[8],
        updated_at=row[9],
        wave=row[10],
    )


class Store(RunsMixin):
    """One open state database. Use ``open_store`` rather than building it directly."""

    def __init__(self, backend: Backend) -> None:
        self.db = backend

    @property
    def kind(self) -> str:
        return self.db.kind

    # -- campaigns -----------------------------------------------------------------------------
    def campaign(self, name: str, *, create: bool = False) -> Campaign:
        if not name or not name.strip():
            raise UsageError("a campaign name cannot be empty")
        row = self.db.one("SELECT id, name, created_at FROM campaigns WHERE name = ?", (name,))
        if row is None and create:
            with self.db.transaction():
                self.db.execute(
                    "INSERT INTO campaigns (name, created_at) VALUES (?, ?) "
                    "ON CONFLICT (name) DO NOTHING",
                    (name, utcnow()),
                )
            row = self.db.one("SELECT id, name, created_at FROM campaigns WHERE name = ?", (name,))
        if row is None:
            known = ", ".join(c.name for c in self.campaigns()) or "none"
            raise UsageError(f"unknown campaign {name!r} (known: {known})")
        return Campaign(int(row[0]), row[1], row[2])

    def campaigns(self) -> list[Campaign]:
        rows = self.db.query("SELECT id, name, created_at FROM campaigns ORDER BY name")
        return [Campaign(int(r[0]), r[1], r[2]) for r in rows]

    # -- machines ------------------------------------------------------------------------------
    def upsert_machines(self, campaign: Campaign, records: Iterable[MachineRecord]) -> int:
        """Insert or update machines by name, in one transaction. Returns how many were given.

        State, wave and history are kept on update: a re-import refreshes facts, never progress.
        """
        now = utcnow()
        rows = machine_rows(campaign, records, now)
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO machines (campaign_id, name, site, vars, updated_at, summary) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, name) DO UPDATE SET "
                "site = excluded.site, vars = excluded.vars, updated_at = excluded.updated_at, "
                "summary = excluded.summary",
                [r.machine for r in rows],
            )
            write_facts(self, rows)
        return len(rows)

    def set_vars(
        self,
        campaign: Campaign,
        name: str,
        values: dict[str, Any],
        unset: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Set and remove a machine's Ansible host variables; returns them all.

        For what no inventory tells (``ansible_host``, ``sovmigrate_mac`` for the PXE
        reinstaller). A fleet re-import keeps them.
        """
        for key in [*values, *unset]:
            if not _VAR_NAME.fullmatch(key):
                raise UsageError(f"{key!r} is not an Ansible variable name")
        with self.db.transaction():
            machine = self.machine(campaign, name)
            merged = {k: v for k, v in machine.vars.items() if k not in unset} | values
            self.db.execute(
                "UPDATE machines SET vars = ?, updated_at = ? WHERE id = ?",
                (json.dumps(merged, sort_keys=True, default=str), utcnow(), machine.id),
            )
        return merged

    def machines(
        self,
        campaign: Campaign,
        *,
        names: Sequence[str] | None = None,
        site: str | None = None,
        state: str | None = None,
        wave: Wave | None = None,
    ) -> list[Machine]:
        where = ["m.campaign_id = ?"]
        params: list[Any] = [campaign.id]
        for column, value in (("m.site", site), ("m.state", state)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if wave is not None:
            where.append("wm.wave_id = ?")
            params.append(wave.id)
        order = "wm.position, m.name" if wave is not None else "m.name"
        sql = f"SELECT {_MACHINE_COLUMNS} FROM {_MACHINE_FROM} WHERE {' AND '.join(where)}"
        if names is None:
            return [_machine(r) for r in self.db.query(f"{sql} ORDER BY {order}", params)]
        found: list[Machine] = []
        # Chunks keep a lookup of a few names fast in a campaign of 80,000 machines.
        for start in range(0, len(names), 500):
            chunk = list(names[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            rows = self.db.query(f"{sql} AND m.name IN ({marks})", [*params, *chunk])
            found.extend(_machine(r) for r in rows)
        by_name = {m.name: m for m in found}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise UsageError(
                f"unknown machine(s) in campaign {campaign.name!r}: {', '.join(missing[:10])}"
                + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
            )
        return [by_name[n] for n in names]

    def machine(self, campaign: Campaign, name: str) -> Machine:
        return self.machines(campaign, names=[name])[0]

    def machine_by_id(self, machine_id: int) -> Machine:
        row = self.db.one(
            f"SELECT {_MACHINE_COLUMNS} FROM {_MACHINE_FROM} WHERE m.id = ?", (machine_id,)
        )
        if row is None:
            raise UsageError(f"unknown machine id {machine_id}")
        return _machine(row)

    def machines_named(self, name: str) -> list[Machine]:
        """A machine name across every campaign (``history`` does not need the campaign)."""
        rows = self.db.query(
            f"SELECT {_MACHINE_COLUMNS} FROM {_MACHINE_FROM} WHERE m.name = ? ORDER BY m.id",
            (name,),
        )
        return [_machine(r) for r in rows]

    def count_machines(self, campaign: Campaign) -> dict[str, int]:
        rows = self.db.query(
            "SELECT state, count(*) FROM machines WHERE campaign_id = ? GROUP BY state",
            (campaign.id,),
        )
        return {r[0]: int(r[1]) for r in rows}

    # -- waves ---------------------------------------------------------------------------------
    def create_wave(
        self,
        campaign: Campaign,
        name: str,
        members: Sequence[str] = (),
        *,
        planned_for: str | None = None,
        description: str = "",
        actor: str = "",
    ) -> Wave:
        """Create a wave and schedule its members, all in one transaction."""
        if not name or name != name.strip() or "/" in name:
            raise UsageError(f"invalid wave name {name!r}")
        if self.db.one(
            "SELECT 1 FROM waves WHERE campaign_id = ? AND name = ?", (campaign.id, name)
        ):
            raise UsageError(f"wave {name!r} already exists in campaign {campaign.name!r}")
        with self.db.transaction():
            self.db.execute(
                "INSERT INTO waves (campaign_id, name, planned_for, description, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (campaign.id, name, planned_for, description, utcnow()),
            )
            wave = self.wave(campaign, name)
            self._add_members(campaign, wave, members, actor)
        return wave

    def add_to_wave(
        self, campaign: Campaign, wave: Wave, names: Sequence[str], *, actor: str = ""
    ) -> list[Machine]:
        if wave.campaign_id != campaign.id:
            raise UsageError(f"wave {wave.name!r} is not in campaign {campaign.name!r}")
        with self.db.transaction():
            self._add_members(campaign, wave, names, actor)
        return self.machines(campaign, names=list(names))

    def _add_members(
        self, campaign: Campaign, wave: Wave, names: Sequence[str], actor: str
    ) -> None:
        if len(set(names)) != len(names):
            raise UsageError("a machine is listed twice")
        machines = self.machines(campaign, names=list(names))
        taken = [m for m in machines if m.wave is not None and m.wave != wave.name]
        if taken:
            shown = ", ".join(f"{m.name} (wave {m.wave})" for m in taken[:5])
            raise UsageError(f"machine(s) already in another wave: {shown}")
        row = self.db.one(
            "SELECT coalesce(max(position), 0) FROM wave_members WHERE wave_id = ?", (wave.id,)
        )
        position = int(row[0]) if row else 0
        new = [m for m in machines if m.wave is None]
        self.db.executemany(
            "INSERT INTO wave_members (machine_id, wave_id, position) VALUES (?, ?, ?)",
            [(m.id, wave.id, position + i + 1) for i, m in enumerate(new)],
        )
        now = utcnow()
        schedulable = [m for m in new if m.state in _SCHEDULABLE]
        self.db.executemany(
            "UPDATE machines SET state = 'scheduled', updated_at = ? WHERE id = ?",
            [(now, m.id) for m in schedulable],
        )
        self.db.executemany(
            "INSERT INTO transitions (machine_id, from_state, to_state, stage, reason, actor, at) "
            "VALUES (?, ?, 'scheduled', NULL, ?, ?, ?)",
            [(m.id, m.state, f"added to wave {wave.name}", actor, now) for m in schedulable],
        )

    def wave(self, campaign: Campaign, name: str) -> Wave:
        row = self.db.one(
            "SELECT id, campaign_id, name, planned_for, description, created_at FROM waves "
            "WHERE campaign_id = ? AND name = ?",
            (campaign.id, name),
        )
        if row is None:
            raise UsageError(f"unknown wave {name!r} in campaign {campaign.name!r}")
        return Wave(int(row[0]), int(row[1]), row[2], row[3], row[4], row[5])

    def waves(self, campaign: Campaign) -> list[Wave]:
        rows = self.db.query(
            "SELECT id, campaign_id, name, planned_for, description, created_at FROM waves "
            "WHERE campaign_id = ? ORDER BY coalesce(planned_for, ''), name",
            (campaign.id,),
        )
        return [Wave(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    def delete_wave(self, campaign: Campaign, name: str, *, actor: str = "") -> None:
        """Drop a wave that has not started (re-planning); its machines go back to assessed."""
        from sovmigrate.state import bulk  # bulk builds on this module

        bulk.delete_waves(self, campaign, [name], actor=actor)

    def mark_assessed(self, campaign: Campaign, names: Sequence[str], *, reason: str = "") -> int:
        """discovered -> assessed for the named machines (the fleet diagnostic's verdict)."""
        machines = [m for m in self.machines(campaign, names=names) if m.state == "discovered"]
        now = utcnow()
        with self.db.transaction():
            self.db.executemany(
                "UPDATE machines SET state = 'assessed', updated_at = ? WHERE id = ? "
                "AND state = 'discovered'",
                [(now, m.id) for m in machines],
            )
            self.db.executemany(
                "INSERT INTO transitions (machine_id, from_state, to_state, stage, reason, actor, "
                "at) VALUES (?, 'discovered', 'assessed', NULL, ?, 'assess', ?)",
                [(m.id, reason, now) for m in machines],
            )
        return len(machines)

    def active_members(self, wave: Wave) -> list[Machine]:
        campaign = Campaign(wave.campaign_id, "", "")
        return [m for m in self.machines(campaign, wave=wave) if m.state not in STOPPED_STATES]

    def close(self) -> None:
        self.db.close()


@dataclass(frozen=True, slots=True)
class MachineRow:
    """One machine of an import, validated: its ``machines`` row and its facts."""

    machine: tuple[Any, ...]  # (campaign, name, site, vars, updated_at, summary)
    facts: str


def _check_name(name: str, seen: set[str]) -> None:
    if not name or name != name.strip():
        raise UsageError(f"invalid machine name {name!r}")
    if name in seen:
        raise UsageError(f"machine {name!r} appears twice in the same import")
    seen.add(name)


def machine_rows(
    campaign: Campaign, records: Iterable[MachineRecord], now: str
) -> list[MachineRow]:
    """The validated rows of an import (``machines`` and ``machine_facts``)."""
    rows: list[MachineRow] = []
    seen: set[str] = set()
    for rec in records:
        _check_name(rec.name, seen)
        facts = rec.facts_json
        if facts is None:
            facts = json.dumps(rec.facts, sort_keys=True, default=str)
        vars_ = json.dumps(rec.vars, sort_keys=True, default=str) if rec.vars else "{}"
        rows.append(MachineRow((campaign.id, rec.name, rec.site, vars_, now, rec.summary), facts))
    return rows


def encoded_rows(
    campaign: Campaign, machines: Iterable[tuple[str, str | None, str, str]], now: str
) -> list[MachineRow]:
    """``machine_rows`` of machines given as (name, site, facts JSON, summary JSON), without
    host variables: what the fleet import has, without a ``MachineRecord`` each (80,000
    rows in 0.11-0.17 s of CPU instead of 0.25-0.45 s with the records, measured in turns)."""
    rows: list[MachineRow] = []
    seen: set[str] = set()
    for name, site, facts, summary in machines:
        _check_name(name, seen)
        rows.append(MachineRow((campaign.id, name, site, "{}", now, summary), facts))
    return rows


def write_facts(store: Store, rows: Sequence[MachineRow]) -> dict[str, int]:
    """The facts of machines just written (in the caller's transaction); name -> id of every
    machine of the campaign (one query, instead of a lookup per row)."""
    if not rows:
        return {}
    ids = {
        r[1]: int(r[0])
        for r in store.db.query(
            "SELECT id, name FROM machines WHERE campaign_id = ?", (rows[0].machine[0],)
        )
    }
    store.db.executemany(
        "INSERT INTO machine_facts (machine_id, facts) VALUES (?, ?) "
        "ON CONFLICT (machine_id) DO UPDATE SET facts = excluded.facts",
        [(ids[r.machine[1]], r.facts) for r in rows],
    )
    return ids


@contextmanager
def open_store(target: str | Path) -> Iterator[Store]:
    """Open (creating or migrating) the state store at a path or ``postgresql://`` URL."""
    backend = connect(target)
    try:
        migrate(backend, utcnow())
        yield Store(backend)
    finally:
        backend.close()
