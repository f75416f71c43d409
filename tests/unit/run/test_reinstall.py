"""The PXE reinstaller: per-MAC boot entries and preseed, then wait for SSH to come back."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from sovmigrate.errors import OperationFailed, UsageError
from sovmigrate.run.reinstall import PxeReinstaller, wait_for_ssh, wait_for_ssh_down
from sovmigrate.state import Machine


def _machine(**vars: object) -> Machine:
    return Machine(1, 1, "pc-lyon-07", "lyon", {}, dict(vars), "captured", None, None, "")


def _ssh_server(banner: bytes, port: int = 0) -> tuple[socket.socket, int]:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.sendall(banner)
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_renders_entries_and_waits_for_the_new_system(tmp_path: Path) -> None:
    port = _free_port()
    pxe = PxeReinstaller(
        tftp_root=tmp_path,
        http_base="http://10.0.0.1/pxe/",
        authorized_key="ssh-ed25519 AAAA ops@site",
        mirror="http://m/debian",
        timeout=10,
        poll=0.2,
    )
    machine = _machine(
        sovmigrate_mac="52:54:00:AB:cd:01", ansible_host="127.0.0.1", ansible_port=port
    )
    rendered = pxe.render(machine)
    preseed = (tmp_path / "preseed" / "pc-lyon-07.cfg").read_text()
    assert "netcfg/get_hostname string pc-lyon-07" in preseed
    assert "ssh-ed25519 AAAA ops@site" in preseed
    assert "mirror/http/hostname string m" in preseed
    grub = tmp_path / "grub" / "grub.cfg-01-52-54-00-ab-cd-01"
    assert "url=http://10.0.0.1/pxe/preseed/pc-lyon-07.cfg" in grub.read_text()
    assert (tmp_path / "ipxe" / "52-54-00-ab-cd-01.ipxe").read_text().startswith("#!ipxe")
    assert len(rendered) == 3
    # The machine is down (installing), then the new system's sshd answers a moment later.
    servers: list[socket.socket] = []
    starter = threading.Timer(1.0, lambda: servers.append(_ssh_server(b"SSH-2.0-new\r\n", port)[0]))
    starter.start()
    try:
        pxe.reinstall(machine)
    finally:
        starter.join()
        for server in servers:
            server.close()
    # Back over SSH: the boot entries are gone so a reboot never reinstalls it again.
    assert not grub.exists() and not (tmp_path / "ipxe" / "52-54-00-ab-cd-01.ipxe").exists()
    assert (tmp_path / "preseed" / "pc-lyon-07.cfg").exists()


def test_a_machine_that_never_reboots_is_a_failure(tmp_path: Path) -> None:
    server, port = _ssh_server(b"SSH-2.0-live-system\r\n")
    try:
        with pytest.raises(OperationFailed, match="never went down"):
            wait_for_ssh_down("127.0.0.1", port, timeout=0.6, poll=0.2)
    finally:
        server.close()


def test_machine_without_mac_is_refused(tmp_path: Path) -> None:
    pxe = PxeReinstaller(tftp_root=tmp_path, http_base="http://x", authorized_key="k")
    with pytest.raises(UsageError, match="sovmigrate_mac"):
        pxe.render(_machine())


def test_wait_for_ssh_needs_a_banner() -> None:
    server, port = _ssh_server(b"HTTP/1.0 200 OK\r\n")  # an open port is not an SSH server
    try:
        with pytest.raises(OperationFailed, match="did not answer over SSH"):
            wait_for_ssh("127.0.0.1", port, timeout=0.6, poll=0.2)
    finally:
        server.close()
