"""Capture to an SFTP restic store: a private sshd on loopback (key authentication only)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovmigrate.lab.windisk import build_windows_disk
from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate.store import ResticStore

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting NTFS images needs root"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def sftp_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    d = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True
        )
    (d / "authorized_keys").write_text((d / "client_key.pub").read_text())
    port = _free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\n"
        f"AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        f"StrictModes no\nUsePAM no\nSubsystem sftp internal-sftp\nPidFile {d}/sshd.pid\n"
    )
    (d / "ssh_config").write_text(
        f"Host 127.0.0.1\n  IdentityFile {d}/client_key\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {d}/known_hosts\n  StrictHostKeyChecking accept-new\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    sshd = subprocess.Popen(
        ["/usr/sbin/sshd", "-D", "-e", "-f", str(d / "sshd_config")], stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"sftp://root@127.0.0.1:{port}/{d}/store", d / "ssh_config"
    finally:
        sshd.terminate()
        sshd.wait()


def test_capture_to_sftp_store_is_verified(sftp_store: tuple[str, Path], tmp_path: Path) -> None:
    repo, ssh_config = sftp_store
    image = tmp_path / "windows.img"
    description = build_windows_disk(image, seed=31, size_knob=4_000_000, huge_file=False)
    password = tmp_path / "pw"
    password.write_text("sftp-store-password\n")
    out = tmp_path / "manifest.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sovmigrate",
            "capture",
            str(image),
            "--store",
            repo,
            "--password-file",
            str(password),
            "--ssh-config",
            str(ssh_config),
            "--host",
            "pc-sftp",
            "--manifest",
            str(out),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert all(m.verified for m in manifest_io.read(out))
    store = ResticStore(repo, password, ssh_config=ssh_config)
    store.check(read_data=True)
    sids = {s.tag("sid") for s in store.snapshots(host="pc-sftp", tags=["kind:user"])}
    assert sids == {u.sid for u in description.users}
