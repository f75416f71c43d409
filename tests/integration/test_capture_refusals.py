"""Volumes that must not be captured, and bad inputs: one clear line, nothing in the store."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovmigrate.lab.windisk import build_windows_disk
from sovmigrate.userstate.store import ResticStore

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting NTFS images needs root"),
]


def sovmigrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", *args], capture_output=True, text=True, check=False
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    """Exit code, and exactly one error line, last on stderr (progress lines may precede)."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("sovmigrate: error: ")]
    assert errors == lines[-1:], result.stderr
    for word in words:
        assert word in errors[0]


@pytest.fixture(scope="module")
def password(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "store.pw"
    path.write_text("s3cret-store-password\n")
    return path


@pytest.fixture(scope="module")
def clean_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    image = tmp_path_factory.mktemp("clean") / "windows.img"
    build_windows_disk(image, seed=21, size_knob=8_000_000, huge_file=False)
    return image


@pytest.mark.parametrize(
    ("variant", "fix"),
    [
        ("hibernated", "disable Fast Startup and shut down fully"),
        ("dirty", "shut down fully"),
        ("bitlocker", "recovery key needed"),
    ],
)
def test_blocked_volume_is_refused_and_store_untouched(
    tmp_path: Path, password: Path, variant: str, fix: str
) -> None:
    image = tmp_path / "windows.img"
    build_windows_disk(image, seed=4, variant=variant, size_knob=0, huge_file=False)
    store = tmp_path / "store"
    result = sovmigrate(
        "capture",
        str(image),
        "--store",
        str(store),
        "--password-file",
        str(password),
        "--host",
        "pc-blocked",
    )
    assert_one_line_error(result, 3, fix)
    assert not store.exists()
    inspect = sovmigrate("windows", "inspect", str(image), "--format", "json")
    assert inspect.returncode == 0 and f'"code": "{variant}"' in inspect.stdout


@pytest.mark.parametrize(
    ("defect", "words"),
    [
        ("corrupt-hive", ["corrupt registry hive", "SOFTWARE"]),
        ("no-software", ["SOFTWARE hive not found"]),
        ("missing-profile", ["profile directory missing"]),
    ],
)
def test_broken_disk_is_one_line_and_store_untouched(
    tmp_path: Path, password: Path, defect: str, words: list[str]
) -> None:
    image = tmp_path / "windows.img"
    build_windows_disk(image, seed=6, size_knob=0, huge_file=False, defect=defect)
    store = tmp_path / "store"
    result = sovmigrate(
        "capture",
        str(image),
        "--store",
        str(store),
        "--password-file",
        str(password),
        "--host",
        "pc-broken",
    )
    assert_one_line_error(result, 2, *words)
    assert not store.exists()
    # The volume was unmounted even on the error path.
    assert str(image) not in Path("/proc/mounts").read_text(encoding="utf-8")


def test_wrong_password_leaves_the_store_as_it_was(
    clean_image: Path, password: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    ResticStore(str(store), password).init_if_absent()
    before = sorted(p.relative_to(store) for p in store.rglob("*"))
    wrong = tmp_path / "wrong.pw"
    wrong.write_text("not the password\n")
    result = sovmigrate(
        "capture",
        str(clean_image),
        "--store",
        str(store),
        "--password-file",
        str(wrong),
        "--host",
        "pc-wrong",
    )
    assert_one_line_error(result, 2, "wrong password")
    assert sorted(p.relative_to(store) for p in store.rglob("*")) == before


def test_unreachable_store_is_one_line(clean_image: Path, password: Path) -> None:
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    result = sovmigrate(
        "capture",
        str(clean_image),
        "--store",
        "sftp://root@127.0.0.1:1//srv/x",
        "--password-file",
        str(password),
        "--host",
        "pc-far",
    )
    assert_one_line_error(result, 3, "store unreachable")


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "sovmigrate-test", str(mnt)], check=True
    )
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_full_store_is_one_line_and_stays_consistent(
    clean_image: Path, password: Path, small_filesystem: Path
) -> None:
    store = small_filesystem / "store"
    result = sovmigrate(
        "capture",
        str(clean_image),
        "--store",
        str(store),
        "--password-file",
        str(password),
        "--host",
        "pc-full-store",
    )
    assert_one_line_error(result, 3, "store full")
    restic = ResticStore(str(store), password)
    restic.unlock()
    restic.check()


def test_mounted_directory_source_is_checked_through_its_device(
    tmp_path: Path, password: Path
) -> None:
    image = tmp_path / "windows.img"
    build_windows_disk(image, seed=4, variant="dirty", size_knob=0, huge_file=False)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["ntfs-3g", "-o", "ro", str(image), str(mnt)], check=True)
    try:
        inspect = sovmigrate("windows", "inspect", str(mnt), "--format", "json")
        assert inspect.returncode == 0, inspect.stderr
        assert '"code": "dirty"' in inspect.stdout and '"users": [' in inspect.stdout
        refused = sovmigrate(
            "capture",
            str(mnt),
            "--store",
            str(tmp_path / "store"),
            "--password-file",
            str(password),
            "--host",
            "pc-dir",
        )
        assert_one_line_error(refused, 3, "shut down fully")
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
