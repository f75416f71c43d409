"""Can this machine reach the agency's directory, and is its clock close enough to join it?

The precheck runs this on the live system before any capture, so a wave whose workstations
could never join (no DNS for the realm, no domain controller answering, a clock off by more
than Kerberos tolerates) stops before a disk is wiped. Standard library only: the engine runs
under the target's /usr/bin/python3 with no directory client installed yet.

What is asked, as a joining client would: the DNS SRV records of the realm's domain
controllers (``_ldap._tcp.dc._msdcs.<realm>``) and KDCs (``_kerberos._tcp.<realm>``), a TCP
connection to the KDC, and the DC's anonymous rootDSE over LDAP, whose ``currentTime`` gives the
clock skew. Whether the computer name is free needs an authenticated search: the join itself
(directory_join) says so.
"""

from __future__ import annotations

import random
import socket
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# Kerberos' default tolerance (krb5.conf clockskew, AD's "Maximum tolerance": 5 minutes).
MAX_SKEW = 300
TIMEOUT = 3.0
_SRV = 33


@dataclass
class Finding:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""


def nameservers(resolv_conf: Path = Path("/etc/resolv.conf")) -> list[str]:
    try:
        lines = resolv_conf.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [ln.split()[1] for ln in lines if ln.startswith("nameserver") and len(ln.split()) > 1]


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("idna")
        out += bytes([len(raw)]) + raw
    return out + b"\0"


def _read_name(msg: bytes, pos: int) -> tuple[str, int]:
    labels: list[str] = []
    end: int | None = None
    hops = 0
    while True:
        length = msg[pos]
        if length & 0xC0 == 0xC0:  # compression pointer
            if end is None:
                end = pos + 2
            pos = struct.unpack_from("!H", msg, pos)[0] & 0x3FFF
            hops += 1
            if hops > 64:
                raise ValueError("DNS name compression loop")
            continue
        if length == 0:
            return ".".join(labels), (end if end is not None else pos + 1)
        labels.append(msg[pos + 1 : pos + 1 + length].decode("ascii", "replace"))
        pos += 1 + length


def _ask(
    name: str, qtype: int, server: str, timeout: float
) -> tuple[bytes, list[tuple[int, int, int]]]:
    """One DNS query over UDP: the answer and its records as (type, rdata offset, rdata length).

    Raises OSError when the server does not answer or answers with an error other than NXDOMAIN.
    """
    query_id = random.randrange(1 << 16)
    query = struct.pack("!HHHHHH", query_id, 0x0100, 1, 0, 0, 0)
    query += _encode_name(name) + struct.pack("!HH", qtype, 1)
    family = socket.AF_INET6 if ":" in server else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(query, (server, 53))
        while True:
            msg, _ = s.recvfrom(4096)
            if len(msg) >= 12 and struct.unpack_from("!H", msg)[0] == query_id:
                break
    _, flags, qd, an, _, _ = struct.unpack_from("!HHHHHH", msg)
    if flags & 0x000F not in (0, 3):  # not NOERROR / NXDOMAIN: SERVFAIL, REFUSED...
        raise OSError(f"DNS server {server} answered with error code {flags & 0x000F}")
    pos = 12
    for _ in range(qd):
        _, pos = _read_name(msg, pos)
        pos += 4
    records = []
    for _ in range(an):
        _, pos = _read_name(msg, pos)
        rtype, _, _, rdlen = struct.unpack_from("!HHIH", msg, pos)
        pos += 10
        records.append((rtype, pos, rdlen))
        pos += rdlen
    return msg, records


def srv_records(name: str, server: str, timeout: float = TIMEOUT) -> list[tuple[str, int]]:
    """(target, port) of the SRV records of ``name`` asked of ``server``, best priority first;
    an empty list when there is no such record."""
    msg, records = _ask(name, _SRV, server, timeout)
    found: list[tuple[int, int, str, int]] = []
    for rtype, pos, _ in records:
        if rtype == _SRV:
            priority, weight, port = struct.unpack_from("!HHH", msg, pos)
            found.append((priority, -weight, _read_name(msg, pos + 6)[0], port))
    return [(t, p) for _, _, t, p in sorted(found)]


# -- a minimal LDAP client: one anonymous base search of the rootDSE --------------------------


