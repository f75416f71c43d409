"""Run the selected checks against one machine and collect a Report.

A check that raises (the machine vanished, a command is missing) is a failed check with the
error as its detail: the report always has one verdict per selected check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sovmigrate.postcheck.context import Context
from sovmigrate.postcheck.model import CheckResult, Report, Status
from sovmigrate.postcheck.registry import Check, select


def run_checks(
    host: Any,
    name: str,
    *,
    roles: list[str] | None = None,
    patterns: list[str] | None = None,
    overrides: dict[str, Any] | None = None,
    progress: Callable[[CheckResult], None] | None = None,
) -> Report:
    ctx = Context(host=host, overrides=overrides or {})
    report = Report(host=name)
    for chk in select(roles, patterns):
        result = _run_one(chk, ctx)
        report.results.append(result)
        if progress:
            progress(result)
    return report


def _run_one(chk: Check, ctx: Context) -> CheckResult:
    try:
        outcome = chk.fn(ctx)
    except Exception as exc:  # any error is this check's failure, not the run's
        return CheckResult(chk.name, chk.role, Status.FAIL, f"check error: {exc}".splitlines()[0])
    return CheckResult(chk.name, chk.role, outcome.status, outcome.detail)
