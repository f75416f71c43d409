"""The fleet commands as a user runs them: real CLI, real SQLite state store."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).parents[2] / "data" / "glpi"


def sovmigrate(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", *args, "--db", str(tmp_path / "state.db"),
         "--inventories", str(tmp_path / "inventories")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip


def machines(tmp_path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(tmp_path / "state.db") as db:
        return sorted(db.execute("SELECT name, state FROM machines").fetchall())


def test_import_is_all_or_nothing_and_reimport_updates(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(DATA / "good", mixed)
    shutil.copy(DATA / "bad" / "bad-memory.json", mixed)
    bad = sovmigrate(tmp_path, "fleet", "import", str(mixed), "--campaign", "c1")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr
    assert "bad-memory.json: content.hardware.memory: 'beaucoup' is not a number" in bad.stderr
    assert not (tmp_path / "state.db").exists() or machines(tmp_path) == []

    ok = sovmigrate(tmp_path, "fleet", "import", str(DATA / "good"), "--campaign", "c1")
    assert ok.returncode == 0, ok.stderr
    assert "4 machines from 5 files" in ok.stdout and "1 duplicates merged" in ok.stdout
    first = machines(tmp_path)
    assert [n for n, _ in first] == ["LILLE-NB-0007", "LYON-OLD-0042", "MIN-0001", "PARIS-LAT-0001"]
    assert {s for _, s in first} == {"assessed"}

    again = sovmigrate(tmp_path, "fleet", "import", str(DATA / "good"), "--campaign", "c1",
                       "--format", "json")  # fmt: skip
    summary = json.loads(again.stdout)
    assert (summary["created"], summary["updated"]) == (0, 4)
    assert machines(tmp_path) == first

    skipping = sovmigrate(tmp_path, "fleet", "import", str(mixed), "--campaign", "c1",
                          "--skip-invalid")  # fmt: skip
    assert skipping.returncode == 0
    assert "skipped: " in skipping.stderr and "bad-memory.json" in skipping.stderr
    assert machines(tmp_path) == first


def test_bad_csv_and_unknown_campaign_are_one_line_errors(tmp_path: Path) -> None:
    bad = sovmigrate(tmp_path, "fleet", "import", str(DATA / "csv" / "bad-number.csv"),
                     "--campaign", "c1")  # fmt: skip
    assert bad.returncode == 2 and "line 3: column ram_mb: 'huit'" in bad.stderr
    ok = sovmigrate(
        tmp_path, "fleet", "import", str(DATA / "csv" / "fleet.csv"), "--campaign", "c1"
    )
    assert ok.returncode == 0, ok.stderr
    unknown = sovmigrate(tmp_path, "diagnose", "--campaign", "nope")
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == "sovmigrate: error: unknown campaign 'nope' (known: c1)"


def test_diagnose_and_plan_outputs(tmp_path: Path) -> None:
    assert (
        sovmigrate(tmp_path, "fleet", "import", str(DATA / "good"), "--campaign", "c2").returncode
        == 0
    )
    out = sovmigrate(tmp_path, "diagnose", "--campaign", "c2", "--format", "json")
    data = json.loads(out.stdout)
    assert data["machines"] == 4 and data["status"]["blocked"] >= 1
    assert {r["code"] for r in data["reasons"]} >= {
        "arch-32bit",
        "disk-small",
        "driver-missing-wifi",
    }
    assert 0 < data["figure"]["non_eu_proprietary_share"] <= 1
    # the re-inventory of PARIS-LAT-0001 (later logdate) replaced its software list
    assert data["unmatched"] == [] and data["by_axis"]["workstation"]["installs"] >= 2
    # every machine with its verdict, messages in the language asked
    machines = {m["name"]: m for m in data["by_machine"]}
    assert set(machines) == {"LILLE-NB-0007", "LYON-OLD-0042", "MIN-0001", "PARIS-LAT-0001"}
    lyon = {r["code"]: r for r in machines["LYON-OLD-0042"]["reasons"]}
    assert machines["LYON-OLD-0042"]["status"] == "blocked"
    assert lyon["arch-32bit"]["level"] == "blocked"
    assert lyon["arch-32bit"]["message"].startswith("Processeur ou système 32 bits")
    english = sovmigrate(tmp_path, "diagnose", "--campaign", "c2", "--format", "json",
                         "--lang", "en")  # fmt: skip
    lyon_en = next(
        m for m in json.loads(english.stdout)["by_machine"] if m["name"] == "LYON-OLD-0042"
    )
    assert any(r["message"].startswith("32-bit processor") for r in lyon_en["reasons"])

    table = sovmigrate(tmp_path, "diagnose", "--campaign", "c2", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(table.lstrip("\ufeff")), delimiter=";"))
    lyon = next(r for r in rows if r["name"] == "LYON-OLD-0042")
    assert lyon["status"] == "blocked" and "arch-32bit" in lyon["reasons"]

    english = sovmigrate(tmp_path, "diagnose", "--campaign", "c2", "--lang", "en", "-o", "d.html")
    assert english.returncode == 0 and '<html lang="en">' in (tmp_path / "d.html").read_text()

    plan = sovmigrate(
        tmp_path, "plan", "--campaign", "c2", "--start", "2027-05-06", "--format", "json"
    )
    assert plan.returncode == 0, plan.stderr
    result = json.loads(plan.stdout)
    assert result["start"] == "2027-05-07"  # 6 May 2027 is Ascension Thursday
    assert {b["machine"] for b in result["blocked"]} == {"LYON-OLD-0042"}
    waves = Path(result["inventories"])
    assert sorted(p.stem for p in waves.iterdir()) == sorted(w["name"] for w in result["waves"])
    pilot = yaml.safe_load((waves / "pilot.yml").read_text())
    assert "PARIS-LAT-0001" in pilot["all"]["children"]["wave_pilot"]["hosts"]
    with sqlite3.connect(tmp_path / "state.db") as db:
        stored = db.execute("SELECT count(*) FROM waves").fetchone()[0]
        scheduled = db.execute("SELECT count(*) FROM machines WHERE state='scheduled'").fetchone()[
            0
        ]
    assert stored == len(result["waves"]) and scheduled == 3

    replan = sovmigrate(tmp_path, "plan", "--campaign", "c2", "--start", "2027-06-01")
    assert replan.returncode == 0, replan.stderr
    with sqlite3.connect(tmp_path / "state.db") as db:
        dates = {r[0] for r in db.execute("SELECT planned_for FROM waves")}
    assert min(dates) == "2027-06-01"


@pytest.mark.parametrize("args", [["--start", "demain"], ["--config", "absent/x.yml"]])
def test_plan_bad_arguments(tmp_path: Path, args: list[str]) -> None:
    assert (
        sovmigrate(tmp_path, "fleet", "import", str(DATA / "good"), "--campaign", "c3").returncode
        == 0
    )
    out = sovmigrate(tmp_path, "plan", "--campaign", "c3", *args)
    if args[0] == "--start":
        assert out.returncode == 2 and "--start: 'demain' is not a date" in out.stderr
    else:
        assert out.returncode == 0  # a missing settings file means the defaults


def test_plan_follows_rules_changed_after_import(tmp_path: Path) -> None:
    """The plan keeps the verdicts stored at import only while the rules are the same."""
    ok = sovmigrate(tmp_path, "fleet", "import", str(DATA / "good"), "--campaign", "c4")
    assert ok.returncode == 0, ok.stderr
    settings = tmp_path / "inventories" / "c4" / "campaign.yml"
    settings.parent.mkdir(parents=True)
    settings.write_text("readiness:\n  target:\n    hard_min_ram_mb: 4096\n")
    plan = sovmigrate(tmp_path, "plan", "--campaign", "c4", "--format", "json")
    assert plan.returncode == 0, plan.stderr
    blocked = {b["machine"]: b["reasons"] for b in json.loads(plan.stdout)["blocked"]}
    assert set(blocked) == {"LYON-OLD-0042", "LILLE-NB-0007"}  # 3,072 MB of RAM < 4,096
    assert "ram-too-low" in blocked["LILLE-NB-0007"]


def test_stored_verdicts_plan_as_a_full_reassessment(tmp_path: Path) -> None:
    """The planner's light view of the store (stored verdicts and a few facts) plans exactly
    as decoding every machine and assessing it again."""
    from sovmigrate.fleet.service import assessed, context, import_fleet, planning_view
    from sovmigrate.lab.fleetgen import campaign_settings, write_fleet
    from sovmigrate.plan.planner import PlanSettings, plan_waves
    from sovmigrate.state import open_store

    write_fleet(tmp_path / "glpi", 400, seed=7)
    inventories = tmp_path / "inventories"
    (inventories / "c5").mkdir(parents=True)
    (inventories / "c5" / "campaign.yml").write_text(campaign_settings(400))
    with open_store(tmp_path / "state.db") as store:
        import_fleet(store, "c5", [tmp_path / "glpi"], inventories=inventories)
        ctx = context(store, "c5", inventories=inventories, config=None)
        light, full = planning_view(store, ctx), assessed(store, ctx)
    assert [(m.name, a.status) for m, a, _, _ in light] == [
        (m.name, a.status) for m, a, _, _ in full
    ]
    assert {a.status for _, a, _, _ in light} == {"ready", "needs-action", "blocked"}
    settings = PlanSettings.from_config(ctx.config, None)
    plans = [
        plan_waves([(m, a) for m, a, _, _ in rows], ctx.config, settings) for rows in (light, full)
    ]
    assert plans[0].blocked == plans[1].blocked and plans[0].blocked
    assert [(w.name, w.start, w.members, w.data_gb) for w in plans[0].waves] == [
        (w.name, w.start, w.members, w.data_gb) for w in plans[1].waves
    ]
    for m, _, _, _ in light:  # what the inventories read
        twin = next(f for f, _, _, _ in full if f.name == m.name)
        assert (m.key, m.site, m.department, m.hardware_model) == (
            twin.key,
            twin.site,
            twin.department,
            twin.hardware_model,
        )


def waves(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The wave and machine commands take the state database only."""
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", *args, "--db", str(tmp_path / "state.db")],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip


