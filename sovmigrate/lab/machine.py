"""One machine's life: create its disk, boot it under systemd-nspawn, wait, power it off."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from sovmigrate.errors import OperationFailed
from sovmigrate.lab import disk, host
from sovmigrate.lab.state import LabPaths, MachineRecord, RunRecord, save_machine

BOOT_TIMEOUT = 180.0
STOP_TIMEOUT = 30.0
QUICK_STOP = 5.0  # rolling back an interrupted `lab up`: the machines are mid-boot anyway


def create(paths: LabPaths, rec: MachineRecord) -> None:
    """Make the machine's disk, in a side directory renamed into place when complete.

    An interrupted creation leaves only ``machines/.<name>.partial``, which the next ``lab up``
    deletes: a directory named after a machine is always a whole machine.
    """
    partial = paths.machines / f".{rec.name}.partial"
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir()
    disk.populate(paths, rec, partial)
    save_machine(paths, rec, partial)
    final = paths.machine(rec.name)
    if final.exists():  # a reinstall: swap the fresh machine in, then drop the old disk
        old = paths.machines / f".{rec.name}.old"
        final.rename(old)
        partial.rename(final)
        shutil.rmtree(old)
    else:
        partial.rename(final)


def boot(paths: LabPaths, rec: MachineRecord) -> RunRecord:
    """Start systemd-nspawn in its own session (Ctrl-C on the CLI does not reach it)."""
    mdir = paths.machine(rec.name)
    argv = [
        "systemd-nspawn",
        f"--directory={mdir / 'rootfs'}",
        f"--machine={rec.name}",
        "--boot",
        # The host's PID 1 is not systemd: no machined registration, no scope unit.
        "--register=no",
        "--keep-unit",
        "--network-veth",
        "--resolv-conf=copy-host",
        "--console=read-only",
        # Shared package cache: reads come from the lab's cache, a machine's own downloads land
        # in its upper directory and are folded back into the cache when it stops.
        f"--overlay={paths.apt_cache}:{mdir / 'apt-upper'}:/var/cache/apt/archives",
        *rec.binds,
    ]
    with (mdir / "nspawn.log").open("ab") as log:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    try:
        leader = _wait_leader(proc)
        run = RunRecord(pid=proc.pid, leader=leader, leader_start=_start_time(leader))
    except BaseException:
        # Interrupted before the caller could record the process: it must not outlive us.
        proc.terminate()
        try:
            proc.wait(QUICK_STOP)
        except subprocess.TimeoutExpired:
            for child in _children(proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            proc.kill()
            proc.wait()
        raise
    return run


def _wait_leader(proc: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """The container's PID 1 as the host sees it: nspawn's child that is PID 1 in its namespace."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise OperationFailed(f"systemd-nspawn exited at once with status {proc.returncode}")
        for child in _children(proc.pid):
            if _nspid(child)[-1:] == ["1"]:
                return child
        time.sleep(0.02)
    proc.kill()
    raise OperationFailed("systemd-nspawn started no container init within 30 s")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _nspid(pid: int) -> list[str]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return line.split()[1:]
    except OSError:
        pass
    return []


