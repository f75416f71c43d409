"""The fixture hive writer: files that two independent readers (hivex, dissect.regf) accept."""

from __future__ import annotations

from pathlib import Path

import hivex
from dissect.regf import RegistryHive

from sovmigrate.lab.windisk.regf import (
    REG_DWORD,
    REG_EXPAND_SZ,
    REG_MULTI_SZ,
    REG_SZ,
    empty_hive,
    write_hive,
)

CONTENT = {
    "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders": {
        "Personal": (REG_EXPAND_SZ, "%USERPROFILE%\\Documents"),
    },
    "Control Panel\\Desktop": {"Wallpaper": (REG_SZ, "C:\\Users\\Hélène\\fond d'écran.jpg")},
    "Network\\Z": {"RemotePath": (REG_SZ, "\\\\srv\\partagé"), "ConnectionType": (REG_DWORD, 1)},
    "Printers\\Connections\\,,srv,Copieur 2e": {"Servers": (REG_MULTI_SZ, ["a", "b"])},
}


def _hivex_value(path: Path, key: str, name: str) -> bytes:
    h = hivex.Hivex(str(path))
    node = h.root()
    for part in key.split("\\"):
        node = h.node_get_child(node, part)
        assert node is not None, part
    return h.value_value(h.node_get_value(node, name))[1]


def test_empty_hive_is_accepted_by_both_readers(tmp_path: Path) -> None:
    path = tmp_path / "empty"
    path.write_bytes(empty_hive())
    assert hivex.Hivex(str(path)).node_children(hivex.Hivex(str(path)).root()) == []
    with path.open("rb") as f:
        assert list(RegistryHive(f).root().subkeys()) == []


def test_values_round_trip_through_both_readers(tmp_path: Path) -> None:
    path = tmp_path / "NTUSER.DAT"
    write_hive(path, CONTENT)
    wallpaper = _hivex_value(path, "Control Panel\\Desktop", "Wallpaper")
    assert wallpaper.decode("utf-16-le").rstrip("\0") == "C:\\Users\\Hélène\\fond d'écran.jpg"
    with path.open("rb") as f:
        hive = RegistryHive(f)
        assert hive.open("Network\\Z").value("RemotePath").value == "\\\\srv\\partagé"
        assert hive.open("Network\\Z").value("ConnectionType").value == 1
        usf = "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders"
        assert hive.open(usf).value("Personal").value == "%USERPROFILE%\\Documents"
        printers = [k.name for k in hive.open("Printers\\Connections").subkeys()]
        assert printers == [",,srv,Copieur 2e"]


def test_same_content_gives_same_bytes(tmp_path: Path) -> None:
    write_hive(tmp_path / "a", CONTENT)
    write_hive(tmp_path / "b", CONTENT)
    assert (tmp_path / "a").read_bytes() == (tmp_path / "b").read_bytes()
