"""The capture engine runs on the live system with Debian's python3: standard library only."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CAPTURE_MODULES = [
    "sovmigrate.userstate.__main__",
    "sovmigrate.userstate.capture",
    "sovmigrate.userstate.store",
    "sovmigrate.userstate.manifest",
    "sovmigrate.userstate.scan",
    "sovmigrate.userstate.source",
    "sovmigrate.userstate.verify",
    "sovmigrate.userstate.tarstream",
    "sovmigrate.userstate.restore_fs",
    "sovmigrate.userstate.discovery",
]


@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="Debian python3 missing")
def test_capture_engine_imports_nothing_from_pypi() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CAPTURE_MODULES)
        + "bad = [m for m in ('click', 'rich', 'yaml', 'jinja2', 'ansible_runner') "
        "if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        ["/usr/bin/python3", "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 0, result.stderr
