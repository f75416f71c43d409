"""Read a snapshot one step ahead, in a thread, while the caller hashes and writes.

Why: reading a stored file is decrypting it (AES-CTR and Poly1305 through ``cryptography``,
which keeps Python's global lock), and the restore then hashes it (``hashlib`` lets the lock
go for buffers over 2 KiB) and writes it (so does ``write``). Done one after the other they
use one core; with the reading in its own thread the two halves run on two cores.

``prefetched(source, want)`` is a ``MemberSource`` like the one it wraps: the same members in
the same order, the chunks of the members ``want`` accepts, the reader's own errors
(``RepoDamaged``, ``TarStreamError``, ``OSError``...) raised where the caller reads, at most
``depth`` chunks (restic's blobs: 0.5-8 MiB) held in between.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sovmigrate.userstate.restic_repo import MemberSource
from sovmigrate.userstate.tarstream import Member

DEPTH = 8
_MEMBER, _CHUNK, _END, _ERROR, _DONE = range(5)


class _Stopped(Exception):
    """The caller left: the reading thread ends without reading on."""


class Prefetched:
    def __init__(self, source: MemberSource, want: Callable[[Member], bool], depth: int) -> None:
        self._source = source
        self._want = want
        self._queue: queue.Queue[tuple[int, Any]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._in_member = False  # the current member's chunks (or its end) not read yet
        self._thread = threading.Thread(target=self._read, name="snapshot-reader", daemon=True)
        self._thread.start()

    def _put(self, item: tuple[int, Any]) -> None:
        while True:
            if self._stop.is_set():
                raise _Stopped
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _read(self) -> None:
        try:
            for member in self._source:
                self._put((_MEMBER, member))
                if self._want(member):
                    for chunk in self._source.chunks():
                        # A view is only good until the reader's next one (TarStream
                        # reuses one buffer): kept as a copy. restic_repo's blobs are bytes.
                        self._put((_CHUNK, chunk if type(chunk) is bytes else bytes(chunk)))
                self._put((_END, None))
            self._put((_DONE, None))
        except _Stopped:
            return
        except BaseException as exc:  # handed to the caller, raised where it reads
            try:
                self._put((_ERROR, exc))
            except _Stopped:
                return

    def _get(self) -> tuple[int, Any]:
        kind, value = self._queue.get()
        if kind == _ERROR:
            raise value
        return kind, value

    def __iter__(self) -> Iterator[Member]:
        while True:
            while self._in_member:  # chunks the caller did not read (a member skipped)
                if self._get()[0] == _END:
                    self._in_member = False
            kind, value = self._get()
            if kind == _DONE:
                return
            self._in_member = True
            yield value

    def chunks(self) -> Iterator[bytes | memoryview]:
        while self._in_member:
            kind, value = self._get()
            if kind == _END:
                self._in_member = False
                return
            yield value

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def prefetched(
    source: MemberSource, want: Callable[[Member], bool], depth: int = DEPTH
) -> Iterator[MemberSource]:
    """``source`` read ahead in a thread; the thread has ended when the block is left (so the
    source may be closed right after)."""
    reader = Prefetched(source, want, depth)
    try:
        yield reader
    finally:
        reader.close()
