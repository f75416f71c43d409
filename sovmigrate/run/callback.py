"""What the collection's callback plugin does, without Ansible's objects (testable alone).

``plugins/callback/state_store.py`` turns Ansible's callback calls into the event dictionaries
ansible-runner produces and hands them here. A stage's results then take the road of
``sovmigrate wave run``: the same ``EventCollector``, the same ``StageRecorder``, so an AWX job,
a plain ``ansible-playbook`` or an ``ansible-pull`` run advances the campaign exactly as the
orchestrator would.

Differences with wave run, and why:
- There is no wrapper playbook with a marker task: a stage ends when a play of another stage
  starts or the playbook ends; the hosts still in it are those its plays did not remove (the
  play's ``_removed_hosts``: failed and unreachable, not rescued), which is what the marker's
  ``ansible_play_hosts`` lists. The collector gets that list as the marker event.
- A non-destructive stage is begun (gate + ``running`` row) at a host's first event in it. The
  destructive stage is begun only by the reinstall play's gate task (``run/gate.py``) before
  anything is wiped; this recorder adopts that run and never begins one itself.
- When the store cannot be reached, results go to a local spool (``spool.py``), sent by the
  next run that reaches it (ansible-pull on laptops that are often offline).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sovmigrate.errors import EnvironmentProblem, SovmigrateError, UsageError
from sovmigrate.run.events import MARKER, EventCollector, HostStatus
from sovmigrate.run.options import _actor
from sovmigrate.run.recorder import StageRecorder
from sovmigrate.run.spool import Spool, replay
from sovmigrate.state import DESTRUCTIVE_STAGES, STAGES, Campaign, HostReport, Machine, Store
from sovmigrate.state.config import pick_campaign
from sovmigrate.state.pipeline_states import beyond
from sovmigrate.state.store import open_store

CONTROLLER_ENV = "SOVMIGRATE_CONTROLLER"  # set while the callback records: the gate needs it
_GATE_ENV = (CONTROLLER_ENV, "SOVMIGRATE_DB", "SOVMIGRATE_CAMPAIGN")


def controller_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def stage_of(play_vars: dict[str, Any], path: str) -> str | None:
    """The stage a play belongs to: its ``sovmigrate_stage`` var, else its playbook's name."""
    declared = play_vars.get("sovmigrate_stage")
    if isinstance(declared, str) and declared in STAGES:
        return declared
    stem = Path(path.rsplit(":", 1)[0]).stem if path else ""
    return stem if stem in STAGES else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass
class _Stage:
    name: str
    collector: EventCollector
    recorder: StageRecorder | None  # None when the store is unreachable (spool)
    removed: set[str] = field(default_factory=set)
    ignored: set[str] = field(default_factory=set)  # refused by the gate or not in the store


