"""The precheck's directory probe against loopback stand-ins of a DC's DNS and LDAP.

Stand-ins, named as such: a domain controller whose clock differs from this machine's cannot
exist in the lab (containers share the host's CLOCK_REALTIME; time namespaces do not cover it),
so a loopback DNS server and LDAP responder give the records and the rootDSE a real Samba AD DC
gives, with the clock we choose. Packets are written by hand here, not by the probe's encoder.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sovmigrate.userstate.directory_probe import probe

REALM = "lab.sovmigrate.test"


def _name(text: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in text.split(".")) + b"\0"


def _dns_server(sock: socket.socket, port: int, srv: bool) -> None:
    while True:
        try:
            query, peer = sock.recvfrom(512)
        except OSError:
            return
        qid = query[:2]
        question = query[12:]
        qname_end = question.index(b"\0") + 1
        qtype = struct.unpack("!H", question[qname_end : qname_end + 2])[0]
        answers = b""
        count = 0
        if qtype == 33 and srv:
            rdata = struct.pack("!HHH", 0, 100, port) + _name(f"dc.{REALM}")
            answers = b"\xc0\x0c" + struct.pack("!HHIH", 33, 1, 600, len(rdata)) + rdata
            count = 1
        elif qtype == 1:
            answers = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 600, 4) + bytes([127, 0, 0, 1])
            count = 1
        header = qid + struct.pack("!HHHHH", 0x8180 if count or srv else 0x8183, 1, count, 0, 0)
        sock.sendto(header + question[: qname_end + 4] + answers, peer)


def _ber(tag: int, body: bytes) -> bytes:
    assert len(body) < 0x80 or len(body) < 0x100
    if len(body) < 0x80:
        return bytes([tag, len(body)]) + body
    return bytes([tag, 0x81, len(body)]) + body


def _ldap_server(sock: socket.socket, current: datetime) -> None:
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        with conn:
            conn.recv(4096)
            value = current.strftime("%Y%m%d%H%M%S.0Z").encode()
            attr = _ber(0x30, _ber(0x04, b"currentTime") + _ber(0x31, _ber(0x04, value)))
            entry = _ber(0x64, _ber(0x04, b"") + _ber(0x30, attr))
            done = _ber(0x65, _ber(0x0A, b"\0") + _ber(0x04, b"") + _ber(0x04, b""))
            msgid = _ber(0x02, b"\x01")
            conn.sendall(_ber(0x30, msgid + entry) + _ber(0x30, msgid + done))


@pytest.fixture
def stand_in(request: pytest.FixtureRequest) -> Iterator[tuple[str, int]]:
    skew, srv, address = request.param
    ldap = socket.socket()
    ldap.bind(("127.0.0.1", 0))
    ldap.listen()
    port = ldap.getsockname()[1]
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind((address, 53))
    now = datetime.now(UTC) + timedelta(seconds=skew)
    threading.Thread(target=_dns_server, args=(dns, port, srv), daemon=True).start()
    threading.Thread(target=_ldap_server, args=(ldap, now), daemon=True).start()
    yield address, port
    dns.close()
    ldap.close()


@pytest.mark.parametrize("stand_in", [(4, True, "127.0.0.2")], indirect=True)
def test_reachable_dc_with_a_close_clock_passes(stand_in: tuple[str, int]) -> None:
    findings = probe(REALM, [stand_in[0]], timeout=2)
    assert [(f.name, f.ok) for f in findings] == [
        ("directory-dns", True),
        ("directory-kerberos", True),
        ("directory-clock", True),
    ]


@pytest.mark.parametrize("stand_in", [(900, True, "127.0.0.4")], indirect=True)
def test_clock_beyond_the_kerberos_limit_is_named(stand_in: tuple[str, int]) -> None:
    clock = probe(REALM, [stand_in[0]], timeout=2)[-1]
    assert clock.name == "directory-clock" and not clock.ok
    assert "beyond the Kerberos limit of 300 s" in clock.detail and "NTP" in clock.fix


@pytest.mark.parametrize("stand_in", [(0, False, "127.0.0.5")], indirect=True)
def test_realm_without_srv_records_is_named(stand_in: tuple[str, int]) -> None:
    (dns,) = probe(REALM, [stand_in[0]], timeout=2)
    assert not dns.ok and f"_ldap._tcp.dc._msdcs.{REALM} has no SRV record" in dns.detail


def test_dns_server_that_does_not_answer_is_named() -> None:
    (dns,) = probe(REALM, ["127.0.0.3"], timeout=0.5)
    assert not dns.ok and "no DNS server answered" in dns.detail and "127.0.0.3" in dns.detail
