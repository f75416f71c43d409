"""The devices and installed software of a GLPI inventory: ``controllers`` and ``networks``
(PCI identities with their subsystems), ``softwares`` (with what the agent says each is),
``antivirus``, ``remote_mgmt`` and ``printers``."""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Mapping
from typing import Any

from sovmigrate.fleet.glpi_fields import HEX4, items, text, word
from sovmigrate.fleet.model import (
    ANTIVIRUS,
    APPLICATION,
    REMOTE,
    STORE,
    SYSTEM,
    Controller,
    Software,
    remember,
)
from sovmigrate.fleet.model import shared_controller as _controller
from sovmigrate.fleet.model import shared_software as _software

# Devices and installations as the agent wrote them -> the shared Controller (None: not a PCI
# device) or Software. Across a fleet the same few thousand raw entries repeat ~1.5 million
# times: looking the raw strings up skips the strip, intern and tuple work for all but the
# first (bounded: ``remember``).
_raw_controllers: dict[tuple[str, ...], Controller | None] = {}
_raw_softwares: dict[tuple[Any, ...], tuple[Software, tuple[str, str]] | None] = {}
_TEXT_OR_NONE = frozenset({str, type(None)})


def _subsystem(value: str) -> tuple[str, str]:
    """``pcisubsystemid`` ``"1028:0a1d"`` (subvendor:subdevice, as the agent writes it from
    ``SUBSYS_0A1D1028``) -> ("1028", "0a1d"); ("", "") when absent or malformed."""
    vendor, _, device = value.strip().lower().partition(":")
    if HEX4.match(vendor) and HEX4.match(device):
        return vendor, device
    return "", ""


def controllers(items: list[Mapping[str, Any]], source: str) -> tuple[Controller, ...]:
    found = []
    intern = sys.intern
    known = _raw_controllers
    for i, item in enumerate(items):
        vendor, device = item.get("vendorid"), item.get("productid")
        name = item.get("name") or item.get("caption")
        pciclass, kind = item.get("pciclass") or "", item.get("type") or ""
        subsystem = item.get("pcisubsystemid") or ""
        # Fast path for well-formed text (nearly every item): the checked path below builds
        # the field names for its messages, which cost more than the parse itself.
        if (
            type(vendor) is str
            and type(device) is str
            and type(name) is str
            and type(pciclass) is str
            and type(kind) is str
            and type(subsystem) is str
        ):
            raw = (vendor, device, name, pciclass, kind, subsystem)
            if raw in known:
                shared = known[raw]
            else:
                vendor, device = vendor.strip().lower(), device.strip().lower()
                shared = None
                if HEX4.match(vendor) and HEX4.match(device):
                    shared = _controller(
                        intern(vendor),
                        intern(device),
                        intern(name.strip()),
                        intern(pciclass.strip().lower()),
                        intern(kind.strip()),
                        *_subsystem(subsystem),
                    )
                remember(known, raw, shared)
            if shared is not None:
                found.append(shared)
            continue
        where = f"content.controllers[{i}]"
        vendor = intern(text(vendor, source, f"{where}.vendorid").lower())
        device = intern(text(device, source, f"{where}.productid").lower())
        if not (HEX4.match(vendor) and HEX4.match(device)):
            continue  # USB hubs and virtual devices come without PCI ids
        found.append(
            _controller(
                vendor,
                device,
                word(name, source, f"{where}.name"),
                intern(text(pciclass, source, f"{where}.pciclass").lower()),
                word(kind, source, f"{where}.type"),
                *_subsystem(text(subsystem, source, f"{where}.pcisubsystemid")),
            )
        )
    return tuple(found)


# A network card's PCI identity: ``pciid`` "8086:24FD:0010:8086" (vendor, device, subdevice,
# subvendor) or ``pnpdeviceid`` "PCI\VEN_8086&DEV_24FD&SUBSYS_00108086&REV_78\...".
_PCIID = re.compile(r"^([0-9a-f]{4}):([0-9a-f]{4})(?::([0-9a-f]{4}):([0-9a-f]{4}))?$")
_PNP = re.compile(
    r"^pci\\ven_([0-9a-f]{4})&dev_([0-9a-f]{4})(?:&subsys_([0-9a-f]{4})([0-9a-f]{4}))?"
)


