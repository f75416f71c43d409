"""The lab's one directory: where images, machines, keys and the inventory live, and its lock.

Layout (every path derives from the root, so two labs never share anything but the host)::

    <root>/lab.lock                 flock held by every command that changes the lab
    <root>/images/<suite>-<recipe>/ finished base image (renamed into place when complete)
    /var/cache/sovmigrate/apt-archives/  the APT package cache shared by all machines of all
                                    labs (env SOVMIGRATE_APT_CACHE)
    <root>/ssh/id_ed25519           the key Ansible and ``lab ssh`` use
    <root>/machines/<name>/         one machine: machine.json, upper/ (its own files), rootfs/
                                    (overlay mount point while booted), run.json while booted
    <root>/inventory.yml            Ansible inventory of every machine
    <root>/known_hosts              each machine's own host keys
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEFAULT_ROOT = Path("/var/lib/sovmigrate/lab")
SHARED_APT_CACHE = Path("/var/cache/sovmigrate/apt-archives")
# Subnet indexes are a host-wide resource (10.231.N.0/24), shared by every lab directory.
HOST_LOCK = Path("/run/sovmigrate-lab.lock")


@dataclass
class MachineRecord:
    """What ``machine.json`` remembers about a machine between commands."""

    name: str
    suite: str
    index: int
    binds: list[str] = field(default_factory=list)  # nspawn --bind=/--bind-ro= arguments
    image: str = ""  # base image id under images/; "" for a machine with a full rootfs copy

    @property
    def address(self) -> str:
        return f"10.231.{self.index}.2"

    @property
    def gateway(self) -> str:
        return f"10.231.{self.index}.1"

    @property
    def link(self) -> str:
        return f"ve-{self.name}"


@dataclass
class RunRecord:
    """``run.json``: the nspawn process of a booted machine."""

    pid: int
    leader: int
    # Start time (clock ticks since host boot) of the leader: tells it from a reused pid.
    leader_start: int = 0


@dataclass(frozen=True)
class LabPaths:
    root: Path

    @property
    def images(self) -> Path:
        return self.root / "images"

    def image(self, ident: str) -> Path:
        return self.images / ident

    @property
    def apt_cache(self) -> Path:
        # One cache for every lab directory of the host: the test suite runs several labs and
        # would otherwise download the same desktop packages once per lab.
        return Path(os.environ.get("SOVMIGRATE_APT_CACHE") or SHARED_APT_CACHE)

    @property
    def ssh_key(self) -> Path:
        return self.root / "ssh" / "id_ed25519"

    @property
    def machines(self) -> Path:
        return self.root / "machines"

    def machine(self, name: str) -> Path:
        return self.machines / name

    def rootfs(self, name: str) -> Path:
        return self.machine(name) / "rootfs"

    @property
    def inventory(self) -> Path:
        return self.root / "inventory.yml"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    def ensure(self) -> None:
        for d in (self.images, self.apt_cache, self.ssh_key.parent, self.machines):
            d.mkdir(parents=True, exist_ok=True)
        self.ssh_key.parent.chmod(0o700)


def load_machine(paths: LabPaths, name: str) -> MachineRecord | None:
    path = paths.machine(name) / "machine.json"
    if not path.is_file():
        return None
    return MachineRecord(**json.loads(path.read_text()))


def save_machine(paths: LabPaths, rec: MachineRecord, directory: Path | None = None) -> None:
    write_json((directory or paths.machine(rec.name)) / "machine.json", asdict(rec))


def list_machines(paths: LabPaths) -> list[MachineRecord]:
    """Every complete machine, by name. Half-made ones (``.name.partial``) are not machines."""
    if not paths.machines.is_dir():
        return []
    dirs = [d for d in sorted(paths.machines.iterdir()) if not d.name.startswith(".")]
    recs = [load_machine(paths, d.name) for d in dirs]
    return [r for r in recs if r is not None]


def load_run(paths: LabPaths, name: str) -> RunRecord | None:
    path = paths.machine(name) / "run.json"
    if not path.is_file():
        return None
    return RunRecord(**json.loads(path.read_text()))


def save_run(paths: LabPaths, name: str, run: RunRecord) -> None:
    write_json(paths.machine(name) / "run.json", asdict(run))


def clear_run(paths: LabPaths, name: str) -> None:
    (paths.machine(name) / "run.json").unlink(missing_ok=True)


def write_json(path: Path, data: object) -> None:
    """Write atomically: an interrupted command never leaves a truncated record behind."""
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_text(path: Path, text: str, mode: int = 0o644) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.chmod(mode)
    os.replace(tmp, path)


@contextlib.contextmanager
def locked(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive flock on ``path``; say so if another command holds it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"sovmigrate: waiting for {what} (held by another command)", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