def is_alive(paths: LabPaths, name: str, run: RunRecord | None) -> bool:
    """True if ``run.pid`` is still this machine's nspawn (not a dead or reused pid)."""
    if run is None:
        return False
    try:
        cmdline = Path(f"/proc/{run.pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{run.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    rootfs = f"--directory={paths.rootfs(name)}".encode()
    return state != "Z" and cmdline[:1] == [b"systemd-nspawn"] and rootfs in cmdline


def nsenter(run: RunRecord, *argv: str) -> list[str]:
    return ["nsenter", "-t", str(run.leader), "-m", "-u", "-i", "-n", "-p", "--", *argv]


def wait_ready(
    rec: MachineRecord,
    run: RunRecord,
    cancel: threading.Event | None = None,
    log_dir: Path | None = None,
) -> list[str]:
    """Return once systemd reports ``running`` and sshd answers on the machine's address.

    Early-boot oneshot units of a container sometimes fail when the host is heavily loaded
    (measured: systemd-journal-flush, systemd-sysctl, systemd-update-done, each in about one
    boot of ten with a load average of 13 on 2 cores). They are restarted once; the units that
    needed it are returned so the caller can say so. A unit that fails again is an error.
    ``cancel`` (set when the user interrupts ``lab up``) ends the wait early.
    """
    cancel = cancel or threading.Event()
    state = _system_state(rec, run, cancel)
    retried: list[str] = []
    if state == "degraded":
        retried = _failed_units(run)
        host.run(nsenter(run, "systemctl", "reset-failed"), check=False)
        host.run(nsenter(run, "systemctl", "restart", *retried), check=False, timeout=120)
        state = _system_state(rec, run, cancel)
    if state != "running":
        failed = _failed_units(run)
        where = _save_diagnostics(run, failed, log_dir)
        raise OperationFailed(
            f"{rec.name}: systemd is {state}; failed units: {', '.join(failed) or 'none'}"
            f"{f' (their journal: {where})' if where else ''}"
        )
    _wait_ssh(rec, cancel)
    return retried


def _save_diagnostics(run: RunRecord, units: list[str], log_dir: Path | None) -> Path | None:
    # The machine is powered off right after (its journal is volatile): keep what it said.
    if log_dir is None or not units:
        return None
    args = ["journalctl", "-b", "--no-pager", "-o", "short-monotonic"]
    for unit in units:
        args += ["-u", unit]
    path = log_dir / "boot-failure.log"
    path.write_text(host.run(nsenter(run, *args), check=False))
    return path


def _failed_units(run: RunRecord) -> list[str]:
    out = host.run(nsenter(run, "systemctl", "--failed", "--plain", "--no-legend"), check=False)
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _system_state(rec: MachineRecord, run: RunRecord, cancel: threading.Event) -> str:
    # `--wait` only waits once systemd's bus answers; right after boot it does not yet, and
    # systemctl then prints nothing (or "offline"): ask again until the deadline.
    deadline = time.monotonic() + BOOT_TIMEOUT
    cmd = nsenter(run, "systemctl", "is-system-running", "--wait")
    state = ""
    while time.monotonic() < deadline and not cancel.is_set():
        try:
            state = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=max(1.0, deadline - time.monotonic()),
                check=False,
            ).stdout.strip()
        except subprocess.TimeoutExpired:
            break
        if state not in ("", "offline", "unknown", "initializing", "starting"):
            return state
        time.sleep(0.1)
    if cancel.is_set():
        raise OperationFailed(f"{rec.name}: interrupted while booting")
    raise OperationFailed(
        f"{rec.name}: systemd did not finish booting in {BOOT_TIMEOUT:.0f} s (state: {state})"
    )


def _wait_ssh(rec: MachineRecord, cancel: threading.Event, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not cancel.is_set():
        with contextlib.suppress(OSError), socket.create_connection((rec.address, 22), 1) as s:
            s.settimeout(2)
            if s.recv(4).startswith(b"SSH-"):
                return
        if time.monotonic() > deadline:
            raise OperationFailed(f"{rec.name}: sshd does not answer on {rec.address}:22")
        time.sleep(0.1)
    raise OperationFailed(f"{rec.name}: interrupted while waiting for sshd")


def _start_time(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return -1


def leader_alive(run: RunRecord) -> bool:
    """True while the machine's init runs, even if its nspawn died (a SIGKILLed nspawn leaves
    the container's processes running, orphaned)."""
    return run.leader_start > 0 and _start_time(run.leader) == run.leader_start


def stop(paths: LabPaths, name: str, run: RunRecord, timeout: float = STOP_TIMEOUT) -> None:
    """Clean poweroff (nspawn turns SIGTERM into a shutdown); if it hangs past ``timeout``,
    SIGKILL the container's init, which ends every process of its PID namespace."""
    if is_alive(paths, name, run):
        os.kill(run.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while is_alive(paths, name, run) and time.monotonic() < deadline:
            _reap(run.pid)
            time.sleep(0.05)
    if leader_alive(run):
        with contextlib.suppress(ProcessLookupError):
            os.kill(run.leader, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while leader_alive(run) and time.monotonic() < deadline:
            time.sleep(0.05)
    if is_alive(paths, name, run):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while is_alive(paths, name, run) and time.monotonic() < deadline:
            _reap(run.pid)
            time.sleep(0.05)
    _reap(run.pid)


def _reap(pid: int) -> None:
    # When this process started nspawn itself (tests, `lab up` then `lab down` in one Python
    # process), the exited nspawn is our zombie until waited for.
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def harvest_cache(paths: LabPaths, name: str) -> int:
    """Move the packages a stopped machine downloaded into the shared cache; return how many."""
    upper = paths.machine(name) / "apt-upper"
    moved = 0
    for deb in upper.glob("*.deb") if upper.is_dir() else []:
        # Overlay whiteouts (a deleted cached .deb) are character devices, not packages.
        if not deb.is_file() or deb.is_symlink():
            continue
        target = paths.apt_cache / deb.name
        if target.exists():
            deb.unlink()
        else:
            os.replace(deb, target)
            moved += 1
    return moved
