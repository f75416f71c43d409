"""Names the restore derives: Linux logins, CUPS queues, engine bundle (pure)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from sovmigrate.userstate.bundle import build
from sovmigrate.userstate.restore_main import login_for
from sovmigrate.userstate.settings_apply import queue_name


def test_default_login_is_lowercased_ascii_folded_and_posix_safe() -> None:
    assert login_for("Julien-Hélène") == "julien-helene"
    assert login_for("francois.petit") == "francois.petit"
    assert login_for("Élodie Roux") == "elodie-roux"
    assert login_for("2pac") == "u2pac"
    assert len(login_for("x" * 80)) == 32


def test_queue_names_keep_the_server_so_equal_queue_names_do_not_clash() -> None:
    a, b = queue_name("\\\\srv-impr-2\\Copieur-2e"), queue_name("\\\\srv-impr-8\\Copieur-2e")
    assert a == "Copieur-2e-srv-impr-2" and a != b
    assert queue_name("\\\\srv\\Imprimante étage 1") == "Imprimante_etage_1-srv"


def test_engine_bundle_is_deterministic_and_holds_the_engine(tmp_path: Path) -> None:
    first = build(tmp_path / "a")
    second = build(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    names = zipfile.ZipFile(first).namelist()
    assert "sovmigrate/errors.py" in names and "sovmigrate/userstate/restore_main.py" in names
