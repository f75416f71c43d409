"""A restic repository (local path, ``sftp:``, any restic backend) driven through its CLI.

The password reaches restic only through ``RESTIC_PASSWORD_FILE`` in its environment: never
on a command line (visible in ``ps``), never in a log. restic's failures are turned into one
line saying what to do (wrong password, unreachable store, full store).
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovmigrate.errors import EnvironmentProblem, OperationFailed, UsageError

_MISSING = (
    "is there a repository at the following location",
    "repository does not exist",
    "unable to open config file",
)
_UNREACHABLE = (
    "connection refused",
    "no route to host",
    "could not resolve",
    "ssh command exited",
    "unable to start the sftp session",
    "connection timed out",
    "host key verification failed",
    "permission denied (publickey",
)


_LOCKED = "repository is already locked"
# In a local repository's directory: held while it is being created (see init_if_absent).
CREATION_LOCK = ".sovmigrate-init.lock"


class NoRepository(EnvironmentProblem):
    """No restic repository at that location (yet)."""


@dataclass
class Snapshot:
    id: str
    short_id: str
    time: str
    hostname: str
    tags: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def tag(self, key: str) -> str | None:
        prefix = key + ":"
        return next((t[len(prefix) :] for t in self.tags if t.startswith(prefix)), None)


def tag_value(value: str) -> str:
    # restic splits --tag on commas
    return value.replace(",", "_")


class ResticStore:
    """One restic repository. ``repo`` is what restic takes after ``-r``."""

    def __init__(
        self,
        repo: str,
        password_file: Path,
        *,
        restic: str = "restic",
        ssh_config: Path | None = None,
    ) -> None:
        self.repo = str(repo)
        self.password_file = Path(password_file)
        self.restic = restic
        self.ssh_config = ssh_config  # for sftp: an ssh_config (key, port, known hosts)
        self._master: dict[str, Any] | None = None
        if not self.password_file.is_file():
            raise UsageError(f"password file not found: {self.password_file}")

    # -- plumbing ---------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("RESTIC_PASSWORD", "RESTIC_PASSWORD_COMMAND", "RESTIC_REPOSITORY")
        }
        env["RESTIC_PASSWORD_FILE"] = str(self.password_file)
        env.setdefault("RESTIC_CACHE_DIR", str(Path(tempfile.gettempdir()) / "sovmigrate-restic"))
        return env

    def _argv(self, args: list[str]) -> list[str]:
        argv = [self.restic, "-r", self.repo, "--quiet"]
        if self.repo.startswith("sftp:"):
            # Never wait for a password prompt nor hang on a dead host.
            argv += ["-o", "sftp.command=" + " ".join(self._ssh_command())]
        return argv + args

    def _ssh_command(self) -> list[str]:
        rest = self.repo[len("sftp:") :]
        port = ""
        if rest.startswith("//"):  # sftp://user@host:port//path
            hostpart = rest[2:].split("/", 1)[0]
            if ":" in hostpart:
                hostpart, port = hostpart.rsplit(":", 1)
        else:  # sftp:user@host:/path
            hostpart = rest.split(":", 1)[0]
        cmd = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"]
        if self.ssh_config:
            cmd += ["-F", str(self.ssh_config)]
        if port:
            cmd += ["-p", port]
        return [*cmd, hostpart, "-s", "sftp"]

    def _fail(self, stderr: str, what: str) -> Exception:
        low = stderr.lower()
        last = next((ln for ln in reversed(stderr.strip().splitlines()) if ln.strip()), "")
        if "wrong password" in low:
            return UsageError(f"wrong password for the store {self.repo}")
        if "no space left on device" in low or "disk quota exceeded" in low:
            return EnvironmentProblem(f"store full: {self.repo} has no space left ({what})")
        if any(s in low for s in _UNREACHABLE):
            return EnvironmentProblem(f"store unreachable: {self.repo}: {last}")
        if any(s in low for s in _MISSING):
            return NoRepository(f"no restic repository at {self.repo}")
        return OperationFailed(f"restic {what} failed on {self.repo}: {last}")

    def run(self, args: list[str], *, cwd: Path | None = None, what: str = "") -> str:
        result = self._run(args, cwd)
        if result.returncode != 0 and _LOCKED in result.stderr and args[0] != "unlock":
            # A lock left by a killed run (restic 0.14 does not skip those): ``unlock``
            # removes only locks of dead processes, then one retry. Done here, when met,
            # rather than as one more restic run (key derivation) before every capture.
            self._run(["unlock"], None)
            result = self._run(args, cwd)
        if result.returncode != 0:
            raise self._fail(result.stderr, what or args[0])
        return result.stdout

    def _run(self, args: list[str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                self._argv(args),
                cwd=cwd,
                env=self._env(),
                capture_output=True,
                text=True,
                check=False,
            )
        except FileNotFoundError as exc:
            raise EnvironmentProblem("restic not found: apt-get install restic") from exc

    # -- repository -------------------------------------------------------------------------
    def exists(self) -> bool:
        """True when a repository answers with this password (wrong password: error)."""
        try:
            self.run(["cat", "config"], what="open")
        except NoRepository:
            return False
        except OperationFailed:
            # A local path that does not exist yet gives restic's generic "unable to open".
            remote = self.repo.startswith(("sftp:", "s3:", "rest:", "b2:", "azure:", "gs:"))
            if not remote and not Path(self.repo, "config").exists():
                return False
            raise
        return True

    def master_key(self) -> dict[str, Any]:
        """The repository's master key, decrypted by restic itself (its password handling
        and key derivation): for ``restic_repo``'s direct reads. A secret: kept in memory,
        never logged, never in an error message (restic's stderr is; it holds no key)."""
        if self._master is None:
            self._master = json.loads(self.run(["cat", "masterkey"], what="open"))
        return self._master

    def init_if_absent(self) -> bool:
        """Create the repository when there is none; True if it was created.

        The machines of a wave capture into one store. Two first captures at once would each
        ``restic init`` it, leaving two master keys and a config only one of them opens: the
        store is then unreadable for every machine. So creating a local store is serialised
        by an exclusive lock on a file in its directory, which every machine bound to it sees.
        A remote store cannot be locked from here: create it before the wave (docs).
        """
        with self._creation_lock():
            if self.exists():
                return False
            self.run(["init"], what="init")
            return True

    @contextmanager
    def _creation_lock(self) -> Iterator[None]:
        if ":" in self.repo.split("/", 1)[0]:  # sftp:, rest:, s3:... (not a local path)
            yield
            return
        directory = Path(self.repo)
        directory.mkdir(parents=True, exist_ok=True)
        # restic ignores unknown files at the top of a repository (check included).
        with open(directory / CREATION_LOCK, "a", encoding="ascii") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def unlock(self) -> None:
        """Remove stale locks (left by a killed run); live ones stay."""
        self.run(["unlock"], what="unlock")

    def check(self, read_data: bool = False, subset: str = "") -> None:
        args = ["check"]
        if read_data:
            args.append("--read-data")
        elif subset:
            args.append(f"--read-data-subset={subset}")
        self.run(args, what="check")

    def raw_size(self) -> int:
        out = self.run(["stats", "--json", "--mode", "raw-data"], what="stats")
        return int(json.loads(out)["total_size"])

    # -- snapshots --------------------------------------------------------------------------
    def backup(
        self, cwd: Path, paths: list[str], *, host: str, tags: list[str], parent: str | None = None
    ) -> str:
        """Back up ``paths`` (relative to ``cwd``) exactly; return the new snapshot id.

        The list goes through a NUL-separated file, so any file name survives. The caller
        guarantees no path crosses a link (see targets.py): restic follows a link that lies
        inside a path it is given.
        """
        with tempfile.NamedTemporaryFile("wb", prefix="sovmigrate-files-", delete=False) as f:
            f.write(b"".join(os.fsencode(p) + b"\0" for p in paths))
            listing = f.name
        args = ["backup", "--json", "--files-from-raw", listing, "--host", host]
        for tag in tags:
            args += ["--tag", tag_value(tag)]
        if parent:
            args += ["--parent", parent]
        try:
            out = self.run(args, cwd=cwd, what="backup")
        finally:
            os.unlink(listing)
        for line in reversed(out.splitlines()):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if message.get("message_type") == "summary":
                return str(message["snapshot_id"])
        raise OperationFailed(f"restic backup to {self.repo} reported no snapshot")

    def snapshots(
        self, host: str | None = None, sid: str | None = None, tags: list[str] | None = None
    ) -> list[Snapshot]:
        args = ["snapshots", "--json"]
        if host:
            args += ["--host", host]
        wanted = [*(tags or []), *([f"sid:{sid}"] if sid else [])]
        if wanted:
            args += ["--tag", ",".join(tag_value(t) for t in wanted)]
        raw = json.loads(self.run(args, what="snapshots") or "[]") or []
        snaps = [
            Snapshot(
                s["id"],
                s.get("short_id", s["id"][:8]),
                s["time"],
                s["hostname"],
                s.get("tags") or [],
                s.get("paths") or [],
            )
            for s in raw
        ]
        return sorted(snaps, key=lambda s: s.time)

    def ls(self, snapshot_id: str) -> Iterator[dict[str, Any]]:
        out = self.run(["ls", "--json", snapshot_id], what="ls")
        for line in out.splitlines():
            node = json.loads(line)
            if node.get("struct_type") == "node":
                yield node

    @contextmanager
    def dump_tar(
        self, snapshot_id: str, *, cache_dir: Path | None = None
    ) -> Iterator[io.BufferedReader]:
        """The whole snapshot as a tar stream (no temporary copy on disk).

        ``cache_dir``: a restic cache of the caller's instead of the shared one, which holds
        the tree packs this machine's backups wrote: with an empty one, every tree is read
        from the store itself, as a restore on another machine would read it.
        """
        cache = ["--cache-dir", str(cache_dir)] if cache_dir else []
        proc = subprocess.Popen(
            self._argv([*cache, "dump", snapshot_id, "/"]),
            env=self._env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert isinstance(proc.stdout, io.BufferedReader) and proc.stderr is not None
        try:
            yield proc.stdout
        finally:
            proc.stdout.close()
            err = proc.stderr.read().decode(errors="replace")
            if proc.wait() != 0 and err:
                raise self._fail(err, "dump")

    def restore(self, snapshot_id: str, target_dir: Path, include: list[str] | None = None) -> None:
        """Restore a snapshot (or the ``include`` paths of it) under ``target_dir``.

        A file at ``/Users/a/x`` in the snapshot lands at ``target_dir/Users/a/x``.
        """
        args = ["restore", snapshot_id, "--target", str(target_dir)]
        for pattern in include or []:
            args += ["--include", pattern]
        self.run(args, what="restore")

    def forget(self, snapshot_id: str) -> None:
        self.run(["forget", snapshot_id], what="forget")
