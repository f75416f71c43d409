"""Capture from a real NTFS image (ntfs-3g) to a real restic store, as a technician would.

The disk builder's own description is the reference: users, known folders, settings and the
expected fate of every file. The capture runs through the installed CLI.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest

from sovmigrate.lab.windisk import DiskDescription, build_windows_disk
from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate.store import ResticStore
from sovmigrate.userstate.verify import verify_snapshot

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting NTFS images needs root"),
]
# Records that describe a folder, not a file: the builder lists files only.
FOLDER_RECORDS = {
    "captured-elsewhere",
    "unc-redirect",
    "other-drive",
    "system-folder",
    "not-in-profile-list",
}
# Files the builder lists one by one but the capture reports by their folder (not walked).
FOLDER_LEVEL = {"system-folder", "not-in-profile-list"}
FORMATS = Path(__file__).resolve().parents[2] / "docs" / "formats"


def schema(name: str) -> dict[str, object]:
    return json.loads((FORMATS / name).read_text())


def sovmigrate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", *args], capture_output=True, text=True, check=False
    )


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def password(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secret") / "store.pw"
    path.write_text("correct horse battery staple\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def full_disk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DiskDescription]:
    """The complete fixture, with the > 4 GiB sparse file (captured once: ~1 min)."""
    image = tmp_path_factory.mktemp("full") / "windows.img"
    return image, build_windows_disk(image, seed=5)


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DiskDescription]:
    image = tmp_path_factory.mktemp("small") / "windows.img"
    return image, build_windows_disk(image, seed=9, size_knob=30_000_000, huge_file=False)


def classification(manifests: list[manifest_io.Manifest]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for m in manifests:
        for e in m.entries:
            out[m.volume_path(e)] = ("selected", "")
        for x in m.excluded:
            if x.reason not in FOLDER_RECORDS:
                out[m.volume_path(x)] = ("excluded", x.reason)
        for n in m.not_migrated:
            if n.reason not in FOLDER_RECORDS:
                out[m.volume_path(n)] = ("not-migrated", n.reason)
    return out


def test_inspect_reports_what_the_builder_wrote(full_disk: tuple[Path, DiskDescription]) -> None:
    image, description = full_disk
    result = sovmigrate("windows", "inspect", str(image), "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    jsonschema.validate(report, schema("inspect-v1.schema.json"))
    assert report["blockers"] == []
    got = {u["sid"]: u for u in report["users"]}
    assert set(got) == {u.sid for u in description.users}
    for user in description.users:
        seen = got[user.sid]
        assert seen["name"] == user.name and seen["roots"]["profile"] == user.profile
        folders = {
            n: (f["registry_value"], f["location"], f["redirect"])
            for n, f in seen["known_folders"].items()
        }
        assert folders == {
            n: (k.registry_value, k.location, k.redirect) for n, k in user.known_folders.items()
        }
        expected_settings = vars(user.settings)
        assert {k: seen["settings"][k] for k in expected_settings} == expected_settings
        placeholders = [n["reason"] for n in seen["not_migrated"]]
        if any(k.redirect == "onedrive" for k in user.known_folders.values()):
            assert "onedrive-placeholder" in placeholders
        if any(k.redirect == "unc" for k in user.known_folders.values()):
            assert "unc-redirect" in placeholders


def test_capture_is_complete_verified_and_read_only(
    full_disk: tuple[Path, DiskDescription], password: Path, tmp_path: Path
) -> None:
    image, description = full_disk
    before = sha256(image)
    store, out = tmp_path / "store", tmp_path / "manifest.json"
    result = sovmigrate(
        "capture",
        str(image),
        "--store",
        str(store),
        "--password-file",
        str(password),
        "--host",
        "pc-full",
        "--wave",
        "w1",
        "--manifest",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "correct horse" not in result.stdout + result.stderr
    jsonschema.validate(json.loads(out.read_text()), schema("manifest-v1.schema.json"))
    manifests = manifest_io.read(out)
    assert all(m.verified and m.snapshot for m in manifests)
    # Every file the builder wrote has the fate it planned, none is missing.
    expected = {
        f.path: (f.expected, f.reason) for f in description.files if f.reason not in FOLDER_LEVEL
    }
    assert classification(manifests) == expected
    folders = {m.volume_path(x): x.reason for m in manifests for x in m.excluded}
    for f in description.files:
        if f.reason in FOLDER_LEVEL:
            parts = f.path.split("/")
            ancestors = ["/".join(parts[:i]) for i in range(1, len(parts))]
            assert any(folders.get(a) == f.reason for a in ancestors), f.path
    captured = {m.volume_path(e): e.sha256 for m in manifests for e in m.entries}
    assert captured == {f.path: f.sha256 for f in description.files if f.expected == "selected"}
    restic = ResticStore(str(store), password)
    restic.check(read_data=True)
    for user in description.users:
        snaps = restic.snapshots(host="pc-full", sid=user.sid)
        assert len(snaps) == 1 and "wave:w1" in snaps[0].tags
    # Independent of the verifier: restore one user's snapshot and hash it.
    user = description.users[1]
    snap = next(m for m in manifests if m.sid == user.sid).snapshot
    assert snap is not None
    restic.restore(snap.id, tmp_path / "restored")
    for f in description.files:
        if f.owner == user.name and f.expected == "selected":
            assert sha256(tmp_path / "restored" / f.path) == f.sha256, f.path
        if f.owner == user.name and f.path.endswith("telecharge.pdf"):
            # the alternate data stream travelled as an extended attribute
            zone = os.getxattr(tmp_path / "restored" / f.path, "user.Zone.Identifier")
            assert b"ZoneId=3" in zone
    assert sha256(image) == before


def test_second_capture_adds_no_data_and_runs_on_debian_python(
    small_disk: tuple[Path, DiskDescription], password: Path, tmp_path: Path
) -> None:
    image, _ = small_disk
    store = tmp_path / "store"
    args = ["--store", str(store), "--password-file", str(password), "--host", "pc-small"]
    out = tmp_path / "manifest.json"
    assert sovmigrate("capture", str(image), *args, "--manifest", str(out)).returncode == 0
    restic = ResticStore(str(store), password)
    first = restic.raw_size()
    # The verifier can say no: a changed hash, a file the manifest does not list.
    m = manifest_io.read(out)[0]
    assert m.snapshot is not None
    assert verify_snapshot(restic, m, m.snapshot.id).ok
    m.entries[0].sha256 = "0" * 64
    dropped = m.entries.pop()
    verdict = verify_snapshot(restic, m, m.snapshot.id)
    assert verdict.different == [m.volume_path(m.entries[0])]
    assert verdict.unexpected == [m.volume_path(dropped)]
    # The roles' way: Debian's python3 with python3-hivex, no virtualenv, no click.
    repo_root = Path(__file__).resolve().parents[2]
    again = subprocess.run(
        ["/usr/bin/python3", "-m", "sovmigrate.userstate", "capture", str(image), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(repo_root)},
    )
    assert again.returncode == 0, again.stderr
    second = restic.raw_size()
    assert first > 15_000_000  # 30 MB of documents, half shared between users
    assert second - first < first // 100  # only snapshots and trees, no file data twice


def _wait_until_group_gone(pgid: int, timeout: float = 60.0) -> None:
    """Wait until every process of the killed group has been reaped.

    The killed restic is not our child: until init reaps it (or while it sits in an fsync on a
    slow disk), its pid exists, so its lock is not stale yet and the next capture rightly keeps
    it. The technician's re-run comes minutes later; the test's comes at once.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise AssertionError(f"process group {pgid} still alive {timeout:.0f} s after SIGKILL")


def test_killed_capture_then_new_capture_ends_verified(
    small_disk: tuple[Path, DiskDescription], password: Path, tmp_path: Path
) -> None:
    image, description = small_disk
    store = tmp_path / "store"
    args = [
        sys.executable,
        "-m",
        "sovmigrate",
        "capture",
        str(image),
        "--store",
        str(store),
        "--password-file",
        str(password),
        "--host",
        "pc-kill",
    ]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if "backing up" in line:
            break
    # Kill once restic has written data packs: an interrupted upload, not a clean start.
    for _ in range(300):
        if any((store / "data").glob("*/*")):
            break
        time.sleep(0.05)
    assert any((store / "data").glob("*/*")), "the capture finished or never started uploading"
    os.killpg(proc.pid, 9)  # the CLI and its restic, mid-backup
    proc.wait()
    _wait_until_group_gone(proc.pid)
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    restic = ResticStore(str(store), password)
    restic.check(read_data=True)
    assert {s.tag("sid") for s in restic.snapshots(host="pc-kill")} >= {
        u.sid for u in description.users
    }
