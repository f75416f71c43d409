"""Inventories generated from the store are what ansible-inventory reads back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from sovmigrate.run.inventory import write_stage_files, write_wave_inventory
from sovmigrate.state import Campaign, MachineRecord, Store


def test_wave_inventory_for_plain_ansible(store: Store, campaign: Campaign, tmp_path: Path) -> None:
    store.upsert_machines(
        campaign, [MachineRecord("pc-é1", site="Saint-Étienne", vars={"ansible_host": "10.0.0.7"})]
    )
    wave = store.create_wave(campaign, "w1", ["pc1", "pc-é1"])
    path = write_wave_inventory(store, campaign, wave, tmp_path / "inventories")
    assert path == tmp_path / "inventories" / "cnam_2026" / "w1.yml"
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(listed.stdout)
    assert data["_meta"]["hostvars"]["pc-é1"]["ansible_host"] == "10.0.0.7"
    assert data["_meta"]["hostvars"]["pc1"]["sovmigrate_wave"] == "w1"
    assert sorted(data["state_scheduled"]["hosts"]) == ["pc-é1", "pc1"]
    assert data["site_Saint__tienne"]["hosts"] == ["pc-é1"]


def test_stage_wrapper_appends_the_marker(store: Store, campaign: Campaign, tmp_path: Path) -> None:
    wave = store.create_wave(campaign, "w1", ["pc1"])
    inventory, wrapper = write_stage_files(
        tmp_path,
        campaign,
        wave,
        store.machines(campaign, wave=wave),
        Path("/srv/playbooks/capture.yml"),
    )
    text = wrapper.read_text()
    assert "import_playbook: /srv/playbooks/capture.yml" in text
    task = yaml.safe_load(text)[1]["tasks"][0]
    assert task["ansible.builtin.debug"]["msg"] == (
        "{{ ['sovmigrate-stage-completed'] + ansible_play_hosts }}"
    )
    assert "run_once: true" in text
    assert "pc1" in inventory.read_text()
