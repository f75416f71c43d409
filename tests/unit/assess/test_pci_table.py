"""The kernel module alias table shipped in the repository, its matching and its generator.

The alias lines are real ones of Debian 13's kernel (6.12, ``modules.alias`` as depmod writes
it from the modules' modinfo); the Intel 8260 Wi-Fi (8086:24f3) is claimed by iwlwifi only for
45 given subdevices."""

from __future__ import annotations

from pathlib import Path

from sovmigrate.assess.build_pci_table import firmware_of, firmware_packages, rows_from_module
from sovmigrate.assess.pci import DATA, FIRMWARE, default_pci_table, load_pci_table

# Real lines of the kernel's modules.alias (linux-image-6.12.117+deb13-amd64).
MODULES_ALIAS = """\
alias pci:v00008086d000024F3sv*sd00000010bc*sc*i* iwlwifi
alias pci:v00008086d000024F3sv*sd00000130bc*sc*i* iwlwifi
alias pci:v00008086d0000A0F0sv*sd*bc*sc*i* iwlwifi
alias pci:v000010ECd00008168sv*sd*bc*sc*i* r8169
alias pci:v00001002d*sv*sd*bc03sc00i00* amdgpu
alias pci:v*d*sv*sd*bc0Csc03i30* xhci_pci
alias pci:v00001000d00001960sv00001028sd00000518bc*sc*i* megaraid_mbox
"""


def _modinfo(module: str) -> bytes:
    """The modinfo section of ``module`` as the kernel stores it: NUL-separated key=value."""
    patterns = [line.split()[1] for line in MODULES_ALIAS.splitlines() if line.endswith(module)]
    return b"license=GPL\0" + b"".join(b"alias=" + p.encode() + b"\0" for p in patterns)


def _table(tmp_path: Path) -> Path:
    rows: set[str] = set()
    for module in ("iwlwifi", "r8169", "amdgpu", "xhci_pci", "megaraid_mbox"):
        rows |= rows_from_module(module, _modinfo(module))
    out = tmp_path / "pci.txt"
    out.write_text("# kernel test\n" + "\n".join(sorted(rows)) + "\n")
    return out


def test_generator_keeps_every_field_of_the_aliases(tmp_path: Path) -> None:
    assert rows_from_module("iwlwifi", _modinfo("iwlwifi")) == {
        "8086 24f3 * 0010 * * * iwlwifi",
        "8086 24f3 * 0130 * * * iwlwifi",
        "8086 a0f0 * * * * * iwlwifi",
    }
    assert rows_from_module("megaraid_mbox", _modinfo("megaraid_mbox")) == {
        "1000 1960 1028 0518 * * * megaraid_mbox"
    }
    assert rows_from_module("xhci_pci", _modinfo("xhci_pci")) == {"* * * * 0c 03 30 xhci_pci"}
    # Every row the shipped table holds is one of these, for the kernel its header names.
    shipped = DATA.read_text().splitlines()
    assert shipped[0].startswith("# kernel 6.12.") and "deb13-amd64" in shipped[0]
    assert set(MODULES_ALIAS_ROWS) <= set(shipped)


MODULES_ALIAS_ROWS = [
    "8086 24f3 * 0010 * * * iwlwifi",
    "8086 a0f0 * * * * * iwlwifi",
    "10ec 8168 * * * * * r8169",
    "1002 * * * 03 00 00 amdgpu",
    "* * * * 0c 03 30 xhci_pci",
    "1000 1960 1028 0518 * * * megaraid_mbox",
]


def test_a_subsystem_specific_alias_matches_only_its_subsystem(tmp_path: Path) -> None:
    table = load_pci_table(_table(tmp_path), tmp_path / "none.txt")
    # Intel 8260 on a listed subdevice: iwlwifi; on another one: nothing; unknown: uncertain.
    assert table.bind("8086", "24f3", "0280", "8086", "0010").sure == ("iwlwifi",)
    assert table.bind("8086", "24f3", "0280", "8086", "9999") == ((), (), ())
    assert table.bind("8086", "24f3", "0280").uncertain == ("iwlwifi",)
    assert table.bind("8086", "24f3", "0280").sure == ()
    # An alias on any subsystem matches whatever the subsystem, known or not.
    assert table.bind("8086", "a0f0", "0280", "8086", "0074").sure == ("iwlwifi",)
    assert table.bind("10EC", "8168", "0200").sure == ("r8169",)  # case-insensitive
    # Subvendor and subdevice both count.
    assert table.bind("1000", "1960", "0104", "1028", "0518").sure == ("megaraid_mbox",)
    assert table.bind("1000", "1960", "0104", "1028", "0520").sure == ()
    # Vendor-wide and class-wide aliases: the class must match; GLPI's 4 hex digits leave the
    # interface unknown, taken as matching; with no class at all, the match is by_class.
    assert table.bind("1002", "ffff", "0300").sure == ("amdgpu",)
    assert table.bind("1002", "ffff", "0200").sure == ()
    assert table.bind("1234", "5678", "0c03").sure == ("xhci_pci",)
    assert table.bind("1234", "5678", "0c0320").sure == ()  # EHCI, not xHCI
    assert table.bind("1234", "5678", "").by_class == ("xhci_pci",)


def test_firmware_packages_from_the_packages_file_lists() -> None:
    blob = b"alias=pci:v00008086d0000A0F0sv*sd*bc*sc*i*\0firmware=iwlwifi-QuZ-a0-hr-b0-92.ucode\0"
    wanted = {"iwlwifi": firmware_of(blob), "r8169": {"rtl_nic/rtl8168h-2.fw"}, "e1000e": set()}
    shipped = {
        "firmware-iwlwifi": {"iwlwifi-QuZ-a0-hr-b0-92.ucode", "iwlwifi-8000C-36.ucode"},
        "firmware-realtek": {"rtl_nic/rtl8168h-2.fw"},
    }
    assert firmware_packages(wanted, shipped) == {
        "iwlwifi": ["firmware-iwlwifi"],
        "r8169": ["firmware-realtek"],
    }
    # A wildcard in a module's firmware name matches the files it names.
    assert firmware_packages({"m": {"iwlwifi-8000C-*.ucode"}}, shipped) == {
        "m": ["firmware-iwlwifi"]
    }


def test_shipped_table_knows_common_devices_and_their_firmware() -> None:
    table = default_pci_table()
    assert "non-free-firmware of trixie" in FIRMWARE.read_text().splitlines()[0]
    assert table.bind("8086", "a0f0", "0280").sure == ("iwlwifi",)  # Intel AX201
    assert table.firmware_packages(("iwlwifi",)) == ("firmware-iwlwifi",)
    assert table.firmware_packages(("rtw88_8821ce",)) == ("firmware-realtek",)  # its chip's
    assert table.firmware_packages(("amdgpu",)) == ("firmware-amd-graphics",)
    assert table.firmware_packages(("e1000e",)) == ()  # Intel Ethernet: no firmware
    assert table.bind("8086", "24fd", "0280").uncertain == ("iwlwifi",)  # Intel 8265
    assert table.bind("1d0f", "beef", "0280") == ((), (), ())
