"""Stage runs, transitions and verification results: the history half of the store."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sovmigrate.errors import StateConflict
from sovmigrate.state.models import HostReport, StageRun, Transition, UserResult, Verification

if TYPE_CHECKING:
    from sovmigrate.state.backend import Backend

_RUN_COLUMNS = (
    "id, machine_id, wave_id, stage, started_at, ended_at, result, reason, artifacts, "
    "controller, data"
)


def _now() -> str:
    from sovmigrate.state.store import utcnow

    return utcnow()


def _run(r: Sequence[Any]) -> StageRun:
    return StageRun(
        int(r[0]),
        int(r[1]),
        None if r[2] is None else int(r[2]),
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        json.loads(r[10]),
    )


class RunsMixin:
    db: Backend

    # -- transitions (written only through sovmigrate.state.pipeline) --------------------------
    def set_state(
        self,
        machine_id: int,
        from_state: str,
        to_state: str,
        *,
        stage: str | None,
        reason: str,
        actor: str,
        failed_stage: str | None = None,
        resume_state: str | None = None,
    ) -> None:
        """Compare-and-set the machine's state and log the transition, atomically.

        The ``WHERE state = from_state`` guard makes two controllers racing on one machine fail
        loudly instead of both advancing it.
        """
        now = _now()
        with self.db.transaction():
            cur = self.db.execute(
                "UPDATE machines SET state = ?, failed_stage = ?, resume_state = ?, "
                "updated_at = ? WHERE id = ? AND state = ?",
                (to_state, failed_stage, resume_state, now, machine_id, from_state),
            )
            if cur.rowcount != 1:
                raise StateConflict(
                    f"machine #{machine_id} is no longer {from_state} (changed by another run)"
                )
            self.db.execute(
                "INSERT INTO transitions (machine_id, from_state, to_state, stage, reason, actor, "
                "at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (machine_id, from_state, to_state, stage, reason, actor, now),
            )

    def transitions(self, machine_id: int) -> list[Transition]:
        rows = self.db.query(
            "SELECT id, machine_id, from_state, to_state, stage, reason, actor, at "
            "FROM transitions WHERE machine_id = ? ORDER BY id",
            (machine_id,),
        )
        return [Transition(int(r[0]), int(r[1]), *r[2:]) for r in rows]

    # -- stage runs ----------------------------------------------------------------------------
    def start_stage_run(
        self,
        machine_id: int,
        stage: str,
        *,
        wave_id: int | None,
        artifacts: str = "",
        controller: str = "",
    ) -> int:
        with self.db.transaction():
            row = self.db.execute(
                "INSERT INTO stage_runs (machine_id, wave_id, stage, started_at, artifacts, "
                "controller) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (machine_id, wave_id, stage, _now(), artifacts, controller),
            ).fetchone()
        return int(row[0])

    def finish_stage_run(
        self, run_id: int, result: str, *, reason: str = "", data: dict[str, Any] | None = None
    ) -> None:
        with self.db.transaction():
            self.db.execute(
                "UPDATE stage_runs SET result = ?, reason = ?, ended_at = ?, data = ? WHERE id = ?",
                (result, reason, _now(), json.dumps(data or {}, default=str), run_id),
            )

    def stage_runs(
        self,
        *,
        machine_id: int | None = None,
        wave_id: int | None = None,
        stage: str | None = None,
        result: str | None = None,
    ) -> list[StageRun]:
        where, params = [], []
        for column, value in (
            ("machine_id", machine_id),
            ("wave_id", wave_id),
            ("stage", stage),
            ("result", result),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.db.query(f"SELECT {_RUN_COLUMNS} FROM stage_runs {clause} ORDER BY id", params)
        return [_run(r) for r in rows]

    def stage_run(self, run_id: int) -> StageRun:
        row = self.db.one(f"SELECT {_RUN_COLUMNS} FROM stage_runs WHERE id = ?", (run_id,))
        if row is None:
            raise StateConflict(f"unknown stage run #{run_id}")
        return _run(row)

    # -- verifications -------------------------------------------------------------------------
    def record_verifications(
        self, machine_id: int, run_id: int | None, kind: str, users: Sequence[UserResult]
    ) -> None:
        now = _now()
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO verifications (machine_id, stage_run_id, kind, username, verified, "
                "files, bytes, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        machine_id,
                        run_id,
                        kind,
                        u.user,
                        1 if u.verified else 0,
                        int(u.files),
                        int(u.bytes),
                        json.dumps(u.detail, default=str),
                        now,
                    )
                    for u in users
                ],
            )

    def verifications(self, machine_id: int, kind: str | None = None) -> list[Verification]:
        clause = "machine_id = ?"
        params: list[Any] = [machine_id]
        if kind is not None:
            clause += " AND kind = ?"
            params.append(kind)
        rows = self.db.query(
            "SELECT id, machine_id, stage_run_id, kind, username, verified, files, bytes, detail, "
            f"at FROM verifications WHERE {clause} ORDER BY id",
            params,
        )
        return [
            Verification(
                int(r[0]),
                int(r[1]),
                None if r[2] is None else int(r[2]),
                r[3],
                r[4],
                bool(r[5]),
                int(r[6]),
                int(r[7]),
                json.loads(r[8]),
                r[9],
            )
            for r in rows
        ]

    def latest_verifications(self, machine_id: int, kind: str) -> list[Verification]:
        """The set reported by the most recent run that reported any (older sets are history)."""
        rows = self.verifications(machine_id, kind)
        if not rows:
            return []
        last_run = rows[-1].stage_run_id
        return [v for v in rows if v.stage_run_id == last_run]

    def discard_running_runs(self, run_ids: Sequence[int]) -> None:
        """Forget runs that never started anything (the playbook did not even parse)."""
        with self.db.transaction():
            self.db.executemany(
                "DELETE FROM stage_runs WHERE id = ? AND result = 'running'",
                [(i,) for i in run_ids],
            )

    # -- host reports (playbook recaps recorded by the callback plugin) ------------------------
    def record_host_reports(self, reports: Sequence[HostReport]) -> None:
        with self.db.transaction():
            self.db.executemany(
                "INSERT INTO host_reports (machine_id, at, source, controller, playbook, ok, "
                "changed, failed, unreachable, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.machine_id,
                        r.at,
                        r.source,
                        r.controller,
                        r.playbook,
                        r.ok,
                        r.changed,
                        r.failed,
                        r.unreachable,
                        json.dumps(r.data, default=str),
                    )
                    for r in reports
                ],
            )

    def host_reports(self, machine_id: int) -> list[HostReport]:
        rows = self.db.query(
            "SELECT machine_id, at, source, controller, playbook, ok, changed, failed, "
            "unreachable, data FROM host_reports WHERE machine_id = ? ORDER BY id",
            (machine_id,),
        )
        return [
            HostReport(
                machine_id=int(r[0]),
                at=r[1],
                source=r[2],
                controller=r[3],
                playbook=r[4],
                ok=int(r[5]),
                changed=int(r[6]),
                failed=int(r[7]),
                unreachable=int(r[8]),
                data=json.loads(r[9]),
            )
            for r in rows
        ]
