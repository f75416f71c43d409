"""Live progress of a wave on the terminal: one line per stage, failing machines named."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from sovmigrate.state import STAGES


@dataclass
class _Line:
    total: int = 0
    status: dict[str, str] = field(default_factory=dict)  # host -> status
    reasons: dict[str, str] = field(default_factory=dict)
    state: str = "waiting"
    seconds: float = 0.0


class LiveProgress:
    """A ``Progress`` drawing a rich table; on a non-terminal it prints one line per stage."""

    def __init__(self, stages: list[str], console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.lines = {s: _Line() for s in STAGES if s in stages}
        self.live: Live | None = None

    def __enter__(self) -> LiveProgress:
        if self.console.is_terminal:
            self.live = Live(self._table(), console=self.console, refresh_per_second=4)
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self.live.update(self._table())
            self.live.__exit__(None, None, None)

    def stage_started(self, stage: str, total: int) -> None:
        line = self.lines.setdefault(stage, _Line())
        line.total, line.state = total, "running"
        self._refresh()

    def host_changed(self, stage: str, host: str, status: str, reason: str) -> None:
        line = self.lines.setdefault(stage, _Line())
        line.status[host] = status
        if reason:
            line.reasons[host] = reason
        self._refresh()

    def stage_finished(self, summary: Any) -> None:
        line = self.lines.setdefault(summary.stage, _Line())
        line.state = "stopped" if summary.stopped else "finished"
        line.seconds = summary.seconds
        self._refresh()
        if self.live is None:
            self.console.print(self._text(summary.stage, line), highlight=False)

    def _counts(self, line: _Line) -> dict[str, int]:
        counts = {"ok": 0, "failed": 0, "running": 0, "canceled": 0}
        for status in line.status.values():
            key = {"failing": "failed", "unreachable": "failed"}.get(status, status)
            counts[key] = counts.get(key, 0) + 1
        return counts

    def _failing(self, line: _Line) -> list[str]:
        return sorted(
            h for h, s in line.status.items() if s in ("failing", "failed", "unreachable")
        )

    def _text(self, stage: str, line: _Line) -> str:
        c = self._counts(line)
        failing = self._failing(line)
        names = f" — failing: {', '.join(failing[:8])}" if failing else ""
        return (
            f"{stage:<10} {c['ok']}/{line.total} ok, {c['failed']} failed, "
            f"{c['canceled']} canceled ({line.seconds:.1f} s){names}"
        )

    def _table(self) -> Table:
        table = Table(box=None, pad_edge=False)
        for column in ("stage", "state", "machines", "ok", "running", "failed", "failing"):
            table.add_column(column)
        for stage, line in self.lines.items():
            c = self._counts(line)
            failing = self._failing(line)
            shown = ", ".join(failing[:6]) + (f" +{len(failing) - 6}" if len(failing) > 6 else "")
            table.add_row(
                stage,
                line.state,
                str(line.total),
                f"[green]{c['ok']}[/]",
                str(c["running"]),
                f"[red]{c['failed']}[/]" if c["failed"] else "0",
                shown,
            )
        return table

    def _refresh(self) -> None:
        if self.live is not None:
            self.live.update(self._table())
