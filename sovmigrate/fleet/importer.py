"""Read inventories into one deduplicated list of machines, all or nothing.

``load_fleet(paths, skip_invalid=False)`` parses every file (in worker processes when there are
many: parsing JSON is the cost), merges duplicates (the same hardware UUID or GLPI deviceid:
the latest inventory wins) and either raises on the first bad file or, with ``skip_invalid``,
lists the skipped files with their reason.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sovmigrate.errors import UsageError
from sovmigrate.fleet.csvfmt import parse_csv
from sovmigrate.fleet.glpi import InvalidInventory, parse_glpi
from sovmigrate.fleet.model import Machine
from sovmigrate.fleet.sources import iter_sources

# Below this many files a process pool costs more than it saves.
PARALLEL_FROM = 2000
# Measured on 2 cores: unpickling a parsed machine costs a third of parsing it, and with other
# work on the machine two workers were twice slower than one process. Use a pool only when
# there are cores to spare.
MIN_CPUS_FOR_POOL = 4
_BATCH = 500


@dataclass
class ImportResult:
    machines: list[Machine]
    files: int = 0
    duplicates: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def parse_one(name: str, kind: str, payload: bytes | str) -> list[Machine]:
    """The machines of one source (bytes, or a file path); ``InvalidInventory`` on bad input."""
    try:
        if isinstance(payload, str):
            with open(payload, "rb") as handle:
                data = handle.read()
        else:
            data = payload
    except OSError as exc:
        raise InvalidInventory(f"{name}: unreadable ({exc.strerror})") from None
    if kind == "csv":
        return parse_csv(data, name)
    try:
        doc = json.loads(data)
    except UnicodeDecodeError:
        raise InvalidInventory(f"{name}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInventory(
            f"{name}: line {exc.lineno} column {exc.colno}: malformed JSON ({exc.msg})"
        ) from None
    except RecursionError:
        raise InvalidInventory(f"{name}: malformed JSON (nested too deep)") from None
    return [parse_glpi(doc, name)]


def _parse_batch(
    batch: list[tuple[str, str, bytes | str]],
) -> list[tuple[str, list[Machine] | str]]:
    out: list[tuple[str, list[Machine] | str]] = []
    for name, kind, payload in batch:
        try:
            out.append((name, parse_one(name, kind, payload)))
        except InvalidInventory as exc:
            out.append((name, str(exc)))
    return out


def _batches(
    items: Iterable[tuple[str, str, bytes | str]],
) -> Iterator[list[tuple[str, str, bytes | str]]]:
    batch: list[tuple[str, str, bytes | str]] = []
    for item in items:
        batch.append(item)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _parsed(
    items: list[tuple[str, str, bytes | str]], workers: int
) -> Iterator[tuple[str, list[Machine] | str]]:
    if workers <= 1 or len(items) < PARALLEL_FROM:
        for batch in _batches(items):
            yield from _parse_batch(batch)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(_parse_batch, _batches(items)):
            yield from result


class _Merger:
    """Duplicates by UUID or deviceid: the later one (by inventory date, then order) wins."""

    def __init__(self) -> None:
        self.machines: list[Machine] = []
        self.index: dict[str, int] = {}
        self.duplicates = 0

    def add(self, machine: Machine) -> None:
        ids = [i for i in (machine.uuid, machine.deviceid, machine.key) if i]
        slot = next((self.index[i] for i in ids if i in self.index), None)
        if slot is None:
            slot = len(self.machines)
            self.machines.append(machine)
        else:
            self.duplicates += 1
            if machine.inventory_date >= self.machines[slot].inventory_date:
                machine.key = self.machines[slot].key  # identity stays, facts refresh
                self.machines[slot] = machine
        for i in ids:
            self.index[i] = slot


def load_fleet(
    paths: list[Path], *, skip_invalid: bool = False, workers: int | None = None
) -> ImportResult:
    items = list(iter_sources(paths))
    if not items:
        raise UsageError(f"no inventory file (.json, .csv) in {', '.join(map(str, paths))}")
    merger = _Merger()
    skipped: list[tuple[str, str]] = []
    cpus = os.cpu_count() or 1
    default = min(4, cpus - 1) if cpus >= MIN_CPUS_FOR_POOL else 1
    for name, result in _parsed(items, workers or default):
        if isinstance(result, str):
            if not skip_invalid:
                raise InvalidInventory(result)
            skipped.append((name, result))
            continue
        for machine in result:
            merger.add(machine)
    if not merger.machines:
        raise UsageError("no valid inventory among the files given")
    return ImportResult(merger.machines, len(items), merger.duplicates, skipped)
