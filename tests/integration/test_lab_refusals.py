"""Bad input to ``sovmigrate lab``: one line saying what is wrong, nothing created."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from labtools import REPO, cli

pytestmark = pytest.mark.integration


def one_error_line(proc, code: int) -> str:
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sovmigrate: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize("name", ["Bad_Name", "x" * 12, "a-", "a/../b", "é"])
def test_invalid_names_refused(tmp_path, name):
    line = one_error_line(cli("up", name, lab=tmp_path / "lab"), 2)
    assert "invalid machine name" in line
    assert not (tmp_path / "lab" / "machines").exists()


def test_unknown_machine_refused(tmp_path):
    for args in (("down", "ghost"), ("ssh", "ghost"), ("destroy", "ghost")):
        line = one_error_line(cli(*args, lab=tmp_path), 2)
        assert "unknown lab machine 'ghost'" in line


def _path_without(tmp_path, missing: str) -> str:
    """A PATH holding every host tool the lab uses except ``missing`` (a fresh machine that
    lacks one package), plus the interpreter."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in (
        "systemd-nspawn",
        "nft",
        "ip",
        "nsenter",
        "ssh",
        "ssh-keygen",
        "systemctl",
        "mmdebstrap",
        "cp",
        "mount",
        "umount",
    ):
        found = shutil.which(tool)
        if tool != missing and found:
            (bindir / tool).symlink_to(found)
    return str(bindir)


@pytest.mark.parametrize(
    ("tool", "package"),
    [("systemd-nspawn", "systemd-container"), ("nft", "nftables"), ("mmdebstrap", "mmdebstrap")],
)
def test_missing_host_tool_says_how_to_install_it(tmp_path, tool, package):
    # A new lab directory: bringing a machine up would need every tool, mmdebstrap included.
    proc = cli("up", "lab1", lab=tmp_path / "lab", env={"PATH": _path_without(tmp_path, tool)})
    line = one_error_line(proc, 3)
    assert f"missing host tool '{tool}'" in line and f"apt-get install {package}" in line
    machines = tmp_path / "lab" / "machines"
    assert not machines.exists() or not any(machines.iterdir())


def test_not_root_refused(tmp_path):
    if any(p.stat().st_mode & 0o005 != 0o005 for p in (REPO, *REPO.parents)):
        pytest.skip("the checkout is not readable by an unprivileged user on this machine")
    proc = subprocess.run(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-m",
            "sovmigrate",
            "lab",
            "status",
        ],
        capture_output=True,
        text=True,
        cwd="/",
        env={"PATH": os.environ["PATH"], "SOVMIGRATE_LAB_DIR": str(tmp_path)},
        check=False,
    )
    line = one_error_line(proc, 3)
    assert "needs root" in line
