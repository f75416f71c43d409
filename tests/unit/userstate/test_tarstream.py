"""The capture's and the restore's tar reader gives what ``tarfile`` gives, on every header kind."""

from __future__ import annotations

import hashlib
import io
import tarfile

import pytest

from sovmigrate.userstate.tarstream import TarStream, TarStreamError


def archive(fmt: int) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        entries = [
            ("Users/alice", tarfile.DIRTYPE, b""),
            ("Users/alice/vide.txt", tarfile.REGTYPE, b""),
            ("Users/alice/Documents/é" * 12 + "/rapport final.docx", tarfile.REGTYPE, b"x" * 3001),
            ("Users/alice/gros.bin", tarfile.REGTYPE, bytes(range(256)) * 9000),
            ("Users/alice/lien", tarfile.SYMTYPE, b""),
        ]
        for name, kind, data in entries:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = len(data)
            info.linkname = "/mnt/ailleurs" if kind == tarfile.SYMTYPE else ""
            if fmt == tarfile.PAX_FORMAT:
                info.pax_headers = {"SCHILY.xattr.user.Zone.Identifier": "ZoneId=3"}
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def reference(data: bytes) -> list[tuple[str, str, int, str]]:
    out = []
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|") as tar:
        for m in tar:
            kind = "file" if m.isreg() else "dir" if m.isdir() else "symlink" if m.issym() else "?"
            body = tar.extractfile(m).read() if m.isreg() else b""  # type: ignore[union-attr]
            out.append((m.name, kind, m.size, hashlib.sha256(body).hexdigest()))
    return out


def ours(data: bytes, chunk: int) -> list[tuple[str, str, int, str]]:
    stream = TarStream(io.BufferedReader(io.BytesIO(data)), chunk=chunk)  # type: ignore[arg-type]
    out = []
    for member in stream:
        digest = hashlib.sha256()
        if member.kind == "file":
            for piece in stream.chunks():
                digest.update(piece)
        out.append((member.name, member.kind, member.size, digest.hexdigest()))
    return out


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
def test_members_names_sizes_and_content_match_tarfile(fmt: int) -> None:
    data = archive(fmt)
    expected = reference(data)
    assert ours(data, 1 << 20) == expected
    assert ours(data, 1000) == expected  # members longer than the buffer, odd sizes


def test_unread_members_are_skipped() -> None:
    data = archive(tarfile.PAX_FORMAT)
    names = [m.name for m in TarStream(io.BufferedReader(io.BytesIO(data)))]  # type: ignore[arg-type]
    assert names == [n for n, *_ in reference(data)]


@pytest.mark.parametrize("fault", ["corrupt-header", "cut-in-header", "cut-in-data"])
def test_a_stream_cut_short_or_corrupt_is_an_error(fault: str) -> None:
    data = archive(tarfile.PAX_FORMAT)
    broken = bytearray(data)
    if fault == "corrupt-header":
        broken[100] ^= 0xFF  # inside the first header: its checksum no longer matches
    elif fault == "cut-in-header":
        broken = broken[:2000]
    else:
        broken = broken[: len(data) // 2]  # inside the 2.3 MB member
    with pytest.raises(TarStreamError):
        stream = TarStream(io.BufferedReader(io.BytesIO(bytes(broken))))  # type: ignore[arg-type]
        for _member in stream:
            for _ in stream.chunks():
                pass
