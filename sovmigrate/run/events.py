"""Per-host results from ansible-runner events, computed as they arrive.

ansible-runner's ``stats`` re-reads every event file from disk; at 500 hosts that is the slow
part. The collector keeps only one small record per host and hands each change to a callback, so
the state store is written while the play runs.

A host has finished a stage when it reaches the marker task that ``wrapper.py`` appends after
the stage playbook: one task, run once, whose message lists the hosts still in the play (failed
and unreachable hosts are not, rescued ones are). It is read from the result, or from ``stdout``
(printed as JSON, see options.env) when event data is omitted at scale.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MARKER = "sovmigrate-stage-completed"
RESULT_FACT = "sovmigrate_result"  # a fact the stage playbook sets with ansible.builtin.set_fact
STATS_KEY = "sovmigrate_results"  # or {host: result} via ansible.builtin.set_stats
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class HostStatus:
    host: str
    status: str = "pending"  # pending | running | failing | ok | failed | unreachable
    reason: str = ""
    result: dict[str, Any] | None = None

    @property
    def final(self) -> bool:
        return self.status == "ok"


@dataclass
class EventCollector:
    """The ``event_handler`` given to ansible-runner; returns True so artifacts keep the event."""

    hosts: dict[str, HostStatus]
    on_change: Callable[[HostStatus], None] | None = None
    events: int = 0
    plays_started: int = 0
    errors: list[str] = field(default_factory=list)

    @classmethod
    def for_hosts(
        cls, names: list[str], on_change: Callable[[HostStatus], None] | None = None
    ) -> EventCollector:
        return cls({n: HostStatus(n) for n in names}, on_change)

    def __call__(self, event: dict[str, Any]) -> bool:
        self.events += 1
        kind = event.get("event", "")
        data = event.get("event_data") or {}
        if kind == "playbook_on_play_start":
            self.plays_started += 1
        elif kind in ("runner_on_ok", "runner_on_start"):
            self._ok(kind, data, event.get("stdout") or "")
        elif kind == "runner_on_failed" and not data.get("ignore_errors"):
            self._set(data.get("host"), "failing", _failure_reason(data))
        elif kind == "runner_on_unreachable":
            self._set(data.get("host"), "unreachable", _failure_reason(data))
        elif kind == "playbook_on_stats":
            self._stats(data)
        elif kind in ("error", "verbose") and "ERROR!" in (event.get("stdout") or ""):
            self.errors.append(_ANSI.sub("", event["stdout"]).strip())
        return True

    def _ok(self, kind: str, data: dict[str, Any], stdout: str) -> None:
        host = data.get("host")
        if kind == "runner_on_ok":
            facts = (data.get("res") or {}).get("ansible_facts") or {}
            if host in self.hosts and isinstance(facts.get(RESULT_FACT), dict):
                self.hosts[host].result = facts[RESULT_FACT]
            finished = _marker_hosts(data, stdout)
            if finished is not None:
                for name in finished:
                    self._set(name, "ok", "")
                return
        if host in self.hosts and self.hosts[host].status == "pending":
            self._set(host, "running", "")

    def _stats(self, data: dict[str, Any]) -> None:
        reported = (data.get("artifact_data") or {}).get(STATS_KEY) or {}
        for host, result in reported.items():
            if host in self.hosts and isinstance(result, dict) and self.hosts[host].result is None:
                self.hosts[host].result = result

    def _set(self, host: str | None, status: str, reason: str) -> None:
        if host not in self.hosts:
            return
        entry = self.hosts[host]
        if entry.status == "ok" or (entry.status == status and entry.reason == reason):
            return
        entry.status, entry.reason = status, reason or entry.reason
        if self.on_change is not None:
            self.on_change(entry)


def _marker_hosts(data: dict[str, Any], stdout: str) -> list[str] | None:
    """The hosts named by the end-of-stage marker, from the result or (no event data) stdout."""
    msg = (data.get("res") or {}).get("msg")
    if isinstance(msg, list) and msg[:1] == [MARKER]:
        return [str(h) for h in msg[1:]]
    if MARKER not in stdout:
        return None
    text = _ANSI.sub("", stdout)
    try:
        shown = json.loads(text.split("=>", 1)[1])
    except (IndexError, ValueError):
        return None
    msg = shown.get("msg") if isinstance(shown, dict) else None
    if isinstance(msg, list) and msg[:1] == [MARKER]:
        return [str(h) for h in msg[1:]]
    return None


def _failure_reason(data: dict[str, Any]) -> str:
    res = data.get("res") or {}
    message = res.get("msg") or res.get("stderr") or res.get("reason") or ""
    task = data.get("task") or ""
    text = f"{task}: {message}" if task else str(message)
    return " ".join(str(text).split())[:300] or "failed"
