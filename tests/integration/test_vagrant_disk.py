"""The Vagrant path's disk step, on real block devices (loop devices stand in for the VM's disk).

vagrant/windisk.py builds the image with the lab's builder and vagrant/fill-windows-disk.sh
writes it onto the workstation's extra disk; here both run for real, then `sovmigrate windows
inspect` reads the device the way the capture does. What a VM adds (a virtio or SATA disk,
the detection in vagrant/workstation.sh) cannot be tried here: no VM provider.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILL = ROOT / "vagrant" / "fill-windows-disk.sh"
BIN = Path(sys.executable).parent

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="loop devices and ntfs-3g need root"),
    pytest.mark.skipif(shutil.which("losetup") is None, reason="losetup missing"),
]


def _build(path: Path, seed: int) -> dict[str, object]:
    done = subprocess.run(
        [
            *(sys.executable, str(ROOT / "vagrant" / "windisk.py")),
            *("--output", str(path), "--seed", str(seed), "--no-huge-file"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    summary: dict[str, object] = json.loads(done.stdout)
    return summary


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    path = tmp_path_factory.mktemp("vagrant-disk") / "windows.img"
    return path, _build(path, seed=7)


@pytest.fixture
def blank_disk(tmp_path: Path) -> Iterator[Callable[[int], str]]:
    devices: list[str] = []

    def make(size: int) -> str:
        backing = tmp_path / f"disk{len(devices)}.raw"
        backing.touch()
        os.truncate(backing, size)
        done = subprocess.run(
            ["losetup", "--find", "--show", str(backing)], capture_output=True, text=True
        )
        if done.returncode != 0:
            pytest.skip(f"no loop device here: {done.stderr.strip()}")
        devices.append(done.stdout.strip())
        return devices[-1]

    yield make
    for device in devices:
        subprocess.run(["losetup", "-d", device], check=False)


def _fill(image: Path, device: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(FILL), str(image), device], capture_output=True, text=True)


def _digest(device: str, size: int) -> str:
    with open(device, "rb") as f:
        return hashlib.sha256(f.read(size)).hexdigest()


def test_image_lands_on_a_blank_disk_and_reads_as_windows(
    image: tuple[Path, dict[str, object]], blank_disk: Callable[[int], str]
) -> None:
    path, summary = image
    device = blank_disk(512 << 20)
    first = _fill(path, device)
    assert first.returncode == 0, first.stderr
    assert "wrote" in first.stdout
    size = path.stat().st_size
    assert _digest(device, size) == hashlib.sha256(path.read_bytes()).hexdigest()
    # The same reader as the capture, on the device: the users the builder wrote.
    inspect = subprocess.run(
        [str(BIN / "sovmigrate"), "windows", "inspect", device, "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert inspect.returncode == 0, inspect.stderr
    found = json.loads(inspect.stdout)
    assert sorted(u["name"] for u in found["users"]) == sorted(summary["users"])  # type: ignore[arg-type]
    assert found["blockers"] == []
    again = _fill(path, device)  # provisioning again changes nothing
    assert again.returncode == 0 and "already holds" in again.stdout


def test_a_disk_holding_something_else_is_never_overwritten(
    image: tuple[Path, dict[str, object]], blank_disk: Callable[[int], str]
) -> None:
    path, _ = image
    device = blank_disk(512 << 20)
    # Someone's data: a file system the script did not write.
    subprocess.run(["mkfs.ext4", "-q", "-L", "data", device], check=True)
    before = _digest(device, 4 << 20)
    refused = _fill(path, device)
    assert refused.returncode == 1
    assert "not blank" in refused.stderr and "ext4" in refused.stderr
    assert _digest(device, 4 << 20) == before


def test_a_disk_too_small_is_refused(
    image: tuple[Path, dict[str, object]], blank_disk: Callable[[int], str]
) -> None:
    path, _ = image
    device = blank_disk(16 << 20)
    refused = _fill(path, device)
    assert refused.returncode == 1 and "larger than" in refused.stderr
