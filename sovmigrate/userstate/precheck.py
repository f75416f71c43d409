"""Can this workstation be captured now? Every check says its cause and its fix.

Run on the live system by the ``precheck`` role (and usable alone): the Windows volume is
found and mountable read-only, not hibernated/dirty, not BitLocker-locked (unless a recovery
key is given), the user data size is known, the store answers and has room for it, and the
machine meets the hardware minimums of the Debian target; with a directory to join, its domain
controllers are found and answer, and the clock is within Kerberos' limit of theirs.
"""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sovmigrate.errors import SovmigrateError
from sovmigrate.userstate.capture import Options, scan_volume
from sovmigrate.userstate.directory_probe import MAX_SKEW, probe
from sovmigrate.userstate.source import open_volume
from sovmigrate.userstate.store import ResticStore

REMOTE = ("sftp:", "s3:", "rest:", "b2:", "azure:", "gs:", "swift:", "rclone:")
# restic's packs, index and a second capture's changes: room beyond the raw data.
STORE_FACTOR = 1.1


@dataclass
class Limits:
    min_ram_mib: int = 0
    min_disk_gib: int = 0
    recovery_key_given: bool = False


@dataclass
class Directory:
    """The directory the new workstation will join (empty dns_servers: the machine's own)."""

    realm: str
    dns_servers: tuple[str, ...] = ()
    max_skew: int = MAX_SKEW


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    fix: str = ""
    # What the reports need to say it in their language (code "precheck.<name>", see
    # sovmigrate/report/reasons.py); ``detail`` and ``fix`` stay the English raw message.
    params: dict[str, Any] = field(default_factory=dict)


def _ram_mib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    return 0


def _size(source: Path) -> int:
    if stat.S_ISBLK(source.stat().st_mode):
        with source.open("rb") as f:
            return f.seek(0, os.SEEK_END)
    return source.stat().st_size if source.is_file() else 0


def _store_free(repo: str) -> int | None:
    if repo.startswith(REMOTE):
        return None
    probe = Path(repo)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    st = os.statvfs(probe)
    return st.f_bavail * st.f_frsize


def _volume(source: Path, limits: Limits, checks: list[Check]) -> int | None:
    try:
        with open_volume(source) as volume:
            blocked = False
            for b in volume.blockers:
                if b.code == "bitlocker" and limits.recovery_key_given:
                    checks.append(Check("bitlocker", True, "recovery key given: unlock first"))
                    continue
                checks.append(Check(b.code, False, b.cause, b.fix))
                blocked = True
            if blocked or any(b.code == "bitlocker" for b in volume.blockers):
                return None
            checks.append(Check("volume", True, f"{source} mounts read-only"))
            manifests = scan_volume(volume, Options(host=""), hashing=False)
    except SovmigrateError as exc:
        checks.append(
            Check("volume", False, str(exc), "give the Windows system volume", {"error": str(exc)})
        )
        return None
    data = sum(m.total_bytes for m in manifests)
    users = sum(1 for m in manifests if m.kind == "user")
    checks.append(Check("data", True, f"{users} users, {data} bytes to capture"))
    return data


def precheck(
    source: Path,
    repo: str,
    password_file: Path | None,
    limits: Limits,
    directory: Directory | None = None,
) -> dict[str, Any]:
    checks: list[Check] = []
    if not source.exists():
        checks.append(
            Check(
                "no-volume",
                False,
                f"{source}: no such device or image",
                "attach the disk",
                {"source": str(source)},
            )
        )
        data = None
    else:
        data = _volume(source, limits, checks)
    free = _store_free(repo)
    if password_file is not None:
        try:
            store = ResticStore(repo, password_file)
            found = store.exists()
            checks.append(Check("store", True, "repository found" if found else "new repository"))
        except SovmigrateError as exc:
            checks.append(
                Check(
                    "store",
                    False,
                    str(exc),
                    "check the store address and password",
                    {"error": str(exc)},
                )
            )
    if free is not None and data is not None:
        need = int(data * STORE_FACTOR)
        checks.append(
            Check(
                "store-space",
                free >= need,
                f"{free} bytes free, {need} needed",
                "" if free >= need else "free space on the store or use another one",
                {"free": free, "need": need},
            )
        )
    ram = _ram_mib()
    ok_ram = ram >= limits.min_ram_mib
    checks.append(
        Check(
            "ram",
            ok_ram,
            f"{ram} MiB",
            "" if ok_ram else "add memory",
            {"mib": ram, "min_mib": limits.min_ram_mib},
        )
    )
    disk = _size(source) if source.exists() else 0
    ok_disk = disk >= limits.min_disk_gib << 30
    checks.append(
        Check(
            "disk",
            ok_disk,
            f"{disk} bytes",
            "" if ok_disk else "a larger disk",
            {"bytes": disk, "min_gib": limits.min_disk_gib},
        )
    )
    if directory is not None:
        for f in probe(directory.realm, list(directory.dns_servers), directory.max_skew):
            checks.append(Check(f.name, f.ok, f.detail, f.fix))
    failed = [c for c in checks if not c.ok]
    return {
        "ok": not failed,
        "reason": "; ".join(f"{c.detail}: {c.fix}" for c in failed) or None,
        "reasons": [{"code": f"precheck.{c.name}", "params": c.params} for c in failed],
        "data_bytes": data,
        "checks": [asdict(c) for c in checks],
    }
