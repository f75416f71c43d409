"""The wave report says which Linux account received each Windows profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovmigrate.report import wave
from sovmigrate.run.recorder import outcome_from
from sovmigrate.state import MachineRecord, UserResult, open_store
from sovmigrate.state.pipeline import StageOutcome, begin_stage, finish_stage

AGENT = "S-1-5-21-1111111111-2222222222-3333333333-1104"
LOCAL = "S-1-5-21-9-8-7-1001"


def _restore_result() -> dict[str, object]:
    # What the restore role reports for a machine (docs/restore.md), read as the runner reads it.
    users = [
        {"user": AGENT, "name": "alice.martin", "linux_user": "alice.martin"},
        {"user": LOCAL, "name": "Jean Dupont", "linux_user": "jean-dupont"},
    ]
    for u, kind, files in zip(users, ("directory", "local"), (12, 4), strict=True):
        u.update(account=kind, verified=True, files=files, bytes=files * 100)
    return {"ok": True, "users": users}


@pytest.mark.parametrize(
    ("lang", "directory", "local"), [("fr", "annuaire", "local"), ("en", "directory", "local")]
)
def test_each_profile_names_its_account_and_where_it_comes_from(
    tmp_path: Path, lang: str, directory: str, local: str
) -> None:
    users = (UserResult(AGENT, True, 12, 3000), UserResult(LOCAL, True, 4, 200))
    with open_store(str(tmp_path / "state.db")) as store:
        camp = store.campaign("c", create=True)
        store.upsert_machines(camp, [MachineRecord("pc1")])
        w = store.create_wave(camp, "w1", ["pc1"])
        stages = [
            ("precheck", StageOutcome(ok=True)),
            ("capture", StageOutcome(ok=True, users=users)),
            ("reinstall", StageOutcome(ok=True)),
            ("configure", StageOutcome(ok=True)),
            ("restore", outcome_from("restore", _restore_result())),
        ]
        for stage, outcome in stages:
            m = store.machine(camp, "pc1")
            run = begin_stage(store, m, stage, wave_id=w.id)
            finish_stage(store, m.id, stage, run, outcome, "tester")
        data = wave.collect(store, camp, w)
    rows = {u["user"]: u for u in data["machines"][0]["restore"]}
    assert rows[AGENT]["linux_user"] == "alice.martin" and rows[AGENT]["account"] == "directory"
    assert rows[LOCAL]["linux_user"] == "jean-dupont" and rows[LOCAL]["account"] == "local"
    page = wave.render(data, "html", lang)
    section = page.split('id="accounts"', 1)[1]
    assert f"alice.martin</td><td>{AGENT}</td><td>alice.martin</td><td>{directory}" in section
    assert f"Jean Dupont</td><td>{LOCAL}</td><td>jean-dupont</td><td>{local}" in section
