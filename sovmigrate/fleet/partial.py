"""Partial inventories: glpi-agent sends ``"partial": true`` documents with only the sections
that changed (often just ``softwares``, with ``hardware``, ``bios`` and ``operatingsystem``).
Such a document updates the sections it carries and nothing else: taken as a whole machine,
it would drop the drives, storages and BitLocker flags it does not carry, and a BitLocker
machine would turn ``ready``.
"""

from __future__ import annotations

import dataclasses

from sovmigrate.fleet.model import UNKNOWN, Machine

# Machine field -> the inventory sections it is read from (fleet/glpi.py, glpi_devices.py).
SOURCES: dict[str, tuple[str, ...]] = {
    "serial": ("bios",),
    "manufacturer": ("bios",),
    "model": ("bios",),
    "chassis": ("hardware",),
    "uuid": ("hardware",),
    "ram_mb": ("hardware", "memories"),
    "os_name": ("operatingsystem",),
    "os_version": ("operatingsystem",),
    "arch_bits": ("operatingsystem", "cpus"),
    "cpu": ("cpus",),
    "disk_gb": ("storages",),
    "system_used_gb": ("drives",),
    "user_data_gb": ("drives",),
    "encrypted_volumes": ("drives",),
    "controllers": ("controllers", "networks"),
    "has_wifi": ("controllers", "networks"),
    "softwares": ("softwares",),
    "antivirus": ("antivirus",),
    "remote_mgmt": ("remote_mgmt",),
    "printers": ("printers",),
    "users": ("users",),
}
# Lists are taken as the partial inventory gives them, even empty (every BitLocker volume
# decrypted, every title uninstalled); other values only when the partial one has them.
_LISTS = frozenset(
    {"encrypted_volumes", "controllers", "softwares", "antivirus", "remote_mgmt", "printers"}
)
_EMPTY = (None, "", 0, 0.0, UNKNOWN)


def is_partial(machine: Machine) -> bool:
    return bool(machine.partial)


def merge(base: Machine, update: Machine) -> Machine:
    """``base`` with what the partial inventory ``update`` carries. The identity (key, name)
    stays the base's; the site and department follow the update's tag when it has one."""
    carried = set(update.partial)
    changes: dict[str, object] = {}
    for name, sections in SOURCES.items():
        if not carried.intersection(sections):
            continue
        value = getattr(update, name)
        if name in _LISTS or value not in _EMPTY:
            changes[name] = value
    for name in ("site", "department", "inventory_date", "deviceid", "source"):
        value = getattr(update, name)
        if value not in _EMPTY:
            changes[name] = value
    # Still partial only if the base was: the union of what both carried.
    changes["partial"] = tuple(sorted(set(base.partial) | carried)) if base.partial else ()
    changes["extra"] = {**base.extra, **update.extra}
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def combine(older: Machine, newer: Machine) -> Machine:
    """Two inventories of one machine, ``newer`` by inventory date: the newer one wins,
    whole when it is full, section by section when it is partial."""
    if newer.partial:
        return merge(older, newer)
    return newer
