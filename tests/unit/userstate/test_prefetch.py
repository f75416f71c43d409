"""The snapshot read ahead in a thread gives the caller exactly what the reader gives.

The source here is an in-memory member list in the reader's interface (the real readers are
exercised through this wrapper by tests/integration/test_restic_repo.py, test_restore.py and
test_capture_verification.py, damaged stores included).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from sovmigrate.userstate.prefetch import prefetched
from sovmigrate.userstate.restic_repo import RepoDamaged
from sovmigrate.userstate.tarstream import Member


class Listed:
    """Members with their chunks; ``fail_at``: (member name, chunk index) raising there."""

    def __init__(self, files: dict[str, list[bytes]], fail_at: tuple[str, int] | None = None):
        self.files = files
        self.fail_at = fail_at
        self.current = ""
        self.chunks_read = 0

    def __iter__(self) -> Iterator[Member]:
        for name, chunks in self.files.items():
            self.current = name
            yield Member(name, "dir" if name.endswith("/") else "file", sum(map(len, chunks)))

    def chunks(self) -> Iterator[bytes]:
        for i, chunk in enumerate(self.files[self.current]):
            if self.fail_at == (self.current, i):
                raise RepoDamaged(f"{self.current}: MAC mismatch in a data blob")
            self.chunks_read += 1
            yield chunk


FILES = {
    "a/": [],
    "a/one": [b"1" * 10, b"2" * 20],
    "a/skipped": [b"s" * 5, b"t" * 5],
    "a/half": [b"h" * 7, b"i" * 7, b"j" * 7],
    "a/empty": [],
    "a/last": [b"z"],
}


def test_same_members_and_chunks_whatever_the_caller_reads() -> None:
    got: dict[str, list[bytes]] = {}
    with prefetched(Listed(FILES), lambda m: m.kind == "file", depth=2) as ahead:
        for member in ahead:
            if member.name == "a/skipped":
                continue  # its chunks left unread: the next member is still the right one
            if member.name == "a/half":
                got[member.name] = [next(iter(ahead.chunks()))]  # one chunk, then the next file
                continue
            got[member.name] = list(ahead.chunks())
    assert got == {
        "a/": [],
        "a/one": FILES["a/one"],
        "a/half": [b"h" * 7],
        "a/empty": [],
        "a/last": [b"z"],
    }


class OneBuffer(Listed):
    """A reader that hands out views of one buffer it then reuses (as TarStream does)."""

    def chunks(self) -> Iterator[memoryview]:  # type: ignore[override]
        buffer = bytearray(64)
        for chunk in self.files[self.current]:
            buffer[: len(chunk)] = chunk
            yield memoryview(buffer)[: len(chunk)]


def test_views_of_a_reused_buffer_arrive_intact() -> None:
    with prefetched(OneBuffer(FILES), lambda m: True, depth=4) as ahead:
        got = {m.name: [bytes(c) for c in ahead.chunks()] for m in ahead}
    assert got == FILES


def test_members_not_wanted_are_not_read() -> None:
    source = Listed(FILES)
    with prefetched(source, lambda m: m.name == "a/last") as ahead:
        names = [m.name for m in ahead]
        assert names == list(FILES)
    assert source.chunks_read == 1


def test_a_reader_error_is_raised_where_the_caller_reads() -> None:
    failing = Listed(FILES, fail_at=("a/half", 1))
    with (
        pytest.raises(RepoDamaged, match="a/half: MAC mismatch"),
        prefetched(failing, lambda m: True) as ahead,
    ):
        for _member in ahead:
            list(ahead.chunks())


def test_leaving_early_ends_the_reading_thread() -> None:
    big = {f"f{i}": [b"x" * 100] * 50 for i in range(50)}
    source = Listed(big)
    before = threading.active_count()
    with pytest.raises(KeyError), prefetched(source, lambda m: True, depth=3) as ahead:
        for member in ahead:
            next(iter(ahead.chunks()))
            if member.name == "f2":
                raise KeyError("the caller fails")
    assert threading.active_count() == before
    # It read at most the chunks handed over plus the queue's depth, not the whole snapshot.
    assert source.chunks_read <= 2 * 50 + 1 + 3 + 1
