"""Read a snapshot straight from a local restic repository: one pass over the stored bytes.

Why not ``restic dump``: it costs 9-10 s of CPU per GB (restic 0.14 and 0.18, measured on
this project's 2-core machines), more than the backup itself, and both the capture's
verification and the restore read every captured byte through it. Reading the repository's
files here costs ~2 s per GB (OpenSSL's AES-NI, Poly1305 and SHA-NI through ``cryptography``
and ``hashlib``), and a file the caller does not want is not read at all.

What is proven on the way, with restic's own format (repository versions 1 and 2):
- every blob's Poly1305-AES MAC (a flipped byte in a data or tree blob), and the MAC of
  the header of every pack read (a flipped byte there; ``restic dump`` reads no header);
- every blob is where both the index and its pack's header say it is;
- a missing pack, a blob the index does not know: the snapshot cannot be read.
The caller then compares names, sizes and each file's SHA-256 with the manifest.

What stays restic's: the master key comes from ``restic cat masterkey`` (restic's own
password handling and key derivation, one run), and any store this module cannot read
(not a local path, a newer repository version, ``cryptography`` or ``zstandard`` absent on
the live system) is read with ``restic dump`` instead (``open_snapshot``). Nothing here
writes to the repository.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from sovmigrate.userstate.store import ResticStore
from sovmigrate.userstate.tarstream import Member, TarStream

try:  # Debian's python3-cryptography on the live system and the target
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.poly1305 import Poly1305
except ImportError:  # pragma: no cover - exercised where the package is absent
    Cipher = None  # type: ignore[assignment,misc]

try:  # python3-zstandard: only repository version 2 with compressed blobs needs it
    import zstandard
except ImportError:  # pragma: no cover
    zstandard = None  # type: ignore[assignment]

_IV, _MAC = 16, 16
_ID = re.compile(r"[0-9a-f]{64}")


class RepoUnreadable(Exception):
    """This module cannot read that repository (layout, version, a missing library):
    ``restic dump`` reads it instead. Never raised for a damaged repository."""


class RepoDamaged(Exception):
    """The repository does not give the snapshot back: a MAC, a pack's hash, a missing
    pack or blob. The message names the culprit."""


class MemberSource(Protocol):
    """What the verification and the restore iterate: ``TarStream`` or ``SnapshotReader``."""

    def __iter__(self) -> Iterator[Member]: ...

    def chunks(self) -> Iterator[bytes | memoryview]: ...


@dataclass(frozen=True)
class _Blob:
    pack: str
    offset: int
    length: int
    compressed: bool


class _Keys:
    def __init__(self, master: dict[str, Any]) -> None:
        self.encrypt = base64.b64decode(master["encrypt"])
        self.mac_k = base64.b64decode(master["mac"]["k"])
        self.mac_r = base64.b64decode(master["mac"]["r"])

    def decrypt(self, data: bytes | memoryview, what: str) -> bytes:
        """restic's ``IV || AES-256-CTR ciphertext || Poly1305-AES(ciphertext)``."""
        iv, body = self.check_mac(data, what)
        decryptor = Cipher(algorithms.AES(self.encrypt), modes.CTR(iv)).decryptor()
        return decryptor.update(body) + decryptor.finalize()

    def check_mac(self, data: bytes | memoryview, what: str) -> tuple[bytes, bytes]:
        """The IV and ciphertext, once the MAC proves them unaltered (nothing decrypted)."""
        if len(data) < _IV + _MAC:
            raise RepoDamaged(f"{what} is truncated")
        iv, body, tag = bytes(data[:_IV]), bytes(data[_IV:-_MAC]), bytes(data[-_MAC:])
        # Poly1305-AES: the one-time key is r || AES_k(nonce), the nonce being the IV.
        encryptor = Cipher(algorithms.AES(self.mac_k), modes.ECB()).encryptor()
        s = encryptor.update(iv) + encryptor.finalize()
        try:
            Poly1305.verify_tag(self.mac_r + s, body, tag)
        except InvalidSignature:
            raise RepoDamaged(f"{what}: the MAC does not match (altered data)") from None
        return iv, body


