"""The wave report: where every machine of a wave stands, with timings and verdicts.

``collect`` reads the store into plain data (the JSON format is exactly that data); ``render``
gives HTML (one self-contained file, inline SVG, French by default), JSON, or JUnit XML where
each machine is a test case (a CI system then shows a wave as a test suite).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from sovmigrate.errors import UsageError
from sovmigrate.report import charts, reasons
from sovmigrate.report.html import badge
from sovmigrate.report.i18n import Translator, register
from sovmigrate.report.templating import render as render_template
from sovmigrate.state import STAGES, Campaign, Store, Wave
from sovmigrate.state.pipeline_states import ALL_STATES

_STATE_NAMES = {
    "discovered": ("découvert", "discovered"),
    "assessed": ("évalué", "assessed"),
    "scheduled": ("planifié", "scheduled"),
    "prechecked": ("vérifié", "prechecked"),
    "captured": ("sauvegardé", "captured"),
    "provisioned": ("réinstallé", "provisioned"),
    "configured": ("configuré", "configured"),
    "restored": ("restauré", "restored"),
    "postchecked": ("contrôlé", "postchecked"),
    "done": ("migré", "done"),
    "failed": ("en échec", "failed"),
    "excluded": ("exclu", "excluded"),
    "rolled_back": ("revenu en arrière", "rolled back"),
}
register({f"wave.state.{k}": {"fr": fr, "en": en} for k, (fr, en) in _STATE_NAMES.items()})

register(
    {
        "wave.title": {"fr": "Vague {wave}", "en": "Wave {wave}"},
        "wave.subtitle": {"fr": "Campagne {campaign}", "en": "Campaign {campaign}"},
        "wave.machines": {"fr": "Postes", "en": "Machines"},
        "wave.done": {"fr": "Migrés", "en": "Done"},
        "wave.failed": {"fr": "En échec", "en": "Failed"},
        "wave.in_progress": {"fr": "En cours", "en": "In progress"},
        "wave.excluded": {"fr": "Exclus ou revenus", "en": "Excluded or rolled back"},
        "wave.states": {"fr": "États des postes", "en": "Machine states"},
        "wave.durations": {
            "fr": "Durée moyenne par étape (s)",
            "en": "Average duration per stage (s)",
        },
        "wave.per_machine": {"fr": "Détail par poste", "en": "Per machine"},
        "wave.col.name": {"fr": "Poste", "en": "Machine"},
        "wave.col.site": {"fr": "Site", "en": "Site"},
        "wave.col.state": {"fr": "État", "en": "State"},
        "wave.col.stages": {"fr": "Étapes", "en": "Stages"},
        "wave.col.users": {"fr": "Utilisateurs vérifiés", "en": "Users verified"},
        "wave.col.reason": {"fr": "Motif", "en": "Reason"},
        "wave.col.time": {"fr": "Durée (s)", "en": "Time (s)"},
        "wave.col.stage": {"fr": "Étape", "en": "Stage"},
        "wave.col.runs": {"fr": "Exécutions", "en": "Runs"},
        "wave.col.ok": {"fr": "Réussies", "en": "Succeeded"},
        "wave.col.avg": {"fr": "Durée moyenne (s)", "en": "Average time (s)"},
        "wave.stages": {"fr": "Étapes", "en": "Stages"},
        "wave.accounts": {"fr": "Comptes restaurés", "en": "Restored accounts"},
        "wave.accounts.intro": {
            "fr": "Le compte Linux qui a reçu chaque profil Windows : le compte de l'annuaire "
            "du même SID, ou un compte local pour un compte local de Windows.",
            "en": "The Linux account that received each Windows profile: the directory account "
            "of the same SID, or a local account for a local Windows account.",
        },
        "wave.col.windows_user": {"fr": "Profil Windows", "en": "Windows profile"},
        "wave.col.sid": {"fr": "SID", "en": "SID"},
        "wave.col.account": {"fr": "Compte Linux", "en": "Linux account"},
        "wave.col.kind": {"fr": "Origine du compte", "en": "Account from"},
        "wave.col.files": {"fr": "Fichiers", "en": "Files"},
        "wave.col.verified": {"fr": "Vérifié", "en": "Verified"},
        "wave.kind.directory": {"fr": "annuaire", "en": "directory"},
        "wave.kind.local": {"fr": "local", "en": "local"},
        "wave.kind.unresolved": {
            "fr": "non résolu (données conservées pour un technicien)",
            "en": "unresolved (data kept for a technician)",
        },
        "wave.yes": {"fr": "oui", "en": "yes"},
        "wave.no": {"fr": "non", "en": "no"},
        "wave.verifications": {
            "fr": "Chaque poste migré a une capture vérifiée de chaque utilisateur et une "
            "restauration vérifiée contre le manifeste.",
            "en": "Every migrated machine has a verified capture of every user and a restore "
            "verified against the manifest.",
        },
    }
)


def _seconds(start: str, end: str | None) -> float | None:
    if not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def collect(store: Store, campaign: Campaign, wave: Wave) -> dict[str, Any]:
    machines: list[dict[str, Any]] = []
    for m in store.machines(campaign, wave=wave):
        runs = store.stage_runs(machine_id=m.id)
        transitions = store.transitions(m.id)
        reason = transitions[-1].reason if transitions and m.state != "done" else ""
        failed = [r.data for r in runs if r.result != "ok"]
        codes = reasons.for_machine(reason, failed) if reason else []
        capture = store.latest_verifications(m.id, "capture")
        restore = store.latest_verifications(m.id, "restore")
        machines.append(
            {
                "name": m.name,
                "site": m.site,
                "state": m.state,
                "failed_stage": m.failed_stage,
                "reason": reason,  # the raw message (the technician's detail)
                "reasons": [{"code": c, "params": p} for c, p in codes],
                "stages": [
                    {
                        "stage": r.stage,
                        "result": r.result,
                        "started_at": r.started_at,
                        "ended_at": r.ended_at,
                        "seconds": _seconds(r.started_at, r.ended_at),
                        "reason": r.reason,
                        "artifacts": r.artifacts,
                    }
                    for r in runs
                ],
                "capture": [
                    {"user": v.user, "verified": v.verified, "files": v.files, "bytes": v.bytes}
                    for v in capture
                ],
                "restore": [
                    {
                        "user": v.user,
                        "verified": v.verified,
                        "files": v.files,
                        "bytes": v.bytes,
                        # Which account received the profile: the directory's, a local one,
                        # or none (an unresolved SID, kept for a technician).
                        "windows_name": str(v.detail.get("name") or ""),
                        "linux_user": str(v.detail.get("linux_user") or ""),
                        "account": str(v.detail.get("account") or ""),
                    }
                    for v in restore
                ],
            }
        )
    counts = {s: 0 for s in ALL_STATES}
    for row in machines:
        counts[row["state"]] += 1
    return {
        "campaign": campaign.name,
        "wave": wave.name,
        "planned_for": wave.planned_for,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "states": {k: v for k, v in counts.items() if v},
        "stages": _stage_table(machines),
        "machines": machines,
    }


def _stage_table(machines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for stage in STAGES:
        runs = [r for m in machines for r in m["stages"] if r["stage"] == stage]
        times = [r["seconds"] for r in runs if r["seconds"] is not None and r["result"] == "ok"]
        rows.append(
            {
                "stage": stage,
                "runs": len(runs),
                "ok": sum(1 for r in runs if r["result"] == "ok"),
                "average_seconds": sum(times) / len(times) if times else None,
            }
        )
    return rows


def render(data: dict[str, Any], fmt: str, lang: str = "fr") -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "junit":
        return junit(data, lang)
    if fmt == "html":
        return html(data, lang)
    raise UsageError(f"unknown report format {fmt!r} (html, json, junit)")


def _said(machine: dict[str, Any], lang: str) -> str:
    """The machine's reason in ``lang`` when it has codes, else as it was written."""
    codes = [(r["code"], r["params"]) for r in machine.get("reasons", ())]
    return reasons.render(codes, machine["reason"], lang)


