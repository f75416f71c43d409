"""GLPI native inventory JSON (glpi-agent ``--json``, GLPI's stored inventories) -> Machine.

Schema: glpi-project/inventory_format ``inventory.schema.json``: a top-level object with
``deviceid`` and ``content`` (``hardware``, ``bios``, ``cpus``, ``memories``, ``storages``,
``drives``, ``softwares``, ``operatingsystem``, ``users``, ``networks``, ``controllers``...).
Sizes are in MB. Agent quirks handled here:

- the Windows agent reports ``cpus[].arch`` as ``i386`` even on 64-bit CPUs: the width comes
  from ``operatingsystem.arch`` ("64-bit", "64 bits" on a French Windows, "x86_64");
- it reports neither UEFI nor Secure Boot: ``firmware`` stays ``unknown``;
- placeholder hardware UUIDs (all zeros, all F, the 03000200-0400-... OEM default) are not an
  identity: such machines are keyed by ``deviceid``.

The site and department come from the agent's tag (``--tag``, top-level ``tag`` or
``content.accountinfo`` TAG) written ``SITE`` or ``SITE/DEPARTMENT``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sovmigrate.fleet.glpi_devices import controllers as _controllers
from sovmigrate.fleet.glpi_devices import network_cards, protection, softwares
from sovmigrate.fleet.glpi_fields import InvalidInventory
from sovmigrate.fleet.glpi_fields import fail as _fail
from sovmigrate.fleet.glpi_fields import items as _list
from sovmigrate.fleet.glpi_fields import num as _num
from sovmigrate.fleet.glpi_fields import obj as _obj
from sovmigrate.fleet.glpi_fields import text as _text
from sovmigrate.fleet.model import UNKNOWN, Machine

__all__ = ["InvalidInventory", "arch_bits", "parse_glpi"]  # InvalidInventory: re-exported

# A Windows volume's used space minus this is taken as user data (the OS and applications).
SYSTEM_BASELINE_GB = 25.0

_JUNK_UUIDS = {
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "03000200-0400-0500-0006-000700080009",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def arch_bits(text: str) -> int | None:
    """'64-bit', '64 bits', 'x86_64', 'amd64' -> 64; '32-bit', 'i686', 'x86' -> 32."""
    low = text.lower()
    if not low:
        return None
    if "64" in low:
        return 64
    if "32" in low or low in ("i386", "i486", "i586", "i686", "x86"):
        return 32
    return None


def _tag(doc: Mapping[str, Any], content: Mapping[str, Any], source: str) -> str:
    tag = _text(doc.get("tag"), source, "tag")
    if tag:
        return tag
    info = content.get("accountinfo")
    entries = info if isinstance(info, list) else [info] if isinstance(info, Mapping) else []
    for entry in entries:
        if isinstance(entry, Mapping) and str(entry.get("keyname", "")).upper() == "TAG":
            return _text(entry.get("keyvalue"), source, "content.accountinfo.keyvalue")
    return ""


def _identity(doc: Mapping[str, Any], hardware: Mapping[str, Any], source: str) -> tuple[str, str]:
    deviceid = _text(doc.get("deviceid"), source, "deviceid")
    if not deviceid:
        raise _fail(source, "deviceid", "missing (required by the GLPI inventory format)")
    uuid = _text(hardware.get("uuid"), source, "content.hardware.uuid").lower()
    if not _UUID.match(uuid) or uuid in _JUNK_UUIDS:
        uuid = ""
    return deviceid, uuid


def _drives(items: list[Mapping[str, Any]], source: str) -> tuple[float, float, tuple[str, ...]]:
    """System volume used GB, other local volumes used GB, encrypted volume names."""
    system_used = other_used = 0.0
    encrypted: list[str] = []
    for i, item in enumerate(items):
        where = f"content.drives[{i}]"
        kind = _text(item.get("type") or item.get("description"), source, f"{where}.type").lower()
        if "network" in kind or "removable" in kind or "cd" in kind:
            continue
        total = _num(item.get("total"), source, f"{where}.total")
        free = _num(item.get("free"), source, f"{where}.free")
        used = max(0.0, total - free) / 1024
        label = _text(item.get("letter") or item.get("volumn"), source, f"{where}.letter")
        if item.get("systemdrive") in (True, 1, "1", "true") or label.upper() == "C:":
            system_used += used
        else:
            other_used += used
        status = _text(item.get("encrypt_status"), source, f"{where}.encrypt_status").lower()
        if status in ("yes", "partially", "oui", "partiellement", "true", "1"):
            encrypted.append(label or f"#{i}")
    return system_used, other_used, tuple(encrypted)


def parse_glpi(doc: Any, source: str) -> Machine:
    """One GLPI inventory document -> Machine; ``InvalidInventory`` names file and field."""
    if not isinstance(doc, Mapping):
        raise _fail(source, "top level", "not a GLPI inventory (expected a JSON object)")
    if "content" not in doc:
        raise _fail(source, "content", "missing: not a GLPI inventory")
    itemtype = _text(doc.get("itemtype"), source, "itemtype")
    if itemtype and itemtype.lower() != "computer":
        raise _fail(source, "itemtype", f"{itemtype!r} is not a computer")
    content = _obj(doc["content"], source, "content")
    hardware = _obj(content.get("hardware"), source, "content.hardware")
    bios = _obj(content.get("bios"), source, "content.bios")
    osys = _obj(content.get("operatingsystem"), source, "content.operatingsystem")
    deviceid, uuid = _identity(doc, hardware, source)
    name = _text(hardware.get("name"), source, "content.hardware.name")
    name = name or _text(osys.get("fqdn"), source, "content.operatingsystem.fqdn").split(".")[0]
    if not name:
        raise _fail(source, "content.hardware.name", "missing (no machine name)")

    cpus = _list(content.get("cpus"), source, "content.cpus")
    bits = arch_bits(_text(osys.get("arch"), source, "content.operatingsystem.arch"))
    if bits is None and cpus:
        # cpus[].arch is only believed when it says 64: the Windows agent says i386 regardless.
        cpu_arch = _text(cpus[0].get("arch"), source, "content.cpus[0].arch")
        bits = 64 if arch_bits(cpu_arch) == 64 else None
    ram = _num(hardware.get("memory"), source, "content.hardware.memory")
    if not ram:
        memories = _list(content.get("memories"), source, "content.memories")
        ram = sum(
            _num(m.get("capacity"), source, f"content.memories[{i}].capacity")
            for i, m in enumerate(memories)
        )
    disks = []
    for i, st in enumerate(_list(content.get("storages"), source, "content.storages")):
        iface = _text(st.get("interface"), source, f"content.storages[{i}].interface").upper()
        if iface != "USB":
            disks.append(_num(st.get("disksize"), source, f"content.storages[{i}].disksize"))
    system_used, other_used, encrypted = _drives(
        _list(content.get("drives"), source, "content.drives"), source
    )
    controllers, wifi = network_cards(
        _list(content.get("networks"), source, "content.networks"),
        source,
        _controllers(_list(content.get("controllers"), source, "content.controllers"), source),
    )
    antivirus, remote, printers = protection(content, source)
    users = tuple(
        sorted(
            {
                _text(u.get("login"), source, "content.users.login")
                for u in _list(content.get("users"), source, "content.users")
            }
            - {""}
        )
    )
    tag = _tag(doc, content, source)
    site, _, department = tag.partition("/")
    logdate = _obj(content.get("accesslog"), source, "content.accesslog").get("logdate", "")
    return Machine(
        key=uuid or deviceid,
        name=name,
        deviceid=deviceid,
        uuid=uuid,
        serial=_text(bios.get("ssn"), source, "content.bios.ssn"),
        manufacturer=_text(bios.get("smanufacturer"), source, "content.bios.smanufacturer")
        or UNKNOWN,
        model=_text(bios.get("smodel"), source, "content.bios.smodel") or UNKNOWN,
        chassis=_text(hardware.get("chassis_type"), source, "content.hardware.chassis_type").lower()
        or UNKNOWN,
        site=site.strip() or UNKNOWN,
        department=department.strip() or UNKNOWN,
        os_name=_text(osys.get("full_name") or osys.get("name"), source, "content.operatingsystem"),
        os_version=_text(osys.get("version"), source, "content.operatingsystem.version"),
        arch_bits=bits,
        cpu=_text(cpus[0].get("name"), source, "content.cpus[0].name") if cpus else "",
        ram_mb=int(ram),
        disk_gb=round(max(disks, default=0.0) / 1024, 1),
        system_used_gb=round(system_used, 1),
        user_data_gb=round(max(0.0, system_used - SYSTEM_BASELINE_GB) + other_used, 1),
        encrypted_volumes=encrypted,
        controllers=controllers,
        softwares=softwares(_list(content.get("softwares"), source, "content.softwares"), source),
        antivirus=antivirus,
        remote_mgmt=remote,
        printers=printers,
        users=users,
        has_wifi=wifi,
        inventory_date=str(logdate),
        source=source,
        partial=_partial(doc, content),
    )


def _partial(doc: Mapping[str, Any], content: Mapping[str, Any]) -> tuple[str, ...]:
    """The sections a partial inventory carries (``"partial": true``); () for a full one."""
    if doc.get("partial") not in (True, 1, "1", "true"):
        return ()
    return tuple(sorted(str(k) for k in content))