class PlaybookRecorder:
    """One playbook run's stages and recaps into the store (or the spool)."""

    def __init__(
        self,
        target: str,
        campaign: str | None,
        *,
        source: str = "ansible-playbook",
        spool_dir: Path | None = None,
        warn: Callable[[str], None] = lambda _msg: None,
        note: Callable[[str], None] | None = None,
    ) -> None:
        self.target, self.campaign_name, self.source = target, campaign, source
        self.controller, self.actor = controller_id(), _actor()
        self.spool = Spool(spool_dir) if spool_dir else None
        self.warn = warn
        self.note = note or warn
        self.store: Store | None = None
        self.campaign: Campaign | None = None
        self.unreachable = ""
        self._exit = ExitStack()
        self._stage: _Stage | None = None
        self._machines: dict[str, Machine | None] = {}
        self._waves: dict[str, int] = {}
        self._saved_env: dict[str, str | None] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def open(self) -> None:
        # For the reinstall play's gate task, which runs as a child of this process. Set before
        # the store is tried, so that the gate reports the store's own error; restored by close.
        self._saved_env = {k: os.environ.get(k) for k in _GATE_ENV}
        os.environ[CONTROLLER_ENV] = self.controller
        os.environ["SOVMIGRATE_DB"] = self.target
        try:
            self.store = self._exit.enter_context(open_store(self.target))
            self.campaign = pick_campaign(self.store, self.campaign_name)
        except SovmigrateError as exc:
            self.store, self.unreachable = None, str(exc)
            self._exit.close()
            if not isinstance(exc, EnvironmentProblem):
                # A wrong setting (path, campaign, newer schema): spooling would keep it for ever.
                self.spool = None
                self.warn(f"sovmigrate: state store refused ({exc}); results NOT recorded")
                return
            where = "kept in the local spool" if self.spool else "NOT recorded"
            self.warn(f"sovmigrate: state store unreachable ({exc}); results {where}")
            return
        os.environ["SOVMIGRATE_CAMPAIGN"] = self.campaign.name
        if self.spool is not None:
            for line in replay(self.spool, self.store, self.campaign, self.actor):
                self.warn(f"sovmigrate: {line}")

    def close(self) -> None:
        """Runs still open (the playbook was interrupted) are closed as canceled."""
        stage, self._stage = self._stage, None
        recorder = stage.recorder if stage is not None else None
        if recorder is not None:
            for name in recorder.unfinished():
                self._guard(partial(recorder.cancel, name, "playbook interrupted"))
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = {}
        self._exit.close()

    # -- what the plugin calls -------------------------------------------------------------
    def play_start(self, stage: str | None) -> None:
        if self._stage is not None and self._stage.name != stage:
            self._end_stage()
        if stage is not None and self._stage is None:
            self._stage = self._new_stage(stage)

    def play_end(self, removed: Iterable[str]) -> None:
        if self._stage is not None:
            self._stage.removed.update(h for h in removed if h in self._stage.collector.hosts)

    def event(self, event: dict[str, Any]) -> None:
        stage = self._stage
        if stage is None:
            return
        host = (event.get("event_data") or {}).get("host")
        if host and host not in stage.collector.hosts and host not in stage.ignored:
            self._track(stage, str(host))
        stage.collector(event)

    def playbook_end(self, stats_event: dict[str, Any], recaps: dict[str, dict[str, int]]) -> None:
        if self._stage is not None:
            self._stage.collector(stats_event)  # results reported with set_stats
            self._end_stage()
        self._report(recaps, stats_event.get("playbook", ""))
        if self.spool is not None:
            self.spool.flush()

    # -- internals -------------------------------------------------------------------------
    def _new_stage(self, name: str) -> _Stage:
        recorder = None
        if self.store is not None:
            recorder = StageRecorder(
                self.store, name, wave_id=None, actor=self.actor, controller=self.controller
            )
        stage = _Stage(name, EventCollector({}), recorder)
        if recorder is not None:
            stage.collector.on_change = lambda host: self._guard(lambda: recorder.on_change(host))
        return stage

    def _track(self, stage: _Stage, host: str) -> None:
        if stage.recorder is None:
            # Spool: sorted out when sent. Never the wipe: with no store its gate failed closed,
            # and a reinstall is only ever begun by the gate, live.
            if stage.name not in DESTRUCTIVE_STAGES:
                stage.collector.hosts[host] = HostStatus(host)
            return
        machine = self._machine(host)
        if machine is None:
            stage.ignored.add(host)
            return
        if stage.name in DESTRUCTIVE_STAGES:
            run = self._gate_run(machine, stage.name)
            if run is None:
                return  # not begun (yet) by the gate task: nothing to record
            stage.recorder.adopt(machine, run)
        else:
            recorder = stage.recorder
            recorder.wave_id = self._wave_id(machine)
            if not self._guard(lambda: recorder.begin(machine)):
                stage.ignored.add(host)
                why = recorder.refused.get(host, "state store error")
                state = self._guard(lambda: recorder.store.machine_by_id(machine.id).state)
                if state and beyond(state, stage.name):
                    # A converging machine (ansible-pull) re-runs a stage it passed: not news.
                    self.note(f"sovmigrate: {host} is {state}; {stage.name} kept as is")
                else:
                    self.warn(f"sovmigrate: {host} {stage.name} not recorded: {why}")
                return
        stage.collector.hosts[host] = HostStatus(host)

    def _end_stage(self) -> None:
        stage, self._stage = self._stage, None
        if stage is None:
            return
        alive = [h for h in stage.collector.hosts if h not in stage.removed]
        marker = {"event": "runner_on_ok", "event_data": {"res": {"msg": [MARKER, *alive]}}}
        if stage.recorder is None:
            stage.collector(marker)
            for status in stage.collector.hosts.values():
                self._spool_stage(stage.name, status)
            return
        stage.collector(marker)
        recorder = stage.recorder
        for name in recorder.unfinished():
            self._guard(partial(recorder.fail, stage.collector.hosts[name]))

    def _spool_stage(self, stage: str, status: HostStatus) -> None:
        if self.spool is None:
            return
        self.spool.add(
            {
                "kind": "stage",
                "stage": stage,
                "host": status.host,
                "status": status.status,
                "reason": status.reason,
                "result": status.result,
                "at": _now(),
                "controller": self.controller,
            }
        )

    def _report(self, recaps: dict[str, dict[str, int]], playbook: str) -> None:
        now = _now()
        if self.store is None:
            for host, recap in recaps.items():
                if self.spool is not None:
                    self.spool.add(
                        {"kind": "report", "host": host, "at": now, "source": self.source,
                         "controller": self.controller, "playbook": playbook, "recap": recap}
                    )  # fmt: skip
            return
        reports = []
        for host, recap in recaps.items():
            machine = self._machine(host)
            if machine is not None:
                reports.append(report_of(machine.id, now, self.source, self.controller,
                                         playbook, recap))  # fmt: skip
        store = self.store
        self._guard(lambda: store.record_host_reports(reports))

    def _machine(self, host: str) -> Machine | None:
        if host not in self._machines:
            assert self.store is not None and self.campaign is not None
            try:
                self._machines[host] = self.store.machine(self.campaign, host)
            except UsageError:
                self._machines[host] = None
                self.warn(f"sovmigrate: {host} is not in campaign {self.campaign.name}: ignored")
        return self._machines[host]

    def _wave_id(self, machine: Machine) -> int | None:
        if machine.wave is None or self.store is None or self.campaign is None:
            return None
        if machine.wave not in self._waves:
            self._waves[machine.wave] = self.store.wave(self.campaign, machine.wave).id
        return self._waves[machine.wave]

    def _gate_run(self, machine: Machine, stage: str) -> int | None:
        assert self.store is not None
        runs = self.store.stage_runs(machine_id=machine.id, stage=stage, result="running")
        mine = [r.id for r in runs if r.controller == self.controller]
        return mine[-1] if mine else None

    def _guard(self, action: Callable[[], Any]) -> Any:
        """A store error while recording is reported, never raised into Ansible's run."""
        try:
            return action()
        except SovmigrateError as exc:
            self.warn(f"sovmigrate: not recorded: {exc}")
            return None


def report_of(
    machine_id: int, at: str, source: str, controller: str, playbook: str, recap: dict[str, int]
) -> HostReport:
    return HostReport(
        machine_id=machine_id,
        at=at,
        source=source,
        controller=controller,
        playbook=playbook,
        ok=int(recap.get("ok", 0)),
        changed=int(recap.get("changed", 0)),
        failed=int(recap.get("failures", 0)),
        unreachable=int(recap.get("unreachable", 0)),
        data={
            k: v for k, v in recap.items() if k not in ("ok", "changed", "failures", "unreachable")
        },
    )