def network_cards(
    items: list[Mapping[str, Any]], source: str, controllers: tuple[Controller, ...]
) -> tuple[tuple[Controller, ...], bool]:
    """The controllers completed with the PCI network cards of ``networks`` (class 0280 for
    Wi-Fi, 0200 for Ethernet: the Windows agent gives controllers no class, and a card's
    subsystem often only here), and whether the machine has Wi-Fi."""
    wifi = any(c.pciclass.startswith("0280") for c in controllers)
    cards = list(controllers)
    for i, item in enumerate(items):
        where = f"content.networks[{i}]"
        kind = text(item.get("type"), source, f"{where}.type").lower()
        is_wifi = kind in ("wifi", "wireless")
        wifi = wifi or is_wifi
        if item.get("virtualdev") in (True, 1, "1"):
            continue
        ident = _PCIID.match(text(item.get("pciid"), source, f"{where}.pciid").lower())
        ident = ident or _PNP.match(
            text(item.get("pnpdeviceid"), source, f"{where}.pnpdeviceid").lower()
        )
        if ident is None:
            continue
        vendor, device, subdevice, subvendor = (g or "" for g in ident.groups())
        klass = "0280" if is_wifi else "0200" if kind == "ethernet" else ""
        same = [n for n, c in enumerate(cards) if (c.vendor, c.device) == (vendor, device)]
        for n in same:
            c = cards[n]
            cards[n] = c._replace(
                pciclass=c.pciclass or klass,
                subvendor=c.subvendor or subvendor,
                subdevice=c.subdevice or subdevice,
            )
        if not same:
            name = word(item.get("description"), source, f"{where}.description")
            cards.append(_controller(vendor, device, name, klass, kind, subvendor, subdevice))
    return tuple(cards), wifi


# system_category values of what is not the user's software (glpi-agent's Win32 constants).
_SYSTEM_CATEGORIES = frozenset({"system_component", "update", "security_update", "hotfix"})


def _kind(category: Any, origin: Any) -> str:
    if type(origin) is str and origin.lower() == "uwp":
        return STORE
    if type(category) is str and category.strip().lower() in _SYSTEM_CATEGORIES:
        return SYSTEM
    return APPLICATION


def softwares(items: list[Mapping[str, Any]], source: str) -> tuple[Software, ...]:
    seen: dict[tuple[str, str], Software] = {}
    known = _raw_softwares
    for i, item in enumerate(items):
        # Looked up by the agent's raw values, the category and origin included: what they
        # make of the kind (``_kind``) is then only worked out for a new installation.
        raw = (
            item.get("name"),
            item.get("publisher"),
            item.get("version"),
            item.get("system_category"),
            item.get("from"),
        )
        try:
            entry = known[raw]  # the common case: an installation seen on another machine
        except (KeyError, TypeError):  # new, or a list/object where text belongs
            fields = (raw[0], raw[1], raw[2], _kind(raw[3], raw[4]))
            entry = _new_software(fields, source, i, "softwares")
            # Same raw values, same outcome: remembered, unless unhashable (a list or object
            # in a field not read, for an installation without title), and only when the
            # name, publisher and version are text or absent: a number is written as text
            # (1.0 as "1.0"), and 1, 1.0 and true are the same key.
            if _TEXT_OR_NONE.issuperset(map(type, raw[:3])):
                with contextlib.suppress(TypeError):
                    remember(known, raw, entry)
        if entry is not None:
            software, ident = entry
            if ident not in seen:
                seen[ident] = software
    return tuple(seen.values())


def _new_software(
    raw: tuple[Any, Any, Any, str], source: str, i: int, section: str
) -> tuple[Software, tuple[str, str]] | None:
    """The shared Software of an installation and its (name, publisher); None: no title.

    Raises ``InvalidInventory`` for a value that is not text."""
    name, publisher, version, kind = raw
    name = word(name, source, f"content.{section}[{i}].name")
    if not name:
        return None
    publisher = word(publisher, source, f"content.{section}[{i}].publisher")
    version = text(version, source, f"content.{section}[{i}].version")
    software = _software(name, publisher, version, kind)
    return software, (software.name, software.publisher)


def protection(
    content: Mapping[str, Any], source: str
) -> tuple[tuple[Software, ...], tuple[Software, ...], tuple[str, ...]]:
    """The ``antivirus`` products (name, company), the ``remote_mgmt`` tools (type, id) and
    the ``printers`` ("name (port)") of an inventory."""
    antivirus = []
    for i, item in enumerate(items(content.get("antivirus"), source, "content.antivirus")):
        raw = (item.get("name"), item.get("company"), item.get("version"), ANTIVIRUS)
        found = _new_software(raw, source, i, "antivirus")
        if found is not None:
            antivirus.append(found[0])
    remote = []
    for i, item in enumerate(items(content.get("remote_mgmt"), source, "content.remote_mgmt")):
        tool = word(item.get("type"), source, f"content.remote_mgmt[{i}].type")
        if tool:
            remote.append(_software(tool, "", "", REMOTE))
    printers = []
    for i, item in enumerate(items(content.get("printers"), source, "content.printers")):
        name = text(item.get("name"), source, f"content.printers[{i}].name")
        port = text(item.get("port"), source, f"content.printers[{i}].port")
        if name:
            printers.append(f"{name} ({port})" if port else name)
    return tuple(antivirus), tuple(remote), tuple(printers)
