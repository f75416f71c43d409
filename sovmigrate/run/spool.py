"""Results that could not reach the state store, kept on the machine and sent later.

ansible-pull runs on laptops that are often away from the site network: a run that cannot
reach the store writes its stage results and recap to one JSON file (0600) in the spool
directory; the next run that reaches the store sends every file, oldest first, through the
same ``StageRecorder`` as a live run, then deletes it. A record the store refuses (the machine
moved on meanwhile, e.g. an operator excluded it) is kept in ``rejected/`` with the reason, so
nothing is silently dropped.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sovmigrate.errors import SovmigrateError, StateConflict
from sovmigrate.run.events import HostStatus
from sovmigrate.state import DESTRUCTIVE_STAGES, Campaign, Store
from sovmigrate.state.pipeline_states import beyond


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.records: list[dict[str, Any]] = []

    def add(self, record: dict[str, Any]) -> None:
        self.records.append(record)

    def flush(self) -> Path | None:
        if not self.records:
            return None
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        path = self.directory / f"{stamp}-{os.getpid()}.json"
        _write(path, self.records)
        self.records = []
        return path

    def pending(self) -> list[Path]:
        return sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []


def _write(path: Path, records: list[dict[str, Any]]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".spool-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(records, handle, default=str)
    os.replace(tmp, path)


def replay(spool: Spool, store: Store, campaign: Campaign, actor: str) -> Iterator[str]:
    """Send every spooled file; yield one line per file for the run's log."""
    from sovmigrate.run.callback import report_of
    from sovmigrate.run.recorder import StageRecorder

    for path in spool.pending():
        try:
            records = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            yield f"spooled file {path} unreadable ({exc}); left in place"
            continue
        rejected: list[dict[str, Any]] = []
        sent = 0
        for rec in records:
            try:
                machine = store.machine(campaign, str(rec["host"]))
                if rec.get("kind") == "report":
                    store.record_host_reports(
                        [report_of(machine.id, rec["at"], rec["source"], rec["controller"],
                                   rec.get("playbook", ""), rec["recap"])]
                    )  # fmt: skip
                    sent += 1
                    continue
                if rec["stage"] in DESTRUCTIVE_STAGES:
                    raise StateConflict("a reinstall is only recorded live, by its gate")
                wave_id = store.wave(campaign, machine.wave).id if machine.wave else None
                recorder = StageRecorder(
                    store, rec["stage"], wave_id=wave_id, actor=actor,
                    controller=f"{rec['controller']} (spooled {rec['at']})",
                )  # fmt: skip
                if not recorder.begin(machine):
                    if not beyond(machine.state, rec["stage"]):
                        rejected.append({**rec, "rejected": recorder.refused[machine.name]})
                    continue  # a later run already took the machine past this stage
                status = HostStatus(rec["host"], rec["status"], rec["reason"], rec["result"])
                if status.status == "ok":
                    recorder.on_change(status)
                else:
                    recorder.fail(status)
                sent += 1
            except SovmigrateError as exc:
                rejected.append({**rec, "rejected": str(exc)})
        if rejected:
            (spool.directory / "rejected").mkdir(exist_ok=True, mode=0o700)
            _write(spool.directory / "rejected" / path.name, rejected)
        path.unlink()
        yield (
            f"sent {sent} spooled record(s) from {path.name}"
            + (f"; {len(rejected)} refused, kept in rejected/{path.name}" if rejected else "")
        )
