"""directory_join: the workstation is joined, SSSD is online with the directory, an account
resolves through it; against what the role recorded on the machine.

A machine configured without a directory has no record: its checks are skipped, not failed.
A PAM login needs a user's password, which a postcheck must never hold: the tests do it.
"""

from __future__ import annotations

import shlex

from sovmigrate.postcheck.context import MANIFEST_DIR, Context
from sovmigrate.postcheck.model import Outcome, expect, failed, passed, skipped
from sovmigrate.postcheck.registry import check

ROLE = "directory_join"


def _joined(ctx: Context) -> dict[str, object] | None:
    record = ctx.manifests.get(ROLE)
    return record if record and record.get("realm") else None


@check("directory:recorded", ROLE)
def recorded(ctx: Context) -> Outcome:
    """The role recorded the join (or no directory is configured)."""
    record = ctx.manifests.get(ROLE)
    if record is None:
        return skipped(f"no directory configured (no {MANIFEST_DIR}/{ROLE}.json)")
    return expect("_invalid" not in record, "recorded", "the recorded join is not valid JSON")


@check("directory:joined", ROLE)
def joined(ctx: Context) -> Outcome:
    """The computer account and its keytab are valid in the realm (adcli testjoin)."""
    record = _joined(ctx)
    if record is None:
        return skipped("no directory configured")
    domain = str(record["domain"])
    run = ctx.host.run(f"adcli testjoin --domain={shlex.quote(domain)}")
    if run.rc == 0:
        return passed(f"{record.get('computer_name', '')} joined to {record['realm']}")
    why = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no answer"]
    return failed(f"not joined to {record['realm']}: {why[0]}")


@check("directory:sssd_online", ROLE)
def sssd_online(ctx: Context) -> Outcome:
    """SSSD is running and online with the directory."""
    record = _joined(ctx)
    if record is None:
        return skipped("no directory configured")
    if not ctx.host.service("sssd").is_running:
        return failed("sssd is not running")
    status = ctx.host.run(f"sssctl domain-status {shlex.quote(str(record['domain']))} --online")
    said = status.stdout.strip() or status.stderr.strip()
    return expect(
        "Online status: Online" in status.stdout,
        f"online with {record['domain']}",
        f"SSSD is offline with {record['domain']}: {said}",
    )


@check("directory:account_resolves", ROLE)
def account_resolves(ctx: Context) -> Outcome:
    """The check account resolves through SSSD (name, uid, home)."""
    record = _joined(ctx)
    if record is None:
        return skipped("no directory configured")
    login = str(record.get("check_user") or "")
    if not login:
        return skipped("no check account given (directory_join_check_user)")
    run = ctx.host.run(f"getent -s sss passwd {shlex.quote(login)}")
    fields = run.stdout.strip().split(":")
    if run.rc != 0 or len(fields) < 6:
        return failed(f"{login} does not resolve through SSSD")
    return passed(f"{login}: uid {fields[2]}, home {fields[5]}")
