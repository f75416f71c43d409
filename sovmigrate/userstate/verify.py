"""Prove a snapshot holds every manifest entry with the same content.

One pass through restic itself: ``restic dump <snapshot> /`` streamed as tar, each member's
size compared and its content hashed in memory (names, sizes and content in one restic run;
each run costs ~0.5-1 s of key derivation, so ``ls`` is not called as well). The dump goes
through the same decryption and reassembly as a restore and reads the trees from the store,
not from restic's shared local cache (which holds the tree packs this machine's backups
wrote; a restore on the new system has none): the verifications use a cache of their own,
filled only by what they read from the store. So a match proves what a restore would give,
without a temporary copy on disk (a 4 GiB sparse file would be written in full by restic
0.14's restore, which has no --sparse).

What it catches, each before the capture is called verified: a flipped byte in a pack
(restic's MAC check fails: ``damaged``), a deleted pack (restic cannot load a blob:
``damaged``, after restic's own retries, ~45 s), a file missing from the snapshot
(``missing``), a file whose content changed between the hash and restic's read
(``different``), a file restic took that the manifest does not list (``unexpected``).
The tar stream is read with ``tarstream`` (one copy per byte; ``tarfile`` costs 3x the CPU).
``restic check --read-data`` additionally proves packs no snapshot of this capture uses.

Why the store is read back rather than trusting restic's own chunk hashes: restic 0.14's CLI
gives no file's chunk list with chunk lengths in one run (``ls`` has no content ids, ``cat
blob`` takes one tree per run), and a file's SHA-256 cannot be composed from its chunks'.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sovmigrate.errors import OperationFailed
from sovmigrate.userstate.manifest import Entry, Manifest
from sovmigrate.userstate.store import ResticStore
from sovmigrate.userstate.tarstream import TarStream, TarStreamError


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
        return ", ".join(parts) or f"{self.checked} files verified"


def verify_snapshot(
    store: ResticStore, manifest: Manifest, snapshot_id: str, cache_dir: Path | None = None
) -> Verdict:
    """``cache_dir``: a restic cache only verifications use (a capture's verifications share
    one, so a remote store's index is fetched once per capture); default: a fresh one."""
    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="sovmigrate-verify-") as fresh:
            return verify_snapshot(store, manifest, snapshot_id, Path(fresh))
    expected = {manifest.volume_path(e): e for e in manifest.entries}
    verdict = Verdict()
    seen: set[str] = set()
    try:
        with store.dump_tar(snapshot_id, cache_dir=cache_dir) as stream:
            _compare(TarStream(stream), expected, verdict, seen)
    except (OperationFailed, TarStreamError) as exc:
        # OperationFailed: restic's own error (MAC mismatch, pack not found); TarError: the
        # stream ended early. Wrong password or an unreachable store are raised as they are.
        verdict.damaged = str(exc) or type(exc).__name__
        return verdict
    verdict.missing += sorted(set(expected) - seen)
    return verdict


def _compare(tar: TarStream, expected: dict[str, Entry], verdict: Verdict, seen: set[str]) -> None:
    for member in tar:
        if member.kind == "dir":
            continue
        name = member.name.lstrip("/")
        wanted = expected.get(name)
        if wanted is None or member.kind != "file":
            verdict.unexpected.append(name)
            continue
        seen.add(name)
        if member.size != wanted.size:
            verdict.different.append(name)
            continue
        digest = hashlib.sha256()
        for chunk in tar.chunks():
            digest.update(chunk)
        verdict.checked += 1
        verdict.checked_bytes += member.size
        if digest.hexdigest() != wanted.sha256:
            verdict.different.append(name)
