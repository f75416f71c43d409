"""Render an HTML file in Debian's headless Chromium and collect its console errors.

Used by several test areas: ``render_in_chromium(html_path, screenshot_path) -> list[str]``.
It speaks the DevTools protocol over ``--remote-debugging-pipe`` (file descriptors 3 and 4, no
port, no websocket library): the browser tells us each console error, uncaught exception and
blocked load with its level, which the plain stderr log does not (it prints every console
message as INFO). The screenshot covers the whole page.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)


class _Pipe:
    """One DevTools connection: JSON messages separated by NUL bytes."""

    def __init__(self, to_browser: int, from_browser: int) -> None:
        self.out, self.inp = to_browser, from_browser
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.out, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def _read(self, deadline: float) -> dict[str, Any] | None:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.inp], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.inp, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str = "", timeout=30.0
    ) -> dict[str, Any]:
        ident = self.send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(deadline)
            if msg is None:
                raise TimeoutError(f"chromium did not answer {method}")
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float) -> bool:
        if any(e.get("method") == method for e in self.events):
            return True
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(deadline)
            if msg is None:
                return False
            self.events.append(msg)
            if msg.get("method") == method:
                return True

    def drain(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (msg := self._read(deadline)) is not None:
            self.events.append(msg)


def _errors(events: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text", "")
            found.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = [str(a.get("value", a.get("description", ""))) for a in params.get("args", [])]
            found.append(f"console.{params['type']}: {' '.join(args)}")
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error":
                found.append(f"{entry.get('source', 'log')}: {entry.get('text', '')}")
    return found


def render_in_chromium(
    html_path: str | os.PathLike[str], screenshot_path: str | os.PathLike[str], timeout: float = 60
) -> list[str]:
    """Load ``html_path`` in headless Chromium, save a full-page PNG, return console errors."""
    page = Path(html_path).resolve()
    shot = Path(screenshot_path)
    shot.parent.mkdir(parents=True, exist_ok=True)
    profile = tempfile.mkdtemp(prefix="sovmigrate-chromium-")
    cmd_r, cmd_w = os.pipe()  # we write commands, the browser reads fd 3
    ev_r, ev_w = os.pipe()  # the browser writes fd 4, we read

    def _child_fds() -> None:
        os.dup2(cmd_r, 3)
        os.dup2(ev_w, 4)

    proc = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--window-size=1280,1024", "about:blank"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Kept open in the child after preexec_fn has moved the pipe ends onto them.
        pass_fds=(3, 4),
        preexec_fn=_child_fds,
    )
    os.close(cmd_r)
    os.close(ev_w)
    pipe = _Pipe(cmd_w, ev_r)
    try:
        target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)
        attached = pipe.call(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        session = attached["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            pipe.call(domain, session=session)
        pipe.events.clear()
        pipe.call("Page.navigate", {"url": page.as_uri()}, session=session, timeout=timeout)
        if not pipe.wait_event("Page.loadEventFired", timeout):
            raise TimeoutError(f"{page} did not finish loading in {timeout} s")
        pipe.drain(0.5)  # late console messages (layout, deferred loads)
        image = pipe.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True},
            session=session,
            timeout=timeout,
        )
        shot.write_bytes(base64.b64decode(image["data"]))
        errors = _errors(pipe.events)
        try:
            pipe.send("Browser.close")
            proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        return errors
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(cmd_w)
        os.close(ev_r)
        shutil.rmtree(profile, ignore_errors=True)
