"""A Samba AD domain controller on a booted lab machine, for the directory tests.

Debian's samba, provisioned with ``samba-tool domain provision`` (internal DNS, a fixed domain
SID so the profiles of a fixture disk can name its users before they exist), users created
with generated passwords that stay in memory: nothing here prints or logs them.

Measured on this host: security.* extended attributes work inside systemd-nspawn on the lab's
overlay root file system (``setfattr -n security.test`` as root in the machine), so the sysvol
needs no xattr_tdb fallback. The DC's DNS forwards other names to the host's resolver, so
machines pointed at it still reach the package registry.

Not yet a lab verb (``lab dc up``, a cached provisioned image, users from a description):
issue #12 point 1 is open.
"""

from __future__ import annotations

import secrets
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sovmigrate.errors import EnvironmentProblem
from sovmigrate.lab.lab import Lab

REALM = "LAB.SOVMIGRATE.TEST"
NETBIOS = "LAB"
DOMAIN_SID = "S-1-5-21-1111111111-2222222222-3333333333"
PACKAGES = ("samba", "winbind", "krb5-user", "smbclient", "ldb-tools")


@dataclass
class SambaDC:
    lab: Lab
    name: str
    address: str = ""
    admin_password: str = ""
    passwords: dict[str, str] = field(default_factory=dict)
    sids: dict[str, str] = field(default_factory=dict)

    def sh(self, command: str) -> str:
        proc = subprocess.run(
            self.lab.ssh_argv(self.name, (command,)),
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            # The command may hold a password: name only its first word.
            raise EnvironmentProblem(
                f"{self.name}: {command.split()[0]} failed: {proc.stderr.strip()[-300:]}"
            )
        return proc.stdout

    def provision(self) -> None:
        """Install, provision and start the DC (about a minute from the lab's package cache)."""
        self.admin_password = "Adm-" + secrets.token_urlsafe(18)
        forwarder = _host_nameserver()
        self.sh(
            "export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q "
            + " ".join(PACKAGES)
            + " >/dev/null; systemctl disable --now smbd nmbd winbind >/dev/null 2>&1;"
            " systemctl mask smbd nmbd winbind >/dev/null 2>&1; rm -f /etc/samba/smb.conf"
        )
        self.sh(
            "samba-tool domain provision --server-role=dc --dns-backend=SAMBA_INTERNAL"
            f" --use-rfc2307 --realm={REALM} --domain={NETBIOS} --domain-sid={DOMAIN_SID}"
            f" --adminpass={shlex.quote(self.admin_password)}"
            f" --option='dns forwarder = {forwarder}' >/dev/null"
            " && cp /var/lib/samba/private/krb5.conf /etc/krb5.conf"
            " && systemctl unmask samba-ad-dc && systemctl enable --now samba-ad-dc"
        )
        self.address = self.sh("ip -4 -o addr show host0").split()[3].split("/")[0]
        # Wait until LDAP answers (samba starts its services one by one).
        self.sh(
            "for i in $(seq 60); do ldbsearch -H ldap://127.0.0.1 -b '' -s base >/dev/null"
            " 2>&1 && exit 0; sleep 1; done; exit 1"
        )

    def add_user(self, login: str, groups: tuple[str, ...] = ()) -> str:
        """Create ``login`` with a generated password; return its SID read from the DC."""
        password = "Pw-" + secrets.token_urlsafe(15)
        self.sh(f"samba-tool user create {shlex.quote(login)} {shlex.quote(password)} >/dev/null")
        for group in groups:
            self.sh(
                f"samba-tool group addmembers {shlex.quote(group)} {shlex.quote(login)} >/dev/null"
            )
        sid = self.sh(f"wbinfo --name-to-sid {shlex.quote(NETBIOS + chr(92) + login)}").split()[0]
        self.passwords[login], self.sids[login] = password, sid
        return sid


def _host_nameserver(resolv: Path = Path("/etc/resolv.conf")) -> str:
    for line in resolv.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts[:1] == ["nameserver"] and len(parts) > 1 and not parts[1].startswith("127."):
            return parts[1]
    raise EnvironmentProblem("the host has no non-loopback DNS server for the lab DC to forward to")