def _decompress(data: bytes, what: str) -> bytes:
    try:
        return zstandard.ZstdDecompressor().decompress(data, max_output_size=1 << 31)
    except zstandard.ZstdError as exc:
        raise RepoDamaged(f"{what}: {exc}") from None


def _ids(directory: Path) -> list[Path]:
    """The files of a repository directory named by their id: a file another machine's
    restic is still writing has a temporary name until it is complete."""
    return sorted(p for p in directory.iterdir() if _ID.fullmatch(p.name))


class LocalRepository:
    """A restic repository on a local path, read-only."""

    def __init__(self, root: Path, master: dict[str, Any]) -> None:
        if Cipher is None:
            raise RepoUnreadable("reading the store needs python3-cryptography")
        self.root = root
        self.keys = _Keys(master)
        config = self._unpacked(root / "config", "the config file", maybe_compressed=False)
        self.version = int(config.get("version", 0))
        if self.version not in (1, 2):
            raise RepoUnreadable(f"repository version {self.version}")
        if self.version == 2 and zstandard is None:  # decided before any file is read
            raise RepoUnreadable("a version 2 repository needs python3-zstandard")
        self._trees: dict[str, _Blob] | None = None
        self._data: dict[str, _Blob] = {}
        self._headers: dict[str, dict[str, tuple[int, int]]] = {}

    @classmethod
    def of(cls, store: ResticStore) -> LocalRepository:
        root = Path(store.repo)
        if ":" in store.repo.split("/", 1)[0] or not (root / "config").is_file():
            raise RepoUnreadable(f"{store.repo} is not a local repository")
        return cls(root, store.master_key())

    # -- files outside packs: config, index, snapshots ----------------------------------
    def _unpacked(self, path: Path, what: str, maybe_compressed: bool = True) -> Any:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise RepoDamaged(f"{what} is missing ({path.name})") from None
        plain = self.keys.decrypt(raw, what)
        if maybe_compressed and plain[:1] == b"\x02":  # version 2: a version byte, zstd
            plain = _decompress(plain[1:], what)
        try:
            return json.loads(plain)
        except ValueError:
            raise RepoDamaged(f"{what} is not the JSON restic writes") from None

    def snapshot_tree(self, snapshot_id: str) -> str:
        path = self.root / "snapshots" / snapshot_id
        if not path.is_file():
            matches = sorted((self.root / "snapshots").glob(snapshot_id + "*"))
            if len(matches) != 1:
                raise RepoDamaged(f"snapshot {snapshot_id[:8]} is not in the store")
            path = matches[0]
        return str(self._unpacked(path, f"snapshot {snapshot_id[:8]}")["tree"])

    def snapshots(self) -> Iterator[dict[str, Any]]:
        """Every snapshot's JSON (``time``, ``hostname``, ``tags``, ``tree``...), with its
        ``id`` (the file's name)."""
        for path in _ids(self.root / "snapshots"):
            content = self._unpacked(path, f"snapshot {path.name[:8]}")
            yield {**content, "id": path.name}

    def read_file(self, snapshot_id: str, path: str) -> bytes | None:
        """The content of ``path`` ("/a/b") in the snapshot; None when it holds no such file."""
        tree = self.snapshot_tree(snapshot_id)
        parts = [p for p in path.split("/") if p]
        for depth, part in enumerate(parts):
            node = next((n for n in self.tree(tree, "") if n.get("name") == part), None)
            if node is None:
                return None
            if depth == len(parts) - 1:
                if node.get("type") != "file":
                    return None
                content = [str(b) for b in node.get("content") or []]
                self.want_data(set(content))
                return b"".join(self.blob(b, path) for b in content)
            if node.get("type") != "dir":
                return None
            tree = str(node["subtree"])
        return None

    def _scan_index(self, keep: Callable[[str, str], bool]) -> dict[str, _Blob]:
        """The index entries ``keep(type, id)`` wants. A wave's store holds millions of
        blobs: only the trees, then only the data blobs of the files asked for, are kept."""
        blobs: dict[str, _Blob] = {}
        for path in _ids(self.root / "index"):
            content = self._unpacked(path, f"index {path.name[:8]}")
            for pack in content.get("packs") or []:
                for b in pack.get("blobs") or []:
                    if keep(b["type"], b["id"]):
                        blobs[b["id"]] = _Blob(
                            pack["id"], b["offset"], b["length"], "uncompressed_length" in b
                        )
        return blobs

    def want_data(self, blob_ids: set[str]) -> None:
        """Locate these data blobs (one more pass over the index): ``blob`` reads only
        trees and the data blobs located so far."""
        missing = blob_ids - self._data.keys()
        if missing:
            self._data.update(self._scan_index(lambda kind, i: kind == "data" and i in missing))

    def _where(self, blob_id: str) -> _Blob | None:
        if self._trees is None:
            self._trees = self._scan_index(lambda kind, _i: kind == "tree")
        return self._trees.get(blob_id) or self._data.get(blob_id)

    # -- packs and blobs --------------------------------------------------------------
    def _pack_path(self, pack: str) -> Path:
        return self.root / "data" / pack[:2] / pack

    def _pack_header(self, pack: str) -> dict[str, tuple[int, int]]:
        """The pack's own header, MAC-checked: blob id -> (offset, length).

        Read once per pack (its tail only). A flipped byte in the header or in its length
        field fails its MAC; each blob read is then held to both the index and the header.
        """
        path = self._pack_path(pack)
        try:
            with open(path, "rb", buffering=0) as f:
                size = os.fstat(f.fileno()).st_size
                if size < 4:
                    raise RepoDamaged(f"pack {pack[:8]} is truncated")
                length = int.from_bytes(os.pread(f.fileno(), 4, size - 4), "little")
                if length + 4 > size:
                    raise RepoDamaged(f"pack {pack[:8]}: its header length is corrupt")
                raw = os.pread(f.fileno(), length, size - 4 - length)
        except FileNotFoundError:
            raise RepoDamaged(f"pack {pack[:8]} is missing from the store") from None
        header = self.keys.decrypt(raw, f"the header of pack {pack[:8]}")
        entries: dict[str, tuple[int, int]] = {}
        offset = pos = 0
        while pos < len(header):
            kind = header[pos]
            if kind > 3:
                raise RepoDamaged(f"pack {pack[:8]}: unknown blob type {kind} in its header")
            blob_length = int.from_bytes(header[pos + 1 : pos + 5], "little")
            pos += 9 if kind >= 2 else 5  # types 2, 3: compressed, with the plain length
            entries[header[pos : pos + 32].hex()] = (offset, blob_length)
            pos += 32
            offset += blob_length
        return entries

    def blob(self, blob_id: str, what: str) -> bytes:
        where, data = self._stored(blob_id, what)
        plain = self.keys.decrypt(data, f"{what} (pack {where.pack[:8]})")
        return _decompress(plain, what) if where.compressed else plain

    def check_blob(self, blob_id: str, what: str) -> None:
        """What ``blob`` proves of a stored blob (where the index and its pack's header say,
        its MAC), without decrypting it: for content a verification already compared."""
        where, data = self._stored(blob_id, what)
        self.keys.check_mac(data, f"{what} (pack {where.pack[:8]})")

    def check_blobs(self, blob_ids: set[str], what: str) -> None:
        """``check_blob`` of each, in the order they sit in the packs (one sequential pass
        over each pack rather than jumps across the store)."""
        self.want_data(blob_ids)

        def place(blob_id: str) -> tuple[str, int]:
            where = self._where(blob_id)
            return (where.pack, where.offset) if where else ("", 0)  # unknown: refused first

        for blob_id in sorted(blob_ids, key=place):
            self.check_blob(blob_id, what)

    def _stored(self, blob_id: str, what: str) -> tuple[_Blob, bytes]:
        where = self._where(blob_id)
        if where is None:
            raise RepoDamaged(f"{what}: blob {blob_id[:8]} is in no index of the store")
        header = self._headers.get(where.pack)
        if header is None:
            header = self._headers[where.pack] = self._pack_header(where.pack)
        if header.get(blob_id) != (where.offset, where.length):
            raise RepoDamaged(f"{what}: pack {where.pack[:8]} does not hold blob {blob_id[:8]}")
        with open(self._pack_path(where.pack), "rb", buffering=0) as f:
            data = os.pread(f.fileno(), where.length, where.offset)
        if len(data) != where.length:
            raise RepoDamaged(f"{what}: pack {where.pack[:8]} is truncated")
        return where, data

    def tree(self, tree_id: str, where: str) -> list[dict[str, Any]]:
        what = f"the tree of {where or '/'}"
        try:
            content = json.loads(self.blob(tree_id, what))
        except ValueError:
            raise RepoDamaged(f"{what} is not the JSON restic writes") from None
        return list(content.get("nodes") or [])


