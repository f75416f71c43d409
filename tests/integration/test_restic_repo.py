"""The direct reader of a restic repository gives back exactly what restic stored.

Real restic repositories, written by the restic on the machine, in both formats it writes:
version 1, and version 2 with compressed blobs. Each is read back with ``SnapshotReader``
(what the capture's verification and the restore use) and compared with the source files
byte for byte and with ``restic dump`` of the same snapshot, member for member.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pytest

from sovmigrate.userstate import manifest_store
from sovmigrate.userstate.manifest import Manifest
from sovmigrate.userstate.restic_repo import (
    LocalRepository,
    RepoDamaged,
    RepoUnreadable,
    SnapshotReader,
    open_snapshot,
)
from sovmigrate.userstate.store import ResticStore
from sovmigrate.userstate.tarstream import TarStream

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("restic") is None, reason="restic is not installed"),
]


def _source(root: Path) -> dict[str, bytes]:
    """Files of every shape a profile has: empty, small, many chunks, compressible text."""
    rng = random.Random(7)
    files = {
        "Users/agent/vide.txt": b"",
        "Users/agent/Documents/note été.txt": "réunion à 10 h\n".encode() * 3,
        "Users/agent/Documents/rapport.odt": rng.randbytes(5_300_000),  # several chunks
        "Users/agent/AppData/Roaming/app/config.ini": b"[general]\nlang=fr\n" * 20_000,
        "Donnees/partage/tableau.csv": b"a;b;c\n" + b"1;2;3\n" * 50_000,
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    os.symlink("/nulle/part", root / "Users/agent/lien")
    return files


def _store(tmp_path: Path, version: int) -> tuple[ResticStore, str, dict[str, bytes]]:
    password = tmp_path / "pw"
    password.write_text("mot de passe du dépôt\n")
    store = ResticStore(str(tmp_path / "store"), password)
    store.run(["init", "--repository-version", str(version)])
    source = tmp_path / "source"
    files = _source(source)
    snapshot = store.backup(source, ["Users", "Donnees"], host="pc", tags=["sid:S-1-5-21-1"])
    return store, snapshot, files


def _read(source: SnapshotReader | TarStream) -> dict[str, tuple[str, bytes]]:
    members = {}
    for member in source:
        data = b"".join(bytes(c) for c in source.chunks()) if member.kind == "file" else b""
        members[member.name.lstrip("/")] = (member.kind, data)
    return members


@pytest.mark.parametrize("version", [1, 2])
def test_snapshot_read_directly_is_the_source_and_what_dump_gives(
    version: int, tmp_path: Path
) -> None:
    store, snapshot, files = _store(tmp_path, version)
    repo = LocalRepository.of(store)
    assert repo.version == version
    direct = _read(SnapshotReader(repo, snapshot))
    # Version 2 stores compressed blobs (zstd): the reader's decompression was exercised.
    assert any(b.compressed for b in repo._data.values()) == (version == 2)
    assert {n: d for n, (k, d) in direct.items() if k == "file"} == files
    assert direct["Users/agent/lien"][0] == "symlink"
    assert direct["Users/agent/Documents"][0] == "dir"
    with store.dump_tar(snapshot) as stream:
        assert _read(TarStream(stream)) == direct
    # open_snapshot chooses the direct reader for a local store.
    with open_snapshot(store, snapshot) as chosen:
        assert isinstance(chosen, SnapshotReader)


def test_a_flipped_byte_in_a_pack_header_is_named(tmp_path: Path) -> None:
    store, snapshot, _ = _store(tmp_path, 2)
    pack = max(Path(store.repo, "data").glob("*/*"), key=lambda p: p.stat().st_size)
    with pack.open("r+b") as f:
        f.seek(-10, os.SEEK_END)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0x80]))
    with pytest.raises(RepoDamaged, match=f"header of pack {pack.name[:8]}"):
        _read(SnapshotReader(LocalRepository.of(store), snapshot))


def test_a_remote_store_is_read_by_restic(tmp_path: Path) -> None:
    password = tmp_path / "pw"
    password.write_text("x\n")
    with pytest.raises(RepoUnreadable, match="not a local repository"):
        LocalRepository.of(ResticStore("sftp:sauvegarde@depot:/srv/restic", password))


def test_the_newest_manifest_is_read_directly_as_restic_dump_latest_gives_it(
    tmp_path: Path,
) -> None:
    store, _, _ = _store(tmp_path, 2)
    sid = "S-1-5-21-1-2-3-1001"
    for wave in ("w1", "w2", "w3"):  # three captures of one user: the last one counts
        manifest_store.save(store, Manifest("pc", "user", "agent", sid, {"profile": ""}, wave))
    manifest_store.save(store, Manifest("autre-pc", "user", "agent", sid, {"profile": ""}, "w9"))
    direct = manifest_store.load_latest(store, "pc", sid)
    assert direct is not None and direct.wave == "w3"
    tags = f"kind:manifest,manifest-sid:{sid}"
    args = ["dump", "--host", "pc", "--tag", tags, "latest", "/" + manifest_store.NAME]
    assert direct == Manifest.from_dict(json.loads(store.run(args)))
    assert manifest_store.load_latest(store, "pc", "S-1-5-21-1-2-3-9999") is None


def test_only_the_read_snapshots_data_blobs_are_located(tmp_path: Path) -> None:
    """A wave's store holds millions of blobs: reading one machine's snapshot keeps the
    locations of that snapshot's data only (the trees aside)."""
    store, first, _ = _store(tmp_path, 2)
    other = tmp_path / "autre"
    (other / "Users/b").mkdir(parents=True)
    (other / "Users/b/gros.bin").write_bytes(random.Random(3).randbytes(3_000_000))
    second = store.backup(other, ["Users"], host="pc2", tags=["sid:S-1-5-21-2"])
    read_second = LocalRepository.of(store)
    _read(SnapshotReader(read_second, second))
    read_first = LocalRepository.of(store)
    _read(SnapshotReader(read_first, first))
    assert read_second._data and read_first._data
    assert not read_first._data.keys() & read_second._data.keys()


def test_files_another_restic_is_still_writing_are_not_read(tmp_path: Path) -> None:
    """Machines of a wave capture into one store: while one verifies, another's restic may
    be writing an index or a snapshot under a temporary name."""
    store, snapshot, files = _store(tmp_path, 2)
    for folder in ("index", "snapshots"):
        (Path(store.repo) / folder / ("ab" * 32 + "-tmp-4242")).write_bytes(b"half written")
    direct = _read(SnapshotReader(LocalRepository.of(store), snapshot))
    assert {n: d for n, (k, d) in direct.items() if k == "file"} == files
