"""Whole waves through ansible-runner over local-connection hosts, on SQLite and PostgreSQL.

Covers: every stage in order with independent machines, gates under real playbook results,
resume after SIGKILL of the controller mid-stage and mid-reinstall, Ctrl-C, and the report.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from test_wave_support import (
    FakeDiskReinstaller,
    make_db,
    options,
    runs_by_result,
    seed,
    stage_counts,
    start_driver,
    wait_for,
    wave_of,
)

from sovmigrate.report.wave import collect, render
from sovmigrate.run import run_wave
from sovmigrate.state import STAGES, open_store

pytestmark = pytest.mark.integration
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BROWSER = Path(__file__).resolve().parents[1] / "browser.py"


def _browser():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sovmigrate_tests_browser", BROWSER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return make_db(request.param, tmp_path)


def test_wave_runs_every_stage_and_machines_advance_independently(db: str, tmp_path: Path) -> None:
    seed(db, ["ok1", "ok2", "capfail", "confail"])
    opts = options(
        tmp_path,
        test_unverified_capture=["capfail:bob"],
        test_fail_hosts_configure=["confail"],
    )
    with open_store(db) as store:
        summary = run_wave(
            store, wave_of(store), reinstaller=FakeDiskReinstaller(tmp_path), options=opts
        )
        camp = store.campaign("test")
        states = {m.name: (m.state, m.failed_stage) for m in store.machines(camp)}
        report = collect(store, camp, wave_of(store))
    assert states == {
        "ok1": ("done", None),
        "ok2": ("done", None),
        "capfail": ("failed", "capture"),  # bob's capture not verified: never wiped
        "confail": ("failed", "configure"),
    }
    assert [s.stage for s in summary.stages] == list(STAGES)
    assert stage_counts(tmp_path, "capfail") == {"precheck": 1, "capture": 1}
    assert stage_counts(tmp_path, "ok1") == {s: 1 for s in STAGES}
    assert "reinstall" in stage_counts(tmp_path, "confail")
    # Per-machine verdicts, timings and per-user verification are in the store and report.
    ok1 = next(m for m in report["machines"] if m["name"] == "ok1")
    assert [r["stage"] for r in ok1["stages"]] == list(STAGES)
    assert all(r["seconds"] is not None and r["result"] == "ok" for r in ok1["stages"])
    assert {u["user"] for u in ok1["restore"] if u["verified"]} == {"alice", "bob"}
    capfail = next(m for m in report["machines"] if m["name"] == "capfail")
    assert "bob" in capfail["reason"]
    suite = ET.fromstring(render(report, "junit"))
    assert (suite.get("tests"), suite.get("failures")) == ("4", "2")
    assert Path(ok1["stages"][0]["artifacts"], "job_events").is_dir()


def test_resume_after_sigkill_mid_stage(db: str, tmp_path: Path) -> None:
    seed(db, ["m1", "m2", "m3"])
    with open_store(db) as store:
        run_wave(
            store,
            wave_of(store),
            ["precheck", "capture", "reinstall"],
            reinstaller=FakeDiskReinstaller(tmp_path),
            options=options(tmp_path),
        )
    # One machine per batch, m2 slow in configure: m1's configure is recorded when its batch
    # ends, and the controller is killed while m2 is in the middle of the stage.
    proc = start_driver(db, tmp_path, serial=1, test_sleep_configure={"m2": 60})
    try:
        wait_for(
            lambda: (
                ("m1", "configure", "ok") in runs_by_result(db)
                and ("m2", "configure", "running") in runs_by_result(db)
                and stage_counts(tmp_path, "m2").get("configure") == 1
            ),
            what="m1 configured and m2 configuring",
            proc=proc,
        )
        finished_before = {(m, s) for m, s, r in runs_by_result(db) if r == "ok"}
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert ("m2", "configure", "running") in runs_by_result(db)

    again = start_driver(db, tmp_path)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert json.loads(out.splitlines()[-1])["recovered"] == ["m2"]
    with open_store(db) as store:
        machines = store.machines(store.campaign("test"))
    assert {m.name: m.state for m in machines} == {"m1": "done", "m2": "done", "m3": "done"}
    assert ("m3", "configure") not in finished_before
    for name in ("m1", "m2", "m3"):
        counts = stage_counts(tmp_path, name)
        assert counts["reinstall"] == 1, f"{name} wiped twice"
        for machine, stage in finished_before:
            if machine == name and stage != "reinstall":
                assert counts[stage] == 1, f"{stage} ran again on {name}"
    assert stage_counts(tmp_path, "m2")["configure"] == 2  # interrupted, then run to the end
    results = runs_by_result(db)
    assert ("m2", "configure", "interrupted") in results
    assert not [r for r in results if r[2] == "running"]


def test_sigkill_during_reinstall_never_wipes_twice(db: str, tmp_path: Path) -> None:
    seed(db, ["d1"])
    proc = start_driver(db, tmp_path, reinstall_sleep=30)
    try:
        # The stage's row is committed before the reinstaller writes its first line: kill
        # only once both are there, or the count below finds no reinstall at all.
        wait_for(
            lambda: (
                ("d1", "reinstall", "running") in runs_by_result(db)
                and stage_counts(tmp_path, "d1").get("reinstall") == 1
            ),
            what="reinstall started",
        )
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    again = start_driver(db, tmp_path)
    again.communicate(timeout=600)
    with open_store(db) as store:
        d1 = store.machine(store.campaign("test"), "d1")
        reason = store.transitions(d1.id)[-1].reason
    assert (d1.state, d1.failed_stage) == ("failed", "reinstall")
    assert "check the machine" in reason
    assert stage_counts(tmp_path, "d1")["reinstall"] == 1


def test_ctrl_c_cancels_and_leaves_true_states(tmp_path: Path) -> None:
    db = make_db("sqlite", tmp_path)
    seed(db, ["c1", "c2"])
    proc = start_driver(db, tmp_path, test_sleep_configure=30)
    try:
        wait_for(
            lambda: ("c1", "configure", "running") in runs_by_result(db), what="configure running"
        )
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    with open_store(db) as store:
        states = {m.name: m.state for m in store.machines(store.campaign("test"))}
    assert states == {"c1": "provisioned", "c2": "provisioned"}  # configure did not finish
    results = runs_by_result(db)
    assert ("c1", "configure", "canceled") in results
    assert not [r for r in results if r[2] == "running"]


def test_html_report_renders_in_chromium(tmp_path: Path) -> None:
    render_in_chromium = _browser().render_in_chromium
    db = make_db("sqlite", tmp_path)
    seed(db, ["pc-accentué-1", "pc2", "pc3"])
    opts = options(tmp_path, test_fail_hosts_restore=["pc3"])
    with open_store(db) as store:
        run_wave(store, wave_of(store), reinstaller=FakeDiskReinstaller(tmp_path), options=opts)
        data = collect(store, store.campaign("test"), wave_of(store))
    for lang in ("fr", "en"):
        page = tmp_path / f"wave-{lang}.html"
        page.write_text(render(data, "html", lang), encoding="utf-8")
        errors = render_in_chromium(page, ARTIFACTS / f"wave-report-{lang}.png")
        assert errors == []
        assert (ARTIFACTS / f"wave-report-{lang}.png").stat().st_size > 10_000
    text = (tmp_path / "wave-fr.html").read_text()
    assert "Vague w1" in text and "pc-accentué-1" in text and "<svg" in text
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
