"""A Samba AD domain controller on a booted lab machine: the directory of the lab.

Debian's samba, provisioned with ``samba-tool domain provision`` (internal DNS, a fixed domain
SID), then filled from a description (``sovmigrate.lab.directory``): groups, users with
generated passwords, file shares. Everything is idempotent: an existing DC is only completed.

Secrets: provisioning is given no administrator password (samba generates one nobody needs:
the lab works on the DC's own database as root), and the users' passwords travel to the DC on
the standard input of one Python process using samba's SamDB, so none is on a command line.
They are kept on the host in ``<lab>/directory/<dc>.json`` (0600), for the tests' logins and
the demo's join account; nothing here prints or logs them.

Measured on this host: security.* extended attributes work inside systemd-nspawn on the lab's
overlay root file system (``setfattr -n security.test`` as root in the machine), so the sysvol
needs no xattr_tdb fallback. The DC's DNS forwards other names to the host's resolver, so
machines pointed at it still reach the package registry.
"""

from __future__ import annotations

import json
import secrets
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sovmigrate.errors import EnvironmentProblem
from sovmigrate.lab.directory import BUILTIN_GROUPS, DirectoryDescription, DirectoryUser
from sovmigrate.lab.lab import Lab
from sovmigrate.lab.state import write_text

REALM = "LAB.SOVMIGRATE.TEST"
NETBIOS = "LAB"
DOMAIN_SID = "S-1-5-21-1111111111-2222222222-3333333333"
PACKAGES = ("samba", "winbind", "krb5-user", "smbclient", "ldb-tools")
SHARES_DIR = "/srv/partages"
SMB_CONF = "/etc/samba/smb.conf"

# Run on the DC by its own python3 (python3-samba): the description and the passwords come on
# stdin as JSON, the SIDs go back on stdout.
_FILL = r"""
import json, sys
import ldb
from samba.auth import system_session
from samba.dcerpc import security
from samba.ndr import ndr_unpack
from samba.param import LoadParm
from samba.samdb import SamDB

spec = json.load(sys.stdin)
lp = LoadParm()
lp.load_default()
db = SamDB(url=lp.samdb_url(), session_info=system_session(), lp=lp)

def find(name, attrs):
    res = db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE, attrs=attrs,
                    expression="(sAMAccountName=%s)" % ldb.binary_encode(name))
    return res[0] if len(res) else None

def values(msg, attr):
    if attr not in msg:
        return []
    return [v.decode() if isinstance(v, bytes) else str(v) for v in msg[attr]]

for group in spec["groups"]:
    if find(group, ["dn"]) is None:
        db.newgroup(group)
for user in spec["users"]:
    login = user["login"]
    if find(login, ["dn"]) is None:
        db.newuser(login, user["password"])
    elif user["reset"]:
        db.setpassword("(sAMAccountName=%s)" % ldb.binary_encode(login), user["password"],
                       username=login)
    member_of = {v.lower() for v in values(find(login, ["memberOf"]), "memberOf")}
    for group in user["groups"]:
        if str(find(group, ["dn"]).dn).lower() not in member_of:
            db.add_remove_group_members(group, [login], add_members_operation=True)
sids = {}
for user in spec["users"]:
    raw = find(user["login"], ["objectSid"])["objectSid"][0]
    sids[user["login"]] = str(ndr_unpack(security.dom_sid, raw))
print(json.dumps(sids))
"""


