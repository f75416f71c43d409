"""directory_join against a real Samba AD domain controller, both on booted lab machines.

A second machine plays the workstation: a wrong join password is refused with one line naming
the cause; the right one joins; SSSD is online; a directory agent resolves through SSSD by name
and by SID (what the restore's identity mapping asks), logs in through PAM with its directory
password (a wrong one is refused) and gets its home at first login, private to it; a second run
changes nothing and a check-mode run is clean. The join password is in no output and in no file
of the runs' artifacts. Join and DC start times are printed (docs/directory.md has the figures).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import ansible_runner
import pytest

from sovmigrate.lab import Lab, default_root
from sovmigrate.lab.samba_dc import REALM, SambaDC
from sovmigrate.run.options import ensure_ansible_on_path

REPO = Path(__file__).resolve().parents[2]
DC, WS = "djdc", "djws"
JOIN_USER = "joinposte"

pytestmark = pytest.mark.integration


class Site:
    def __init__(self, base: Path) -> None:
        root = base / "lab"
        root.mkdir()
        shared = default_root() / "images"
        shared.mkdir(parents=True, exist_ok=True)
        (root / "images").symlink_to(shared)
        self.base, self.lab = base, Lab(root)
        self.dc = SambaDC(self.lab, DC)
        self.runs = 0

    def ws(self, command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.lab.ssh_argv(WS, (command,)),
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def join(self, password: str, check: bool = False) -> tuple[int, str, dict[str, int]]:
        self.runs += 1
        private = self.base / f"runner-{self.runs}"
        private.mkdir()
        playbook = self.base / "join.yml"
        playbook.write_text(
            "- hosts: all\n  gather_facts: true\n  roles:\n    - role: directory_join\n",
            encoding="utf-8",
        )
        secrets = self.base / f"secrets-{self.runs}.yml"
        secrets.write_text(f"directory_join_password: '{password}'\n", encoding="utf-8")
        ensure_ansible_on_path()
        run = ansible_runner.run(
            private_data_dir=str(private),
            playbook=str(playbook),
            inventory=str(self.lab.paths.inventory),
            limit=WS,
            extravars={
                "directory_join_realm": REALM,
                "directory_join_user": JOIN_USER,
                "directory_join_dns_servers": [self.dc.address],
                "directory_join_check_user": "agent.un",
                "directory_join_sudo_groups": ["admins-poste"],
            },
            cmdline=f"-e @{secrets}" + (" --check --diff" if check else ""),
            envvars={
                "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
            },
            quiet=True,
        )
        stdout = run.stdout.read()
        for secret in self.dc.passwords.values():
            assert secret not in stdout
            leaked = subprocess.run(
                ["grep", "-rlF", secret, str(private)], capture_output=True, text=True
            ).stdout
            assert leaked == "", f"a password is in {leaked}"
        stats = (run.stats or {}).get("changed", {})
        return run.rc, stdout, {"changed": int(stats.get(WS, 0))}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if os.geteuid() != 0:
        pytest.skip("lab machines need root (systemd-nspawn)")
    s = Site(tmp_path_factory.mktemp("djsite"))
    s.lab.up([DC, WS])
    start = time.monotonic()
    s.dc.provision()
    s.dc.sh("samba-tool group add admins-poste >/dev/null")
    # A delegated join account would be the site's choice; the lab's is a domain admin.
    s.dc.add_user(JOIN_USER, ("Domain Admins",))
    s.dc.add_user("agent.un", ("admins-poste",))
    s.dc.add_user("agent.deux")
    print(
        f"\nlab DC: installed, provisioned and answering LDAP in {time.monotonic() - start:.1f} s"
    )
    yield s
    s.lab.destroy([DC, WS])


def test_a_wrong_join_password_is_refused_naming_the_cause(site: Site) -> None:
    rc, stdout, _ = site.join("Not-The-Password-1")
    assert rc != 0
    line = next((ln for ln in stdout.splitlines() if "directory join of" in ln), "")
    assert "failed: the join account or its password is wrong" in line, stdout[-3000:]


def test_the_workstation_joins_and_directory_agents_log_in(site: Site) -> None:
    start = time.monotonic()
    rc, stdout, stats = site.join(site.dc.passwords[JOIN_USER])
    print(
        f"\njoin (packages from the lab cache, join, SSSD online): {time.monotonic() - start:.1f} s"
    )
    assert rc == 0, stdout[-3000:]
    assert stats["changed"] > 0
    for login in ("agent.un", "agent.deux"):
        entry = site.ws(f"getent -s sss passwd {login}")
        assert entry.returncode == 0 and entry.stdout.startswith(f"{login}:"), entry.stderr
        # The restore's identity mapping asks SSSD for the account of a captured SID.
        by_sid = site.ws(
            "python3 -c 'import sys, pysss_nss_idmap as p;"
            ' print(p.getnamebysid(sys.argv[1])[sys.argv[1]]["name"])\' ' + site.dc.sids[login]
        )
        assert by_sid.stdout.strip() == login, by_sid.stderr
    site.ws("DEBIAN_FRONTEND=noninteractive apt-get install -y -q pamtester >/dev/null")
    good = site.ws(
        f"printf '%s\\n' '{site.dc.passwords['agent.un']}' | pamtester login agent.un authenticate"
        " acct_mgmt open_session"
    )
    assert good.returncode == 0, good.stdout + good.stderr
    bad = site.ws("printf 'wrong\\n' | pamtester login agent.un authenticate")
    assert bad.returncode != 0
    home = site.ws("stat -c '%U %a' /home/agent.un").stdout.split()
    assert home == ["agent.un", "700"]
    sudo = site.ws("sudo -l -U agent.un")
    assert "(ALL : ALL) ALL" in sudo.stdout, sudo.stdout + sudo.stderr


def test_a_second_run_changes_nothing_and_check_mode_is_clean(site: Site) -> None:
    rc, stdout, stats = site.join(site.dc.passwords[JOIN_USER])
    assert rc == 0 and stats["changed"] == 0, stdout[-3000:]
    rc, stdout, stats = site.join(site.dc.passwords[JOIN_USER], check=True)
    assert rc == 0 and stats["changed"] == 0, stdout[-3000:]
