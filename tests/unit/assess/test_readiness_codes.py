"""Each readiness code is triggered by a machine that has the problem, and only by it."""

# ruff: noqa: E501  (test tables read best one case a line)

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sovmigrate.assess.catalogue import load_catalogue
from sovmigrate.assess.config import load_config
from sovmigrate.assess.pci import default_pci_table
from sovmigrate.assess.readiness import Assessor
from sovmigrate.errors import UsageError
from sovmigrate.fleet.glpi import parse_glpi
from sovmigrate.fleet.model import Controller, Machine, Software

GOOD = Path(__file__).parents[2] / "data" / "glpi" / "good"
CODES = {
    "arch-32bit", "arch-unknown", "ram-unknown", "ram-too-low", "ram-low", "disk-too-small",
    "disk-small", "disk-unknown", "bitlocker", "driver-missing-wifi", "driver-missing-network",
    "driver-missing-other", "software-windows-only", "data-transfer-slow", "firmware-unknown",
    "driver-uncertain", "firmware-nonfree", "firmware-nonfree-other", "software-not-reviewed",
}  # fmt: skip


def _assessor(config_path: Path | None = None) -> Assessor:
    config = load_config(config_path)
    return Assessor(config, load_catalogue(extra=config.catalogue_extra), default_pci_table())


def _healthy(**changes: object) -> Machine:
    m = Machine(
        key="k1", name="pc-1", manufacturer="Dell Inc.", model="Latitude 5420", arch_bits=64,
        ram_mb=16384, disk_gb=512, user_data_gb=20, firmware="uefi", site="PARIS",
        controllers=(Controller("8086", "15bb", "I219-LM", "0200"),),  # e1000e, no firmware
        softwares=(Software("Microsoft Office Professionnel Plus 2016", "Microsoft Corporation"),),
    )  # fmt: skip
    for key, value in changes.items():
        setattr(m, key, value)
    return m


def _codes(machine: Machine, assessor: Assessor | None = None) -> set[str]:
    return {r.code for r in (assessor or _assessor()).assess(machine).reasons}


def test_rules_data_defines_exactly_the_codes_tested_here() -> None:
    assert set(load_config(None).rules["rules"]) == CODES


def test_a_healthy_machine_is_ready() -> None:
    verdict = _assessor().assess(_healthy())
    assert verdict.status == "ready" and verdict.reasons == ()


@pytest.mark.parametrize(
    ("changes", "code", "status"),
    [
        ({"arch_bits": 32}, "arch-32bit", "blocked"),
        ({"arch_bits": None}, "arch-unknown", "ready"),
        ({"ram_mb": 0}, "ram-unknown", "ready"),
        ({"ram_mb": 1024}, "ram-too-low", "blocked"),
        ({"ram_mb": 3072}, "ram-low", "needs-action"),
        ({"disk_gb": 20.0}, "disk-too-small", "blocked"),
        ({"disk_gb": 60.0}, "disk-small", "needs-action"),
        ({"disk_gb": 0.0}, "disk-unknown", "ready"),
        ({"encrypted_volumes": ("C:",)}, "bitlocker", "needs-action"),
        ({"controllers": (Controller("14e4", "43b1", "BCM4352", "0280"),)}, "driver-missing-wifi", "needs-action"),
        ({"controllers": (Controller("1d0f", "beef", "", "0200"),)}, "driver-missing-network", "needs-action"),
        ({"controllers": (Controller("1d0f", "cafe", "", "0403"),)}, "driver-missing-other", "ready"),
        ({"controllers": (Controller("8086", "24fd", "Wireless 8265", "0280"),)}, "driver-uncertain", "needs-action"),
        ({"controllers": (Controller("8086", "a0f0", "AX201", "0280"),)}, "firmware-nonfree", "needs-action"),
        ({"controllers": (Controller("8086", "9a49", "Iris Xe", "0300"),)}, "firmware-nonfree-other", "ready"),
        ({"softwares": (Software("Sage 100cloud Comptabilité", "Sage"),)}, "software-windows-only", "blocked"),
        ({"softwares": (Software("Gestion des congés CONGES+", "Éditeur régional"),)}, "software-not-reviewed", "needs-action"),
        ({"user_data_gb": 900.0}, "data-transfer-slow", "needs-action"),
        ({"firmware": "unknown"}, "firmware-unknown", "ready"),
    ],
)  # fmt: skip
def test_each_code(changes: dict[str, object], code: str, status: str) -> None:
    verdict = _assessor().assess(_healthy(**changes))
    assert {r.code for r in verdict.reasons} == {code}
    assert verdict.status == status
    assert verdict.reasons[0].message(_assessor().rules, "en")
    assert "{" not in verdict.reasons[0].message(_assessor().rules, "fr")


def test_broadcom_wifi_bound_only_by_the_bus_glue_has_no_driver() -> None:
    # The kernel table maps 14e4:43b1 to bcma (bus glue): the Wi-Fi itself needs wl (non-free).
    assert default_pci_table().modules("14e4", "43b1", "0280") == ("bcma",)


