"""The CSV inventory format, for fleets without GLPI (documented in docs/campaign.md).

One machine per line; the header names the columns; ``,`` or ``;`` separated (LibreOffice Calc
in French writes ``;``); UTF-8 with or without BOM. Only ``name`` is required. Lists inside a
cell are separated by ``|``; a software is ``name`` or ``name@publisher``.
"""

from __future__ import annotations

import csv
import io
import sys

from sovmigrate.fleet.glpi import InvalidInventory, arch_bits
from sovmigrate.fleet.model import UNKNOWN, Controller, Machine, Software

COLUMNS: dict[str, str] = {
    "id": "stable identity (serial, UUID or asset tag); defaults to name",
    "name": "host name (required)",
    "site": "site code",
    "department": "department or service",
    "manufacturer": "hardware manufacturer",
    "model": "hardware model",
    "chassis": "laptop, desktop...",
    "os": "operating system name",
    "arch": "32 or 64 (also 32-bit, x86_64...)",
    "ram_mb": "memory in MB",
    "disk_gb": "disk capacity in GB",
    "user_data_gb": "user data to move in GB",
    "encrypted_volumes": "BitLocker volumes, e.g. C:|D: (empty: none)",
    "pci_ids": "PCI controllers vendor:device[:class], e.g. 8086:24f3:0280|10ec:8168:0200",
    "wifi": "yes if the machine has Wi-Fi",
    "softwares": "installed software, e.g. Microsoft Office 2016@Microsoft|7-Zip",
    "users": "user logins",
}
_NUMBERS = ("ram_mb", "disk_gb", "user_data_gb")
_YES = {"yes", "oui", "true", "1", "y", "o"}


def _number(value: str, source: str, line: int, column: str) -> float:
    text = value.strip().replace(",", ".").replace("\u202f", "").replace(" ", "")
    if not text:
        return 0.0
    try:
        number = float(text)
    except ValueError:
        raise InvalidInventory(
            f"{source}: line {line}: column {column}: {value!r} is not a number"
        ) from None
    if number != number or number < 0 or number == float("inf"):
        raise InvalidInventory(f"{source}: line {line}: column {column}: {value!r} is not a size")
    return number


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split("|") if v.strip()]


def _pci(value: str, source: str, line: int) -> tuple[Controller, ...]:
    found = []
    for item in _split(value):
        parts = item.lower().split(":")
        # vendor:device[:class[:subvendor:subdevice]]: the subsystem decides for some drivers
        if len(parts) not in (2, 3, 5) or not all(
            len(p) == 4 and all(c in "0123456789abcdef" for c in p) for p in parts
        ):
            raise InvalidInventory(
                f"{source}: line {line}: column pci_ids: {item!r} is not "
                "vendor:device[:class[:subvendor:subdevice]]"
            )
        klass = parts[2] if len(parts) >= 3 else ""
        sub = (parts[3], parts[4]) if len(parts) == 5 else ("", "")
        found.append(Controller(parts[0], parts[1], "", klass, "", *sub))
    return tuple(found)


def parse_csv(data: bytes, source: str) -> list[Machine]:
    """Every machine of a CSV file, or ``InvalidInventory`` naming the line and the column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInventory(f"{source}: not UTF-8 text ({exc.reason})") from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in reader.fieldnames or []]
    if "name" not in header:
        raise InvalidInventory(f"{source}: line 1: the header has no 'name' column")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InvalidInventory(
            f"{source}: line 1: unknown column {unknown[0]!r} (known: {', '.join(COLUMNS)})"
        )
    reader.fieldnames = header
    machines = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InvalidInventory(f"{source}: line {line}: more cells than columns")
        cells = {k: sys.intern((v or "").strip()) for k, v in row.items()}
        if not any(cells.values()):
            continue
        if not cells.get("name"):
            raise InvalidInventory(f"{source}: line {line}: column name: empty")
        nums = {c: _number(cells.get(c, ""), source, line, c) for c in _NUMBERS}
        arch = cells.get("arch", "")
        bits = arch_bits(arch if not arch.isdigit() else f"{arch}-bit")
        if arch and bits is None:
            raise InvalidInventory(f"{source}: line {line}: column arch: {arch!r} is not 32 or 64")
        controllers = _pci(cells.get("pci_ids", ""), source, line)
        softwares = []
        for item in _split(cells.get("softwares", "")):
            name, _, publisher = item.partition("@")
            softwares.append(Software(name.strip(), publisher.strip()))
        machines.append(
            Machine(
                key=cells.get("id") or cells["name"],
                name=cells["name"],
                serial=cells.get("id", ""),
                manufacturer=cells.get("manufacturer") or UNKNOWN,
                model=cells.get("model") or UNKNOWN,
                chassis=(cells.get("chassis") or UNKNOWN).lower(),
                site=cells.get("site") or UNKNOWN,
                department=cells.get("department") or UNKNOWN,
                os_name=cells.get("os", ""),
                arch_bits=bits,
                ram_mb=int(nums["ram_mb"]),
                disk_gb=nums["disk_gb"],
                user_data_gb=nums["user_data_gb"],
                encrypted_volumes=tuple(_split(cells.get("encrypted_volumes", ""))),
                controllers=controllers,
                softwares=tuple(softwares),
                users=tuple(_split(cells.get("users", ""))),
                has_wifi=cells.get("wifi", "").lower() in _YES
                or any(c.pciclass.startswith("0280") for c in controllers),
                source=f"{source}:{line}",
            )
        )
    return machines
