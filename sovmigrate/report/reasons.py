"""Failure reasons as codes with parameters, rendered in the report's language.

A stage's verdict names what failed as codes (``{"code": "precheck.hibernated", "params":
{}}``): the precheck engine writes them in its result (``sovmigrate/userstate/precheck.py``,
``reasons``). They reach the state store two ways, both kept beside the raw message:

- the stage's result, stored with its run (``StageRun.data["reasons"]``), when the machine
  reached the end of the stage with a failing verdict;
- the failed task's message, when the role fails the host: the role writes the codes in it as
  ``reasons=<JSON list>`` (roles/precheck: ``precheck failed reasons=[...]: <cause>: <fix>``),
  and the message is stored as the transition's reason.

Reports, ``status`` and JUnit say each coded reason in their language (French by default);
the raw message, English as the tools wrote it, stays in the JSON outputs and in ``history``
(the technician's view). A reason without code is shown as it was written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sovmigrate.report.i18n import gettext, has, register
from sovmigrate.state import Machine, Store

MARK = "reasons="
Coded = tuple[str, dict[str, Any]]

register(
    {
        "reason.precheck.hibernated": {
            "fr": "Le volume Windows est en veille prolongée (démarrage rapide ou mise en veille "
            "prolongée) : démarrer Windows, désactiver le démarrage rapide et l'arrêter "
            "complètement",
            "en": "The Windows volume is hibernated (Fast Startup or hibernation): boot Windows, "
            "disable Fast Startup and shut it down fully",
        },
        "reason.precheck.dirty": {
            "fr": "Le volume Windows n'a pas été démonté proprement : démarrer Windows et "
            "l'arrêter complètement (lancer chkdsk s'il le demande)",
            "en": "The Windows volume is marked dirty: boot Windows and shut it down fully (run "
            "chkdsk if it asks)",
        },
        "reason.precheck.bitlocker": {
            "fr": "Le volume Windows est chiffré par BitLocker : clé de récupération nécessaire "
            "pour le déverrouiller (dislocker) et donner le volume déverrouillé",
            "en": "The Windows volume is encrypted with BitLocker: the recovery key is needed to "
            "unlock it (dislocker) and give the unlocked volume",
        },
        "reason.precheck.no-volume": {
            "fr": "Aucun disque ni image à {source} : brancher le disque",
            "en": "No disk or image at {source}: attach the disk",
        },
        "reason.precheck.volume": {
            "fr": "Volume Windows illisible ({error}) : donner le volume système Windows",
            "en": "Windows volume unreadable ({error}): give the Windows system volume",
        },
        "reason.precheck.store": {
            "fr": "Dépôt de sauvegarde inaccessible ({error}) : vérifier son adresse et son mot "
            "de passe",
            "en": "Backup store unreachable ({error}): check its address and password",
        },
        "reason.precheck.store-space": {
            "fr": "Place insuffisante sur le dépôt : {free} octets libres, {need} nécessaires ; "
            "libérer de la place ou utiliser un autre dépôt",
            "en": "Not enough room on the store: {free} bytes free, {need} needed; free space "
            "or use another store",
        },
        "reason.precheck.ram": {
            "fr": "Mémoire {mib} Mio, sous les {min_mib} Mio requis : ajouter de la mémoire",
            "en": "Memory {mib} MiB, below the {min_mib} MiB required: add memory",
        },
        "reason.precheck.disk": {
            "fr": "Disque de {bytes} octets, sous les {min_gib} Gio requis : un disque plus grand",
            "en": "Disk of {bytes} bytes, below the {min_gib} GiB required: a larger disk",
        },
        "reason.precheck.directory-dns": {
            "fr": "Annuaire : aucun contrôleur de domaine trouvé dans le DNS",
            "en": "Directory: no domain controller found in DNS",
        },
        "reason.precheck.directory-kerberos": {
            "fr": "Annuaire : le contrôleur de domaine ne répond pas (Kerberos ou LDAP)",
            "en": "Directory: the domain controller does not answer (Kerberos or LDAP)",
        },
        "reason.precheck.directory-clock": {
            "fr": "Annuaire : l'horloge du poste est trop loin de celle du contrôleur de domaine "
            "pour Kerberos",
            "en": "Directory: the machine's clock is too far from the domain controller's for "
            "Kerberos",
        },
    }
)


def _valid(items: Any) -> list[Coded]:
    if not isinstance(items, list):
        return []
    found: list[Coded] = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("code"), str):
            params = item.get("params")
            found.append((item["code"], dict(params) if isinstance(params, Mapping) else {}))
    return found


def from_data(data: Mapping[str, Any] | None) -> list[Coded]:
    """The codes of a stage run's stored result (``reasons``), [] without."""
    return _valid((data or {}).get("reasons"))


def from_message(text: str) -> list[Coded]:
    """The codes a failed task's message carries after ``reasons=``, [] without (or when
    the message was cut before the list ended)."""
    at = text.find(MARK)
    if at < 0:
        return []
    try:
        value, _end = json.JSONDecoder().raw_decode(text, at + len(MARK))
    except ValueError:
        return []
    return _valid(value)


def render(codes: Sequence[Coded], raw: str, lang: str = "fr") -> str:
    """The reasons in ``lang``; ``raw`` as it is when a code is missing or unknown here."""
    if not codes or not all(has(f"reason.{code}") for code, _params in codes):
        return raw
    try:
        return "; ".join(gettext(f"reason.{code}", lang, **params) for code, params in codes)
    except (KeyError, IndexError, ValueError):  # a parameter the message needs is missing
        return raw


def for_machine(reason: str, runs_data: Sequence[Mapping[str, Any]]) -> list[Coded]:
    """A failed machine's codes: from its last failed run's result, else from the stored
    message."""
    for data in reversed(runs_data):
        found = from_data(data)
        if found:
            return found
    return from_message(reason)


def of_machine(store: Store, machine: Machine, reason: str) -> list[Coded]:
    """``for_machine`` for a stored machine whose last reason is ``reason``."""
    if not reason:
        return []
    runs = store.stage_runs(machine_id=machine.id)
    return for_machine(reason, [r.data for r in runs if r.result != "ok"])
