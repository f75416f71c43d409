"""Prove a snapshot holds every manifest entry with the same content.

One pass over the stored bytes (``restic_repo.open_snapshot``): the snapshot's trees and
every file's blobs are read back from the store itself, each blob's MAC and each pack
header's MAC checked, and each file's size and SHA-256 compared with the manifest in memory
(no temporary copy on disk). So a match proves what a restore would give.

A local store is read directly (~2.6 s of CPU per GB, against 9-10 s for ``restic dump``:
measured, see docs/capture.md); any other store (sftp) goes through ``restic dump`` as a tar
stream with a restic cache of the verifications' own, filled only from the store: restic's
shared cache holds the tree packs this machine's backups wrote, which a restore on the new
system does not have.

What it catches, each before the capture is called verified: a flipped byte in a data or
tree pack, or in a pack's header (a MAC fails: ``damaged``), a deleted pack (``damaged``),
a file missing from the snapshot (``missing``), a file whose content changed between the
hash and restic's read (``different``), a file restic took that the manifest does not list
(``unexpected``). ``restic check --read-data`` additionally proves packs no snapshot of this
capture uses.

Why the store is read back rather than trusting restic's own chunk hashes: a file's SHA-256
cannot be composed from its chunks', and restic's chunk boundaries cannot be recomputed here
(its Rabin chunker in Python would cost minutes per GB).

A capture again of a machine (the final one before the wipe, after a first one days
earlier) stores mostly files restic found unchanged: their content is the very blobs of the
earlier snapshot (``parent``), which the earlier verification read and hashed. Such a file,
when the earlier verified manifest gives it the SHA-256 the new manifest gives it, is proven
by its blobs' MACs (every byte read and authenticated, nothing decrypted or hashed): a
flipped byte or a deleted pack is still caught. A file whose new hash differs (its content
changed where restic saw no change) is read and hashed in full, as any other.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path

from sovmigrate.errors import OperationFailed
from sovmigrate.userstate import manifest_store
from sovmigrate.userstate.manifest import Entry, Manifest
from sovmigrate.userstate.prefetch import prefetched
from sovmigrate.userstate.restic_repo import (
    MemberSource,
    RepoDamaged,
    SnapshotReader,
    open_snapshot,
)
from sovmigrate.userstate.store import ResticStore
from sovmigrate.userstate.tarstream import Member, TarStreamError


@dataclass
class Verdict:
    checked: int = 0
    checked_bytes: int = 0
    missing: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    # Files in the snapshot the manifest does not list: restic took more than was selected
    # (a followed link, an excluded file). Not a loss, but the capture is not what it says.
    unexpected: list[str] = field(default_factory=list)
    # The store could not give the snapshot back (a damaged or missing pack): restic's words.
    damaged: str = ""
    # How the store was read back: "read from the store" (directly) or "through restic dump".
    read: str = ""
    # Of ``checked``: files proven by the earlier verified snapshot and their blobs' MACs.
    unchanged: int = 0

    @property
    def ok(self) -> bool:
        return not (self.missing or self.different or self.unexpected or self.damaged)

    def summary(self) -> str:
        parts = []
        if self.damaged:
            parts.append(f"the store is damaged: {self.damaged}")
        if self.missing:
            parts.append(f"{len(self.missing)} missing (first: {self.missing[0]})")
        if self.different:
            parts.append(f"{len(self.different)} different (first: {self.different[0]})")
        if self.unexpected:
            parts.append(
                f"{len(self.unexpected)} not in the manifest (first: {self.unexpected[0]})"
            )
        how = f", {self.read}" if self.read else ""
        if self.unchanged:
            how += f", {self.unchanged} unchanged since the last verified capture"
        return ", ".join(parts) or f"{self.checked} files verified{how}"


def verify_snapshot(
    store: ResticStore,
    manifest: Manifest,
    snapshot_id: str,
    cache_dir: Path | None = None,
    parent: str | None = None,
) -> Verdict:
    """``cache_dir``: a restic cache only verifications use (a capture's verifications share
    one, so a remote store's index is fetched once per capture); default: a fresh one.
    ``parent``: the earlier snapshot of this subject restic backed up against, if any."""
    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="sovmigrate-verify-") as fresh:
            return verify_snapshot(store, manifest, snapshot_id, Path(fresh), parent)
    expected = {manifest.volume_path(e): e for e in manifest.entries}
    verdict = Verdict()
    seen: set[str] = set()
    try:
        with open_snapshot(store, snapshot_id, cache_dir) as source:
            direct = isinstance(source, SnapshotReader)
            verdict.read = "read from the store" if direct else "through restic dump"
            same: set[str] = set()
            if isinstance(source, SnapshotReader) and parent:
                same = _unchanged(source, manifest, expected, parent)
            with prefetched(
                source, lambda m: m.name not in same and _to_hash(m, expected) is not None
            ) as ahead:
                _compare(ahead, expected, verdict, seen, same)
    except (OperationFailed, RepoDamaged, TarStreamError) as exc:
        # RepoDamaged, or restic's own error through dump (MAC mismatch, pack not found);
        # TarStreamError: the stream ended early. Wrong password or an unreachable store
        # are raised as they are.
        verdict.damaged = str(exc) or type(exc).__name__
        return verdict
    verdict.missing += sorted(set(expected) - seen)
    return verdict


def _to_hash(member: Member, expected: dict[str, Entry]) -> Entry | None:
    """The manifest entry a member's content is compared with; None: its content is not
    read (not a file, not listed, or not the listed size: judged without reading it)."""
    wanted = expected.get(member.name.lstrip("/")) if member.kind == "file" else None
    return wanted if wanted is not None and member.size == wanted.size else None


def _unchanged(
    reader: SnapshotReader, manifest: Manifest, expected: dict[str, Entry], parent: str
) -> set[str]:
    """The files of the snapshot proven by ``parent``: same blobs as there, where the parent's
    verified manifest gave the hash this manifest gives; each of those blobs' MAC checked."""
    earlier = manifest_store.verified_of(reader.repo, manifest, parent)
    if earlier is None:
        return set()
    try:
        before = SnapshotReader(reader.repo, parent).files(locate=False)
    except RepoDamaged:  # the parent unreadable (forgotten, damaged): everything is read
        return set()
    then = {earlier.volume_path(e): e.sha256 for e in earlier.entries}
    same: set[str] = set()
    blobs: set[str] = set()
    for name, (size, content) in reader.files().items():
        entry = expected.get(name)
        if (
            entry is not None
            and entry.size == size
            and then.get(name) == entry.sha256
            and before.get(name) == (size, content)
        ):
            same.add(name)
            blobs.update(content)
    reader.repo.check_blobs(blobs, "a file unchanged since the last verified capture")
    return same


def _compare(
    tar: MemberSource,
    expected: dict[str, Entry],
    verdict: Verdict,
    seen: set[str],
    same: AbstractSet[str] = frozenset(),
) -> None:
    for member in tar:
        if member.kind == "dir":
            continue
        name = member.name.lstrip("/")
        if name in same:  # proven by the earlier verification and the MACs (_unchanged)
            seen.add(name)
            verdict.checked += 1
            verdict.unchanged += 1
            verdict.checked_bytes += member.size
            continue
        wanted = _to_hash(member, expected)
        if wanted is None:
            if member.kind != "file" or name not in expected:
                verdict.unexpected.append(name)
            else:
                seen.add(name)
                verdict.different.append(name)  # not the size the manifest lists
            continue
        seen.add(name)
        digest = hashlib.sha256()
        for chunk in tar.chunks():
            digest.update(chunk)
        verdict.checked += 1
        verdict.checked_bytes += member.size
        if digest.hexdigest() != wanted.sha256:
            verdict.different.append(name)