def test_machine_vars_reach_the_wave_inventory_and_survive_a_reimport(tmp_path: Path) -> None:
    """What no inventory tells (the address the controller reaches, the MAC the PXE
    reinstaller needs) is set per machine, kept by a re-import, and used by the wave."""
    good = str(DATA / "good")
    assert sovmigrate(tmp_path, "fleet", "import", good, "--campaign", "c6").returncode == 0
    host = "PARIS-LAT-0001"
    set_ = waves(tmp_path, "machine", "vars", host, "ansible_host=192.0.2.50",
                      "sovmigrate_mac=52:54:00:12:34:56", "--campaign", "c6")  # fmt: skip
    assert set_.returncode == 0, set_.stderr
    assert sovmigrate(tmp_path, "fleet", "import", good, "--campaign", "c6").returncode == 0
    shown = waves(tmp_path, "machine", "vars", host, "--campaign", "c6", "--format", "json")
    assert json.loads(shown.stdout) == {
        "ansible_host": "192.0.2.50",
        "sovmigrate_mac": "52:54:00:12:34:56",
    }
    assert waves(tmp_path, "wave", "create", "w1", host, "--campaign", "c6").returncode == 0
    out = waves(tmp_path, "wave", "inventory", "w1", "--campaign", "c6",
                     "--output-dir", str(tmp_path / "inv"))  # fmt: skip
    assert out.returncode == 0, out.stderr
    inventory = yaml.safe_load(Path(out.stdout.strip()).read_text())
    hosts = json.dumps(inventory)
    assert '"ansible_host": "192.0.2.50"' in hosts and "52:54:00:12:34:56" in hosts

    unset = waves(tmp_path, "machine", "vars", host, "--unset", "sovmigrate_mac",
                       "--campaign", "c6")  # fmt: skip
    assert unset.stdout.strip() == "ansible_host=192.0.2.50"
    for bad, culprit in (("no-equals", "expected KEY=VALUE"), ("bad-name=1", "'bad-name'")):
        refused = waves(tmp_path, "machine", "vars", host, bad, "--campaign", "c6")
        assert refused.returncode == 2 and culprit in refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    unknown = waves(tmp_path, "machine", "vars", "NOPE", "a=1", "--campaign", "c6")
    assert unknown.returncode == 2 and "NOPE" in unknown.stderr


