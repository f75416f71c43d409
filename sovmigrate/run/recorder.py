"""Per-host stage results into the state store: the one event -> state mapping.

Both ways a stage runs go through here: ``sovmigrate wave run`` (ansible-runner events, see
``playbook.py``) and plain ``ansible-playbook``/AWX/ansible-pull (the collection's callback
plugin, see ``callback.py``). Each turns Ansible's events into ``HostStatus`` changes with the
same ``EventCollector`` and hands them to a ``StageRecorder``, which calls the pipeline's
``begin_stage``/``finish_stage``/``abandon_stage``, so the gates and the states are the same
whichever engine ran the playbook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sovmigrate.errors import StateConflict
from sovmigrate.run.events import HostStatus
from sovmigrate.run.options import users_from
from sovmigrate.state import Machine, Store, UserResult
from sovmigrate.state.pipeline import StageOutcome, abandon_stage, begin_stage, finish_stage


def outcome_from(stage: str, result: dict[str, Any] | None) -> StageOutcome:
    """A host that reached the end of the stage: what did the playbook report?"""
    users = users_from(result)
    parsed = None
    if users is not None:
        parsed = tuple(
            UserResult(
                user=str(u.get("user") or u.get("name") or "?"),
                verified=u.get("verified") is True,
                files=int(u.get("files") or 0),
                bytes=int(u.get("bytes") or 0),
                # The Windows name stays in the detail: the wave report shows it beside the account.
                detail={k: v for k, v in u.items() if k not in ("user", "verified")},
            )
            for u in users
        )
    result = result or {}
    verdict = str(result.get("verdict", "pass")).lower()
    if result.get("ok") is False or verdict in ("fail", "failed"):
        reason = str(result.get("reason") or f"{stage} reported a failing verdict")
        return StageOutcome(ok=False, reason=reason, users=parsed, data=_small(result))
    return StageOutcome(ok=True, users=parsed, data=_small(result))


def _small(result: dict[str, Any]) -> dict[str, Any]:
    # The users go to the verifications table; keep the rest (checks, counts) with the run.
    return {k: v for k, v in result.items() if k != "users"}


def failure_reason(host: HostStatus) -> str:
    return host.reason or "did not reach the end of the stage (the play stopped)"


@dataclass
class StageRecorder:
    """One stage over some machines: begin each (gate), then record how each one ended."""

    store: Store
    stage: str
    wave_id: int | None
    actor: str
    controller: str
    artifacts: str = ""
    runs: dict[str, tuple[Machine, int]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    finished: dict[str, Machine] = field(default_factory=dict)  # name -> machine after the run

    def begin(self, machine: Machine) -> bool:
        """Check the gate and record the run as started; False (and why) when refused."""
        try:
            run_id = begin_stage(
                self.store,
                machine,
                self.stage,
                wave_id=self.wave_id,
                artifacts=self.artifacts,
                controller=self.controller,
            )
        except StateConflict as refused:
            self.refused[machine.name] = str(refused)
            return False
        self.runs[machine.name] = (machine, run_id)
        return True

    def adopt(self, machine: Machine, run_id: int) -> None:
        """A run begun elsewhere (the reinstall play's gate task) that this recorder finishes."""
        self.runs[machine.name] = (machine, run_id)

    def on_change(self, host: HostStatus) -> Machine | None:
        """The collector's callback: a host that reached the end of the stage is recorded now,
        so a crash later cannot run it again."""
        if host.status != "ok" or host.host not in self.runs or host.host in self.finished:
            return None
        machine, run_id = self.runs[host.host]
        after = finish_stage(
            self.store,
            machine.id,
            self.stage,
            run_id,
            outcome_from(self.stage, host.result),
            self.actor,
        )
        self.finished[host.host] = after
        return after

    def unfinished(self) -> list[str]:
        return [name for name in self.runs if name not in self.finished]

    def fail(self, host: HostStatus) -> Machine:
        """A host that did not reach the end of the stage: failed or unreachable, with why."""
        machine, run_id = self.runs[host.host]
        reason = failure_reason(host)
        result = "unreachable" if host.status == "unreachable" else "failed"
        # What the playbook reported before failing (e.g. which user was not verified, the
        # verdict's reason codes that reports say in their language) is kept.
        reported = outcome_from(self.stage, host.result)
        after = finish_stage(
            self.store,
            machine.id,
            self.stage,
            run_id,
            StageOutcome(
                ok=False, reason=reason, result=result, users=reported.users, data=reported.data
            ),
            self.actor,
        )
        self.finished[host.host] = after
        return after

    def cancel(self, name: str, reason: str = "run canceled by the operator") -> None:
        """Stopped before the end: the machine keeps its state (destructive stages excepted)."""
        _, run_id = self.runs[name]
        abandon_stage(self.store, run_id, "canceled", reason)
        self.finished[name] = self.store.machine_by_id(self.runs[name][0].id)

    def discard(self) -> None:
        """The playbook never started (syntax error): nothing happened, nothing is recorded."""
        self.store.discard_running_runs([run_id for _, run_id in self.runs.values()])
        self.runs.clear()
