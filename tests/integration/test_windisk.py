"""The Windows disk builder on real NTFS (mkntfs + ntfs-3g) with real hives.

Everything the builder claims in its description is checked on the mounted image, and the
hives are read by two independent readers (python3-hivex and dissect.regf).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import hivex
import pytest
from dissect.regf import RegistryHive

from sovmigrate.lab.windisk import DiskDescription, build_windows_disk
from sovmigrate.userstate import ntfsraw

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting NTFS images needs root"),
]
PROFILE_LIST = "Microsoft\\Windows NT\\CurrentVersion\\ProfileList"


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DiskDescription]:
    image = tmp_path_factory.mktemp("windisk") / "windows.img"
    return image, build_windows_disk(image, seed=11)


@pytest.fixture
def mounted(disk: tuple[Path, DiskDescription], tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["ntfs-3g", "-o", "ro", str(disk[0]), str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def test_every_described_file_is_on_the_disk(
    disk: tuple[Path, DiskDescription], mounted: Path
) -> None:
    _, description = disk
    for item in description.files:
        path = mounted / item.path
        assert os.path.lexists(path), item.path
        if item.sha256 and item.size < 1 << 30:
            assert path.stat().st_size == item.size, item.path
            assert _sha256(path) == item.sha256, item.path
    junctions = [f for f in description.files if f.reason == "junction"]
    assert junctions and all((mounted / j.path).is_symlink() for j in junctions)
    placeholder = next(f for f in description.files if f.reason == "onedrive-placeholder")
    assert os.readlink(mounted / placeholder.path).endswith("0x9000701a")
    huge = next(f for f in description.files if f.size > 4 << 30)
    assert (mounted / huge.path).stat().st_blocks * 512 < 1 << 20  # sparse: no 4 GiB written


def test_hives_agree_in_two_independent_readers(
    disk: tuple[Path, DiskDescription], mounted: Path
) -> None:
    _, description = disk
    software = mounted / "Windows/System32/config/SOFTWARE"
    with software.open("rb") as f:
        profiles = RegistryHive(f).open(PROFILE_LIST)
        from_dissect = {k.name: k.value("ProfileImagePath").value for k in profiles.subkeys()}
    h = hivex.Hivex(str(software))
    node = h.root()
    for part in PROFILE_LIST.split("\\"):
        node = h.node_get_child(node, part)
    from_hivex = {
        h.node_name(k): h.value_string(h.node_get_value(k, "ProfileImagePath"))
        for k in h.node_children(node)
    }
    assert from_dissect == from_hivex
    expected = {u.sid: u.profile_image_path for u in description.users}
    assert {k: v for k, v in from_hivex.items() if k in expected} == expected
    assert set(from_hivex) - set(expected) == set(description.skipped_profiles)
    for user in description.users:
        with (mounted / user.profile / "NTUSER.DAT").open("rb") as f:
            usf = RegistryHive(f).open(
                "Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\User Shell Folders"
            )
            written = {v.name: v.value for v in usf.values()}
        assert written == {k: v.registry_value for k, v in user.known_folders.items()}


@pytest.mark.parametrize("variant", ["hibernated", "dirty", "bitlocker"])
def test_variants_carry_their_on_disk_marks(tmp_path: Path, variant: str) -> None:
    image = tmp_path / "w.img"
    description = build_windows_disk(image, seed=2, variant=variant, size_knob=0, huge_file=False)
    assert description.blockers == [variant]
    with image.open("rb") as f:
        assert ntfsraw.is_bitlocker(f) == (variant == "bitlocker")
        if variant != "bitlocker":
            assert ntfsraw.is_dirty(f) == (variant == "dirty")
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    mount = subprocess.run(["ntfs-3g", "-o", "ro", str(image), str(mnt)], capture_output=True)
    if variant == "bitlocker":
        assert mount.returncode != 0  # the signature alone makes the volume unreadable
        return
    # ntfs-3g mounts both silently (measured): detection has to be ours.
    assert mount.returncode == 0
    try:
        header = (mnt / "hiberfil.sys").read_bytes()[:4]
        assert (header == b"HIBR") == (variant == "hibernated")
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
