"""``sovmigrate postcheck HOST``: run the post-migration checks, one verdict per check.

Exit codes: 0 every check passed (or was skipped), 1 at least one failed, 2 bad input
(unknown host, inventory), 3 missing tool.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from sovmigrate.errors import OperationFailed, UsageError
from sovmigrate.postcheck import ROLES, CheckResult, Report, all_checks, run_checks
from sovmigrate.postcheck.connect import default_inventory, testinfra_host

_MARK = {"pass": "ok  ", "fail": "FAIL", "skip": "skip"}


def _load_expect(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"--expect {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"--expect {path}: a JSON object keyed by role is expected")
    return data


def _print_line(result: CheckResult) -> None:
    click.echo(f"{_MARK[result.status.value]} {result.name:32} {result.detail}")


@click.command("postcheck")
@click.argument("host", required=False)
@click.option("--inventory", "-i", type=click.Path(path_type=Path), help="Ansible inventory.")
@click.option(
    "--role", "roles", multiple=True, type=click.Choice(ROLES), help="Only this role (repeat)."
)
@click.option("--check", "patterns", multiple=True, help="Only checks matching this glob.")
@click.option(
    "--expect",
    "expect_file",
    type=click.Path(path_type=Path),
    help="JSON {role: {key: value}} overriding the expected values.",
)
@click.option("--output", type=click.Path(path_type=Path), help="Also write the JSON report here.")
@click.option("--list", "list_only", is_flag=True, help="List the checks and exit.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def postcheck_cmd(
    host: str | None,
    inventory: Path | None,
    roles: tuple[str, ...],
    patterns: tuple[str, ...],
    expect_file: Path | None,
    output: Path | None,
    list_only: bool,
    fmt: str,
) -> None:
    """Check a migrated machine (HOST in the inventory, or "local") and give a verdict."""
    if list_only:
        checks = [c for c in all_checks() if not roles or c.role in roles]
        if fmt == "json":
            rows = [{"name": c.name, "role": c.role, "description": c.description} for c in checks]
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            for c in checks:
                click.echo(f"{c.name:32} {c.description}")
        return
    if not host:
        raise UsageError("postcheck needs a HOST (or --list)")
    overrides = _load_expect(expect_file)
    target = testinfra_host(host, inventory or default_inventory())
    report: Report = run_checks(
        target,
        host,
        roles=list(roles) or None,
        patterns=list(patterns) or None,
        overrides=overrides,
        progress=_print_line if fmt == "text" else None,
    )
    document = json.dumps(report.as_dict(), indent=2, ensure_ascii=False)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_suffix(output.suffix + ".tmp")
        tmp.write_text(document + "\n", encoding="utf-8")
        tmp.replace(output)
    if fmt == "json":
        click.echo(document)
    if report.failed:
        names = ", ".join(r.name for r in report.failed)
        raise OperationFailed(f"postcheck {host}: {len(report.failed)} check(s) failed: {names}")
    if fmt == "text":
        counts = report.summary()
        click.echo(f"postcheck {host}: pass ({counts['pass']} passed, {counts['skip']} skipped)")
