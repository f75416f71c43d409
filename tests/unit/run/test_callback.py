"""The callback plugin's logic (sovmigrate.run.callback) fed the events Ansible gives it, against
real stores (SQLite and PostgreSQL, tests/unit/conftest.py); the plugin itself runs under
ansible-playbook in tests/integration/test_awx_path.py."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from sovmigrate.run.callback import PlaybookRecorder, stage_of
from sovmigrate.state import Campaign, Store
from sovmigrate.state.pipeline import exclude


def _ok(host: str, facts: dict[str, Any] | None = None) -> dict[str, Any]:
    res = {"ansible_facts": facts} if facts else {}
    return {"event": "runner_on_ok", "event_data": {"host": host, "task": "t", "res": res}}


def _failed(host: str, msg: str) -> dict[str, Any]:
    return {
        "event": "runner_on_failed",
        "event_data": {"host": host, "task": "Copy", "res": {"msg": msg}},
    }


def _play(
    rec: PlaybookRecorder, stage: str, events: list[dict[str, Any]], removed: list[str]
) -> None:
    rec.play_start(stage)
    for event in events:
        rec.event(event)
    rec.play_end(removed)


def _end(rec: PlaybookRecorder, recaps: dict[str, dict[str, int]] | None = None) -> None:
    rec.playbook_end(
        {"event": "playbook_on_stats", "playbook": "p.yml", "event_data": {}}, recaps or {}
    )
    rec.close()


def _recorder(url: str, **kw: Any) -> PlaybookRecorder:
    rec = PlaybookRecorder(url, "cnam-2026", **kw)
    rec.open()
    return rec


def test_a_play_belongs_to_its_declared_stage_or_its_playbook() -> None:
    assert stage_of({"sovmigrate_stage": "reinstall"}, "/x/site.yml:3") == "reinstall"
    assert stage_of({}, "/p/playbooks/capture.yml:5") == "capture"
    assert stage_of({"sovmigrate_stage": "nonsense"}, "/p/site.yml:1") is None


def test_failed_rescued_and_finished_hosts(
    store_url: str, store: Store, campaign: Campaign
) -> None:
    store.create_wave(campaign, "w1", ["pc1", "pc2", "pc3"])
    rec = _recorder(store_url)
    events = [_ok("pc1"), _failed("pc2", "disk full"), _failed("pc3", "retried"), _ok("pc3")]
    # pc2 failed (the play removed it); pc3's failure was rescued (still in the play).
    _play(rec, "precheck", events, removed=["pc2"])
    users = {"sovmigrate_result": {"users": [{"user": "alice", "verified": True, "files": 2}]}}
    _play(rec, "capture", [_ok("pc1", users), _ok("pc3")], removed=[])
    _end(rec, {"pc1": {"ok": 3, "changed": 1, "failures": 0, "unreachable": 0, "skipped": 1}})

    states = {
        m.name: (m.state, m.failed_stage)
        for m in store.machines(campaign, wave=store.wave(campaign, "w1"))
    }
    # pc3 reported no user: a capture with nobody verified is not a capture.
    assert states == {
        "pc1": ("captured", None),
        "pc2": ("failed", "precheck"),
        "pc3": ("failed", "capture"),
    }
    pc2 = store.machine(campaign, "pc2")
    assert [(r.stage, r.result, r.reason) for r in store.stage_runs(machine_id=pc2.id)] == [
        ("precheck", "failed", "Copy: disk full")
    ]
    (report,) = store.host_reports(store.machine(campaign, "pc1").id)
    assert (report.ok, report.changed, report.playbook, report.data) == (
        3,
        1,
        "p.yml",
        {"skipped": 1},
    )


def test_hosts_outside_the_campaign_or_not_ready_are_left_alone(
    store_url: str, store: Store, campaign: Campaign
) -> None:
    store.create_wave(campaign, "w1", ["pc1"])
    warnings: list[str] = []
    rec = _recorder(store_url, warn=warnings.append)
    _play(rec, "configure", [_ok("pc1"), _ok("stranger")], removed=[])
    _end(rec)
    assert store.machine(campaign, "pc1").state == "scheduled"
    assert store.stage_runs() == []
    assert any("pc1 configure not recorded: gate: pc1 is scheduled" in w for w in warnings)
    assert any("stranger is not in campaign cnam-2026" in w for w in warnings)


def test_the_destructive_stage_is_recorded_only_when_its_gate_began_it(
    store_url: str, store: Store, campaign: Campaign
) -> None:
    store.create_wave(campaign, "w1", ["pc1"])
    rec = _recorder(store_url)
    _play(rec, "precheck", [_ok("pc1")], removed=[])
    users = {"sovmigrate_result": {"users": [{"user": "alice", "verified": True}]}}
    _play(rec, "capture", [_ok("pc1", users)], removed=[])
    _play(rec, "reinstall", [_ok("pc1")], removed=[])  # no gate task ran: nothing begun
    _end(rec)
    assert store.machine(campaign, "pc1").state == "captured"
    assert store.stage_runs(stage="reinstall") == []


def test_an_unreachable_store_spools_and_the_next_run_sends(
    store_url: str, store: Store, campaign: Campaign, tmp_path: Path
) -> None:
    store.create_wave(campaign, "w1", ["pc1", "pc2"])
    spool = tmp_path / "spool"
    # A PostgreSQL server that is not there (a socket directory without its server).
    gone = f"postgresql://nobody@/cnam?host={tmp_path}&port=5433"
    away = PlaybookRecorder(gone, "cnam-2026", spool_dir=spool)
    away.open()
    assert "cannot reach state database" in away.unreachable
    _play(away, "precheck", [_ok("pc1"), _ok("pc2")], removed=[])
    # The reinstall play's gate failed closed: nothing of it is kept to send later.
    _play(away, "reinstall", [_failed("pc1", "gate closed")], removed=["pc1"])
    _end(away, {"pc1": {"ok": 1, "changed": 0, "failures": 0, "unreachable": 0}})
    (kept,) = spool.glob("*.json")
    assert kept.stat().st_mode & 0o777 == 0o600
    assert {r["stage"] for r in json.loads(kept.read_text()) if r["kind"] == "stage"} == {
        "precheck"
    }
    assert store.stage_runs() == []

    exclude(store, store.machine(campaign, "pc2"), "screen broken", "tech")  # meanwhile
    lines: list[str] = []
    back = _recorder(store_url, spool_dir=spool, warn=lines.append)
    _end(back)
    assert not list(spool.glob("*.json"))
    assert store.machine(campaign, "pc1").state == "prechecked"
    assert store.machine(campaign, "pc2").state == "excluded"
    (report,) = store.host_reports(store.machine(campaign, "pc1").id)
    assert report.ok == 1
    rejected = json.loads((spool / "rejected" / kept.name).read_text())
    assert [(r["host"], r["rejected"]) for r in rejected] == [
        ("pc2", "gate: pc2 is excluded; precheck needs scheduled")
    ]
    assert any("sent 2 spooled record(s)" in line and "1 refused" in line for line in lines)


@pytest.mark.parametrize("target", ["", "mysql://x/y", "missing/state.db"])
def test_a_wrong_store_setting_is_one_line_and_never_spooled(target: str, tmp_path: Path) -> None:
    warnings: list[str] = []
    spool = tmp_path / "spool"
    rec = PlaybookRecorder(target or str(tmp_path), None, spool_dir=spool, warn=warnings.append)
    rec.open()
    _play(rec, "precheck", [_ok("pc1")], removed=[])
    _end(rec)
    assert len(warnings) == 1 and "state store refused" in warnings[0], warnings
    assert "NOT recorded" in warnings[0] and not spool.exists()


def test_a_converging_machine_rerunning_a_passed_stage_is_a_note(
    store_url: str, store: Store, campaign: Campaign
) -> None:
    store.create_wave(campaign, "w1", ["pc1"])
    rec = _recorder(store_url)
    _play(rec, "precheck", [_ok("pc1")], removed=[])
    _end(rec)
    warnings: list[str] = []
    notes: list[str] = []
    again = _recorder(store_url, warn=warnings.append, note=notes.append)
    _play(again, "precheck", [_ok("pc1")], removed=[])  # ansible-pull's next run, say
    _end(again, {"pc1": {"ok": 1, "changed": 0, "failures": 0, "unreachable": 0}})
    assert warnings == [] and notes == ["sovmigrate: pc1 is prechecked; precheck kept as is"]
    assert [r.result for r in store.stage_runs()] == ["ok"]
    assert [r.changed for r in store.host_reports(store.machine(campaign, "pc1").id)] == [0]


def test_the_environment_for_the_gate_is_restored_at_close(
    store_url: str, store: Store, campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOVMIGRATE_CAMPAIGN", raising=False)
    monkeypatch.setenv("SOVMIGRATE_DB", "before")
    rec = _recorder(store_url)
    assert os.environ["SOVMIGRATE_DB"] == store_url
    assert os.environ["SOVMIGRATE_CAMPAIGN"] == "cnam-2026" and os.environ["SOVMIGRATE_CONTROLLER"]
    rec.close()
    assert os.environ["SOVMIGRATE_DB"] == "before"
    assert "SOVMIGRATE_CAMPAIGN" not in os.environ and "SOVMIGRATE_CONTROLLER" not in os.environ
