"""The wave commands as a technician types them: bad input is one line, a non-zero exit, and
the state database unchanged."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_wave_support import PLAYBOOKS, local_vars, seed, sqlite_dump

from sovmigrate.state import MachineRecord, open_store

pytestmark = pytest.mark.integration


def _cli(
    db: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {**os.environ, "SOVMIGRATE_DB": str(db), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=db.parent,
        check=False,
    )


def _one_line_error(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sovmigrate: error: "), result.stderr
    assert words in lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "state.db"
    seed(str(path), ["pc1", "pc2"])
    with open_store(path) as store:
        other = store.campaign("other", create=True)
        store.upsert_machines(other, [MachineRecord("stranger", vars=local_vars())])
        store.create_wave(other, "ow", ["stranger"])
    return path


def test_bad_names_change_nothing(db: Path) -> None:
    before = sqlite_dump(db)
    camp = ["--campaign", "test"]
    _one_line_error(_cli(db, "wave", "run", "nope", *camp), 2, "unknown wave 'nope'")
    _one_line_error(_cli(db, "wave", "add", "w1", "ghost", *camp), 2, "ghost")
    _one_line_error(_cli(db, "wave", "add", "w1", "stranger", *camp), 2, "stranger")
    _one_line_error(_cli(db, "wave", "create", "w2", "pc1", *camp), 2, "already in another wave")
    _one_line_error(_cli(db, "machine", "exclude", "ghost", "--reason", "x", *camp), 2, "ghost")
    _one_line_error(
        _cli(db, "machine", "retry", "pc1", "--reason", "x", *camp), 4, "only a stopped machine"
    )
    _one_line_error(_cli(db, "status", "w1"), 2, "several campaigns")
    _one_line_error(_cli(db, "wave", "run", "w1", "--stages", "format", *camp), 2, "unknown stage")
    _one_line_error(
        _cli(db, "wave", "run", "w1", *camp, "--playbooks", str(PLAYBOOKS)),
        2,
        "reinstall stage needs a reinstaller",
    )
    assert sqlite_dump(db) == before


def test_playbook_syntax_error_is_one_line_and_records_nothing(db: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "precheck.yml").write_text("- hosts: all\n  tasks:\n    - name: x\n      nope: [\n")
    before = sqlite_dump(db)
    result = _cli(
        db,
        "wave",
        "run",
        "w1",
        "--campaign",
        "test",
        "--stages",
        "precheck",
        "--playbooks",
        str(broken),
        "--artifacts",
        str(tmp_path / "art"),
    )
    _one_line_error(result, 1, "did not start")
    assert sqlite_dump(db) == before


def test_corrupt_newer_and_locked_databases(tmp_path: Path, db: Path) -> None:
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"\x00garbage" * 100)
    raw = corrupt.read_bytes()
    _one_line_error(_cli(corrupt, "status"), 4, "not a usable sovmigrate state database")
    assert corrupt.read_bytes() == raw

    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_version (version, at) VALUES (99, 'future')")
    conn.commit()
    conn.close()
    before = sqlite_dump(db)
    _one_line_error(_cli(db, "status", "--campaign", "test"), 4, "schema version 99")
    assert sqlite_dump(db) == before


def test_locked_database(db: Path) -> None:
    before = sqlite_dump(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = _cli(
            db,
            "wave",
            "add",
            "w1",
            "pc1",
            "--campaign",
            "test",
            env={"SOVMIGRATE_DB_BUSY_TIMEOUT_MS": "300"},
        )
    finally:
        holder.rollback()
        holder.close()
    _one_line_error(result, 4, "locked by another process")
    assert sqlite_dump(db) == before


def test_status_history_and_operator_verbs(db: Path) -> None:
    camp = ["--campaign", "test"]
    assert json.loads(_cli(db, "status", "w1", "--format", "json", *camp).stdout)["states"] == {
        "scheduled": 2
    }
    result = _cli(db, "machine", "exclude", "pc2", "--reason", "écran cassé", *camp)
    assert result.returncode == 0 and "excluded" in result.stdout
    history = json.loads(_cli(db, "history", "pc2", "--format", "json", *camp).stdout)
    assert history["transitions"][-1]["reason"] == "écran cassé"
    assert "écran cassé" in _cli(db, "history", "pc2", *camp).stdout
    junit = _cli(db, "report", "w1", "--format", "junit", *camp)
    assert junit.returncode == 0 and 'tests="2"' in junit.stdout


def test_secret_vars_file_reaches_the_play_but_not_the_artifacts(tmp_path: Path) -> None:
    from test_wave_support import options

    from sovmigrate.run import run_wave

    db = str(tmp_path / "s.db")
    seed(db, ["pc1"])
    secret = tmp_path / "secret.yml"
    secret.write_text("test_fail_hosts_precheck: [pc1]\ntest_password: s3cr3t-VALUE\n")
    opts = options(tmp_path)
    opts.secret_vars_files = [secret]
    with open_store(db) as store:
        summary = run_wave(
            store, store.wave(store.campaign("test"), "w1"), ["precheck"], options=opts
        )
    assert list(summary.stages[0].failed) == ["pc1"], summary  # the file variables were applied
    artifacts = tmp_path / "artifacts"
    leaked = [p for p in artifacts.rglob("*") if p.is_file() and b"s3cr3t-VALUE" in p.read_bytes()]
    assert leaked == []


def test_wave_run_secret_vars_option_keeps_the_secret_out_of_the_artifacts(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    seed(str(db), ["pc1"])
    secret = tmp_path / "secret.yml"
    secret.write_text("test_fail_hosts_precheck: [pc1]\ntest_password: s3cr3t-CLI\n")
    secret.chmod(0o600)
    result = _cli(
        db,
        "wave",
        "run",
        "w1",
        "--campaign",
        "test",
        "--stages",
        "precheck",
        "--playbooks",
        str(PLAYBOOKS),
        "--artifacts",
        str(tmp_path / "art"),
        "-e",
        f"test_root={tmp_path}",
        "--secret-vars",
        str(secret),
    )
    # The file's variables reached the play: it failed pc1 as the file asked.
    assert result.returncode == 1 and "pc1" in result.stderr, result.stderr
    assert "s3cr3t-CLI" not in result.stdout + result.stderr
    leaked = [
        p for p in (tmp_path / "art").rglob("*") if p.is_file() and b"s3cr3t-CLI" in p.read_bytes()
    ]
    assert leaked == []
