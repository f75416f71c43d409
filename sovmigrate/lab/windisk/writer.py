"""Put a DiskPlan on an NTFS image through ntfs-3g (read-write, only while building)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sovmigrate.lab.windisk import ntfs
from sovmigrate.lab.windisk.plan import DiskPlan, FileSpec
from sovmigrate.lab.windisk.regf import write_hive


def content_sha256(spec: FileSpec) -> str:
    digest = hashlib.sha256(spec.data)
    remaining = spec.final_size - len(spec.data)
    zeros = bytes(1 << 20)
    while remaining > 0:
        chunk = min(remaining, len(zeros))
        digest.update(zeros[:chunk] if chunk < len(zeros) else zeros)
        remaining -= chunk
    return digest.hexdigest()


def _write_file(root: Path, spec: FileSpec) -> None:
    path = root / spec.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if spec.kind == "junction":
        ntfs.make_junction(path, spec.target)
        return
    if spec.kind == "placeholder":
        ntfs.make_cloud_placeholder(path, spec.final_size)
        return
    with path.open("wb") as f:
        f.write(spec.data)
        if spec.final_size > len(spec.data):
            f.truncate(spec.final_size)  # ntfs-3g keeps the tail as a sparse run
    for stream, data in spec.streams.items():
        ntfs.write_stream(path, stream, data)
    if spec.attributes:
        ntfs.set_attributes(path, spec.attributes)
    # Stable mtimes make descriptions and manifests comparable across builds of one seed.
    os.utime(path, (1_700_000_000, 1_700_000_000), follow_symlinks=False)


def write_plan(image: Path, plan: DiskPlan, *, hibernated: bool, defect: str) -> None:
    missing = plan.users[1].profile + "/" if defect == "missing-profile" else None
    with tempfile.TemporaryDirectory(prefix="sovmigrate-hives-") as tmp:
        hives = Path(tmp)
        for user in plan.users:
            write_hive(hives / user.name, plan.ntuser[user.name])
        write_hive(hives / "SOFTWARE", plan.software)
        with ntfs.mounted_rw(image) as root:
            config = root / "Windows/System32/config"
            config.mkdir(parents=True, exist_ok=True)
            if defect == "corrupt-hive":
                (config / "SOFTWARE").write_bytes(b"regf" + bytes(range(256)) * 16)
            elif defect != "no-software":
                (config / "SOFTWARE").write_bytes((hives / "SOFTWARE").read_bytes())
            for spec in plan.files:
                if missing and spec.path.startswith(missing):
                    continue
                if spec.path.endswith("/NTUSER.DAT") and spec.owner:
                    spec.data = (hives / spec.owner).read_bytes()
                if hibernated and spec.path == "hiberfil.sys":
                    spec.data = b"HIBR" + spec.data[4:]
                _write_file(root, spec)
