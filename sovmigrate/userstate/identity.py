"""Which Linux account receives a captured Windows profile: the SID -> account mapping.

One implementation for the restore engine, the restore role (through ``restore_main plan``) and
the tests. A profile of a domain-joined PC is a directory SID (``S-1-5-21-<domain>-<RID>``):
it resolves, on the joined target, to the same directory account through SSSD
(``pysss_nss_idmap``, Debian's python3-libsss-nss-idmap) or winbind (``wbinfo``). A local
Windows account keeps the local rules (a local Linux login made from its name). A SID of the
directory's domain that no longer resolves (a deleted or renamed-away account) is *unresolved*:
its data goes to a technician-only place and the restore says so; it is never given to
another account, and never turned into a new local account that would pose as that person.

Which SIDs are "of the directory": the domain part of every SID that resolves, plus the
domains the caller names (the role passes the joined domain's SID when it knows it). Without a
directory client on the machine nothing resolves and every profile is local, as before.
"""

from __future__ import annotations

import pwd
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sovmigrate.errors import EnvironmentProblem, UsageError

# Where the data of an unresolved SID is kept: root only, outside every home.
UNRESOLVED_DIR = Path("/var/lib/sovmigrate/unresolved")
_SID = re.compile(r"^S-1-5-21-(\d+-\d+-\d+)-(\d+)$", re.IGNORECASE)
# pam_mkhomedir's default; the directory_join role passes the umask it configures.
DEFAULT_UMASK = "0077"


class Resolver(Protocol):
    def name_of(self, sid: str) -> str | None: ...


def domain_of(sid: str) -> str | None:
    """``S-1-5-21-a-b-c`` of an account SID ``S-1-5-21-a-b-c-RID``; None for other SIDs."""
    match = _SID.match(sid.strip())
    return f"S-1-5-21-{match.group(1)}" if match else None


class SssdResolver:
    """SID -> name through SSSD's NSS responder (the AD provider's ID mapping or POSIX attrs)."""

    def __init__(self) -> None:
        import pysss_nss_idmap

        self._idmap = pysss_nss_idmap

    def name_of(self, sid: str) -> str | None:
        try:
            found = self._idmap.getnamebysid(sid)
        except (OSError, SystemError):  # sssd not running: nothing resolves
            return None
        entry = found.get(sid) if isinstance(found, dict) else None
        if not entry:
            return None
        kind = entry.get(self._idmap.TYPE_KEY)
        if kind not in (self._idmap.ID_USER, getattr(self._idmap, "ID_BOTH", -1)):
            return None  # a group SID is never a profile's owner
        name = entry.get(self._idmap.NAME_KEY)
        return str(name) if name else None


class WinbindResolver:
    """SID -> name through winbind (sites joined with ``net ads join`` and winbind)."""

    def name_of(self, sid: str) -> str | None:
        done = subprocess.run(
            ["wbinfo", "--sid-to-name", sid], capture_output=True, text=True, check=False
        )
        if done.returncode != 0 or not done.stdout.strip():
            return None
        name, _, kind = done.stdout.strip().rpartition(" ")
        return name if kind == "1" else None  # 1: SID_NAME_USER


class NoDirectory:
    def name_of(self, sid: str) -> str | None:
        return None


def system_resolver() -> Resolver:
    """The directory client this machine has: SSSD, else winbind, else none."""
    try:
        return SssdResolver()
    except ImportError:
        pass
    if shutil.which("wbinfo"):
        return WinbindResolver()
    return NoDirectory()


@dataclass(frozen=True)
class Assignment:
    """Where one captured profile goes."""

    sid: str
    windows_name: str
    kind: str  # "directory" | "local" | "unresolved"
    login: str  # the Linux login ("" for unresolved)
    reason: str = ""  # for "unresolved", and for a local login renamed to avoid a directory one

    def as_dict(self) -> dict[str, str]:
        return {
            "user": self.sid,
            "name": self.windows_name,
            "kind": self.kind,
            "login": self.login,
            "reason": self.reason,
        }


