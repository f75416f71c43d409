"""Windows system disk images for the lab and the tests (NTFS + real registry hives).

``build_windows_disk`` writes an image and returns (and saves as ``<image>.json``) the
description of everything it wrote, including how the capture must classify each file.
"""

from __future__ import annotations

from pathlib import Path

from sovmigrate.lab.windisk import ntfs
from sovmigrate.lab.windisk.description import (
    DiskDescription,
    FileExpectation,
    KnownFolder,
    UserDescription,
    UserSettings,
)
from sovmigrate.lab.windisk.domain import Domain, DomainAccount
from sovmigrate.lab.windisk.plan import plan_disk
from sovmigrate.lab.windisk.writer import content_sha256, write_plan

VARIANTS = ("clean", "hibernated", "dirty", "bitlocker")
DEFECTS = ("", "corrupt-hive", "no-software", "missing-profile")
DEFAULT_BULK = 3_000_000

__all__ = [
    "DEFECTS",
    "VARIANTS",
    "DiskDescription",
    "Domain",
    "DomainAccount",
    "FileExpectation",
    "KnownFolder",
    "UserDescription",
    "UserSettings",
    "build_windows_disk",
    "description_path",
]


def description_path(image: Path) -> Path:
    return image.with_name(image.name + ".json")


def build_windows_disk(
    path: Path,
    seed: int,
    variant: str = "clean",
    size_knob: int = DEFAULT_BULK,
    *,
    huge_file: bool = True,
    defect: str = "",
    directory: Domain | None = None,
) -> DiskDescription:
    """Build an NTFS image at ``path``; ``size_knob`` is the bulk of documents in bytes.

    ``huge_file`` adds a sparse file over 4 GiB (costs hashing time at capture, not disk).
    ``defect`` breaks the disk for bad-input tests: a corrupt SOFTWARE hive, no SOFTWARE
    hive, or the second user's profile directory missing. ``directory`` makes the disk of a
    domain-joined PC: a profile per directory account (its SID) and one local account.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}")
    if defect not in DEFECTS:
        raise ValueError(f"defect must be one of {DEFECTS}")
    path = Path(path)
    plan = plan_disk(seed, size_knob, huge_file, directory)
    image_size = max(96 << 20, int(size_knob * 1.3) + (96 << 20))
    ntfs.make_image(path, image_size)
    write_plan(path, plan, hibernated=variant == "hibernated", defect=defect)
    if variant == "dirty":
        ntfs.mark_dirty(path)
    notes = []
    if variant == "bitlocker":
        ntfs.mark_bitlocker(path)
        notes.append("BitLocker cannot be created here: only its boot-sector signature is written")
    missing = plan.users[1].profile + "/" if defect == "missing-profile" else None
    files = [
        FileExpectation(
            path=s.path,
            owner=s.owner,
            expected=s.expected,
            reason=s.reason,
            size=s.final_size,
            sha256=content_sha256(s) if s.kind == "file" else "",
        )
        for s in plan.files
        if not (missing and s.path.startswith(missing))
    ]
    description = DiskDescription(
        image=str(path),
        seed=seed,
        variant=variant,
        defect=defect,
        image_size=image_size,
        users=plan.users,
        skipped_profiles=plan.skipped_profiles,
        drive_data_folders=plan.drive_data_folders,
        files=files,
        blockers=[] if variant == "clean" else [variant],
        notes=notes,
    )
    description.save(description_path(path))
    return description
