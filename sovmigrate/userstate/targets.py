"""The paths handed to restic for one manifest: whole directories where that is exact.

Listing every file makes restic store every path in the snapshot object (18,000 files is
~1.5 MB of snapshot metadata, read back by every ``restic snapshots``). A directory whose
whole subtree is selected - nothing excluded, no link, nothing unreadable - is handed as one
path instead: restic then stores exactly the manifest's files (plus empty directories), and
never meets a link inside it, since any link would have made the directory "dirty".
"""

from __future__ import annotations

from sovmigrate.userstate.manifest import Excluded, Manifest, NotMigrated


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def backup_targets(m: Manifest) -> list[str]:
    """Volume-relative paths covering exactly the manifest's entries, as few as possible."""
    dirty: set[str] = set()
    left_out: list[Excluded | NotMigrated] = [*m.excluded, *m.not_migrated]
    for item in left_out:
        path = m.volume_path(item).rstrip("/")
        dirty.add(path)
        dirty.update(_ancestors(path))
    # A root's own parent directories hold other things: never collapse above a root.
    for base in m.roots.values():
        dirty.update(_ancestors(base) if base else [])
    dirty.add("")
    targets: set[str] = set()
    for entry in m.entries:
        path = m.volume_path(entry)
        chosen = path
        for ancestor in reversed(_ancestors(path)):  # nearest first
            if ancestor in dirty:
                break
            chosen = ancestor
        targets.add(chosen)
    return sorted(targets)
