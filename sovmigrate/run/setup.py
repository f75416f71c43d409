"""Build a wave run from command-line choices: options and the reinstaller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sovmigrate.errors import UsageError
from sovmigrate.run.options import RunOptions, default_playbooks
from sovmigrate.run.reinstall import LabReinstaller, PxeReinstaller, Reinstaller


def make_reinstaller(
    kind: str | None,
    *,
    lab_dir: Path | None = None,
    pxe_root: Path | None = None,
    pxe_http: str | None = None,
    ssh_key: Path | None = None,
) -> Reinstaller | None:
    if kind in (None, "none"):
        return None
    if kind == "lab":
        from sovmigrate.lab import Lab

        return LabReinstaller(Lab(lab_dir))
    if kind == "pxe":
        if pxe_root is None or pxe_http is None or ssh_key is None:
            raise UsageError("--reinstaller pxe needs --pxe-root, --pxe-http and --ssh-key")
        try:
            key = ssh_key.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"cannot read {ssh_key}: {exc.strerror}") from None
        return PxeReinstaller(
            tftp_root=pxe_root, http_base=pxe_http, authorized_key=key, mirror=apt_mirror()
        )
    raise UsageError(f"unknown reinstaller {kind!r} (lab, pxe, none)")


def apt_mirror() -> str:
    """The Debian mirror of this controller's APT sources (the site's own mirror)."""
    for path in (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list")):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] and len(words) > 1:
                return words[1]
            if words[:1] == ["deb"]:
                return next((w for w in words[1:] if "://" in w), "")
    return ""


def make_options(
    *,
    forks: int,
    serial: int,
    max_fail: float,
    playbooks_dir: Path | None,
    artifacts: Path | None,
    event_data: str,
    extravars: dict[str, object],
) -> RunOptions:
    options = RunOptions(
        playbooks=default_playbooks(playbooks_dir),
        forks=forks,
        serial=serial,
        max_fail_percentage=max_fail,
        event_data=event_data,
        extravars=dict(extravars),
    )
    if artifacts is not None:
        options.artifacts_root = artifacts
    return options


def extravars_from(values: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for value in values:
        if value.startswith("@"):
            try:
                data = yaml.safe_load(Path(value[1:]).read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise UsageError(f"cannot read extra vars {value[1:]}: {exc}") from None
            if not isinstance(data, dict):
                raise UsageError(f"extra vars file {value[1:]} is not a mapping")
            out.update(data)
        elif value.lstrip().startswith("{"):
            try:
                data = yaml.safe_load(value)
            except yaml.YAMLError:
                data = None
            if not isinstance(data, dict):
                raise UsageError(f"extra vars {value!r} is not a mapping")
            out.update(data)
        elif "=" in value:
            key, _, raw = value.partition("=")
            out[key] = yaml.safe_load(raw) if raw else ""
        else:
            raise UsageError(f"extra var {value!r}: expected key=value or @file")
    return out


def summary_text(data: dict[str, Any]) -> str:
    lines = [f"wave {data['wave']}"]
    if data["recovered"]:
        lines.append(f"  resumed after an interruption: {', '.join(data['recovered'])}")
    for s in data["stages"]:
        failed = ", ".join(f"{n} ({r})" for n, r in sorted(s["failed"].items()))
        lines.append(
            f"  {s['stage']:<10} {len(s['ok'])}/{s['targets']} ok in "
            f"{s['seconds']:.1f} s" + (f"; failed: {failed}" if failed else "")
        )
    states = ", ".join(f"{k} {v}" for k, v in sorted(data["states"].items()))
    lines.append(f"  machines: {states}")
    if data["stopped"]:
        lines.append(f"  stopped: {data['stopped']}")
    return "\n".join(lines)
