"""The machines of a wave create their shared store at the same time: one store comes out.

Found by the demo's first run with three machines: two first captures each ran ``restic init``
on the shared store, which ended with two master keys and a config that only one of them
opens, so every later restic call failed with "config or key ... is damaged".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sovmigrate.userstate.store import ResticStore

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
# Each process waits for the start file, so the creations overlap as in a wave.
CREATE = """
import json, os, sys, time
from sovmigrate.userstate.store import ResticStore
store, password, start = sys.argv[1:4]
while not os.path.exists(start):
    time.sleep(0.001)
print(json.dumps(ResticStore(store, password).init_if_absent()))
"""


def test_simultaneous_first_captures_create_one_readable_store(tmp_path: Path) -> None:
    password = tmp_path / "store.pw"
    password.write_text("s3cret-store-password\n")
    store, start = tmp_path / "store", tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CREATE, str(store), str(password), str(start)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(4)
    ]
    start.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out))
    assert sorted(results) == [False, False, False, True]  # one creator, three users
    assert len(list((store / "keys").iterdir())) == 1
    restic = ResticStore(str(store), password)
    assert restic.exists()
    restic.check()
    assert not restic.init_if_absent()
