"""What the lab needs from the host: root, a few tools, and the Debian mirror it already uses."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from sovmigrate.errors import EnvironmentProblem, OperationFailed

# Tool -> the Debian package that ships it, so the error can say how to get it.
TOOLS: dict[str, str] = {
    "systemd-nspawn": "systemd-container",
    "nft": "nftables",
    "ip": "iproute2",
    "nsenter": "util-linux",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
    "systemctl": "systemd",
}
BUILD_TOOLS: dict[str, str] = {"mmdebstrap": "mmdebstrap"}


def require_root() -> None:
    if os.geteuid() != 0:
        raise EnvironmentProblem(
            "the lab needs root (it boots systemd-nspawn machines and sets up veth links and "
            "NAT): run it as root, e.g. with sudo"
        )


def require_tools(tools: dict[str, str]) -> None:
    """Stop at the first missing tool with the command that installs it."""
    for tool, package in tools.items():
        if shutil.which(tool) is None:
            raise EnvironmentProblem(
                f"missing host tool {tool!r}: install it with 'apt-get install {package}'"
            )


def run(argv: Sequence[str], *, check: bool = True, timeout: float | None = 300) -> str:
    """Run a host command; a failure becomes one readable line with the command's own stderr."""
    try:
        proc = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError as exc:
        raise EnvironmentProblem(f"missing host tool {argv[0]!r}") from exc
    except subprocess.TimeoutExpired as exc:
        raise OperationFailed(f"{' '.join(argv[:3])} did not finish in {timeout} s") from exc
    if check and proc.returncode != 0:
        err = (proc.stderr or proc.stdout).strip().splitlines()
        last = err[-1] if err else f"exit status {proc.returncode}"
        raise OperationFailed(f"{' '.join(argv[:3])} failed: {last}")
    return proc.stdout


_ONE_LINE = re.compile(r"^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)")


def apt_mirror(etc_apt: Path = Path("/etc/apt")) -> str:
    """The Debian archive URI the host's APT already uses (never a hard-coded host name).

    Security and third-party sources are skipped: the one wanted serves ``<suite>`` and
    ``<suite>-updates`` from a path ending in ``/debian``.
    """
    candidates: list[str] = []
    sources = etc_apt / "sources.list.d"
    for path in sorted(sources.glob("*.sources")) if sources.is_dir() else []:
        for stanza in path.read_text(errors="replace").split("\n\n"):
            fields = _deb822(stanza)
            if "deb" in fields.get("types", "").split() and fields.get("enabled", "yes") != "no":
                candidates.extend(fields.get("uris", "").split())
    lists = [etc_apt / "sources.list"]
    lists += sorted(sources.glob("*.list")) if sources.is_dir() else []
    for path in lists:
        if path.is_file():
            for line in path.read_text(errors="replace").splitlines():
                m = _ONE_LINE.match(line)
                if m:
                    candidates.append(m.group(1))
    for uri in candidates:
        if uri.rstrip("/").endswith("/debian"):
            return uri.rstrip("/")
    raise EnvironmentProblem(
        "no Debian mirror found in the host's APT sources (/etc/apt): add the Debian archive "
        "to /etc/apt/sources.list.d/debian.sources"
    )


def _deb822(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    key = ""
    for line in stanza.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0].isspace() and key:
            fields[key] += " " + line.strip()
            continue
        if ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            fields[key] = value.strip()
    return fields


# Every booted machine's systemd, journald, logind... hold inotify instances, all counted
# against the host's root user: at the kernel's default of 128, a handful of machines exhaust
# them and the next one boots "degraded" ("Failed to allocate inotify fd: Too many open
# files"). Container hosts raise these limits; the lab does so when it boots machines and
# leaves them raised (other containers on the host benefit too).
KERNEL_MINIMUMS = {
    "fs/inotify/max_user_instances": 8192,
    "fs/inotify/max_user_watches": 524288,
}


def raise_kernel_limits(proc_sys: Path = Path("/proc/sys")) -> None:
    for key, minimum in KERNEL_MINIMUMS.items():
        path = proc_sys / key
        try:
            if int(path.read_text()) < minimum:
                path.write_text(f"{minimum}\n")
        except OSError as exc:
            raise EnvironmentProblem(f"cannot raise {key.replace('/', '.')}: {exc}") from exc
