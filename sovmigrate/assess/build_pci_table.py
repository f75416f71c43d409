"""Regenerate ``data/pci_modules.txt`` and ``data/module_firmware.txt`` (run as a script).

``python -m sovmigrate.assess.build_pci_table [--suite trixie] [--out-dir DIR]``

Debian's kernel packages ship no ``modules.alias`` (depmod writes it at install time), so this
reads the ``alias=pci:...`` and ``firmware=...`` strings of each module's ``.modinfo`` section
and of ``modules.builtin.modinfo``: the same data depmod and the kernel use. The firmware
files are then looked up in the file lists of the suite's ``non-free-firmware`` packages. The
packages are fetched with ``apt-get download`` (no install) through a private APT state for
the target suite, from the Debian archive the host's own APT sources name.

``pci_modules.txt``, one alias a line, sorted, as the alias's seven fields (vendor, device,
subvendor, subdevice, base class, subclass, interface; ``*`` = any) and the module::

    # kernel 6.12.57+deb13-amd64 (linux-image-6.12.57+deb13-amd64 6.12.57-1 amd64)
    8086 24f3 * * * * * iwlwifi
    1002 * * * 03 * * amdgpu
    1002 6611 1028 210b * * * radeon        (that device only on that subsystem)
    * * * * 0c 03 30 xhci_pci

``module_firmware.txt``: each module that requests firmware shipped only by non-free-firmware
packages, and those packages::

    # non-free-firmware of trixie: firmware-iwlwifi 20250410-2, ...
    iwlwifi firmware-iwlwifi
"""

from __future__ import annotations

import argparse
import fnmatch
import lzma
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

_FIELD8 = rb"([0-9A-F]{8}|\*)"
_FIELD2 = rb"([0-9A-F]{2}|\*)"
_PCI = (
    rb"pci:v" + _FIELD8 + rb"d" + _FIELD8 + rb"sv" + _FIELD8 + rb"sd" + _FIELD8
    + rb"bc" + _FIELD2 + rb"sc" + _FIELD2 + rb"i" + _FIELD2
)  # fmt: skip
ALIAS = re.compile(rb"alias=" + _PCI)
BUILTIN = re.compile(rb"([\w-]+)\.alias=" + _PCI)
FIRMWARE = re.compile(rb"(?:^|\0)firmware=([^\0]+)")
DEPENDS = re.compile(rb"(?:^|\0)depends=([^\0]*)")
BUILTIN_FIRMWARE = re.compile(rb"([\w-]+)\.firmware=(.+)")
DATA_DIR = Path(__file__).with_name("data")


def _id(raw: bytes) -> str:
    """``00008086`` -> ``8086`` (PCI ids are 16 bits), ``0C`` -> ``0c``; ``*`` stays."""
    text = raw.decode().lower()
    return "*" if text == "*" else text[-4:] if len(text) == 8 else text


def _row(name: str, fields: Iterable[bytes]) -> str | None:
    ids = [_id(f) for f in fields]
    if all(i == "*" for i in ids):
        return None  # matches every PCI device: a stub such as pci_stub, never a driver
    return " ".join([*ids, name])


def rows_from_module(name: str, blob: bytes) -> set[str]:
    return {row for fields in ALIAS.findall(blob) if (row := _row(name, fields))}


def firmware_of(blob: bytes) -> set[str]:
    """The firmware files (or ``fnmatch`` patterns) a module's modinfo says it may load."""
    return {m.decode() for m in FIRMWARE.findall(blob)}


def depends_of(blob: bytes) -> set[str]:
    found = DEPENDS.search(blob)
    names = found.group(1).decode().split(",") if found else []
    return {n.replace("-", "_") for n in names if n}


def _with_chip_modules(
    aliased: set[str], firmware: dict[str, set[str]], depends: dict[str, set[str]]
) -> dict[str, set[str]]:
    """Each aliased module's firmware with that of the modules it depends on that bind to no
    device themselves: the PCI glue rtw88_8821ce loads no firmware, its chip module
    rtw88_8821c does."""
    out = {}
    for module in aliased:
        found, todo, seen = set(firmware.get(module, ())), list(depends.get(module, ())), set()
        while todo:
            dep = todo.pop()
            if dep in seen or dep in aliased:
                continue
            seen.add(dep)
            found |= firmware.get(dep, set())
            todo.extend(depends.get(dep, ()))
        out[module] = found
    return out


def _module_name(path: Path) -> str:
    return path.name.split(".ko")[0].replace("-", "_")


def build(root: Path) -> tuple[str, list[str], dict[str, set[str]]]:
    """The kernel unpacked under ``root``: its version, alias rows, module -> firmware."""
    # /usr/lib/modules from Debian 13 on (merged /usr), /lib/modules before.
    base = root / "usr" / "lib" / "modules"
    moddir = next((base if base.is_dir() else root / "lib" / "modules").iterdir())
    rows: set[str] = set()
    firmware: dict[str, set[str]] = {}
    depends: dict[str, set[str]] = {}
    aliased: set[str] = set()
    for path in moddir.rglob("*.ko*"):
        blob = path.read_bytes()
        if path.suffix == ".xz":
            blob = lzma.decompress(blob)
        name = _module_name(path)
        found = rows_from_module(name, blob)
        if found:
            rows |= found
            aliased.add(name)
        firmware[name] = firmware_of(blob)
        depends[name] = depends_of(blob)
    builtin = moddir / "modules.builtin.modinfo"
    if builtin.exists():
        for entry in builtin.read_bytes().split(b"\0"):
            match = BUILTIN.match(entry)
            name = match.group(1).decode().replace("-", "_") if match else ""
            if match and (row := _row(name, match.groups()[1:])):
                rows.add(row)
                aliased.add(name)
            fw = BUILTIN_FIRMWARE.match(entry)
            if fw:
                firmware.setdefault(fw.group(1).decode().replace("-", "_"), set()).add(
                    fw.group(2).decode()
                )
    return moddir.name, sorted(rows), _with_chip_modules(aliased, firmware, depends)


