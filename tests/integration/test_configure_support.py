"""Shared pieces of the configure/suite integration tests: a lab machine, the stand-in servers,
running playbooks and the postcheck as a technician would."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import socketserver
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def lab_root() -> Path:
    """A lab directory of its own: other suites destroying every machine of the default lab
    directory must not take this one's machines. The APT archive is the host's shared one."""
    return Path(os.environ.get("SOVMIGRATE_WS_LAB_DIR") or "/var/lib/sovmigrate/lab-ws")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class StandInServer:
    """A local HTTP server on the lab's host-side address. It stands in for the Tchap release
    mirror and for the suite's web endpoints (no traffic leaves this machine)."""

    directory: Path
    address: str
    server: socketserver.TCPServer | None = None

    def start(self) -> str:
        handler = functools.partial(_Quiet, directory=str(self.directory))
        socketserver.TCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer((self.address, 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://{self.address}:{self.server.server_address[1]}"

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class PlaybookRun:
    rc: int
    output: str

    def recap(self, host: str) -> dict[str, int]:
        m = re.search(rf"^{re.escape(host)}\s+:\s+(.*)$", self.output, re.M)
        assert m, f"no PLAY RECAP for {host}:\n{self.output[-3000:]}"
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1))}


def env() -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }


def playbook(
    inventory: Path, host: str, name: str, extra_vars: dict[str, Any], *args: str
) -> PlaybookRun:
    result = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(inventory),
            "-l",
            host,
            str(REPO / "playbooks" / name),
            "-e",
            json.dumps(extra_vars),
            *args,
        ],
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=3600,
        check=False,
    )
    return PlaybookRun(result.returncode, result.stdout + result.stderr)


def postcheck(inventory: Path, host: str, *args: str) -> tuple[int, dict[str, Any], str]:
    """``sovmigrate postcheck HOST --format json``: exit code, the JSON report, stderr."""
    argv = [sys.executable, "-m", "sovmigrate", "postcheck", host, "-i", str(inventory)]
    result = subprocess.run(
        [*argv, "--format", "json", *args],
        cwd=REPO,
        env=env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.returncode, report, result.stderr


def failed_names(report: dict[str, Any]) -> set[str]:
    return {c["name"] for c in report.get("checks", []) if c["status"] == "fail"}


def ssh(argv: list[str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*argv, command], capture_output=True, text=True, timeout=300, check=False
    )
