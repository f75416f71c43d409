"""The kernel module alias table shipped in the repository and its generator."""

from __future__ import annotations

from pathlib import Path

from sovmigrate.assess.build_pci_table import rows_from_module
from sovmigrate.assess.pci import DATA, default_pci_table, load_pci_table


def test_table_names_its_kernel_and_knows_common_devices() -> None:
    table = default_pci_table()
    assert table.kernel.startswith("6.1.0-") and "amd64" in table.kernel
    assert DATA.read_text().splitlines()[0] == f"# kernel {table.kernel}"
    assert "iwlwifi" in table.modules("8086", "a0f0", "0280")  # Intel AX201
    assert "r8169" in table.modules("10EC", "8168", "0200")  # case-insensitive
    assert "amdgpu" in table.modules("1002", "ffff", "0300")  # vendor-wide, display class only
    assert "amdgpu" not in table.modules("1002", "ffff", "0200")
    assert "xhci_pci" in table.modules("1234", "5678", "0c03")  # any xHCI controller, by class
    assert table.modules("1d0f", "beef", "0280") == ()


def test_generator_reads_modinfo_aliases(tmp_path: Path) -> None:
    blob = (
        b"\0license=GPL\0alias=pci:v00008086d000024FDsv*sd*bc*sc*i*\0"
        b"alias=pci:v00001002d*sv*sd*bc03sc*i*\0alias=pci:v*d*sv*sd*bc0Csc03i30*\0"
        b"alias=usb:v0BDAp8153d*dc*dsc*dp*ic*isc*ip*in*\0"
    )
    rows = rows_from_module("demo", blob)
    assert rows == {"8086 24fd demo", "1002 *03 demo", "class 0c0330 demo"}
    out = tmp_path / "t.txt"
    out.write_text("# kernel test\n" + "\n".join(sorted(rows)) + "\n")
    table = load_pci_table(out)
    assert table.kernel == "test" and table.modules("8086", "24fd") == ("demo",)
