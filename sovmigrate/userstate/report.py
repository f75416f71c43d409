"""The per-user restore report: JSON (collected by the controller) and French text in the home.

Both describe the state reached, not the run (no run timestamp, no "written now" counts), so a
second restore rewrites neither and reports nothing changed.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from sovmigrate.userstate import restore_fs

if TYPE_CHECKING:
    from sovmigrate.userstate.restore import Outcome

FORMAT = "sovmigrate-restore-report"
VERSION = 1
JSON_DIR = ".local/share/sovmigrate"
TEXT_NAME = "Rapport de migration Windows.txt"
REASONS_FR = {
    "onedrive-placeholder": "fichier OneDrive en ligne uniquement, absent du disque",
    "unc-redirect": "dossier redirigé vers un serveur de fichiers (déjà sur le réseau)",
    "other-drive": "dossier sur un autre lecteur",
    "efs-encrypted": "fichier chiffré par Windows (EFS)",
    "unreadable": "illisible sur le disque Windows",
    "unsupported-reparse-point": "lien Windows non pris en charge",
    "dpapi": "mot de passe protégé par Windows (DPAPI)",
    "shortcut": "raccourci Windows (.lnk), inutilisable sous Linux",
    "junction": "jonction Windows (lien), non suivie",
    "cache": "cache",
    "temp": "fichier temporaire",
    "appdata": "données d'application Windows",
    "registry-hive": "base de registre Windows",
    "shell-metadata": "métadonnée de l'Explorateur",
    "system-file": "fichier système",
}
STATUS_FR = {
    "applied": "appliqué",
    "unchanged": "appliqué",
    "none": "rien à reprendre",
    "skipped": "non appliqué",
    "failed": "échec",
}


def json_name(o: Outcome) -> PurePosixPath:
    return PurePosixPath(JSON_DIR, f"rapport-{o.manifest.sid or 'drive'}.json")


def build(o: Outcome) -> dict[str, Any]:
    m = o.manifest
    folders: dict[str, dict[str, Any]] = {}
    for p in o.placed:
        f = folders.setdefault(p.placement.folder, {"files": 0, "bytes": 0})
        f["files"] += 1
        f["bytes"] += p.placement.entry.size
    collisions = [
        {"path": str(p.placement.target), "kept_as": str(p.path)}
        for p in o.placed
        if p.path != p.placement.target
    ]
    settings = [
        {**s, "status": "applied" if s["status"] == "unchanged" else s["status"]}
        for s in o.settings
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "host": m.host,
        "windows_user": m.name,
        "sid": m.sid,
        "linux_user": o.user.name,
        "snapshot": o.snapshot,
        "captured": m.created,
        "verified": o.verified,
        "files": len(o.placed),
        "bytes": sum(p.placement.entry.size for p in o.placed),
        "folders": folders,
        "collisions": collisions,
        "settings": settings,
        "not_migrated": [
            {"path": m.volume_path(n), "reason": n.reason, "detail": n.detail}
            for n in m.not_migrated
        ],
        "excluded": [{"path": m.volume_path(e), "reason": e.reason} for e in m.excluded],
        "mismatches": o.mismatches,
    }


def text(report: dict[str, Any]) -> str:
    lines = [
        f"Rapport de migration de votre poste Windows {report['host']}",
        f"Compte Windows : {report['windows_user'] or 'données du disque C:'}",
        "",
        f"Fichiers repris : {report['files']} ({report['bytes']} octets), "
        + (
            "tous vérifiés identiques à la sauvegarde."
            if report["verified"]
            else "VÉRIFICATION EN ÉCHEC."
        ),
    ]
    for c in report["collisions"]:
        lines.append(f"  Nom déjà pris : {c['path']} -> gardé sous {c['kept_as']}")
    lines += ["", "Réglages :"]
    for s in report["settings"]:
        detail = f" ({s['detail']})" if s["detail"] else ""
        lines.append(f"  {s['name']} : {STATUS_FR.get(s['status'], s['status'])}{detail}")
    lines += ["", "Non repris (et pourquoi) :"]
    for item in report["not_migrated"] + report["excluded"]:
        reason = REASONS_FR.get(item["reason"], item["reason"])
        lines.append(f"  {item['path']} : {reason}")
    lines += [
        "",
        "Les mots de passe enregistrés dans Windows (navigateurs, réseau) sont protégés par",
        "Windows et ne peuvent pas être repris : il faudra les saisir à nouveau.",
        "",
    ]
    return "\n".join(lines)


def write(o: Outcome) -> dict[str, Any]:
    """Write both files in the home; sets ``o.report_changed``; returns the report."""
    from sovmigrate.userstate.settings_apply import _xdg

    report = build(o)
    data = json.dumps(report, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    changed = restore_fs.write_if_changed(o.user, o.user.home / json_name(o), data.encode(), 0o600)
    human = _xdg(o, "DOCUMENTS", "Documents") / (
        TEXT_NAME if o.manifest.kind == "user" else "Rapport de migration Windows (C).txt"
    )
    changed |= restore_fs.write_if_changed(o.user, human, text(report).encode())
    o.report_changed = changed
    return report
