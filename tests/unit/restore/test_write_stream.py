"""Restored files are written as streamed, hashed on the way, with zero runs left as holes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sovmigrate.userstate.restore_fs import CHUNK, write_stream


def test_blobs_of_any_size_are_written_exactly_and_zero_runs_become_holes(tmp_path: Path) -> None:
    # As restic gives a file back: blobs of 0.5 to 8 MiB, here 6 MiB of zeros between data.
    head, zeros, tail = os.urandom(700_001), bytes(6 * CHUNK + 123), os.urandom(CHUNK + 5)
    content = head + zeros + tail
    out = tmp_path / "disque.vhdx"
    digest = write_stream([head, zeros, tail], out, len(content))
    assert out.read_bytes() == content
    assert digest == hashlib.sha256(content).hexdigest()
    # At least 5 of the 6 whole MiB of zeros are holes (the file system's blocks allowing).
    assert out.stat().st_blocks * 512 <= len(content) - 5 * CHUNK


def test_a_file_that_ends_in_zeros_keeps_its_length(tmp_path: Path) -> None:
    content = b"x" * 10 + bytes(3 * CHUNK)
    out = tmp_path / "fin.bin"
    write_stream([content[:10], content[10:]], out, len(content))
    assert out.stat().st_size == len(content) and out.read_bytes() == content


def test_lengths_are_exact_whether_the_file_ends_in_a_hole_or_not(tmp_path: Path) -> None:
    # The length is set by a truncate only after a trailing hole: every other ending, a
    # short zero tail after a hole included, must have it from the writes themselves.
    cases = {
        "hole-then-short-zeros": [bytes(CHUNK + 10)],
        "data-then-hole": [b"d" * 5, bytes(2 * CHUNK)],
        "hole-then-data": [bytes(CHUNK), b"e"],
        "empty": [],
    }
    for name, chunks in cases.items():
        content = b"".join(chunks)
        out = tmp_path / name
        assert write_stream(chunks, out, len(content)) == hashlib.sha256(content).hexdigest()
        assert out.stat().st_size == len(content) and out.read_bytes() == content, name
