"""workstation_apps: office, mail and browser packages; Firefox enterprise policies."""

from __future__ import annotations

import json
from typing import Any

from sovmigrate.postcheck.context import Context
from sovmigrate.postcheck.model import Outcome, expect, failed
from sovmigrate.postcheck.registry import check

ROLE = "workstation_apps"


def _policies(ctx: Context) -> tuple[dict[str, Any] | None, str]:
    path = ctx.expected(ROLE)["policies_path"]
    text = ctx.read(path)
    if text is None:
        return None, f"{path} is missing"
    try:
        return dict(json.loads(text).get("policies", {})), path
    except (json.JSONDecodeError, AttributeError) as exc:
        return None, f"{path} is not valid JSON ({exc})"


@check("apps:packages", ROLE)
def packages(ctx: Context) -> Outcome:
    """LibreOffice (fr), Thunderbird and Firefox ESR are installed."""
    missing = ctx.missing_packages(ctx.expected(ROLE)["packages"])
    return expect(not missing, "all installed", f"not installed: {', '.join(missing)}")


@check("apps:firefox_policies", ROLE)
def firefox_policies(ctx: Context) -> Outcome:
    """policies.json is valid, telemetry and self-update are off."""
    policies, where = _policies(ctx)
    if policies is None:
        return failed(where)
    off = [k for k in ("DisableTelemetry", "DisableAppUpdate") if policies.get(k) is not True]
    return expect(not off, where, f"{where}: not true: {', '.join(off)}")


@check("apps:visio_permissions", ROLE)
def visio_permissions(ctx: Context) -> Outcome:
    """Camera and microphone are allowed for the Visio origin."""
    policies, where = _policies(ctx)
    if policies is None:
        return failed(where)
    perms = policies.get("Permissions", {})
    missing = [
        f"{kind}:{origin}"
        for kind in ("Camera", "Microphone")
        for origin in ctx.expected(ROLE)["media_origins"]
        if origin not in perms.get(kind, {}).get("Allow", [])
    ]
    return expect(not missing, "camera and microphone allowed", f"not allowed: {missing}")


@check("apps:bookmarks", ROLE)
def bookmarks(ctx: Context) -> Outcome:
    """The suite's bookmarks are in the policies."""
    policies, where = _policies(ctx)
    if policies is None:
        return failed(where)
    urls = {b.get("URL") for b in policies.get("Bookmarks", []) if isinstance(b, dict)}
    missing = [u for u in ctx.expected(ROLE)["bookmarks"] if u not in urls]
    return expect(not missing, f"{len(urls)} bookmarks", f"missing bookmarks: {missing}")
