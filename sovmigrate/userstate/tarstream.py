"""Read the tar stream of ``restic dump`` with one copy per byte.

``tarfile`` in stream mode copies each byte four to five times on its way to the caller
(measured: 3.8 s of CPU to hash 1 GB of members, against 1.3 s for the raw stream), and
both the capture's verification and the restore read every captured byte through it. This
reader parses the headers restic's Go tar writer emits (ustar, PAX ``x``/``g`` records, GNU
long names for safety) and hands each member's data as views of one reused buffer.
Standard library only: it runs on the live system and the target.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

BLOCK = 512
_FILE_TYPES = (b"0", b"\0", b"7")


class Readable(Protocol):
    """A buffered binary stream (a pipe's ``BufferedReader``): ``readinto`` fills the
    buffer unless the stream ends."""

    def read(self, size: int, /) -> bytes: ...

    def readinto(self, buffer: memoryview, /) -> int: ...


class TarStreamError(Exception):
    """The stream is not a complete tar archive (cut short, or a header is corrupt)."""


@dataclass
class Member:
    name: str  # as in the archive, without a trailing "/"
    kind: str  # "file", "dir", "symlink" or "other" (hard link, device, fifo...)
    size: int  # bytes of data that follow the header


def _text(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _number(field: bytes) -> int:
    if field[0] & 0x80:  # base-256 (GNU), for sizes that do not fit in 11 octal digits
        return int.from_bytes(bytes([field[0] & 0x7F]) + field[1:], "big")
    digits = field.split(b"\0", 1)[0].strip()
    return int(digits, 8) if digits else 0


def _checksums(header: bytes) -> tuple[int, int]:
    """Unsigned (POSIX) and signed (old writers) sums, the checksum field read as spaces."""
    rest = header[:148] + b" " * 8 + header[156:]
    return sum(rest), sum(b - 256 if b > 127 else b for b in rest)


def _pax(data: bytes) -> dict[str, str]:
    """PAX records: ``"<length> <key>=<value>\\n"``, repeated."""
    records = {}
    pos = 0
    while pos < len(data):
        space = data.index(b" ", pos)
        length = int(data[pos:space])
        key, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        records[key.decode("utf-8")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


class TarStream:
    """Iterate the members of a tar stream; ``chunks()`` gives the current member's data."""

    def __init__(self, raw: Readable, chunk: int = 1 << 20) -> None:
        self.raw = raw
        self._buffer = bytearray(chunk)
        self._view = memoryview(self._buffer)
        self._left = 0  # data of the current member not read yet
        self._pad = 0  # zero padding after it, up to the next 512-byte boundary

    def _exact(self, size: int) -> bytes:
        data = self.raw.read(size)
        if len(data) != size:
            raise TarStreamError(f"the tar stream ends early ({len(data)} of {size} bytes)")
        return data

    def _skip(self, size: int) -> None:
        while size:
            n = self.raw.readinto(self._view[: min(size, len(self._buffer))])
            if not n:
                raise TarStreamError("the tar stream ends inside a member")
            size -= n

    def __iter__(self) -> Iterator[Member]:
        pax: dict[str, str] = {}
        long_name = ""
        while True:
            self._skip(self._left + self._pad)
            self._left = self._pad = 0
            header = self.raw.read(BLOCK)
            if not header or header == bytes(BLOCK):
                return  # end of the archive
            if len(header) != BLOCK:
                raise TarStreamError("the tar stream ends inside a header")
            if _number(header[148:156]) not in _checksums(header):
                raise TarStreamError("a tar header is corrupt (checksum)")
            size = _number(header[124:136])
            flag = header[156:157]
            if flag in (b"x", b"g", b"L", b"K"):
                data = self._exact(size)
                self._skip((-size) % BLOCK)
                if flag == b"x":
                    pax.update(_pax(data))
                elif flag == b"L":
                    long_name = _text(data)
                continue  # g: global records (restic writes none); K: a long link target
            name = _text(header[:100])
            if header[257:262] == b"ustar" and header[345] != 0:
                name = _text(header[345:500]) + "/" + name
            name = pax.get("path") or long_name or name
            size = int(pax.get("size", size))
            pax, long_name = {}, ""
            kind = "other"
            if flag in _FILE_TYPES:
                kind = "file"
            elif flag == b"5":
                kind = "dir"
            elif flag == b"2":
                kind = "symlink"
            self._left, self._pad = size, (-size) % BLOCK
            yield Member(name.rstrip("/"), kind, size)

    def chunks(self) -> Iterator[memoryview]:
        """The current member's data, as views of one buffer (use each before the next)."""
        while self._left:
            n = self.raw.readinto(self._view[: min(self._left, len(self._buffer))])
            if not n:
                raise TarStreamError("the tar stream ends inside a member")
            self._left -= n
            yield self._view[:n]
