"""The store's contract for importers, planners and the runner: one transaction per call."""

from __future__ import annotations

import pytest

from sovmigrate.errors import StateConflict, UsageError
from sovmigrate.state import Campaign, MachineRecord, Store


def test_upsert_keeps_progress_and_refreshes_facts(store: Store, campaign: Campaign) -> None:
    store.create_wave(campaign, "w1", ["pc1"])
    store.upsert_machines(campaign, [MachineRecord("pc1", site="paris", facts={"ram_gb": 16})])
    pc1 = store.machine(campaign, "pc1")
    assert (pc1.state, pc1.wave, pc1.site, pc1.facts) == (
        "scheduled",
        "w1",
        "paris",
        {"ram_gb": 16},
    )
    assert len(store.machines(campaign)) == 5


def test_duplicate_in_import_writes_nothing(store: Store, campaign: Campaign) -> None:
    with pytest.raises(UsageError, match="twice"):
        store.upsert_machines(campaign, [MachineRecord("new1"), MachineRecord("new1")])
    assert [m.name for m in store.machines(campaign)] == [f"pc{i}" for i in range(1, 6)]


def test_bulk_import_of_a_large_campaign(store: Store) -> None:
    camp = store.campaign("big", create=True)
    records = [MachineRecord(f"m{i:05d}", site=f"s{i % 100}", facts={"i": i}) for i in range(5000)]
    assert store.upsert_machines(camp, records) == 5000
    assert store.count_machines(camp) == {"discovered": 5000}
    assert store.machine(camp, "m04999").facts == {"i": 4999}


def test_wave_schedules_members_in_order(store: Store, campaign: Campaign) -> None:
    wave = store.create_wave(campaign, "w1", ["pc3", "pc1"], planned_for="2026-12-01")
    store.add_to_wave(campaign, wave, ["pc2"])
    members = store.machines(campaign, wave=wave)
    assert [m.name for m in members] == ["pc3", "pc1", "pc2"]
    assert {m.state for m in members} == {"scheduled"}
    reasons = [t.reason for t in store.transitions(members[0].id)]
    assert reasons == ["added to wave w1"]


def test_unknown_machine_leaves_no_wave(store: Store, campaign: Campaign) -> None:
    with pytest.raises(UsageError, match="nope"):
        store.create_wave(campaign, "w1", ["pc1", "nope"])
    assert store.waves(campaign) == []
    assert store.machine(campaign, "pc1").state == "discovered"


def test_machine_of_another_campaign_is_unknown(store: Store, campaign: Campaign) -> None:
    other = store.campaign("other", create=True)
    store.upsert_machines(other, [MachineRecord("stranger")])
    wave = store.create_wave(campaign, "w1", ["pc1"])
    with pytest.raises(UsageError, match="stranger"):
        store.add_to_wave(campaign, wave, ["pc2", "stranger"])
    assert store.machine(campaign, "pc2").wave is None
    with pytest.raises(UsageError, match="not in campaign"):
        store.add_to_wave(other, wave, ["stranger"])


def test_machine_in_one_wave_only(store: Store, campaign: Campaign) -> None:
    store.create_wave(campaign, "w1", ["pc1"])
    with pytest.raises(UsageError, match="already in another wave"):
        store.create_wave(campaign, "w2", ["pc2", "pc1"])
    assert [w.name for w in store.waves(campaign)] == ["w1"]


def test_delete_wave_only_before_it_started(store: Store, campaign: Campaign) -> None:
    store.create_wave(campaign, "w1", ["pc1", "pc2"])
    store.delete_wave(campaign, "w1")
    assert store.machine(campaign, "pc1").state == "assessed"
    wave = store.create_wave(campaign, "w2", ["pc1"])
    pc1 = store.machine(campaign, "pc1")
    store.set_state(pc1.id, "scheduled", "prechecked", stage="precheck", reason="", actor="t")
    with pytest.raises(StateConflict, match="started"):
        store.delete_wave(campaign, wave.name)


def test_unknown_names_are_usage_errors(store: Store, campaign: Campaign) -> None:
    with pytest.raises(UsageError, match="unknown campaign"):
        store.campaign("missing")
    with pytest.raises(UsageError, match="unknown wave"):
        store.wave(campaign, "missing")
    with pytest.raises(UsageError, match="unknown machine"):
        store.machine(campaign, "missing")


def test_set_state_is_compare_and_set(store: Store, campaign: Campaign) -> None:
    pc1 = store.machine(campaign, "pc1")
    with pytest.raises(StateConflict, match="no longer"):
        store.set_state(pc1.id, "captured", "provisioned", stage=None, reason="", actor="t")
    assert store.machine(campaign, "pc1").state == "discovered"
