"""The records of the state store, as plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    created_at: str


@dataclass(frozen=True)
class MachineRecord:
    """What an importer hands to ``Store.upsert_machines``: one workstation of the fleet."""

    name: str
    site: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)  # Ansible inventory host variables
    # ``facts`` already encoded as JSON (bulk imports encode faster than json.dumps): when set,
    # it is stored instead of ``facts``.
    facts_json: str | None = None
    # What the planner reads (JSON, fleet/prepare.py); set only with the facts it derives from.
    summary: str | None = None


@dataclass(frozen=True)
class Machine:
    id: int
    campaign_id: int
    name: str
    site: str | None
    facts: dict[str, Any]
    vars: dict[str, Any]
    state: str
    failed_stage: str | None
    resume_state: str | None  # the state a retry returns to after a failure
    updated_at: str
    wave: str | None = None


@dataclass(frozen=True)
class Wave:
    id: int
    campaign_id: int
    name: str
    planned_for: str | None
    description: str
    created_at: str


@dataclass(frozen=True)
class Transition:
    id: int
    machine_id: int
    from_state: str
    to_state: str
    stage: str | None
    reason: str
    actor: str
    at: str


@dataclass(frozen=True)
class StageRun:
    id: int
    machine_id: int
    wave_id: int | None
    stage: str
    started_at: str
    ended_at: str | None
    result: str  # running | ok | failed | unreachable | canceled | interrupted
    reason: str
    artifacts: str
    controller: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Verification:
    """One user's capture or restore verification, as the stage playbook reported it."""

    id: int
    machine_id: int
    stage_run_id: int | None
    kind: str  # capture | restore
    user: str
    verified: bool
    files: int
    bytes: int
    detail: dict[str, Any]
    at: str


@dataclass(frozen=True)
class UserResult:
    """Input form of a verification, before it has an id."""

    user: str
    verified: bool
    files: int = 0
    bytes: int = 0
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class HostReport:
    """A playbook run's recap for one machine, recorded by the callback plugin."""

    machine_id: int
    at: str
    source: str  # ansible-playbook | ansible-pull | awx ...
    controller: str
    playbook: str
    ok: int
    changed: int
    failed: int
    unreachable: int
    data: dict[str, Any] = field(default_factory=dict)