def test_wifi_bound_for_given_subsystems_only() -> None:
    """Intel 8260 (8086:24f3): iwlwifi claims it for 45 subdevices only (real aliases of the
    shipped Debian 13 kernel table)."""
    assessor = _assessor()

    def verdict(subvendor: str, subdevice: str) -> tuple[str, dict[str, str]]:
        card = Controller("8086", "24f3", "Wireless 8260", "0280", "", subvendor, subdevice)
        result = assessor.assess(_healthy(controllers=(card,)))
        return result.status, {r.code: r.message(assessor.rules, "en") for r in result.reasons}

    status, reasons = verdict("8086", "0010")  # a listed subdevice: driven, with firmware
    assert status == "needs-action" and set(reasons) == {"firmware-nonfree"}
    assert "install firmware-iwlwifi (non-free-firmware section)" in reasons["firmware-nonfree"]
    status, reasons = verdict("17aa", "4242")  # only other subsystems' aliases: no driver
    assert status == "needs-action" and set(reasons) == {"driver-missing-wifi"}
    status, reasons = verdict("", "")  # subsystem unknown: uncertain, never ready
    assert status == "needs-action" and set(reasons) == {"driver-uncertain"}
    assert "8086:24f3 Wireless 8260" in reasons["driver-uncertain"]


def test_firmware_the_image_installs_is_no_action(tmp_path: Path) -> None:
    settings = tmp_path / "campaign.yml"
    settings.write_text("readiness:\n  drivers: {image_firmware: [firmware-iwlwifi]}\n")
    card = Controller("8086", "a0f0", "AX201", "0280")
    assert _assessor(settings).assess(_healthy(controllers=(card,))).status == "ready"
    assert _assessor().assess(_healthy(controllers=(card,))).status == "needs-action"


def test_glpi_files_trigger_their_codes() -> None:
    assessor = _assessor()

    def codes(name: str) -> set[str]:
        return _codes(parse_glpi(json.loads((GOOD / name).read_text()), name), assessor)

    assert codes("paris-latitude-5420.json") == {
        "bitlocker", "firmware-unknown", "firmware-nonfree", "firmware-nonfree-other",
        "software-not-reviewed",  # "Logiciel RH maison"
    }  # fmt: skip
    assert {"arch-32bit", "ram-too-low", "software-windows-only"} <= codes("lyon-compaq-32bit.json")
    assert {"driver-missing-wifi", "driver-missing-network", "driver-missing-other",
            "disk-small", "ram-low"} <= codes("lille-broadcom.json")  # fmt: skip
    assert {"arch-unknown", "ram-unknown", "disk-unknown"} <= codes("minimal-sections-missing.json")


def test_campaign_overrides_levels_targets_and_catalogue(tmp_path: Path) -> None:
    settings = tmp_path / "campaign.yml"
    settings.write_text(
        "readiness:\n"
        "  target: {min_ram_mb: 32768}\n"
        "  rules:\n"
        "    bitlocker: {level: blocked}\n"
        "    firmware-unknown: {level: info, enabled: false}\n"
        "catalogue:\n"
        "  - {id: gestac, name: GESTAC, match: ['^appli métier gestac'], publisher: Unknown,\n"
        "     axis: databases, license: proprietary, action: exception, blocks: true}\n"
        "sites:\n"
        "  PARIS: {bandwidth_mbps: 2, window_hours: 1}\n"
    )
    assessor = _assessor(settings)
    verdict = assessor.assess(
        _healthy(
            encrypted_volumes=("C:",), firmware="unknown",
            softwares=(Software("Appli métier GESTAC", "Ministère"),),
        )
    )  # fmt: skip
    assert {r.code for r in verdict.reasons} == {
        "ram-low", "bitlocker", "software-windows-only", "data-transfer-slow",
    }  # fmt: skip
    assert verdict.status == "blocked"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("readiness:\n  rules:\n    no-such-code: {level: info}\n", "unknown code 'no-such-code'"),
        ("readiness:\n  rules:\n    bitlocker: {level: fatal}\n", "bitlocker.level"),
        ("readiness:\n  target: {min_ram_mb: -1}\n", "readiness.target.min_ram_mb"),
        ("sites:\n  PARIS: {bandwidth_mbps: fast}\n", "sites.PARIS.bandwidth_mbps"),
        ("colour: blue\n", "unknown section 'colour'"),
        (
            "readiness:\n  drivers: {image_firmware: firmware-iwlwifi}\n",
            "image_firmware: expected a list",
        ),
    ],
)
def test_bad_campaign_settings_are_named(tmp_path: Path, text: str, error: str) -> None:
    settings = tmp_path / "campaign.yml"
    settings.write_text(text)
    with pytest.raises(UsageError, match=error):
        load_config(settings)


def test_a_verdict_made_from_the_remembered_parts_is_the_one_made_afresh() -> None:
    # The assessor remembers the reasons of each software list and device set it has seen
    # (a fleet repeats a few hundred of them): a machine assessed after others that share
    # them gets the verdict a fresh assessor gives it, reasons in the same order.
    shared = _assessor()
    wifi = Controller("8086", "24fd", "Wireless 8265", "0280")
    other = Software("Outil Metier Inconnu", "Editeur Local")
    machines = [
        _healthy(),
        _healthy(controllers=(wifi,), softwares=(other,), ram_mb=2048),
        _healthy(controllers=(wifi,), softwares=(other,), encrypted_volumes=("C:",)),
        _healthy(softwares=(other,)),
        _healthy(controllers=(wifi,)),
    ]
    for machine in machines:
        assert shared.assess(machine) == _assessor().assess(machine)
    again = [shared.assess(m) for m in machines]
    assert again == [_assessor().assess(m) for m in machines]
    assert any(r.code == "software-not-reviewed" for r in again[1].reasons)