def test_a_plan_the_store_refuses_leaves_the_previous_inventories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inventories are staged before the store transaction and put in place after it:
    when the transaction fails, the previous ones stay and nothing staged is left behind."""
    from sovmigrate.errors import StateConflict
    from sovmigrate.fleet.service import context, import_fleet
    from sovmigrate.plan import service
    from sovmigrate.state import open_store

    inventories = tmp_path / "inventories"
    with open_store(tmp_path / "state.db") as store:
        import_fleet(store, "c7", [DATA / "good"], inventories=inventories)
        ctx = context(store, "c7", inventories=inventories, config=None)
        first = service.make_plan(store, ctx, inventories=inventories)
        before = {p.name: p.read_text() for p in first.inventories.iterdir()}

        def refuse(*_args: object, **_kwargs: object) -> None:
            raise StateConflict("state database locked (stand-in for a failing commit)")

        monkeypatch.setattr(service.bulk, "create_waves", refuse)
        with pytest.raises(StateConflict):
            service.make_plan(store, ctx, inventories=inventories)
    assert {p.name: p.read_text() for p in first.inventories.iterdir()} == before
    assert [p.name for p in (inventories / "c7").iterdir()] == ["waves"]


def test_summaries_of_another_form_are_assessed_again(tmp_path: Path) -> None:
    """A summary stored in an older form (a JSON object), empty, damaged or not a summary at
    all, is not trusted: that machine is decoded from its facts and assessed again."""
    from sovmigrate.fleet.service import assessed, context, import_fleet, planning_view
    from sovmigrate.lab.fleetgen import write_fleet
    from sovmigrate.state import open_store

    write_fleet(tmp_path / "glpi", 40, seed=3)
    inventories = tmp_path / "inventories"
    with open_store(tmp_path / "state.db") as store:
        import_fleet(store, "c9", [tmp_path / "glpi"], inventories=inventories)
        ctx = context(store, "c9", inventories=inventories, config=None)
        names = sorted(m.name for m in store.machines(ctx.campaign))
        old = '{"key": "k", "site": "X", "readiness": {"status": "ready", "rules": "%s"}}'
        damaged = json.dumps(["k", "X", "", "", "", 1.0, "ready", 7, 0.0, ctx.assessor.fingerprint])
        others = [old % ctx.assessor.fingerprint, None, "[]", '["k"]', "{not json", damaged]
        assert len(names) >= len(others)
        for name, summary in zip(names, others, strict=False):
            store.db.execute("UPDATE machines SET summary = ? WHERE name = ?", (summary, name))
        light, full = planning_view(store, ctx), assessed(store, ctx)
    expected = [(m.name, m.site, a.status, a.reasons) for m, a, _, _ in full]
    assert [(m.name, m.site, a.status, a.reasons) for m, a, _, _ in light] == expected
    assert {a.status for _, a, _, _ in full} != {"ready"}
