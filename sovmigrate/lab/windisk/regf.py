"""Registry hives for fixtures: an empty but valid ``regf`` file, then keys written with hivex.

Debian ships no empty hive and hivexregedit (Perl) is not installed by default, so the empty hive
is built here from the public format (base block + one hbin holding a root ``nk`` and an ``sk``
cell) and filled through the python3-hivex write API. Values are encoded here (REG_SZ as
UTF-16LE with a terminating NUL), so non-ASCII names and data survive byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path

REG_SZ = 1
REG_EXPAND_SZ = 2
REG_BINARY = 3
REG_DWORD = 4
REG_MULTI_SZ = 7

_FILETIME_2024 = 133_485_408_000_000_000  # fixed timestamp: hives are reproducible byte for byte


def _sid(authority: int, *subs: int) -> bytes:
    return (
        struct.pack("<BB", 1, len(subs))
        + authority.to_bytes(6, "big")
        + b"".join(struct.pack("<I", s) for s in subs)
    )


def _security_descriptor() -> bytes:
    # Self-relative descriptor: owner Administrators, group SYSTEM, a DACL granting Everyone
    # full control. dissect.regf parses it, hivex copies its offset into every new key.
    everyone = _sid(1, 0)
    ace = struct.pack("<BBHI", 0, 0, 8 + len(everyone), 0x000F003F) + everyone
    acl = struct.pack("<BBHHH", 2, 0, 8 + len(ace), 1, 0) + ace
    owner = _sid(5, 32, 544)
    group = _sid(5, 18)
    header_len = 20
    owner_off = header_len
    group_off = owner_off + len(owner)
    dacl_off = group_off + len(group)
    header = struct.pack("<BBHIIII", 1, 0, 0x8004, owner_off, group_off, 0, dacl_off)
    return header + owner + group + acl


def _cell(payload: bytes) -> bytes:
    size = 4 + len(payload)
    size += (-size) % 8
    return struct.pack("<i", -size) + payload.ljust(size - 4, b"\0")


def empty_hive(root_name: str = "ROOT") -> bytes:
    """Return the bytes of a valid hive holding only an empty root key."""
    hbin_size = 4096
    name = root_name.encode("ascii")
    nk_offset = 0x20
    nk_len = len(_cell(b"\0" * (76 + len(name))))
    sk_offset = nk_offset + nk_len
    nk = (
        struct.pack(
            "<2sHQIIIIIIIIIIIIIIIHH",
            b"nk",
            0x2C,  # KEY_HIVE_ENTRY | KEY_NO_DELETE | KEY_COMP_NAME
            _FILETIME_2024,
            0,  # access bits
            0xFFFFFFFF,  # parent: none for the root
            0,  # subkeys
            0,  # volatile subkeys
            0xFFFFFFFF,  # subkeys list
            0xFFFFFFFF,  # volatile subkeys list
            0,  # values
            0xFFFFFFFF,  # values list
            sk_offset,
            0xFFFFFFFF,  # class name
            0,
            0,
            0,
            0,
            0,  # work var
            len(name),
            0,
        )
        + name
    )
    descriptor = _security_descriptor()
    sk = struct.pack("<2sHIIII", b"sk", 0, sk_offset, sk_offset, 1, len(descriptor)) + descriptor
    cells = _cell(nk) + _cell(sk)
    free = hbin_size - 0x20 - len(cells)
    hbin_header = struct.pack("<4sIIQQI", b"hbin", 0, hbin_size, 0, _FILETIME_2024, 0)
    hbin = hbin_header + cells + struct.pack("<i", free) + b"\0" * (free - 4)

    base = bytearray(4096)
    struct.pack_into(
        "<4sIIQIIIIIII", base, 0, b"regf", 1, 1, _FILETIME_2024, 1, 5, 0, 1, nk_offset, hbin_size, 1
    )
    file_name = "fixture".encode("utf-16-le")
    base[48 : 48 + len(file_name)] = file_name
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(base[:508])):
        checksum ^= word
    struct.pack_into("<I", base, 508, checksum)
    return bytes(base) + hbin


def encode_value(kind: int, value: object) -> bytes:
    """Registry value data as Windows stores it (strings UTF-16LE, NUL-terminated)."""
    if kind in (REG_SZ, REG_EXPAND_SZ):
        assert isinstance(value, str)
        return (value + "\0").encode("utf-16-le")
    if kind == REG_MULTI_SZ:
        assert isinstance(value, list)
        return ("".join(v + "\0" for v in value) + "\0").encode("utf-16-le")
    if kind == REG_DWORD:
        assert isinstance(value, int)
        return struct.pack("<I", value)
    assert isinstance(value, bytes)
    return value


# A hive's content: key path ("A\\B\\C") -> {value name: (type, value)}. Every ancestor is
# created, so a path alone is enough to describe a key.
HiveContent = Mapping[str, Mapping[str, tuple[int, object]]]


def write_hive(path: Path, content: HiveContent) -> None:
    """Write a hive file holding ``content`` (keys sorted: the file is reproducible)."""
    import hivex  # python3-hivex, Debian package: only needed to build fixtures

    path.write_bytes(empty_hive())
    hive = hivex.Hivex(str(path), write=True)
    root = hive.root()
    for key_path in sorted(content, key=lambda k: k.lower()):
        node = root
        for part in [p for p in key_path.split("\\") if p]:
            child = hive.node_get_child(node, part)
            node = child if child is not None else hive.node_add_child(node, part)
        values = [
            {"key": name, "t": kind, "value": encode_value(kind, data)}
            for name, (kind, data) in sorted(content[key_path].items())
        ]
        if values:
            hive.node_set_values(node, values)
    hive.commit(str(path))