def firmware_packages(
    wanted: dict[str, set[str]], shipped: dict[str, set[str]]
) -> dict[str, list[str]]:
    """Module -> the non-free-firmware packages shipping any of the files it requests.

    ``shipped``: package -> firmware paths relative to the firmware directory."""
    owner: dict[str, str] = {f: pkg for pkg, files in shipped.items() for f in files}
    out: dict[str, list[str]] = {}
    for module, patterns in wanted.items():
        packages: set[str] = set()
        for pattern in patterns:
            if pattern in owner:
                packages.add(owner[pattern])
            elif any(c in pattern for c in "*?["):
                packages |= {owner[f] for f in fnmatch.filter(owner, pattern)}
        if packages:
            out[module] = sorted(packages)
    return out


def _firmware_files(deb: Path) -> set[str]:
    """Files a firmware package installs, relative to the firmware directory (``.zst`` and
    ``.xz`` compressed copies count under their plain name: the kernel loads either)."""
    listing = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True
    ).stdout
    names = subprocess.run(
        ["tar", "-t"], input=listing, check=True, capture_output=True
    ).stdout.decode()
    files = set()
    for line in names.splitlines():
        match = re.match(r"\./(?:usr/)?lib/firmware/(.+[^/])$", line)
        if match:
            files.add(re.sub(r"\.(zst|xz)$", "", match.group(1)))
    return files


class _Apt:
    """apt-get and apt-cache on a private state: the target suite, not the host's."""

    def __init__(self, work: Path, suite: str) -> None:
        uri = _archive_uri()
        (work / "lists" / "partial").mkdir(parents=True)
        (work / "cache" / "archives" / "partial").mkdir(parents=True)
        (work / "sources.list").write_text(f"deb {uri} {suite} main non-free-firmware\n")
        self.work = work
        self.options = [
            f"-oDir::Etc::SourceList={work / 'sources.list'}",
            "-oDir::Etc::SourceParts=/nonexistent",
            f"-oDir::State::Lists={work / 'lists'}",
            f"-oDir::Cache={work / 'cache'}",
            "-oDir::State::status=/dev/null",
        ]
        self.run("apt-get", "-q", "update")

    def run(self, tool: str, *args: str, cwd: Path | None = None) -> str:
        return subprocess.run(
            [tool, *self.options, *args], cwd=cwd, check=True, capture_output=True, text=True
        ).stdout

    def firmware_package_names(self) -> list[str]:
        lists = self.work / "lists"
        index = next(lists.glob("*non-free-firmware_binary-*_Packages*"))
        text = subprocess.run(
            ["/usr/lib/apt/apt-helper", "cat-file", str(index)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return sorted(set(re.findall(r"^Package: (\S+)", text, re.M)))


def _archive_uri() -> str:
    """The Debian archive URI of the host's APT sources (never a name written here)."""
    out = subprocess.run(
        ["apt-get", "indextargets", "--format", "$(ORIGIN) $(BASE_URI)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        origin, _, base = line.partition(" ")
        if origin == "Debian" and "/dists/" in base and "security" not in base:
            return base.split("/dists/")[0]
    raise SystemExit("no Debian archive among the host's APT sources")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default="trixie", help="the target's Debian suite")
    parser.add_argument("--package", default="linux-image-amd64")
    parser.add_argument("--out-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sovmigrate-kernel-") as tmp:
        work = Path(tmp)
        apt = _Apt(work / "apt", args.suite)
        depends = apt.run("apt-cache", "depends", args.package)
        image = re.search(r"Depends: (linux-image-[0-9][^\s]*)", depends)
        package = image.group(1) if image else args.package
        (work / "k").mkdir()
        apt.run("apt-get", "download", package, cwd=work / "k")
        deb = next((work / "k").glob("*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(work / "x")], check=True)
        version, rows, wanted = build(work / "x")
        header = f"# kernel {version} ({deb.name.removesuffix('.deb').replace('_', ' ')})\n"
        (work / "fw").mkdir()
        # raspi-firmware is the Raspberry Pi's boot firmware: never on a PC, though it carries
        # copies of Broadcom Wi-Fi files.
        names = [n for n in apt.firmware_package_names() if not n.startswith("raspi-")]
        apt.run("apt-get", "download", *names, cwd=work / "fw")
        shipped = {}
        versions = []
        for fw in sorted((work / "fw").glob("*.deb")):
            name, ver, _arch = fw.name.removesuffix(".deb").split("_")
            shipped[name] = _firmware_files(fw)
            versions.append(f"{name} {ver.replace('%3a', ':')}")
    (args.out_dir / "pci_modules.txt").write_text(header + "\n".join(rows) + "\n", "ascii")
    packages = firmware_packages(wanted, shipped)
    lines = [f"{m} {' '.join(p)}" for m, p in sorted(packages.items())]
    fw_header = f"# non-free-firmware of {args.suite}: {', '.join(versions)}\n"
    (args.out_dir / "module_firmware.txt").write_text(fw_header + "\n".join(lines) + "\n", "ascii")
    print(f"{len(rows)} aliases for kernel {version}; {len(lines)} modules need non-free firmware")
    return 0


if __name__ == "__main__":
    sys.exit(main())
