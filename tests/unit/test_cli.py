"""The CLI's outer contract: version, help, and one-line errors with documented exit codes."""

from __future__ import annotations

import subprocess
import sys

from sovmigrate import __version__


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", *args], capture_output=True, text=True, check=False
    )


def test_version_prints_package_version() -> None:
    result = _run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_unknown_command_is_one_line_usage_error() -> None:
    result = _run("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "no-such-command" in result.stderr
