"""The postcheck's verdicts: one per check, and the machine's report made of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Outcome:
    """What a check function returns; the runner adds the check's name and role."""

    status: Status
    detail: str = ""


def passed(detail: str = "") -> Outcome:
    return Outcome(Status.PASS, detail)


def failed(detail: str) -> Outcome:
    return Outcome(Status.FAIL, detail)


def skipped(detail: str) -> Outcome:
    return Outcome(Status.SKIP, detail)


def expect(ok: bool, good: str, bad: str) -> Outcome:
    """``passed(good)`` when ``ok``, else ``failed(bad)``: most checks are one comparison."""
    return passed(good) if ok else failed(bad)


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one named check; ``detail`` says what was found, in one line."""

    name: str
    role: str
    status: Status
    detail: str = ""


@dataclass
class Report:
    host: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def failed(self) -> list[CheckResult]:
        return [r for r in self.results if r.status is Status.FAIL]

    @property
    def verdict(self) -> Status:
        return Status.FAIL if self.failed else Status.PASS

    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for r in self.results:
            counts[r.status.value] += 1
        return counts

    def as_dict(self) -> dict[str, object]:
        return {
            "host": self.host,
            "verdict": self.verdict.value,
            "summary": self.summary(),
            "checks": [{**asdict(r), "status": r.status.value} for r in self.results],
        }