class SnapshotReader:
    """A snapshot's members in tree order, with the same interface as ``TarStream``:
    iterate the members; ``chunks()`` gives the current file's content, read only then.

    The trees are walked first (a list of the snapshot's nodes: its size, not the store's),
    then the data blobs of all its files located in one pass over the index.
    """

    def __init__(self, repo: LocalRepository, snapshot_id: str) -> None:
        self.repo = repo
        self.snapshot_id = snapshot_id
        self._content: list[str] = []
        self._name = ""
        self._nodes: list[tuple[Member, str, list[str]]] | None = None
        self._located = False

    def _all(self, locate: bool = True) -> list[tuple[Member, str, list[str]]]:
        if self._nodes is None:
            self._nodes = list(self._walk(self.repo.snapshot_tree(self.snapshot_id), ""))
        if locate and not self._located:  # one pass over the index for all its data blobs
            self.repo.want_data({b for _, _, content in self._nodes for b in content})
            self._located = True
        return self._nodes

    def files(self, locate: bool = True) -> dict[str, tuple[int, list[str]]]:
        """Each file's size and content (its data blobs' ids, in order), by name; trees
        read, no data. ``locate=False``: the blobs are not looked up in the index either
        (a snapshot whose content is only compared, never read)."""
        return {m.name: (m.size, c) for m, _, c in self._all(locate) if m.kind == "file"}

    def __iter__(self) -> Iterator[Member]:
        for member, content in ((m, c) for m, _, c in self._all()):
            self._content, self._name = content, member.name
            yield member
        self._content = []

    def _walk(self, tree_id: str, prefix: str) -> Iterator[tuple[Member, str, list[str]]]:
        for node in self.repo.tree(tree_id, prefix):
            name = f"{prefix}/{node['name']}" if prefix else str(node["name"])
            kind = {"file": "file", "dir": "dir", "symlink": "symlink"}.get(node["type"], "other")
            if kind == "dir":
                yield Member(name, "dir", 0), name, []
                yield from self._walk(str(node["subtree"]), name)
            elif kind == "file":
                content = [str(b) for b in node.get("content") or []]
                yield Member(name, "file", int(node.get("size") or 0)), name, content
            else:
                yield Member(name, kind, 0), name, []

    def chunks(self) -> Iterator[bytes]:
        for blob_id in self._content:
            yield self.repo.blob(blob_id, self._name)


@contextmanager
def open_snapshot(
    store: ResticStore, snapshot_id: str, cache_dir: Path | None = None
) -> Iterator[MemberSource]:
    """The snapshot's members: read here from a local repository, else through ``restic
    dump`` (``cache_dir``: the restic cache that dump uses, see ``ResticStore.dump_tar``)."""
    try:
        reader: SnapshotReader | None = SnapshotReader(LocalRepository.of(store), snapshot_id)
    except RepoUnreadable:
        reader = None
    if reader is not None:
        yield reader
        return
    with store.dump_tar(snapshot_id, cache_dir=cache_dir) as stream:
        yield TarStream(stream)
