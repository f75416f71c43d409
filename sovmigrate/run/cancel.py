"""Ctrl-C for a wave run: the first one asks the current run to stop cleanly.

ansible-runner starts ansible-playbook in its own session (a pty), so the terminal's SIGINT
reaches only the orchestrator; ``cancel_callback`` then tells the runner to stop the play, and
every machine keeps the state its last finished stage gave it. A second Ctrl-C interrupts at once.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __call__(self) -> bool:  # ansible-runner's cancel_callback
        return self._event.is_set()


@contextmanager
def cancel_on_sigint(token: CancelToken) -> Iterator[CancelToken]:
    if threading.current_thread() is not threading.main_thread():
        yield token
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield token
    finally:
        signal.signal(signal.SIGINT, previous)
