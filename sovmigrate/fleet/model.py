"""One ``Machine`` model for every inventory source (GLPI JSON, CSV).

The model keeps what assessment and planning need, not the whole inventory: 80,000 machines
must fit in memory many times over. ``to_facts``/``from_facts`` give the JSON form stored in the
state store's facts column.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sovmigrate.fleet.jsontext import dumps_str

UNKNOWN = "unknown"


class Controller(NamedTuple):
    """A PCI device: ``vendor``/``device`` are 4 lowercase hex digits, ``pciclass`` 4 hex
    (or 6 with the programming interface; "" when the agent does not tell, as on Windows),
    ``subvendor``/``subdevice`` 4 hex or "" when unknown (the kernel binds some drivers to a
    device only for given subsystems).

    Named tuples, not dataclasses: millions of them are built, pickled and dumped to JSON.
    """

    vendor: str
    device: str
    name: str = ""
    pciclass: str = ""
    kind: str = ""  # the agent's "type", e.g. "Network controller"
    subvendor: str = ""
    subdevice: str = ""


# Software.kind: what the agent says an installation is. Only APPLICATION is the user's
# software; the others are matched against the catalogue but never "not reviewed".
APPLICATION = ""
SYSTEM = "system"  # system_category system_component, update, security_update, hotfix
STORE = "store"  # from "uwp": a Windows Store package
ANTIVIRUS = "antivirus"  # the inventory's antivirus section
REMOTE = "remote"  # the inventory's remote_mgmt section (TeamViewer, AnyDesk... ids)


class Software(NamedTuple):
    name: str
    publisher: str = ""
    version: str = ""
    kind: str = APPLICATION


# One object per distinct title or device across the fleet: 80,000 machines hold ~1.5 million
# installations of a few thousand titles. Sharing them saves the memory and the namedtuple
# construction (the plan re-reads every machine). Bounded so a long-lived process cannot grow.
_SHARED_MAX = 200_000
_softwares: dict[tuple[Any, ...], Software] = {}
_controllers: dict[tuple[Any, ...], Controller] = {}


def remember(cache: dict[Any, Any], key: Any, value: Any) -> Any:
    """``cache[key] = value``, the cache emptied first when full (``_SHARED_MAX`` entries): the
    fleet caches share objects across machines, and a long-lived process must not grow."""
    if len(cache) >= _SHARED_MAX:
        cache.clear()
    cache[key] = value
    return value


def shared_software(*fields: Any) -> Software:
    return _softwares.get(fields) or remember(_softwares, fields, Software(*fields))


def shared_controller(*fields: Any) -> Controller:
    return _controllers.get(fields) or remember(_controllers, fields, Controller(*fields))


def _software(fields: tuple[Any, ...]) -> Software:
    return Software(*fields)


def _controller(fields: tuple[Any, ...]) -> Controller:
    return Controller(*fields)


def _shared(cache: dict[tuple[Any, ...], Any], make: Any, items: Any) -> tuple[Any, ...]:
    get = cache.get
    return tuple(get(key) or remember(cache, key, make(key)) for key in map(tuple, items))


# The JSON text of each shared Software/Controller, so a fleet's facts encode each title once.
_fragments: dict[tuple[Any, ...], str] = {}


def _json_list(items: tuple[tuple[Any, ...], ...]) -> str:
    get = _fragments.get
    texts = [get(item) or remember(_fragments, item, json.dumps(item)) for item in items]
    return f"[{', '.join(texts)}]"


@dataclass(slots=True)
class Machine:
    """A workstation as seen by the inventory. Sizes in MB (RAM) and GB (disks, data)."""

    key: str  # stable identity: hardware UUID when trustworthy, else the agent's deviceid
    name: str
    deviceid: str = ""
    uuid: str = ""
    serial: str = ""
    manufacturer: str = UNKNOWN
    model: str = UNKNOWN
    chassis: str = UNKNOWN  # laptop, desktop...
    site: str = UNKNOWN
    department: str = UNKNOWN
    os_name: str = ""
    os_version: str = ""
    arch_bits: int | None = None  # 64 or 32; None when nothing tells
    cpu: str = ""
    ram_mb: int = 0
    disk_gb: float = 0.0  # capacity of the largest physical disk (the target's disk)
    system_used_gb: float = 0.0
    user_data_gb: float = 0.0  # estimated data to move (see fleet/glpi.py for the estimate)
    encrypted_volumes: tuple[str, ...] = ()  # BitLocker (or other) encrypted volume letters
    firmware: str = UNKNOWN  # uefi, bios or unknown: the Windows agent does not tell
    secure_boot: bool | None = None
    controllers: tuple[Controller, ...] = ()
    softwares: tuple[Software, ...] = ()
    antivirus: tuple[Software, ...] = ()  # kind ANTIVIRUS; publisher: the agent's company
    remote_mgmt: tuple[Software, ...] = ()  # kind REMOTE; name: the tool ("teamviewer")
    printers: tuple[str, ...] = ()  # "name (port)"
    users: tuple[str, ...] = ()
    has_wifi: bool = False
    inventory_date: str = ""
    source: str = ""  # the file (and archive member) it came from
    # The inventory sections a partial inventory carried (glpi-agent's "partial": true); empty
    # for a full one. A partial one updates only these (fleet/partial.py).
    partial: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hardware_model(self) -> str:
        return f"{self.manufacturer} {self.model}".strip()

    def to_facts(self) -> dict[str, Any]:
        """A JSON-ready dict (the facts column of the state store)."""
        # Built by hand: dataclasses.asdict deep-copies, too slow for 80,000 machines.
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["extra"] = dict(self.extra)
        return data  # named tuples and tuples serialise as JSON lists

    def facts_tail(self) -> str:
        """The facts JSON after its opening ``{"key": .., "name": .., ``.

        The import encodes this part where it parses and adds the key and name, which the
        merge of duplicates may still change (``fleet/prepare.py``, ``Prepared.facts_json``).
        The installations and devices are most of the text and repeat across machines: their
        encodings are cached (``_fragments``) and joined instead of encoded one by one.
        """
        data = dict(zip(_TAIL_FIELDS, _tail_values(self), strict=True))
        data["extra"] = self.extra
        head = dumps_str(data)  # json.dumps(data, default=str), without its set-up
        return (
            f'{head[1:-1]}, "softwares": {_json_list(self.softwares)}, '
            f'"controllers": {_json_list(self.controllers)}}}'
        )

    @classmethod
    def from_facts(cls, data: dict[str, Any]) -> Machine:
        values = dict(data)
        # Built with the defaults of fields added since (facts stored by an older version).
        values["controllers"] = _shared(_controllers, _controller, data.get("controllers", ()))
        for name in ("softwares", "antivirus", "remote_mgmt"):
            values[name] = _shared(_softwares, _software, data.get(name, ()))
        for name in ("encrypted_volumes", "users", "printers", "partial"):
            values[name] = tuple(data.get(name, ()))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})


# What ``facts_tail`` encodes field by field: not the identity nor the cached lists.
_TAIL_FIELDS = tuple(
    f
    for f in Machine.__dataclass_fields__
    if f not in ("key", "name", "softwares", "controllers", "extra")
)
# Their values in one C call (a quarter of the time of a getattr per field).
_tail_values = operator.attrgetter(*_TAIL_FIELDS)
