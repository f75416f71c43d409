"""The lab as a whole: ``up``, ``down``, ``destroy``, ``status`` over named machines.

One implementation for the CLI, the molecule harness and the tests. Every command holds the
lab's lock; ``up`` rolls back what it started when it is interrupted or fails.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sovmigrate.errors import StateConflict, UsageError
from sovmigrate.lab import disk, host, image, inventory, machine, network
from sovmigrate.lab.names import validate_names, validate_suite
from sovmigrate.lab.state import (
    DEFAULT_ROOT,
    HOST_LOCK,
    LabPaths,
    MachineRecord,
    RunRecord,
    clear_run,
    list_machines,
    load_machine,
    load_run,
    locked,
    save_machine,
    save_run,
)

Log = Callable[[str], None]


@dataclass
class MachineStatus:
    name: str
    state: str  # "running" or "stopped"
    suite: str
    address: str
    pid: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "suite": self.suite,
            "address": self.address,
            "pid": self.pid,
        }


@dataclass
class UpReport:
    machines: list[MachineStatus]
    base_build_seconds: float | None = None
    boot_seconds: dict[str, float] = field(default_factory=dict)


def default_root() -> Path:
    return Path(os.environ.get("SOVMIGRATE_LAB_DIR") or DEFAULT_ROOT)


def _quiet(_msg: str) -> None:
    pass


class Lab:
    def __init__(self, root: Path | None = None, log: Log = _quiet) -> None:
        self.paths = LabPaths((root or default_root()).absolute())
        self.log = log

    # -- queries -------------------------------------------------------------------------------

    def status(self) -> list[MachineStatus]:
        host.require_root()
        return [self._status(rec) for rec in list_machines(self.paths)]

    def _status(self, rec: MachineRecord) -> MachineStatus:
        run = load_run(self.paths, rec.name)
        alive = machine.is_alive(self.paths, rec.name, run)
        return MachineStatus(
            name=rec.name,
            state="running" if alive else "stopped",
            suite=rec.suite,
            address=rec.address,
            pid=run.pid if alive and run else None,
        )

    def known(self, names: list[str] | tuple[str, ...]) -> list[MachineRecord]:
        """The records of ``names`` (all machines if empty); unknown names are refused."""
        validate_names(names)
        recs = {r.name: r for r in list_machines(self.paths)}
        unknown = [n for n in names if n not in recs]
        if unknown:
            have = ", ".join(sorted(recs)) or "none"
            raise UsageError(f"unknown lab machine {unknown[0]!r} (machines: {have})")
        return [recs[n] for n in names] if names else list(recs.values())

    def ssh_argv(self, name: str, command: tuple[str, ...] = ()) -> list[str]:
        host.require_root()
        host.require_tools({"ssh": "openssh-client"})
        (rec,) = self.known([name])
        if not machine.is_alive(self.paths, name, load_run(self.paths, name)):
            raise StateConflict(f"lab machine {name!r} is stopped: run 'sovmigrate lab up {name}'")
        return [
            "ssh",
            "-i",
            str(self.paths.ssh_key),
            "-o",
            f"UserKnownHostsFile={self.paths.known_hosts}",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "LogLevel=ERROR",
            f"root@{rec.address}",
            *command,
        ]

    # -- changes -------------------------------------------------------------------------------

    def up(
        self,
        names: list[str],
        suite: str | None = None,
        binds: list[str] | None = None,
    ) -> UpReport:
        """Create what is missing, boot what is stopped, wait until every machine is ready."""
        validate_names(names)
        if suite is not None:
            validate_suite(suite)
        host.require_root()
        host.require_tools(host.TOOLS)
        report = UpReport(machines=[])
        with locked(self.paths.root / "lab.lock", "the lab"):
            self.paths.ensure()
            self._cleanup_partials()
            self._ensure_key()
            recs = self._records(names, suite or "trixie", suite is not None, binds or [], report)
            started: list[tuple[MachineRecord, RunRecord]] = []
            host.raise_kernel_limits()
            cancel = threading.Event()
            pool = ThreadPoolExecutor(max_workers=max(1, len(recs)))
            try:
                t0 = time.monotonic()
                with locked(HOST_LOCK, "the host network"):
                    for rec in recs:
                        run = self._boot(rec)
                        if run is not None:
                            started.append((rec, run))
                futures = {
                    r.name: pool.submit(
                        machine.wait_ready, r, run, cancel, self.paths.machine(r.name)
                    )
                    for r, run in started
                }
                for name, fut in futures.items():
                    retried = fut.result()
                    report.boot_seconds[name] = time.monotonic() - t0
                    if retried:
                        self.log(f"{name}: restarted units that failed at boot: {retried}")
                    self.log(f"{name}: ready")
            except BaseException:
                # Interrupted or failed: power off what this call started, so the next `lab up`
                # finds whole, stopped machines and boots them again.
                cancel.set()
                pool.shutdown(wait=True, cancel_futures=True)
                self._stop_all([rec for rec, _run in started], machine.QUICK_STOP)
                raise
            finally:
                pool.shutdown(wait=True)
                inventory.write(self.paths, list_machines(self.paths))
            report.machines = [self._status(r) for r in recs]
        return report

    def down(self, names: list[str] | tuple[str, ...] = ()) -> list[str]:
        """Power off machines (all if none named); stopping a stopped machine does nothing."""
        host.require_root()
        host.require_tools(host.TOOLS)
        with locked(self.paths.root / "lab.lock", "the lab"):
            recs = self.known(names)
            stopped = [r.name for r in recs if self._running(r)]
            self._stop_all(recs)
        return stopped

    def reinstall(self, name: str) -> MachineStatus:
        """Wipe a machine: fresh disk from the base image (new host keys), same name, address
        and binds, booted again. What a real reinstall does to a workstation's system disk."""
        host.require_root()
        host.require_tools(host.TOOLS)
        with locked(self.paths.root / "lab.lock", "the lab"):
            (rec,) = self.known([name])
            self._stop_all([rec])
            rec.image, _built = image.ensure_base(self.paths, rec.suite, self.log)
            self.log(f"{name}: reinstalling from the {rec.suite} base image")
            machine.create(self.paths, rec)
            inventory.write(self.paths, list_machines(self.paths))
        return self.up([name]).machines[0]

    def destroy(self, names: list[str] | tuple[str, ...] = (), purge: bool = False) -> list[str]:
        """Power off and delete machines with their disks; ``purge`` also drops images and cache."""
        host.require_root()
        host.require_tools(host.TOOLS)
        removed = []
        with locked(self.paths.root / "lab.lock", "the lab"):
            recs = self.known(names)
            if purge and len(recs) < len(list_machines(self.paths)):
                raise StateConflict(
                    "--purge deletes the base images that the other machines' disks are built "
                    "on: destroy every machine (no NAMES) to purge"
                )
            self._stop_all(recs)
            for rec in recs:
                shutil.rmtree(self.paths.machine(rec.name))
                removed.append(rec.name)
            self._cleanup_partials()
            image.prune(self.paths, {r.image for r in list_machines(self.paths)})
            if purge:
                image.remove_images(self.paths)
                shutil.rmtree(self.paths.apt_cache, ignore_errors=True)
            if self.paths.root.is_dir():
                inventory.write(self.paths, list_machines(self.paths))
        return removed

    # -- steps ---------------------------------------------------------------------------------

    def _records(
        self,
        names: list[str],
        suite: str,
        suite_given: bool,
        binds: list[str],
        report: UpReport,
    ) -> list[MachineRecord]:
        recs = []
        for name in names:
            rec = load_machine(self.paths, name)
            if rec is not None:
                if suite_given and rec.suite != suite:
                    raise StateConflict(
                        f"lab machine {name!r} exists with suite {rec.suite}: "
                        f"run 'sovmigrate lab destroy {name}' first to recreate it on {suite}"
                    )
                if binds and binds != rec.binds:
                    rec.binds = binds
                    save_machine(self.paths, rec)
                recs.append(rec)
                continue
            ident, built = image.ensure_base(self.paths, suite, self.log)
            if built is not None:
                report.base_build_seconds = built
                self.log(f"built the {suite} base image in {built:.0f} s")
            taken = {r.index for r in list_machines(self.paths)}
            with locked(HOST_LOCK, "the host network"):
                rec = MachineRecord(name, suite, network.free_index(taken), binds, ident)
            self.log(f"{name}: creating from the {suite} base image")
            machine.create(self.paths, rec)
            recs.append(rec)
        return recs

    def _boot(self, rec: MachineRecord) -> RunRecord | None:
        """Start one machine unless it runs already; return its run if this call started it."""
        previous = load_run(self.paths, rec.name)
        if machine.is_alive(self.paths, rec.name, previous):
            return None
        if previous is not None:  # a dead nspawn, maybe with its container orphaned: clean up
            self._stop(rec)
        self._cleanup_network(rec)
        if network.index_clash(rec):
            taken = {r.index for r in list_machines(self.paths)}
            rec.index = network.free_index(taken)
            save_machine(self.paths, rec)
            disk.write_network(self.paths, rec)
        if network.link_exists(rec.link):
            raise StateConflict(
                f"a link {rec.link} already exists: another lab runs a machine named "
                f"{rec.name!r}; pick another name"
            )
        self.log(f"{rec.name}: booting")
        new = None
        # The mount is inside: a Ctrl-C that lands once mount(2) has begun must still unmount
        # (a stand-in, a line printed then a mount, kept its mount 2 times in 100 otherwise).
        try:
            disk.mount(self.paths, rec)
            new = machine.boot(self.paths, rec)  # stops its own nspawn if interrupted
            save_run(self.paths, rec.name, new)
            network.wait_link(rec.link, lambda: machine.is_alive(self.paths, rec.name, new))
            network.setup_host_side(rec, self._tag(rec))
        except BaseException:
            if new is not None:
                save_run(self.paths, rec.name, new)  # interrupted before it was saved: stop it
            self._stop(rec, machine.QUICK_STOP)
            raise
        return new

    def _stop_all(self, recs: list[MachineRecord], timeout: float = machine.STOP_TIMEOUT) -> None:
        # Power-offs run in parallel (each takes about a second); host network edits do not.
        with ThreadPoolExecutor(max_workers=max(1, len(recs))) as pool:
            for fut in [pool.submit(self._poweroff, rec, timeout) for rec in recs]:
                fut.result()
        for rec in recs:
            self._stop(rec, timeout)

    def _poweroff(self, rec: MachineRecord, timeout: float = machine.STOP_TIMEOUT) -> None:
        run = load_run(self.paths, rec.name)
        if run is not None:
            alive = machine.is_alive(self.paths, rec.name, run) or machine.leader_alive(run)
            if alive:
                self.log(f"{rec.name}: powering off")
            # Also reaps an nspawn that exited alone, and kills a container orphaned by a
            # killed nspawn.
            machine.stop(self.paths, rec.name, run, timeout)
            if alive:
                network.wait_link_gone(rec.link)
        disk.umount(self.paths, rec)

    def _stop(self, rec: MachineRecord, timeout: float = machine.STOP_TIMEOUT) -> None:
        self._poweroff(rec, timeout)
        self._cleanup_network(rec)
        moved = machine.harvest_cache(self.paths, rec.name)
        if moved:
            self.log(f"{rec.name}: {moved} downloaded packages added to the shared cache")
        clear_run(self.paths, rec.name)

    def _cleanup_network(self, rec: MachineRecord) -> None:
        # Only this lab's own rule: a link named ve-<name> may belong to another lab's machine.
        network.nat_remove(self._tag(rec))

    def _running(self, rec: MachineRecord) -> bool:
        run = load_run(self.paths, rec.name)
        return run is not None and (
            machine.is_alive(self.paths, rec.name, run) or machine.leader_alive(run)
        )

    def _tag(self, rec: MachineRecord) -> str:
        return network.rule_tag(rec.name, self.paths.root)

    def _cleanup_partials(self) -> None:
        if self.paths.machines.is_dir():
            for pattern in (".*.partial", ".*.old"):
                for d in self.paths.machines.glob(pattern):
                    shutil.rmtree(d)

    def _ensure_key(self) -> None:
        key = self.paths.ssh_key
        if not key.is_file() or not key.with_suffix(".pub").is_file():
            key.unlink(missing_ok=True)
            host.run(
                [
                    "ssh-keygen",
                    "-q",
                    "-t",
                    "ed25519",
                    "-N",
                    "",
                    "-C",
                    "sovmigrate-lab",
                    "-f",
                    str(key),
                ]
            )


__all__ = ["Lab", "MachineStatus", "RunRecord", "UpReport", "default_root"]
