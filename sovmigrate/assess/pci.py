"""Does the target kernel have a driver for this PCI device? (data/pci_modules.txt)

The table is derived from a Debian kernel package's module aliases by
``python -m sovmigrate.assess.build_pci_table``; its first line names the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("data") / "pci_modules.txt"


@dataclass
class PciTable:
    kernel: str
    exact: dict[tuple[str, str], tuple[str, ...]]
    vendor_wide: dict[str, list[tuple[str, str]]]  # vendor -> [(class prefix, module)]
    by_class: list[tuple[str, str]]  # (class prefix, module)

    def modules(self, vendor: str, device: str, pciclass: str = "") -> tuple[str, ...]:
        """Kernel modules that bind to the device (empty: no driver in this kernel)."""
        found = self.exact.get((vendor.lower(), device.lower()))
        if found:
            return found
        klass = pciclass.lower()
        wide = tuple(
            m for prefix, m in self.vendor_wide.get(vendor.lower(), ()) if klass.startswith(prefix)
        )
        if wide:
            return wide
        if klass:
            # The class rows are 6 hex digits (class, subclass, interface); GLPI gives 4.
            return tuple(m for prefix, m in self.by_class if prefix.startswith(klass[:4]))
        return ()


def load_pci_table(path: Path | None = None) -> PciTable:
    source = path or DATA
    kernel = ""
    exact: dict[tuple[str, str], list[str]] = {}
    vendor_wide: dict[str, list[tuple[str, str]]] = {}
    by_class: list[tuple[str, str]] = []
    for line in source.read_text(encoding="ascii").splitlines():
        if line.startswith("# kernel "):
            kernel = line[len("# kernel ") :]
            continue
        parts = line.split()
        if len(parts) != 3 or line.startswith("#"):
            continue
        first, second, module = parts
        if first == "class":
            by_class.append((second, module))
        elif second.startswith("*"):
            vendor_wide.setdefault(first, []).append((second[1:], module))
        else:
            exact.setdefault((first, second), []).append(module)
    return PciTable(kernel, {k: tuple(v) for k, v in exact.items()}, vendor_wide, by_class)


@cache
def default_pci_table() -> PciTable:
    return load_pci_table()
