"""A throwaway PostgreSQL cluster for tests and benchmarks (initdb + pg_ctl, unix socket only).

PostgreSQL refuses to run as root, so when started by root the cluster belongs to ``nobody``.
Nothing listens on TCP: the socket lives in the cluster's own temporary directory.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sovmigrate.errors import EnvironmentProblem


@dataclass
class PgCluster:
    root: Path
    user: str
    listen: str = ""  # a TCP address to listen on too (lab machines reach it); "" = socket only

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@/postgres?host={self.root}&port=5433"

    def new_database(self, name: str) -> str:
        self._as_owner([self._bin("createdb"), "-h", str(self.root), "-p", "5433", name])
        return f"postgresql://{self.user}@/{name}?host={self.root}&port=5433"

    def start_server(self) -> None:
        """Start (or start again after ``stop_server``) the cluster's server."""
        options = f"-k {self.root} -p 5433 -c listen_addresses='{self.listen}' -c fsync=off"
        self._as_owner(
            [
                self._bin("pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-o",
                options,
                "-w",
                "-l",
                str(self.root / "log"),
                "start",
            ]
        )

    def stop_server(self) -> None:
        """Stop the server and keep its data: the store is unreachable until ``start_server``."""
        self._as_owner([self._bin("pg_ctl"), "-D", str(self.root / "data"), "-w", "stop"])

    def stop(self) -> None:
        self._as_owner(
            [self._bin("pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"],
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def _bin(self, name: str) -> str:
        return str(_bindir() / name)

    def _as_owner(self, argv: list[str], check: bool = True) -> None:
        if os.geteuid() == 0:
            argv = ["runuser", "-u", self.user, "--", *argv]
        subprocess.run(argv, check=check, capture_output=True, text=True, cwd="/")


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise EnvironmentProblem("PostgreSQL is not installed (apt-get install postgresql)")
    return Path(found[-1]).parent


def start_cluster(listen: str = "") -> PgCluster:
    """initdb + start; the caller must ``stop()`` it. ``listen``: also a TCP address, where
    any client of that address's network is trusted (lab machines; tests only)."""
    root = Path(tempfile.mkdtemp(prefix="sovmigrate-pg-"))
    user = "nobody" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
    if os.geteuid() == 0:
        shutil.chown(root, user)
    cluster = PgCluster(root, user, listen)
    data = root / "data"
    cluster._as_owner([cluster._bin("initdb"), "-A", "trust", "-U", user, "-D", str(data)])
    if listen:
        with (data / "pg_hba.conf").open("a", encoding="utf-8") as hba:
            hba.write("host all all samenet trust\n")
    cluster.start_server()
    return cluster


_shared: PgCluster | None = None
_databases = 0


def shared_database() -> str:
    """A fresh database in one cluster per process, stopped when the process exits."""
    global _shared, _databases
    if _shared is None:
        import atexit

        _shared = start_cluster()
        atexit.register(_shared.stop)
    _databases += 1
    return _shared.new_database(f"t{os.getpid()}_{_databases}")
