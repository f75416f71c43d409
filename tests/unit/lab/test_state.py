"""Lab records, inventory and the shared package cache, on plain directories."""

import os

import yaml

from sovmigrate.lab import inventory
from sovmigrate.lab.machine import harvest_cache
from sovmigrate.lab.state import (
    LabPaths,
    MachineRecord,
    list_machines,
    save_machine,
)


def _lab(tmp_path):
    paths = LabPaths(tmp_path)
    paths.ensure()
    return paths


def test_record_addresses():
    rec = MachineRecord("ws1", "trixie", 7)
    assert (rec.address, rec.gateway, rec.link) == ("10.231.7.2", "10.231.7.1", "ve-ws1")


def test_partial_machines_are_not_listed(tmp_path):
    paths = _lab(tmp_path)
    (paths.machine("ws1")).mkdir()
    save_machine(paths, MachineRecord("ws1", "trixie", 1))
    partial = paths.machines / ".ws2.partial"
    partial.mkdir()
    save_machine(paths, MachineRecord("ws2", "trixie", 2), partial)
    assert [m.name for m in list_machines(paths)] == ["ws1"]


def test_inventory_groups_and_known_hosts(tmp_path):
    paths = _lab(tmp_path)
    machines = [MachineRecord("a1", "trixie", 1), MachineRecord("b1", "bookworm", 2)]
    keydir = paths.rootfs("a1") / "etc/ssh"
    keydir.mkdir(parents=True)
    (keydir / "ssh_host_ed25519_key.pub").write_text("ssh-ed25519 AAAAkey root@a1\n")
    inventory.write(paths, machines)
    inv = yaml.safe_load(paths.inventory.read_text())
    children = inv["all"]["children"]
    assert children["lab"]["hosts"]["a1"]["ansible_host"] == "10.231.1.2"
    assert children["lab"]["hosts"]["b1"]["ansible_user"] == "root"
    assert set(children["lab_bookworm"]["hosts"]) == {"b1"}
    assert paths.known_hosts.read_text() == "10.231.1.2 ssh-ed25519 AAAAkey\n"


def test_harvest_moves_new_packages_and_skips_whiteouts(tmp_path, monkeypatch):
    monkeypatch.setenv("SOVMIGRATE_APT_CACHE", str(tmp_path / "apt-cache"))
    paths = _lab(tmp_path)
    upper = paths.machine("ws1") / "apt-upper"
    upper.mkdir(parents=True)
    (upper / "new_1.0_amd64.deb").write_bytes(b"new")
    (upper / "old_1.0_amd64.deb").write_bytes(b"dup")
    (paths.apt_cache / "old_1.0_amd64.deb").write_bytes(b"old")
    os.mkfifo(upper / "gone_1.0_amd64.deb")  # stands in for an overlay whiteout: not a file
    assert harvest_cache(paths, "ws1") == 1
    assert (paths.apt_cache / "new_1.0_amd64.deb").read_bytes() == b"new"
    assert (paths.apt_cache / "old_1.0_amd64.deb").read_bytes() == b"old"
    assert not (paths.apt_cache / "gone_1.0_amd64.deb").exists()
    assert not (upper / "old_1.0_amd64.deb").exists()


def test_inventory_script_json_matches_the_yaml(tmp_path):
    import json

    paths = _lab(tmp_path)
    machines = [MachineRecord("a1", "trixie", 1), MachineRecord("b1", "bookworm", 2)]
    inventory.write(paths, machines)
    data = json.loads((tmp_path / "inventory.json").read_text())
    yml = yaml.safe_load(paths.inventory.read_text())["all"]["children"]
    assert data["lab"]["hosts"] == ["a1", "b1"]
    assert data["lab_bookworm"]["hosts"] == ["b1"]
    assert data["_meta"]["hostvars"]["a1"] == yml["lab"]["hosts"]["a1"]


def test_prune_keeps_current_and_used_images(tmp_path):
    from sovmigrate.lab import image

    paths = _lab(tmp_path)
    current = image.image_id("trixie")
    for name in (current, "trixie-old1", "bookworm-old2", ".trixie.partial"):
        (paths.images / name).mkdir()
    assert image.prune(paths, {"bookworm-old2"}) == ["trixie-old1"]
    assert sorted(p.name for p in paths.images.iterdir()) == sorted(
        [current, "bookworm-old2", ".trixie.partial"]
    )
