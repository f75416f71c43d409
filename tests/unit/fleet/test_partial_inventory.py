"""Partial inventories (glpi-agent's ``"partial": true``) update only the sections they carry,
whether the full inventory came in an earlier import or in the same one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sovmigrate.assess.config import load_config
from sovmigrate.fleet import prepare
from sovmigrate.fleet.glpi import parse_glpi
from sovmigrate.fleet.model import ANTIVIRUS, REMOTE, STORE, SYSTEM
from sovmigrate.fleet.service import assessed, context, import_fleet
from sovmigrate.state import open_store

FULL = Path(__file__).parents[2] / "data" / "glpi" / "good" / "paris-latitude-5420.json"


def _partial() -> dict[str, Any]:
    """What glpi-agent sends after a software change: hardware, bios and operating system
    (always), the softwares, and nothing of drives, storages, controllers or users."""
    full = json.loads(FULL.read_text())
    content = {
        k: copy.deepcopy(full["content"][k]) for k in ("bios", "hardware", "operatingsystem")
    }
    content["softwares"] = [
        {"name": "Microsoft Office Professionnel Plus 2016", "publisher": "Microsoft Corporation",
         "version": "16.0.4266.1001", "from": "registry", "system_category": "application"},
        {"name": "Gestion des congés CONGES+", "publisher": "Éditeur régional", "version": "3.1",
         "from": "registry", "system_category": "application"},
    ]  # fmt: skip
    content["accesslog"] = {"logdate": "2026-10-02 09:00:00"}
    content["versionclient"] = "GLPI-Agent_v1.11"
    return {"deviceid": full["deviceid"], "itemtype": "Computer", "action": "inventory",
            "partial": True, "content": content}  # fmt: skip


def _stored(tmp_path: Path, *imports: list[Path]) -> tuple[Any, Any]:
    tmp_path.mkdir(exist_ok=True)
    with open_store(str(tmp_path / "state.db")) as store:
        for paths in imports:
            import_fleet(store, "c", paths, inventories=tmp_path)
        ctx = context(store, "c", inventories=tmp_path, config=None)
        [(machine, verdict, _wave, _state)] = assessed(store, ctx)
    return machine, verdict


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "full").mkdir()
    (tmp_path / "partial").mkdir()
    full = tmp_path / "full" / "a-full.json"
    full.write_text(FULL.read_text())
    part = tmp_path / "partial" / "b-partial.json"
    part.write_text(json.dumps(_partial()))
    return full, part


def _check(machine: Any, verdict: Any, reference: Any) -> None:
    ref_machine, ref_verdict = reference
    # The sections the partial inventory lacks are as the full one left them ...
    for name in ("encrypted_volumes", "user_data_gb", "disk_gb", "controllers", "users"):
        assert getattr(machine, name) == getattr(ref_machine, name), name
    assert machine.encrypted_volumes == ("C:",)
    assert "bitlocker" in {r.code for r in verdict.reasons}
    assert verdict.status == ref_verdict.status != "ready"
    # ... and the softwares are the partial inventory's.
    assert [s.name for s in machine.softwares] == [
        "Microsoft Office Professionnel Plus 2016",
        "Gestion des congés CONGES+",
    ]
    assert machine.inventory_date == "2026-10-02 09:00:00"
    assert machine.partial == ()  # merged into a full record


def test_partial_after_full_in_a_later_import(tmp_path: Path, files: tuple[Path, Path]) -> None:
    full, part = files
    reference = _stored(tmp_path / "ref", [full])
    machine, verdict = _stored(tmp_path, [full], [part])
    _check(machine, verdict, reference)


def test_partial_and_full_in_one_import_in_either_order(
    tmp_path: Path, files: tuple[Path, Path]
) -> None:
    full, part = files
    reference = _stored(tmp_path / "ref", [full])
    _check(*_stored(tmp_path / "one", [full, part]), reference)
    _check(*_stored(tmp_path / "reversed", [part, full]), reference)


def test_partial_older_than_the_stored_full_changes_nothing(
    tmp_path: Path, files: tuple[Path, Path]
) -> None:
    full, part = files
    stale = _partial()
    stale["content"]["accesslog"] = {"logdate": "2026-01-01 00:00:00"}
    part.write_text(json.dumps(stale))
    reference = _stored(tmp_path / "ref", [full])
    machine, _verdict = _stored(tmp_path, [full], [part])
    assert machine.softwares == reference[0].softwares


def test_agent_fields_read_antivirus_remote_printers_and_software_kinds() -> None:
    doc = json.loads(FULL.read_text())
    content = doc["content"]
    content["softwares"] += [
        {"name": "Microsoft Edge Update", "publisher": "Microsoft", "from": "registry",
         "system_category": "system_component"},
        {"name": "KB5034441", "from": "WMI", "system_category": "security_update"},
        {"name": "Microsoft WindowsCalculator", "publisher": "Microsoft Corporation",
         "from": "uwp"},
    ]  # fmt: skip
    content["antivirus"] = [
        {"name": "Microsoft Defender Antivirus", "company": "Microsoft Corporation",
         "enabled": True, "uptodate": True, "version": "4.18.24090.11"},
    ]  # fmt: skip
    content["remote_mgmt"] = [{"type": "teamviewer", "id": "1234567890"}]
    content["printers"] = [
        {"name": "HP LaserJet M507 - 2e étage", "port": "IP_10.1.2.50", "network": True},
        {"name": "Microsoft Print to PDF", "port": "PORTPROMPT:"},
    ]  # fmt: skip
    m = parse_glpi(doc, "x.json")
    kinds = {s.name: s.kind for s in m.softwares}
    assert kinds["Microsoft Edge Update"] == SYSTEM and kinds["KB5034441"] == SYSTEM
    assert kinds["Microsoft WindowsCalculator"] == STORE
    assert kinds["Google Chrome"] == ""
    assert [(a.name, a.publisher, a.kind) for a in m.antivirus] == [
        ("Microsoft Defender Antivirus", "Microsoft Corporation", ANTIVIRUS)
    ]
    assert [(r.name, r.kind) for r in m.remote_mgmt] == [("teamviewer", REMOTE)]
    assert m.printers == ("HP LaserJet M507 - 2e étage (IP_10.1.2.50)",
                          "Microsoft Print to PDF (PORTPROMPT:)")  # fmt: skip
    assert m.partial == ()
    verdict = prepare.assessor_for(load_config(None)).assess(m)
    # Updates, system components and Store packages are not the user's unknown titles; the
    # antivirus and the remote tool count as the catalogue's entries.
    assert "KB5034441" not in verdict.unmatched
    assert "Microsoft WindowsCalculator" not in verdict.unmatched
    assert "Logiciel RH maison" in verdict.unmatched
    ids = {e.id for e in verdict.matched}
    assert {"defender", "teamviewer"} <= ids
