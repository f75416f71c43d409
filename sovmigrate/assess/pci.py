"""Does the target kernel have a driver for this PCI device, and does it need non-free firmware?

``data/pci_modules.txt`` holds the target kernel's PCI module aliases, each as its seven
fields (vendor, device, subvendor, subdevice, base class, subclass, interface; ``*`` = any):
a device binds to a module when every field of one of the module's aliases matches, as
modprobe matches ``modules.alias``. Several drivers claim a vendor:device pair only for given
subsystems (iwlwifi and the Intel 8260 or 8265, 8086:24f3 and 8086:24fd, only on 45 and 25
subdevices), so a match can be *uncertain*: the inventory does not give the subsystem, and
only subsystem-specific aliases match. ``data/module_firmware.txt`` names, per module, the
``non-free-firmware`` packages shipping the firmware it loads. Both are derived from Debian
packages by ``python -m sovmigrate.assess.build_pci_table``; their first lines name them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import NamedTuple

DATA = Path(__file__).with_name("data") / "pci_modules.txt"
FIRMWARE = Path(__file__).with_name("data") / "module_firmware.txt"
ANY = "*"


class Alias(NamedTuple):
    vendor: str
    device: str
    subvendor: str
    subdevice: str
    base: str  # class, 2 hex
    sub: str  # subclass, 2 hex
    interface: str  # programming interface, 2 hex
    module: str


class Binding(NamedTuple):
    """The modules that bind to a device: ``sure`` whatever its unknown fields are;
    ``uncertain`` only for some subsystems, the device's being unknown; ``by_class`` only
    for some classes, the device's being unknown (the Windows agent gives none)."""

    sure: tuple[str, ...]
    uncertain: tuple[str, ...]
    by_class: tuple[str, ...]


def _field(alias: str, value: str) -> bool | None:
    """True: matches; False: does not; None: the device's value is unknown and the alias
    wants a given one."""
    if alias == ANY:
        return True
    if not value:
        return None
    return alias == value


@dataclass
class PciTable:
    kernel: str
    aliases: dict[str, tuple[Alias, ...]]  # by vendor; "*" for the vendor-less (by class)
    firmware: dict[str, tuple[str, ...]] = field(default_factory=dict)  # module -> packages
    firmware_source: str = ""
    digest: str = ""  # of both files: what a verdict depends on

    def bind(
        self,
        vendor: str,
        device: str,
        pciclass: str = "",
        subvendor: str = "",
        subdevice: str = "",
    ) -> Binding:
        """The modules whose aliases match the device. ``pciclass``: 4 hex digits (class and
        subclass, what GLPI gives) or 6 (with the interface); "" when unknown. An unknown
        interface is taken as matching: the class and subclass name the function."""
        klass = pciclass.lower()
        ident = (vendor.lower(), device.lower(), subvendor.lower(), subdevice.lower())
        base, sub, interface = klass[0:2], klass[2:4], klass[4:6]
        sure: list[str] = []
        uncertain: list[str] = []
        by_class: list[str] = []
        for alias in (*self.aliases.get(ident[0], ()), *self.aliases.get(ANY, ())):
            if alias.device not in (ANY, ident[1]):
                continue
            subsystem = (_field(alias.subvendor, ident[2]), _field(alias.subdevice, ident[3]))
            functions = (_field(alias.base, base), _field(alias.sub, sub))
            if False in subsystem or False in functions:
                continue
            if _field(alias.interface, interface) is False:
                continue
            target = by_class if None in functions else uncertain if None in subsystem else sure
            if alias.module not in target:
                target.append(alias.module)
        return Binding(tuple(sure), tuple(uncertain), tuple(by_class))

    def modules(self, vendor: str, device: str, pciclass: str = "") -> tuple[str, ...]:
        """Kernel modules that surely bind to the device (empty: no driver in this kernel)."""
        return self.bind(vendor, device, pciclass).sure

    def firmware_packages(self, modules: tuple[str, ...]) -> tuple[str, ...]:
        """The non-free-firmware packages the modules load firmware from."""
        return tuple(sorted({p for m in modules for p in self.firmware.get(m, ())}))


def load_pci_table(path: Path | None = None, firmware: Path | None = None) -> PciTable:
    source, fw_source = path or DATA, firmware or FIRMWARE
    text = source.read_text(encoding="ascii")
    fw_text = fw_source.read_text(encoding="ascii") if fw_source.exists() else ""
    kernel = ""
    aliases: dict[str, list[Alias]] = {}
    for line in text.splitlines():
        if line.startswith("# kernel "):
            kernel = line[len("# kernel ") :]
            continue
        parts = line.split()
        if len(parts) != 8 or line.startswith("#"):
            continue
        alias = Alias(*parts)
        aliases.setdefault(alias.vendor, []).append(alias)
    packages: dict[str, tuple[str, ...]] = {}
    header = ""
    for line in fw_text.splitlines():
        if line.startswith("# "):
            header = header or line[2:]
            continue
        module, *names = line.split()
        packages[module] = tuple(names)
    digest = hashlib.sha256(text.encode() + b"\0" + fw_text.encode()).hexdigest()[:16]
    return PciTable(kernel, {k: tuple(v) for k, v in aliases.items()}, packages, header, digest)


@cache
def default_pci_table() -> PciTable:
    return load_pci_table()
