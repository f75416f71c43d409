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

import contextlib
import re
import sys
from collections.abc import Mapping
from typing import Any

from sovmigrate.errors import UsageError
from sovmigrate.fleet.model import UNKNOWN, Controller, Machine, Software, remember
from sovmigrate.fleet.model import shared_controller as _controller
from sovmigrate.fleet.model import shared_software as _software

# A Windows volume's used space minus this is taken as user data (the OS and applications).
SYSTEM_BASELINE_GB = 25.0

_JUNK_UUIDS = {
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "03000200-0400-0500-0006-000700080009",
}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_HEX4 = re.compile(r"^[0-9a-fA-F]{4}$")


class InvalidInventory(UsageError):
    """A file that cannot be imported; the message names the file and the field."""


def _fail(source: str, where: str, why: str) -> InvalidInventory:
    return InvalidInventory(f"{source}: {where}: {why}")


# Fast paths test ``type(x) is dict`` first: json.loads only makes dicts, lists, str, int,
# float, bool and None, and the abc checks of ``isinstance(x, Mapping)`` cost a third of the
# parse time on 80,000 inventories.


def _obj(value: Any, source: str, where: str) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _fail(source, where, f"expected an object, found {type(value).__name__}")
    return value


def _list(value: Any, source: str, where: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if type(value) is dict:  # some converters emit a lone object for a one-item list
        return [value]
    # set(map(type, ...)) runs in C: a third of the cost of all(... for v in value).
    if type(value) is not list or (value and set(map(type, value)) != _DICT_ONLY):
        raise _fail(source, where, "expected a list of objects")
    return value


_DICT_ONLY = {dict}


def _text(value: Any, source: str, where: str) -> str:
    kind = type(value)
    if kind is str:
        return str(value).strip()
    if value is None:
        return ""
    if kind is int or kind is float:
        return str(value)
    raise _fail(source, where, f"expected text, found {kind.__name__}")


def _word(value: Any, source: str, where: str) -> str:
    """Text repeated across the fleet (titles, publishers): interned, stored once."""
    return sys.intern(_text(value, source, where))


def _num(value: Any, source: str, where: str) -> float:
    kind = type(value)
    if kind is int or kind is float:
        number = float(value)
    elif value is None or value == "":
        return 0.0
    elif kind is str:
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            raise _fail(source, where, f"{value!r} is not a number") from None
    elif kind is bool:
        raise _fail(source, where, "expected a number, found a boolean")
    else:
        raise _fail(source, where, f"expected a number, found {kind.__name__}")
    if number != number or number < 0 or number == float("inf"):
        raise _fail(source, where, f"{value!r} is not a size")
    return number


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


# Devices and installations as the agent wrote them -> the shared Controller (None: not a PCI
# device) or Software. Across a fleet the same few thousand raw entries repeat ~1.5 million
# times: looking the raw strings up skips the strip, intern and tuple work for all but the
# first (bounded: ``remember``).
_raw_controllers: dict[tuple[str, ...], Controller | None] = {}
_raw_softwares: dict[tuple[Any, Any, Any], tuple[Software, tuple[str, str]] | None] = {}


def _controllers(items: list[Mapping[str, Any]], source: str) -> tuple[Controller, ...]:
    found = []
    intern = sys.intern
    known = _raw_controllers
    for i, item in enumerate(items):
        vendor, device = item.get("vendorid"), item.get("productid")
        name = item.get("name") or item.get("caption")
        pciclass, kind = item.get("pciclass"), item.get("type")
        # Fast path for well-formed text (nearly every item): the checked path below builds
        # the field names for its messages, which cost more than the parse itself.
        if (
            type(vendor) is str
            and type(device) is str
            and type(name) is str
            and type(pciclass) is str
            and type(kind) is str
        ):
            raw = (vendor, device, name, pciclass, kind)
            if raw in known:
                shared = known[raw]
            else:
                vendor, device = vendor.strip().lower(), device.strip().lower()
                shared = None
                if _HEX4.match(vendor) and _HEX4.match(device):
                    shared = _controller(
                        intern(vendor),
                        intern(device),
                        intern(name.strip()),
                        intern(pciclass.strip().lower()),
                        intern(kind.strip()),
                    )
                remember(known, raw, shared)
            if shared is not None:
                found.append(shared)
            continue
        where = f"content.controllers[{i}]"
        vendor = intern(_text(vendor, source, f"{where}.vendorid").lower())
        device = intern(_text(device, source, f"{where}.productid").lower())
        if not (_HEX4.match(vendor) and _HEX4.match(device)):
            continue  # USB hubs and virtual devices come without PCI ids
        found.append(
            _controller(
                vendor,
                device,
                _word(name, source, f"{where}.name"),
                intern(_text(pciclass, source, f"{where}.pciclass").lower()),
                _word(kind, source, f"{where}.type"),
            )
        )
    return tuple(found)


def _softwares(items: list[Mapping[str, Any]], source: str) -> tuple[Software, ...]:
    seen: dict[tuple[str, str], Software] = {}
    known = _raw_softwares
    for i, item in enumerate(items):
        raw = (item.get("name"), item.get("publisher"), item.get("version"))
        try:
            entry = known[raw]  # the common case: an installation seen on another machine
        except (KeyError, TypeError):  # new, or a list/object where text belongs
            entry = _new_software(raw, source, i)
        if entry is not None:
            software, ident = entry
            if ident not in seen:
                seen[ident] = software
    return tuple(seen.values())


def _new_software(
    raw: tuple[Any, Any, Any], source: str, i: int
) -> tuple[Software, tuple[str, str]] | None:
    """The shared Software of an installation and its (name, publisher); None: no title.

    Raises ``InvalidInventory`` for a value that is not text."""
    name, publisher, version = raw
    name = _word(name, source, f"content.softwares[{i}].name")
    if not name:
        entry = None
    else:
        publisher = _word(publisher, source, f"content.softwares[{i}].publisher")
        software = _software(
            name, publisher, _text(version, source, f"content.softwares[{i}].version")
        )
        entry = (software, (software.name, software.publisher))
    # Same raw values, same outcome: remembered, unless unhashable (a list or object in a
    # field not read, for an installation without title).
    with contextlib.suppress(TypeError):
        remember(_raw_softwares, raw, entry)
    return entry


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
    networks = _list(content.get("networks"), source, "content.networks")
    controllers = _controllers(
        _list(content.get("controllers"), source, "content.controllers"), source
    )
    wifi = any(str(n.get("type", "")).lower() in ("wifi", "wireless") for n in networks) or any(
        c.pciclass.startswith("0280") for c in controllers
    )
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
        softwares=_softwares(_list(content.get("softwares"), source, "content.softwares"), source),
        users=users,
        has_wifi=wifi,
        inventory_date=str(logdate),
        source=source,
    )
