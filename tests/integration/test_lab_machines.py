"""Two real booted lab machines: Ansible over SSH, idempotence, and a clean ``lab down``."""

from __future__ import annotations

import json

import pytest
from labtools import (
    REPO,
    cli,
    has_nat_rule,
    is_mounted,
    lab_dir,
    link_exists,
    nspawn_pids,
    ruleset_mentions,
    run_playbook,
)

from sovmigrate.lab.machine import leader_alive
from sovmigrate.lab.state import LabPaths, load_run

pytestmark = pytest.mark.integration

NAMES = ["labit1", "labit2"]
PROBE = REPO / "tests/integration/lab_playbooks/probe.yml"


@pytest.fixture(scope="module")
def machines():
    up = cli("up", *NAMES, "--format", "json")
    assert up.returncode == 0, up.stderr
    yield json.loads(up.stdout)
    cli("destroy", *NAMES)


def in_machine(name: str, command: str) -> str:
    proc = cli("ssh", name, command)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_machines_are_booted_systems(machines):
    assert [m["name"] for m in machines["machines"]] == NAMES
    assert all(m["state"] == "running" for m in machines["machines"])
    for name in NAMES:
        assert in_machine(name, "systemctl is-system-running") == "running"
        assert in_machine(name, "cat /proc/1/comm") == "systemd"
        assert in_machine(name, "hostname") == name
    # Each machine has its own identity, not the base image's.
    ids = {in_machine(n, "cat /etc/machine-id") for n in NAMES}
    keys = {in_machine(n, "cat /etc/ssh/ssh_host_ed25519_key.pub").split()[1] for n in NAMES}
    assert len(ids) == 2 and len(keys) == 2


def test_up_again_duplicates_nothing(machines):
    before = {m["name"]: m["pid"] for m in machines["machines"]}
    again = cli("up", *NAMES, "--format", "json")
    assert again.returncode == 0, again.stderr
    after = {m["name"]: m["pid"] for m in json.loads(again.stdout)["machines"]}
    assert after == before
    for name in NAMES:
        assert len(nspawn_pids(name)) == 1
        assert has_nat_rule(name)


def test_playbook_applies_then_is_idempotent(machines):
    inventory = lab_dir() / "inventory.yml"
    first = run_playbook(PROBE, inventory, NAMES)
    assert all(r["changed"] > 0 and r["failed"] == 0 for r in first.values()), first
    for name in NAMES:
        assert in_machine(name, "cat /etc/sovmigrate-lab-probe") == f"configured {name}"
        assert in_machine(name, "systemctl is-active lab-probe.service") == "active"
        assert in_machine(name, "systemctl is-system-running") == "running"
    second = run_playbook(PROBE, inventory, NAMES)
    assert {h: r["changed"] for h, r in second.items()} == dict.fromkeys(NAMES, 0), second


def test_down_leaves_nothing_behind(machines):
    paths = LabPaths(lab_dir().absolute())
    runs = {name: load_run(paths, name) for name in NAMES}
    assert all(runs.values())
    down = cli("down", *NAMES, "--format", "json")
    assert down.returncode == 0, down.stderr
    assert sorted(json.loads(down.stdout)["stopped"]) == NAMES
    for name in NAMES:
        assert nspawn_pids(name) == [], f"{name}: nspawn still running"
        assert not leader_alive(runs[name]), f"{name}: the container's init still runs"
        assert not link_exists(name), f"{name}: veth link left"
        assert not ruleset_mentions(name), f"{name}: NAT rule left"
        assert not is_mounted(lab_dir().absolute() / "machines" / name / "rootfs")
    status = json.loads(cli("status", "--format", "json").stdout)
    states = {m["name"]: m["state"] for m in status["machines"] if m["name"] in NAMES}
    assert states == dict.fromkeys(NAMES, "stopped")
    # Down of stopped machines is a no-op.
    again = cli("down", *NAMES, "--format", "json")
    assert again.returncode == 0 and json.loads(again.stdout)["stopped"] == []
