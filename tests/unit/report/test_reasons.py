"""Failure reasons travel as codes from the roles to the store and are said in each report's
language; the raw message stays for the technician."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from sovmigrate.report import reasons, wave
from sovmigrate.run.events import EventCollector
from sovmigrate.run.recorder import StageRecorder
from sovmigrate.state import MachineRecord, open_store
from sovmigrate.state.pipeline import StageOutcome, begin_stage, finish_stage
from sovmigrate.userstate.source import HIBERNATED

ROLE = Path(__file__).parents[3] / "roles" / "precheck" / "tasks" / "main.yml"
TASK = "Fail naming the cause and the fix"


def _role_message(result: dict[str, Any]) -> str:
    """The precheck role's failure message, rendered as Ansible renders it."""
    [task] = [t for t in yaml.safe_load(ROLE.read_text()) if t.get("name") == TASK]
    env = jinja2.Environment()
    env.filters["to_json"] = json.dumps  # Ansible's to_json: json.dumps, default separators
    return env.from_string(task["ansible.builtin.assert"]["fail_msg"]).render(
        sovmigrate_result=result
    )


def _hibernated_wave(tmp_path: Path, with_fact: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo's hibernated machine through the real path: the engine's verdict, the role's
    failing task, the event collector and the recorder into the store. ``with_fact``: the
    collector saw the verdict fact (kept with the failed run); without it (event data left
    out at scale), the codes come from the failed task's message alone."""
    verdict = {  # what sovmigrate/userstate/precheck.py writes for a hibernated volume
        "ok": False,
        "reason": str(HIBERNATED),
        "reasons": [{"code": "precheck.hibernated", "params": {}}],
    }
    with open_store(str(tmp_path / "state.db")) as store:
        camp = store.campaign("demo", create=True)
        store.upsert_machines(camp, [MachineRecord("pc-hiber", site="LAB")])
        w = store.create_wave(camp, "w1", ["pc-hiber"])
        [machine] = store.machines(camp, wave=w)
        recorder = StageRecorder(store, "precheck", w.id, "tester", "ctl")
        assert recorder.begin(machine)
        events = EventCollector.for_hosts(["pc-hiber"])
        if with_fact:  # the role's set_fact of the verdict, then its failing assert
            res = {"ansible_facts": {"sovmigrate_result": {"stage": "precheck", **verdict}}}
            events({"event": "runner_on_ok", "event_data": {"host": "pc-hiber", "res": res}})
        events({"event": "runner_on_failed", "event_data": {
            "host": "pc-hiber", "task": TASK, "res": {"msg": _role_message(verdict)}}})  # fmt: skip
        recorder.fail(events.hosts["pc-hiber"])
        [run] = store.stage_runs(machine_id=machine.id)
        return wave.collect(store, camp, w), run.data


@pytest.mark.parametrize("with_fact", [True, False])
def test_the_hibernated_machine_is_said_in_each_language(tmp_path: Path, with_fact: bool) -> None:
    data, run_data = _hibernated_wave(tmp_path, with_fact)
    # The verdict the role reported before failing is kept with the run (its codes first).
    assert reasons.from_data(run_data) == ([("precheck.hibernated", {})] if with_fact else [])
    [m] = data["machines"]
    assert m["reasons"] == [{"code": "precheck.hibernated", "params": {}}]
    assert HIBERNATED.cause in m["reason"]  # the raw message is kept (JSON output, history)
    english_raw = (HIBERNATED.cause, HIBERNATED.fix, TASK, "precheck failed")
    fr = wave.render(data, "html", "fr")
    assert "Le volume Windows est en veille prolongée" in fr
    assert not any(text in fr for text in english_raw)
    en = wave.render(data, "html", "en")
    assert "The Windows volume is hibernated (Fast Startup or hibernation): boot Windows" in en
    assert TASK not in en
    junit = wave.render(data, "junit", "fr")
    assert "Le volume Windows est en veille prolongée" in junit
    assert not any(text in junit for text in english_raw)
    assert json.loads(wave.render(data, "json"))["machines"][0]["reason"] == m["reason"]


def test_codes_of_a_stored_verdict_and_raw_reasons_without_code(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "state.db")) as store:
        camp = store.campaign("c", create=True)
        store.upsert_machines(camp, [MachineRecord("a"), MachineRecord("b")])
        w = store.create_wave(camp, "w", ["a", "b"])
        ram = {"reasons": [{"code": "precheck.ram", "params": {"mib": 2048, "min_mib": 4096}}]}
        outcomes = {
            "a": StageOutcome(ok=False, reason="2048 MiB: add memory", data=ram),
            "b": StageOutcome(ok=False, reason="ssh: connection refused"),
        }
        for m in store.machines(camp, wave=w):
            run = begin_stage(store, m, "precheck", wave_id=w.id)
            finish_stage(store, m.id, "precheck", run, outcomes[m.name], "tester")
        data = wave.collect(store, camp, w)
        a = store.machine(camp, "a")
        codes = reasons.of_machine(store, a, "2048 MiB: add memory")
    assert reasons.render(codes, "raw", "fr") == (
        "Mémoire 2048 Mio, sous les 4096 Mio requis : ajouter de la mémoire"
    )
    fr = wave.render(data, "html", "fr")
    assert "Mémoire 2048 Mio" in fr and "2048 MiB: add memory" not in fr
    assert "ssh: connection refused" in fr  # no code: shown as it was written


@pytest.mark.parametrize(
    "message",
    [
        "precheck failed: the Windows volume is hibernated",  # no codes
        'precheck failed reasons=[{"code": "precheck.hiber',  # cut before the list ended
        'precheck failed reasons=[{"code": "precheck.unknown-code", "params": {}}]: x',
    ],
)
def test_a_message_without_usable_codes_is_shown_raw(message: str) -> None:
    assert reasons.render(reasons.from_message(message), message, "fr") == message