@dataclass
class SambaDC:
    lab: Lab
    name: str
    address: str = ""
    passwords: dict[str, str] = field(default_factory=dict)
    sids: dict[str, str] = field(default_factory=dict)
    description: DirectoryDescription = field(default_factory=DirectoryDescription)

    @property
    def realm(self) -> str:
        return REALM

    @property
    def domain_sid(self) -> str:
        return DOMAIN_SID

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{REALM.lower()}"

    @property
    def secrets_file(self) -> Path:
        return self.lab.paths.root / "directory" / f"{self.name}.json"

    def sh(self, command: str, stdin: str | None = None) -> str:
        proc = subprocess.run(
            self.lab.ssh_argv(self.name, (command,)),
            capture_output=True,
            text=True,
            check=False,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            raise EnvironmentProblem(
                f"{self.name}: {command.split()[0]} failed: {proc.stderr.strip()[-300:]}"
            )
        return proc.stdout

    def up(self, description: DirectoryDescription | None = None) -> SambaDC:
        """Boot, provision if needed and fill the directory from ``description``: a DC that
        answers LDAP and Kerberos (about 25 s the first time from the lab's package cache)."""
        self.lab.up([self.name])
        self._load()
        if description is not None:
            self.description = self.description.merged(description)
        if self.sh("test -f /var/lib/samba/private/sam.ldb && echo yes || true").strip() != "yes":
            self.provision()
        self.address = self.sh("ip -4 -o addr show host0").split()[3].split("/")[0]
        self._wait_ldap()
        self._fill()
        self._shares()
        self._save()
        return self

    def provision(self) -> None:
        forwarder = _host_nameserver()
        self.sh(
            "export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q "
            + " ".join(PACKAGES)
            + " >/dev/null; systemctl disable --now smbd nmbd winbind >/dev/null 2>&1;"
            " systemctl mask smbd nmbd winbind >/dev/null 2>&1; rm -f /etc/samba/smb.conf"
        )
        # No --adminpass: samba makes one (printed to /dev/null); the lab never needs it.
        self.sh(
            "samba-tool domain provision --server-role=dc --dns-backend=SAMBA_INTERNAL"
            f" --use-rfc2307 --realm={REALM} --domain={NETBIOS} --domain-sid={DOMAIN_SID}"
            f" --option='dns forwarder = {forwarder}' >/dev/null"
            " && cp /var/lib/samba/private/krb5.conf /etc/krb5.conf"
            " && systemctl unmask samba-ad-dc && systemctl enable --now samba-ad-dc"
        )

    def add_user(self, login: str, groups: tuple[str, ...] = ()) -> str:
        """Create ``login`` (and its groups) with a generated password; return its SID."""
        custom = tuple(g for g in groups if g not in BUILTIN_GROUPS)
        self.description = self.description.merged(
            DirectoryDescription(groups=custom, users=(DirectoryUser(login, groups),))
        )
        self._fill()
        self._save()
        return self.sids[login]

    def delete_user(self, login: str) -> None:
        """The agent left the agency: the account is gone, its SID resolves to nothing."""
        self.sh(f"samba-tool user delete {login} >/dev/null")
        self.description = DirectoryDescription(
            groups=self.description.groups,
            users=tuple(u for u in self.description.users if u.login != login),
            shares=self.description.shares,
        )
        self.passwords.pop(login, None)
        self.sids.pop(login, None)
        self._save()

    def _wait_ldap(self) -> None:
        # samba starts its services one by one after boot or provisioning.
        self.sh(
            "for i in $(seq 90); do ldbsearch -H ldap://127.0.0.1 -b '' -s base >/dev/null"
            " 2>&1 && exit 0; sleep 1; done; echo 'LDAP did not answer in 90 s' >&2; exit 1"
        )

    def _fill(self) -> None:
        users = []
        for u in self.description.users:
            known = u.login in self.passwords
            if not known:
                self.passwords[u.login] = "Pw-" + secrets.token_urlsafe(15) + "9"
            users.append(
                {
                    "login": u.login,
                    "groups": list(u.groups),
                    "password": self.passwords[u.login],
                    # A password this host does not know is set anew on an existing account.
                    "reset": not known,
                }
            )
        spec = {"groups": list(self.description.groups), "users": users}
        out = self.sh("python3 -c " + shlex.quote(_FILL), stdin=json.dumps(spec))
        self.sids.update(json.loads(out.strip().splitlines()[-1]))

    def _shares(self) -> None:
        if not self.description.shares:
            return
        script = []
        for share in self.description.shares:
            path = f"{SHARES_DIR}/{share}"
            script.append(
                f"mkdir -p {path} && chmod 1777 {path}"
                f" && {{ test -e {path}/LISEZMOI.txt || echo 'Partage {share} du laboratoire'"
                f" > {path}/LISEZMOI.txt; }}"
                f" && {{ grep -q '^\\[{share}\\]' {SMB_CONF} || printf"
                f" '\\n[{share}]\\n\\tpath = {path}\\n\\tread only = no\\n' >> {SMB_CONF}; }}"
            )
        script.append("smbcontrol all reload-config >/dev/null 2>&1 || true")
        self.sh(" && ".join(script[:-1]) + "; " + script[-1])

    def _load(self) -> None:
        if not self.secrets_file.exists():
            return
        data = json.loads(self.secrets_file.read_text(encoding="utf-8"))
        self.passwords.update(data.get("passwords", {}))
        self.sids.update(data.get("sids", {}))

    def _save(self) -> None:
        self.secrets_file.parent.mkdir(parents=True, exist_ok=True)
        self.secrets_file.parent.chmod(0o700)
        data = {
            "realm": REALM,
            "netbios": NETBIOS,
            "domain_sid": DOMAIN_SID,
            "dc": self.fqdn,
            "address": self.address,
            "sids": self.sids,
            "passwords": self.passwords,
        }
        # In a 0700 directory: the temporary file is never readable by others either.
        write_text(self.secrets_file, json.dumps(data, indent=2) + "\n", mode=0o600)


def _host_nameserver(resolv: Path = Path("/etc/resolv.conf")) -> str:
    for line in resolv.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts[:1] == ["nameserver"] and len(parts) > 1 and not parts[1].startswith("127."):
            return parts[1]
    raise EnvironmentProblem("the host has no non-loopback DNS server for the lab DC to forward to")
