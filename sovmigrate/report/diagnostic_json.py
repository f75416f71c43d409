"""``sovmigrate diagnose --format json``: the diagnostic's aggregates and every machine with its
verdict. Format ``sovmigrate-diagnostic`` version 1, schema in
docs/formats/diagnostic-v1.schema.json."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sovmigrate.assess.cartography import Diagnostic, Group, Projection
from sovmigrate.assess.readiness import Assessment
from sovmigrate.fleet.model import Machine

FORMAT, VERSION = "sovmigrate-diagnostic", 1


def _group(g: Group) -> dict[str, Any]:
    return {"machines": g.machines, **dict(g.status), "dependencies": g.dependencies,
            "non_eu": g.non_eu}  # fmt: skip


def _point(p: Projection) -> dict[str, Any]:
    return {
        "after": p.label,
        "date": p.date,
        "migrated": p.migrated,
        "dependencies": p.dependencies,
        "share": round(p.share, 4),
        "by_axis": p.by_axis,
        "non_eu": p.non_eu,
        "non_eu_share": round(p.non_eu_share, 4),
        "non_eu_by_axis": p.non_eu_by_axis,
    }


def machine_entry(
    machine: Machine, verdict: Assessment, rules: dict[str, Any], lang: str
) -> dict[str, Any]:
    """One machine: identity, status and each reason with its code, level, parameters and
    message in ``lang``."""
    return {
        "name": machine.name,
        "site": machine.site,
        "department": machine.department,
        "model": machine.hardware_model,
        "status": verdict.status,
        "reasons": [
            {
                "code": r.code,
                "level": r.level,
                "params": dict(r.params),
                "message": r.message(rules, lang),
            }
            for r in verdict.reasons
        ],
        "transfer_hours": verdict.transfer_hours,
    }


def render_json(
    d: Diagnostic,
    pairs: Sequence[tuple[Machine, Assessment]],
    rules: dict[str, Any],
    *,
    campaign: str,
    lang: str = "fr",
) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "campaign": campaign,
        "lang": lang,
        "machines": d.machines,
        "status": dict(d.status),
        "reasons": [
            {"code": c, "level": d.reason_levels[c], "machines": n}
            for c, n in d.reasons.most_common()
        ],
        "figure": {
            "non_eu_proprietary_share": round(d.share, 4),
            "non_eu_share": round(d.non_eu_share, 4),
            "dependencies": d.dependencies,
            "non_eu_installations": d.non_eu,
            "installations": d.installs,
            "unmatched_installations": d.unmatched_installs,
            "ignored_installations": d.ignored_installs,
        },
        "by_axis": {a: dict(c) for a, c in d.by_axis.items()},
        "by_jurisdiction": dict(d.by_jurisdiction),
        "by_publisher": {
            p: {"installations": v[0], "machines": v[1], "country": d.publisher_country.get(p, "")}
            for p, v in d.by_publisher.items()
        },
        "projection": [_point(p) for p in d.projection],
        "sites": {s: _group(g) for s, g in d.sites.items()},
        "departments": {s: _group(g) for s, g in d.departments.items()},
        "unmatched": [{"title": t, "machines": n} for t, n in d.unmatched.most_common(200)],
        "by_machine": [machine_entry(m, a, rules, lang) for m, a in pairs],
    }
