"""The documented CSV format, for fleets without GLPI."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovmigrate.fleet.csvfmt import COLUMNS, parse_csv
from sovmigrate.fleet.glpi import InvalidInventory
from sovmigrate.fleet.importer import load_fleet

CSV = Path(__file__).parents[2] / "data" / "glpi" / "csv"


def test_semicolon_csv_with_french_decimals() -> None:
    machines = load_fleet([CSV / "fleet.csv"]).machines
    first, second = machines
    assert (first.name, first.key, first.site, first.department) == (
        "PC-CSV-1", "SN001", "MARSEILLE", "Finances",
    )  # fmt: skip
    assert first.user_data_gb == 12.5 and first.ram_mb == 8192 and first.arch_bits == 64
    assert not first.has_wifi and second.has_wifi
    assert [s.publisher for s in first.softwares] == ["Microsoft", "Google LLC"]
    assert second.encrypted_volumes == ("C:",) and second.users == ("lea", "jean")
    assert second.controllers[0].pciclass == "0280"


def test_unknown_column_is_named() -> None:
    with pytest.raises(
        InvalidInventory, match=r"unknown-column\.csv: line 1: unknown column 'colour'"
    ):
        load_fleet([CSV / "unknown-column.csv"])


def test_bad_number_names_line_and_column() -> None:
    with pytest.raises(InvalidInventory, match=r"bad-number\.csv: line 3: column ram_mb: 'huit'"):
        load_fleet([CSV / "bad-number.csv"])


def test_bad_pci_and_missing_name() -> None:
    with pytest.raises(InvalidInventory, match="line 2: column pci_ids"):
        parse_csv(b"name,pci_ids\npc,8086-24fd\n", "x.csv")
    with pytest.raises(InvalidInventory, match="line 2: column name: empty"):
        parse_csv(b"name,site\n,PARIS\n", "x.csv")
    with pytest.raises(InvalidInventory, match="no 'name' column"):
        parse_csv(b"site\nPARIS\n", "x.csv")


def test_every_documented_column_is_accepted() -> None:
    header = ",".join(COLUMNS)
    row = ",".join("PC-9" if c == "name" else "" for c in COLUMNS)
    assert parse_csv(f"{header}\n{row}\n".encode(), "all.csv")[0].name == "PC-9"


def test_pci_ids_may_give_the_subsystem() -> None:
    [m] = parse_csv(b"name,pci_ids\npc,8086:24f3:0280:8086:0010|10ec:8168\n", "x.csv")
    assert [(c.vendor, c.device, c.pciclass, c.subvendor, c.subdevice) for c in m.controllers] == [
        ("8086", "24f3", "0280", "8086", "0010"),
        ("10ec", "8168", "", "", ""),
    ]
    with pytest.raises(InvalidInventory, match="vendor:device\\[:class\\[:subvendor:subdevice"):
        parse_csv(b"name,pci_ids\npc,8086:24f3:0280:8086\n", "x.csv")
