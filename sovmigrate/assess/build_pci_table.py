"""Regenerate ``data/pci_modules.txt`` from a Debian kernel package (run as a script).

``python -m sovmigrate.assess.build_pci_table [--package linux-image-amd64] [--out FILE]``

Debian's kernel packages ship no ``modules.alias`` (depmod writes it at install time), so this
reads the ``alias=pci:...`` strings of each module's ``.modinfo`` section and of
``modules.builtin.modinfo``: the same data depmod would use. The package is fetched with
``apt-get download`` (no install), from the host's own APT sources.

Output, one line per PCI id, sorted (``*`` = any device of that vendor)::

    # kernel 6.1.0-56-amd64 (linux-image-6.1.0-56-amd64 6.1.192-2)
    8086 24f3 iwlwifi
    1002 *03 amdgpu       (any device of the vendor in PCI class 03)
    class 0c0330 xhci_pci (a class, subclass and programming interface)
"""

from __future__ import annotations

import argparse
import lzma
import re
import subprocess
import sys
import tempfile
from pathlib import Path

_PCI = (
    rb"pci:v([0-9A-F]{8}|\*)d([0-9A-F]{8}|\*)sv(?:[0-9A-F]{8}|\*)sd(?:[0-9A-F]{8}|\*)"
    rb"bc([0-9A-F]{2}|\*)sc([0-9A-F]{2}|\*)i([0-9A-F]{2}|\*)"
)
ALIAS = re.compile(rb"alias=" + _PCI)
BUILTIN = re.compile(rb"([\w-]+)\.alias=" + _PCI)
DEFAULT_OUT = Path(__file__).with_name("data") / "pci_modules.txt"


def _id(raw: bytes) -> str:
    """``00008086`` -> ``8086``; ``*`` stays (a vendor-wide or class-based alias)."""
    text = raw.decode()
    return "*" if text == "*" else text[-4:].lower()


def rows_from_module(name: str, blob: bytes) -> set[str]:
    rows: set[str] = set()
    for vendor, device, bc, sc, ifc in ALIAS.findall(blob):
        rows |= _row(name, vendor, device, bc, sc, ifc)
    return rows


def _row(name: str, vendor: bytes, device: bytes, bc: bytes, sc: bytes, ifc: bytes) -> set[str]:
    ven, dev = _id(vendor), _id(device)
    if ven != "*" and dev != "*":
        return {f"{ven} {dev} {name}"}
    if ven != "*":
        # Vendor-wide aliases usually narrow by class (amdgpu: any AMD display device).
        klass = bc.decode().lower() if bc != b"*" else ""
        return {f"{ven} *{klass} {name}"}
    if ven == "*" and bc != b"*":
        klass = bc.decode() + (sc.decode() if sc != b"*" else "")
        klass += ifc.decode() if sc != b"*" and ifc != b"*" else ""
        return {f"class {klass.lower()} {name}"}
    return set()


def build(root: Path) -> tuple[str, list[str]]:
    """Rows for the kernel unpacked under ``root`` and its version string."""
    moddir = next((root / "lib" / "modules").iterdir())
    rows: set[str] = set()
    for path in moddir.rglob("*.ko*"):
        blob = path.read_bytes()
        if path.suffix == ".xz":
            blob = lzma.decompress(blob)
        name = path.name.split(".ko")[0].replace("-", "_")
        rows |= rows_from_module(name, blob)
    builtin = moddir / "modules.builtin.modinfo"
    if builtin.exists():
        for entry in builtin.read_bytes().split(b"\0"):
            match = BUILTIN.match(entry)
            if match:
                name = match.group(1).decode().replace("-", "_")
                rows |= _row(name, *match.groups()[1:])
    return moddir.name, sorted(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="linux-image-amd64")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sovmigrate-kernel-") as tmp:
        work = Path(tmp)
        depends = subprocess.run(
            ["apt-cache", "depends", args.package], check=True, capture_output=True, text=True
        ).stdout
        image = re.search(r"Depends: (linux-image-[0-9][^\s]*)", depends)
        package = image.group(1) if image else args.package
        subprocess.run(["apt-get", "download", package], cwd=work, check=True)
        deb = next(work.glob("*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "x")], check=True)
        version, rows = build(work / "x")
        header = f"# kernel {version} ({deb.name.removesuffix('.deb').replace('_', ' ')})\n"
    args.out.write_text(header + "\n".join(rows) + "\n", encoding="ascii")
    print(f"{args.out}: {len(rows)} rows for kernel {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