def is_local_account(login: str) -> bool:
    """True when ``login`` is an account of /etc/passwd (not one the directory serves)."""
    try:
        with open("/etc/passwd", encoding="utf-8") as f:
            return any(line.split(":", 1)[0] == login for line in f)
    except OSError:
        return False


def _exists(login: str) -> bool:
    try:
        pwd.getpwnam(login)
    except KeyError:
        return False
    return True


def assign(
    profiles: list[tuple[str, str]],
    local_login: dict[str, str],
    user_map: dict[str, str],
    resolver: Resolver,
    directory_domains: set[str] | None = None,
) -> list[Assignment]:
    """One assignment per ``(sid, windows_name)``.

    ``local_login``: the local-rule login of each SID (see restore_main.login_for);
    ``user_map``: the campaign's explicit mapping (Windows name or SID -> login), which wins;
    ``directory_domains``: domain SIDs known to be the directory's, besides those seen resolving.
    """
    names: dict[str, str | None] = {sid: resolver.name_of(sid) for sid, _ in profiles}
    domains = set(directory_domains or ())
    domains.update(d for sid, n in names.items() if n and (d := domain_of(sid)))
    out = []
    for sid, windows_name in profiles:
        mapped = user_map.get(windows_name) or user_map.get(sid)
        resolved = names[sid]
        if mapped:
            # A mapped login the directory serves is a directory account; else a local one.
            kind = "directory" if _exists(mapped) and not is_local_account(mapped) else "local"
            out.append(Assignment(sid, windows_name, kind, mapped))
        elif resolved:
            out.append(Assignment(sid, windows_name, "directory", resolved))
        elif domain_of(sid) in domains:
            out.append(
                Assignment(
                    sid,
                    windows_name,
                    "unresolved",
                    "",
                    f"the directory has no account for SID {sid} ({windows_name}): deleted or "
                    "moved; its data is kept for a technician, never given to another account",
                )
            )
        else:
            login = local_login[sid]
            reason = ""
            if _exists(login) and not is_local_account(login):
                # A directory account already has this login: a local one would shadow it.
                reason = f"local account {windows_name}: {login} is a directory login"
                login = f"{login}-local"[:32]
            out.append(Assignment(sid, windows_name, "local", login, reason))
    return out


def ensure_home(login: str, umask: str = DEFAULT_UMASK) -> Path:
    """The account's home, created as its first login would (pam_mkhomedir's own helper:
    /etc/skel copied, owned by the account, ``umask`` applied)."""
    try:
        entry = pwd.getpwnam(login)
    except KeyError:
        raise UsageError(
            f"no account {login!r} on this machine (is the directory reachable?)"
        ) from None
    home = Path(entry.pw_dir)
    if home.is_dir():
        return home
    helper = shutil.which("mkhomedir_helper") or "/usr/sbin/mkhomedir_helper"
    if not Path(helper).exists():
        raise EnvironmentProblem("mkhomedir_helper not found: apt-get install libpam-modules-bin")
    done = subprocess.run([helper, login, umask], capture_output=True, text=True, check=False)
    if done.returncode != 0 or not home.is_dir():
        raise EnvironmentProblem(
            f"could not create the home of {login} ({home}): "
            f"{done.stderr.strip() or 'mkhomedir_helper exit ' + str(done.returncode)}"
        )
    return home


def unresolved_place(host: str, sid: str, root: Path = UNRESOLVED_DIR) -> Path:
    """The technician-only directory keeping an unresolved SID's data (created root 0700)."""
    if not _SID.match(sid) and not re.fullmatch(r"S-1-[0-9-]+", sid):
        raise UsageError(f"not a SID: {sid!r}")
    safe_host = re.sub(r"[^A-Za-z0-9._-]", "_", host) or "_"
    place = root / safe_host / sid
    for d in (root, root / safe_host, place):
        d.mkdir(mode=0o700, exist_ok=True)
        d.chmod(0o700)
    return place
