"""A capture is called verified only when the store gives back every manifest file, equal.

Each way the store or the source can betray a capture is applied to a real restic store,
right after restic's real backup of the first user and before the capture's own
verification: a flipped byte in a data pack, in a tree pack or in a pack's header, a
deleted pack, a file missing from the snapshot, a file whose content changed after it was
hashed. Each time the capture must fail for that
user (exit code 1), and that user's manifest must not reach the store: the restore refuses
it and the wipe gate, which takes the capture's verdict, keeps waiting.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sovmigrate.errors import OperationFailed
from sovmigrate.lab.windisk import build_windows_disk
from sovmigrate.userstate import manifest_store
from sovmigrate.userstate.capture import Options, capture
from sovmigrate.userstate.store import ResticStore
from sovmigrate.userstate.verify import verify_snapshot

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting NTFS images needs root"),
]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("verification") / "windows.img"
    build_windows_disk(path, seed=13, size_knob=12_000_000, huge_file=False)
    return path


@pytest.fixture
def writable_source(image: Path, tmp_path: Path) -> Iterator[Path]:
    """The volume's files in a writable directory (a read-only NTFS mount cannot change)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["ntfs-3g", "-o", "ro", str(image), str(mnt)], check=True)
    try:
        shutil.copytree(mnt, tmp_path / "volume", symlinks=True)
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
    yield tmp_path / "volume"


class Faulty(ResticStore):
    """A real restic store that suffers ``fault`` at the first user's backup."""

    def __init__(self, repo: Path, password: Path, fault: str) -> None:
        super().__init__(str(repo), password)
        self.fault = fault
        self.victim = ""  # the user whose backup suffered the fault

    def _packs(self) -> set[Path]:
        return set(Path(self.repo, "data").glob("*/*"))

    def backup(
        self, cwd: Path, paths: list[str], *, host: str, tags: list[str], parent: str | None = None
    ) -> str:
        if self.victim or "kind:user" not in tags:
            return super().backup(cwd, paths, host=host, tags=tags, parent=parent)
        self.victim = next(t[len("user:") :] for t in tags if t.startswith("user:"))
        if self.fault == "missing":
            paths = paths[1:]  # restic never sees the first target: files absent
        if self.fault == "changed":
            # The subject was hashed before its backup starts: change one byte now.
            first = Path(cwd, paths[0])
            files = [first] if first.is_file() else list(first.rglob("*"))
            victim = max((p for p in files if p.is_file()), key=lambda p: p.stat().st_size)
            data = bytearray(victim.read_bytes())
            data[len(data) // 2] ^= 0x01
            victim.write_bytes(bytes(data))
        before = self._packs()
        snapshot = super().backup(cwd, paths, host=host, tags=tags, parent=parent)
        added = sorted(self._packs() - before, key=lambda p: p.stat().st_size)
        if self.fault in ("flip", "flip-tree", "flip-header"):
            # The largest new pack holds file data; the smallest the directory trees, of which
            # restic's local cache keeps a copy: the verification must not read that copy.
            pack = added[0] if self.fault == "flip-tree" else added[-1]
            with pack.open("r+b") as f:
                if self.fault == "flip-header":  # the header: at the end, before its length
                    f.seek(pack.stat().st_size - 4 - 20)
                else:
                    f.seek(pack.stat().st_size // 3)  # inside a blob, before the header
                byte = f.read(1)
                f.seek(-1, os.SEEK_CUR)
                f.write(bytes([byte[0] ^ 0x01]))
        if self.fault == "delete":
            added[-1].unlink()
        return snapshot


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("flip", "the store is damaged"),
        ("flip-tree", "the store is damaged"),
        # restic's dump reads no pack header: the store is read directly, header included.
        ("flip-header", "the store is damaged"),
        ("delete", "the store is damaged"),
        ("missing", "missing (first: "),
        ("changed", "1 different (first: "),
    ],
)
def test_capture_is_not_verified_when_the_store_does_not_give_the_files_back(
    fault: str, words: str, image: Path, writable_source: Path, tmp_path: Path
) -> None:
    password = tmp_path / "pw"
    password.write_text("s3cret\n")
    store = Faulty(tmp_path / "store", password, fault)
    source = writable_source if fault == "changed" else image
    with pytest.raises(OperationFailed) as failure:
        capture(source, store, Options(host="pc-fault"))
    assert failure.value.exit_code == 1
    message = str(failure.value)
    assert f"capture of {store.victim} not verified" in message and words in message
    # The faulted user's manifest never reached the store: nothing can restore or wipe it.
    saved = {c.name for c in manifest_store.captured(store, "pc-fault")}
    assert store.victim not in saved


def test_a_capture_again_proves_unchanged_files_by_their_macs_and_still_catches_damage(
    image: Path, tmp_path: Path
) -> None:
    """The machine captured again (the final capture before the wipe): files restic found
    unchanged are proven by the earlier verified snapshot and their blobs' MACs, not hashed
    again; a byte flipped since in one of those earlier packs, or a new hash for the same
    blobs, still fails the capture."""
    password = tmp_path / "pw"
    password.write_text("s3cret\n")
    store = ResticStore(str(tmp_path / "store"), password)
    first = capture(image, store, Options(host="pc-again"))
    said: list[str] = []
    again = capture(image, store, Options(host="pc-again"), log=said.append)
    for m in (m for m in again if m.entries):
        line = next(s for s in said if s.startswith(f"{m.name or 'drive data'}: snapshot"))
        n = len(m.entries)
        assert f"{n} files verified, read from the store, {n} unchanged since" in line, line
    # Same blobs as the verified parent, but the manifest now gives another hash (content
    # changed where restic saw no change): read and hashed in full, found different.
    user = max(again, key=lambda m: m.total_bytes)
    parent = next(m for m in first if m.sid == user.sid).snapshot
    assert user.snapshot is not None and parent is not None
    user.entries[0].sha256 = "0" * 64
    verdict = verify_snapshot(store, user, user.snapshot.id, parent=parent.id)
    assert verdict.different == [user.volume_path(user.entries[0])]
    assert verdict.unchanged == len(user.entries) - 1
    # A byte flipped in the first capture's largest pack: the next capture must say so.
    packs = [p for p in Path(store.repo, "data").glob("*/*") if p.is_file()]
    biggest = max(packs, key=lambda p: p.stat().st_size)
    with biggest.open("r+b") as f:
        f.seek(biggest.stat().st_size // 3)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(OperationFailed, match="not verified: the store is damaged"):
        capture(image, store, Options(host="pc-again"))
