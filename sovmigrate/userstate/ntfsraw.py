"""Read the few NTFS on-disk fields that ntfs-3g does not report: BitLocker and the dirty flag.

ntfs-3g (2022.10.3, measured) mounts a dirty volume silently, so the flag is read from the bytes:
boot sector -> $MFT -> record 3 ($Volume) -> $VOLUME_INFORMATION flags. Only the standard
library: this module runs on the live system.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

BITLOCKER_OEM_ID = b"-FVE-FS-"
NTFS_OEM_ID = b"NTFS    "
VOLUME_IS_DIRTY = 0x0001
_VOLUME_INFORMATION = 0x70
_END = 0xFFFFFFFF


@dataclass(frozen=True)
class BootSector:
    oem_id: bytes
    bytes_per_sector: int
    cluster_size: int
    mft_lcn: int
    mftmirr_lcn: int
    mft_record_size: int


def read_boot_sector(f: BinaryIO) -> BootSector:
    f.seek(0)
    raw = f.read(512)
    if len(raw) < 512:
        raise ValueError("too short to hold a boot sector")
    oem = raw[3:11]
    bps = struct.unpack_from("<H", raw, 0x0B)[0]
    spc = raw[0x0D]
    # Values above 0x80 encode 2^(256-n) sectors per cluster (large cluster sizes).
    sectors_per_cluster = spc if spc <= 0x80 else 1 << (256 - spc)
    cluster = bps * sectors_per_cluster
    mft_lcn, mirr_lcn = struct.unpack_from("<QQ", raw, 0x30)
    cpr = struct.unpack_from("<b", raw, 0x40)[0]
    record_size = cpr * cluster if cpr > 0 else 1 << (-cpr)
    return BootSector(oem, bps, cluster, mft_lcn, mirr_lcn, record_size)


def volume_flags_offsets(f: BinaryIO) -> list[int]:
    """Absolute offsets of the $Volume flags word in $MFT and in $MFTMirr (record 3 of each)."""
    boot = read_boot_sector(f)
    if boot.oem_id != NTFS_OEM_ID:
        raise ValueError(f"not an NTFS boot sector (OEM id {boot.oem_id!r})")
    offsets = []
    for lcn in (boot.mft_lcn, boot.mftmirr_lcn):
        record_at = lcn * boot.cluster_size + 3 * boot.mft_record_size
        f.seek(record_at)
        record = f.read(boot.mft_record_size)
        if record[:4] != b"FILE":
            raise ValueError("$Volume MFT record not found")
        attr = struct.unpack_from("<H", record, 0x14)[0]
        while attr + 8 <= len(record):
            kind, length = struct.unpack_from("<II", record, attr)
            if kind == _END or length == 0:
                break
            if kind == _VOLUME_INFORMATION:
                value_at = struct.unpack_from("<H", record, attr + 0x14)[0]
                offsets.append(record_at + attr + value_at + 10)
                break
            attr += length
        else:
            raise ValueError("$VOLUME_INFORMATION not found")
    return offsets


def is_bitlocker(f: BinaryIO) -> bool:
    f.seek(3)
    return f.read(8) == BITLOCKER_OEM_ID


def is_dirty(f: BinaryIO) -> bool:
    offset = volume_flags_offsets(f)[0]
    f.seek(offset)
    (flags,) = struct.unpack("<H", f.read(2))
    return bool(flags & VOLUME_IS_DIRTY)
