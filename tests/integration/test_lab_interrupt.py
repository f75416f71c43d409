"""Ctrl-C during ``lab up`` leaves nothing half-made that the next ``lab up`` trips over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from labtools import cli, is_mounted, lab_dir, link_exists, nspawn_pids, ruleset_mentions

pytestmark = pytest.mark.integration

NAMES = ["labint1", "labint2"]


def _sigint_at_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_interrupted_up_then_up_again():
    leftovers = [n for n in NAMES if (lab_dir() / "machines" / n).exists()]
    if leftovers:  # `lab destroy` with no name destroys every machine of the lab
        cli("destroy", *leftovers)
    env = dict(os.environ, SOVMIGRATE_LAB_DIR=str(lab_dir()))
    # Its own process group, like a shell's foreground job: Ctrl-C reaches the whole group.
    # A foreground job also has SIGINT at its default even when the tests run as a background
    # job (a shell without job control starts those with SIGINT ignored, and an ignored signal
    # stays ignored across exec: the CLI would then never see the Ctrl-C).
    proc = subprocess.Popen(
        [sys.executable, "-m", "sovmigrate", "lab", "up", *NAMES],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=_sigint_at_default,
    )
    seen = []
    assert proc.stderr is not None
    for line in proc.stderr:
        seen.append(line)
        if line.startswith(f"{NAMES[1]}: booting"):
            os.killpg(proc.pid, signal.SIGINT)
            break
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, "".join(seen) + err
    assert "sovmigrate: interrupted" in err

    machines = lab_dir().absolute() / "machines"
    for name in NAMES:
        assert nspawn_pids(name) == [], f"{name}: nspawn left running"
        assert not link_exists(name) and not ruleset_mentions(name)
        assert not is_mounted(machines / name / "rootfs")
    # An interrupted creation leaves a side directory; plant one to be sure it is cleared.
    (machines / f".{NAMES[0]}.partial").mkdir(exist_ok=True)

    again = cli("up", *NAMES, "--format", "json")
    try:
        assert again.returncode == 0, again.stderr
        states = {m["name"]: m["state"] for m in json.loads(again.stdout)["machines"]}
        assert states == dict.fromkeys(NAMES, "running")
        assert not list(machines.glob(".*.partial"))
        for name in NAMES:
            assert len(nspawn_pids(name)) == 1
    finally:
        cli("destroy", *NAMES)