def junit(data: dict[str, Any], lang: str = "fr") -> str:
    suite = ET.Element("testsuite", name=f"wave {data['wave']}", tests=str(len(data["machines"])))
    failures = skipped = 0
    for m in data["machines"]:
        total = sum(r["seconds"] or 0 for r in m["stages"])
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{data['campaign']}.{data['wave']}",
            name=m["name"],
            time=f"{total:.3f}",
        )
        if m["state"] == "failed":
            failures += 1
            ET.SubElement(
                case,
                "failure",
                message=f"{m['failed_stage']}: {_said(m, lang)}",
                type=m["failed_stage"] or "failed",
            ).text = _said(m, lang)
        elif m["state"] != "done":
            skipped += 1
            said = _said(m, lang)
            ET.SubElement(case, "skipped", message=f"{m['state']}: {said}".rstrip(": "))
        lines = [f"{r['stage']}: {r['result']} ({r['seconds'] or 0:.1f} s)" for r in m["stages"]]
        ET.SubElement(case, "system-out").text = "\n".join(lines)
    suite.set("failures", str(failures))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    ET.indent(suite)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode") + "\n"
    )


_TONE = {"done": "ok", "failed": "bad", "excluded": "warn", "rolled_back": "warn"}


def html(data: dict[str, Any], lang: str) -> str:
    _ = Translator(lang)
    states = data["states"]
    stopped = states.get("excluded", 0) + states.get("rolled_back", 0)
    progress = len(data["machines"]) - states.get("done", 0) - states.get("failed", 0) - stopped
    figures = [
        (_("wave.machines"), len(data["machines"]), "info"),
        (_("wave.done"), states.get("done", 0), "ok"),
        (_("wave.failed"), states.get("failed", 0), "bad" if states.get("failed") else ""),
        (_("wave.in_progress"), progress, ""),
        (_("wave.excluded"), stopped, "warn" if stopped else ""),
    ]
    donut = charts.donut_chart(
        [(_(f"wave.state.{k}"), v) for k, v in states.items()], title=_("wave.states")
    )
    durations = [
        (r["stage"], r["average_seconds"])
        for r in data["stages"]
        if r["average_seconds"] is not None
    ]
    bars = charts.bar_chart(durations, title=_("wave.durations"), fmt=lambda v: f"{v:.1f}")
    stage_rows = [
        [
            r["stage"],
            r["runs"],
            r["ok"],
            "" if r["average_seconds"] is None else round(r["average_seconds"], 1),
        ]
        for r in data["stages"]
    ]
    machine_rows = []
    for m in data["machines"]:
        verified = sum(1 for u in m["restore"] if u["verified"])
        users = f"{verified}/{len(m['capture'])}" if m["capture"] else ""
        total = sum(r["seconds"] or 0 for r in m["stages"])
        trail = " › ".join(
            f"{r['stage']}{'' if r['result'] == 'ok' else ' ✗'}" for r in m["stages"]
        )
        machine_rows.append(
            [
                m["name"],
                m["site"] or "",
                badge(_(f"wave.state.{m['state']}"), _TONE.get(m["state"], "")),
                trail,
                users,
                round(total, 1),
                _said(m, lang),
            ]
        )
    account_rows = [
        [
            m["name"],
            u["windows_name"],
            u["user"],
            u["linux_user"],
            _(f"wave.kind.{u['account']}") if u["account"] else "",
            u["files"],
            badge(_("wave.yes"), "ok") if u["verified"] else badge(_("wave.no"), "bad"),
        ]
        for m in data["machines"]
        for u in m["restore"]
        if u["windows_name"]
    ]
    return render_template(
        "wave.html.j2",
        lang=lang,
        title=_("wave.title", wave=data["wave"]),
        subtitle=_("wave.subtitle", campaign=data["campaign"]),
        generated=data["generated"],
        nav=[
            ("states", _("wave.states")),
            ("stages", _("wave.stages")),
            ("machines", _("wave.per_machine")),
            ("accounts", _("wave.accounts")),
        ],
        figures=figures,
        donut=donut,
        bars=bars,
        stage_rows=stage_rows,
        machine_rows=machine_rows,
        account_rows=account_rows,
    )