def _ber(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _tlv(data: bytes, pos: int) -> tuple[int, bytes, int]:
    tag, first = data[pos], data[pos + 1]
    pos += 2
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    else:
        length = first
    if pos + length > len(data):
        raise ValueError("truncated LDAP message")
    return tag, data[pos : pos + length], pos + length


def _items(body: bytes) -> list[tuple[int, bytes]]:
    out, pos = [], 0
    while pos < len(body):
        tag, value, pos = _tlv(body, pos)
        out.append((tag, value))
    return out


def root_dse(
    host: str, attributes: list[str], port: int = 389, timeout: float = TIMEOUT
) -> dict[str, list[str]]:
    """The rootDSE's attributes, read anonymously (AD and Samba allow this to any client)."""
    request = _ber(0x04, b"") + _ber(0x0A, b"\0") + _ber(0x0A, b"\0")
    request += _ber(0x02, b"\0") + _ber(0x02, b"\0") + _ber(0x01, b"\0")
    request += _ber(0x87, b"objectClass")
    request += _ber(0x30, b"".join(_ber(0x04, a.encode()) for a in attributes))
    message = _ber(0x30, _ber(0x02, b"\x01") + _ber(0x63, request))
    result: dict[str, list[str]] = {}
    buffer = b""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(message)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                raise OSError(f"{host}:{port} closed the LDAP connection")
            buffer += chunk
            while buffer:
                try:
                    _, body, used = _tlv(buffer, 0)
                except (ValueError, IndexError):
                    break  # incomplete: read more
                buffer = buffer[used:]
                items = _items(body)
                op_tag, op = items[1]
                if op_tag == 0x64:  # SearchResultEntry
                    _, attrs = _items(op)[1]
                    for _, pair in _items(attrs):
                        (_, name), (_, values) = _items(pair)
                        result[name.decode()] = [
                            v.decode("utf-8", "replace") for _, v in _items(values)
                        ]
                elif op_tag == 0x65:  # SearchResultDone
                    code = _items(op)[0][1]
                    if int.from_bytes(code, "big") != 0:
                        raise OSError(
                            f"{host}:{port} refused the rootDSE search (LDAP result {code.hex()})"
                        )
                    return result


def parse_generalized_time(value: str) -> datetime:
    """``20261204213000.0Z`` (AD's currentTime) as an aware UTC datetime."""
    return datetime.strptime(value.split(".")[0].rstrip("Z"), "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def probe(
    realm: str,
    dns_servers: list[str] | None = None,
    max_skew: int = MAX_SKEW,
    timeout: float = TIMEOUT,
    now: datetime | None = None,
) -> list[Finding]:
    """Every check a join depends on, each with its cause and fix; stops at the first that fails
    (a DC not found by DNS cannot be asked the time)."""
    realm = realm.lower()
    servers = dns_servers or nameservers()
    if not servers:
        return [
            Finding(
                "directory-dns",
                False,
                "no DNS server configured",
                "give the machine the directory's DNS servers",
            )
        ]
    records: list[tuple[str, int]] = []
    errors: list[str] = []
    for server in servers:
        try:
            records = srv_records(f"_ldap._tcp.dc._msdcs.{realm}", server, timeout)
            kdcs = srv_records(f"_kerberos._tcp.{realm}", server, timeout)
            break
        except OSError as exc:
            errors.append(f"{server}: {exc or 'no answer'}")
    else:
        return [
            Finding(
                "directory-dns",
                False,
                f"no DNS server answered for {realm} ({'; '.join(errors)})",
                "check the network and the directory's DNS servers",
            )
        ]
    if not records:
        return [
            Finding(
                "directory-dns",
                False,
                f"no domain controller of {realm} in DNS"
                f" (_ldap._tcp.dc._msdcs.{realm} has no SRV record on {server})",
                "point the machine's DNS at the directory's DNS servers, or check the realm",
            )
        ]
    findings = [
        Finding(
            "directory-dns",
            True,
            f"{len(records)} domain controller(s) of {realm}: {records[0][0]}",
        )
    ]
    dc, ldap_port = records[0]
    kdc_host, kdc_port = kdcs[0] if kdcs else (dc, 88)
    try:
        kdc_address = _address(kdc_host, server, timeout)
        socket.create_connection((kdc_address, kdc_port), timeout=timeout).close()
        findings.append(Finding("directory-kerberos", True, f"KDC {kdc_host}:{kdc_port} answers"))
        dse = root_dse(
            _address(dc, server, timeout), ["currentTime"], port=ldap_port, timeout=timeout
        )
    except OSError as exc:
        findings.append(
            Finding(
                "directory-kerberos",
                False,
                f"domain controller {dc} of {realm} does not answer ({exc})",
                "check that the domain controller is up and that the network lets Kerberos (88)"
                " and LDAP (389) through",
            )
        )
        return findings
    if "currentTime" not in dse:
        findings.append(
            Finding(
                "directory-clock", False, f"{dc} gave no currentTime", "check the domain controller"
            )
        )
        return findings
    skew = abs(
        (parse_generalized_time(dse["currentTime"][0]) - (now or datetime.now(UTC))).total_seconds()
    )
    ok = skew <= max_skew
    findings.append(
        Finding(
            "directory-clock",
            ok,
            f"clock {skew:.0f} s from {dc}"
            + ("" if ok else f", beyond the Kerberos limit of {max_skew} s"),
            ""
            if ok
            else "set the machine's clock (NTP from the domain controller) before the migration",
        )
    )
    return findings


def _address(host: str, server: str, timeout: float) -> str:
    """The IPv4 address of ``host``: the system resolver first, then the directory's DNS server
    (the live system may not use the directory's DNS for other names)."""
    try:
        return str(socket.getaddrinfo(host, None, socket.AF_INET)[0][4][0])
    except OSError:
        pass
    msg, records = _ask(host, 1, server, timeout)
    for rtype, pos, rdlen in records:
        if rtype == 1 and rdlen == 4:
            return socket.inet_ntoa(msg[pos : pos + 4])
    raise OSError(f"{host} has no address in DNS")
