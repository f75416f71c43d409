"""directory_join against a real Samba AD domain controller, both on booted lab machines.

A second machine plays the workstation: a wrong join password is refused with one line naming
the cause; the right one joins; SSSD is online; a directory agent resolves through SSSD by name
and by SID (what the restore's identity mapping asks), logs in through PAM with its directory
password (a wrong one is refused) and gets its home at first login, private to it; a second run
changes nothing and a check-mode run is clean. The join password is in no output and in no file
of the runs' artifacts. Join and DC start times are printed (docs/directory.md has the figures).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import ansible_runner
import pytest

from sovmigrate.lab import Lab, default_root
from sovmigrate.lab.directory import DirectoryDescription, DirectoryUser
from sovmigrate.lab.samba_dc import DOMAIN_SID, NETBIOS, REALM, SambaDC
from sovmigrate.lab.windisk import DiskDescription, Domain, DomainAccount, build_windows_disk
from sovmigrate.run import RunOptions, run_wave
from sovmigrate.run.options import ensure_ansible_on_path
from sovmigrate.run.reinstall import lab_host_vars
from sovmigrate.state import Machine, MachineRecord, UserResult, Verification, open_store
from sovmigrate.state.pipeline import StageOutcome, begin_stage, finish_stage
from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate.restore_main import login_for

REPO = Path(__file__).resolve().parents[2]
DC, WS = "djdc", "djws"
JOIN_USER = "joinposte"
STORE_PASSWORD = "store-pw-of-the-directory-test"
AGENTS = ("agent.un", "agent.deux", "agent.parti")
STORE_SECRETS = {
    "precheck_store_password": STORE_PASSWORD,
    "user_state_capture_store_password": STORE_PASSWORD,
    "user_state_restore_store_password": STORE_PASSWORD,
}

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
        self.image, self.store = base / "windows.img", base / "store"
        self.disk: DiskDescription | None = None
        self.gone_sid = ""
        self.captured: dict[str, Any] = {}

    def ws(self, command: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.lab.ssh_argv(WS, (command,)),
            capture_output=True,
            text=True,
            check=False,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )

    def play(
        self, playbook: Path, extravars: dict[str, Any], secrets: dict[str, str], check: bool
    ) -> tuple[int, str, dict[str, int], Any]:
        self.runs += 1
        private = self.base / f"runner-{self.runs}"
        private.mkdir()
        secret_file = self.base / f"secrets-{self.runs}.yml"
        secret_file.write_text(json.dumps(secrets), encoding="utf-8")
        ensure_ansible_on_path()
        run = ansible_runner.run(
            private_data_dir=str(private),
            playbook=str(playbook),
            inventory=str(self.lab.paths.inventory),
            limit=WS,
            extravars=extravars,
            # Secrets as -e @file, as the orchestrator passes them: never in extravars.
            cmdline=f"-e @{secret_file}" + (" --check --diff" if check else ""),
            envvars={
                "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                "ANSIBLE_ROLES_PATH": str(REPO / "roles"),
                "PYTHONPATH": str(REPO),
            },
            quiet=True,
        )
        stdout = run.stdout.read()
        for secret in [*self.dc.passwords.values(), STORE_PASSWORD]:
            assert secret not in stdout
            leaked = subprocess.run(
                ["grep", "-rlF", secret, str(private)], capture_output=True, text=True
            ).stdout
            assert leaked == "", f"a password is in {leaked}"
        stats = (run.stats or {}).get("changed", {})
        return run.rc, stdout, {"changed": int(stats.get(WS, 0))}, run

    def join(self, password: str, check: bool = False) -> tuple[int, str, dict[str, int]]:
        playbook = self.base / "join.yml"
        playbook.write_text(
            "- hosts: all\n  gather_facts: true\n  roles:\n    - role: directory_join\n",
            encoding="utf-8",
        )
        extravars = {
            "directory_join_realm": REALM,
            "directory_join_user": JOIN_USER,
            "directory_join_dns_servers": [self.dc.address],
            "directory_join_check_user": "agent.un",
            "directory_join_sudo_groups": ["admins-poste"],
        }
        secrets = {"directory_join_password": password}
        rc, stdout, stats, _ = self.play(playbook, extravars, secrets, check)
        return rc, stdout, stats

    def stage_vars(self, extravars: dict[str, Any]) -> dict[str, Any]:
        return {
            "precheck_store": "/srv/store",
            "precheck_min_disk_gib": 0,
            "precheck_min_ram_mib": 256,
            "user_state_capture_store": "/srv/store",
            "user_state_capture_manifest_dir": str(self.base / "manifests"),
            "user_state_restore_store": "/srv/store",
            "user_state_restore_report_dir": str(self.base / "reports"),
            **extravars,
        }

    def stage(self, name: str, extravars: dict[str, Any], ok: bool = True) -> Any:
        """A stage playbook of the repository; the run, asserted to succeed (or fail)."""
        rc, stdout, _, run = self.play(
            REPO / "playbooks" / f"{name}.yml", self.stage_vars(extravars), STORE_SECRETS, False
        )
        assert (rc == 0) is ok, stdout[-4000:]
        return run


def _stats(run: Any, key: str) -> dict[str, Any]:
    for event in run.events:
        if event.get("event") == "playbook_on_stats":
            return dict((event["event_data"].get("artifact_data") or {}).get(key, {}))
    return {}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if os.geteuid() != 0:
        pytest.skip("lab machines need root (systemd-nspawn)")
    s = Site(tmp_path_factory.mktemp("djsite"))
    start = time.monotonic()
    # A delegated join account would be the site's choice; the lab's is a domain admin.
    # agent.parti leaves the agency between capture and restore: its SID will resolve to nothing.
    s.dc.up(
        DirectoryDescription(
            groups=("admins-poste",),
            users=(
                DirectoryUser(JOIN_USER, ("Domain Admins",)),
                DirectoryUser("agent.un", ("admins-poste",)),
                DirectoryUser("agent.deux"),
                DirectoryUser("agent.parti"),
            ),
            shares=("partage",),
        )
    )
    print(
        f"\nlab DC: installed, provisioned and answering LDAP in {time.monotonic() - start:.1f} s"
    )
    # The agents' PC: a domain-joined Windows disk whose profiles are the DC's own SIDs.
    directory = Domain(
        NETBIOS,
        tuple(DomainAccount(login, s.dc.sids[login]) for login in AGENTS),
        share=f"\\\\{DC}.{REALM.lower()}\\partage",
    )
    s.disk = build_windows_disk(
        s.image, seed=31, size_knob=600_000, huge_file=False, directory=directory
    )
    s.store.mkdir()
    s.lab.up(
        [WS],
        binds=[
            f"--bind={s.store}:/srv/store",
            f"--bind-ro={s.image}:/srv/windows.img",
            "--bind=/dev/fuse",
        ],
    )
    yield s
    s.lab.destroy([DC, WS])


def test_precheck_finds_the_dc_and_the_capture_keeps_every_profile(site: Site) -> None:
    pre = site.stage(
        "precheck",
        {"precheck_directory_realm": REALM, "precheck_directory_dns_servers": [site.dc.address]},
    )
    verdict = _stats(pre, "sovmigrate_precheck")[WS]
    assert verdict["ok"] is True, verdict
    checks = {c["name"]: c["ok"] for c in pre_checks(pre)}
    assert checks["directory-dns"] and checks["directory-kerberos"] and checks["directory-clock"]
    captured = _stats(
        site.stage("capture", {"user_state_capture_wave": "w1"}), "sovmigrate_capture"
    )
    assert site.disk is not None
    assert {u.sid for u in site.disk.users} <= set(captured[WS])
    assert all(v["verified"] for v in captured[WS].values())
    site.captured = captured[WS]
    site.gone_sid = site.dc.sids["agent.parti"]
    site.dc.delete_user("agent.parti")


def _restore_wave(
    site: Site, extravars: dict[str, Any]
) -> tuple[Machine, str, dict[str, Verification]]:
    """The restore stage through ``run_wave`` and the state store, as a wave runs it.

    The machine's history before it is recorded by hand (a stand-in for the orchestrator's own
    runs): precheck and capture ran above through the same playbooks, their verified users as
    the capture reported them; this module joins the machine with the role alone and does not
    reinstall it, so reinstall and configure are recorded as done.
    """
    secrets = site.base / "store-secrets.yml"
    secrets.write_text(json.dumps(STORE_SECRETS), encoding="utf-8")
    with open_store(str(site.base / "state.db")) as store:
        camp = store.campaign("annuaire", create=True)
        store.upsert_machines(camp, [MachineRecord(WS, vars=lab_host_vars(site.lab, WS) or {})])
        wave = store.create_wave(camp, "w1", [WS])
        users = tuple(
            UserResult(sid, bool(v["verified"]), int(v.get("files") or 0), int(v.get("bytes") or 0))
            for sid, v in site.captured.items()
        )
        for stage, outcome in (
            ("precheck", StageOutcome(ok=True)),
            ("capture", StageOutcome(ok=True, users=users)),
            ("reinstall", StageOutcome(ok=True)),
            ("configure", StageOutcome(ok=True)),
        ):
            m = store.machine(camp, WS)
            run = begin_stage(store, m, stage, wave_id=wave.id)
            finish_stage(store, m.id, stage, run, outcome, "test")
        options = RunOptions(
            artifacts_root=site.base / "artifacts",
            extravars=site.stage_vars(extravars),
            secret_vars_files=[secrets],
            envvars={"ANSIBLE_ROLES_PATH": str(REPO / "roles"), "PYTHONPATH": str(REPO)},
        )
        run_wave(store, wave, ["restore"], options=options)
        m = store.machine(camp, WS)
        reason = store.transitions(m.id)[-1].reason
        verdict = {v.user: v for v in store.latest_verifications(m.id, "restore")}
    for secret in [*site.dc.passwords.values(), STORE_PASSWORD]:
        leaked = subprocess.run(
            ["grep", "-rlF", secret, str(site.base / "artifacts")], capture_output=True, text=True
        ).stdout
        assert leaked == "", f"a password is in {leaked}"
    return m, reason, verdict


def pre_checks(run: Any) -> list[dict[str, Any]]:
    for event in run.events:
        res = (event.get("event_data") or {}).get("res") or {}
        facts = res.get("ansible_facts") or {}
        if "sovmigrate_result" in facts:
            return list(facts["sovmigrate_result"].get("checks", []))
    return []


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


def test_profiles_land_in_their_directory_accounts(site: Site) -> None:
    assert site.disk is not None
    local = next(u for u in site.disk.users if not u.domain)
    gone = site.gone_sid
    # The account deleted after the capture: the restore stage, run by the orchestrator, fails
    # for the machine and the state store says why, naming the SID.
    machine, reason, verdict = _restore_wave(
        site,
        {
            "user_state_restore_directory_domains": [DOMAIN_SID],
            "user_state_restore_drive_data_user": login_for(local.name),
        },
    )
    assert (machine.state, machine.failed_stage) == ("failed", "restore")
    assert gone in reason and "kept" in reason, reason
    manifests = manifest_io.read(site.base / "manifests" / f"{WS}.json")
    for m in manifests:
        v = verdict[m.sid or "drive"].detail | {"verified": verdict[m.sid or "drive"].verified}
        if m.sid == gone:
            # Kept whole for a technician, root only, given to nobody.
            assert v["verified"] is False and gone in (v["reason"] or ""), v
            place = f"/var/lib/sovmigrate/unresolved/{WS}/{gone}"
            assert site.ws(f"stat -c '%U %a' {place}").stdout.split() == ["root", "700"]
            kept = site.ws(f"find {place} -type f -print0 | xargs -0 -r sha256sum").stdout
            present = {line.split()[0] for line in kept.splitlines()}
            assert [e for e in m.entries if e.sha256 not in present] == []
            assert site.ws("getent passwd agent.parti").returncode != 0
            assert site.ws("ls /home").stdout.split().count("agent.parti") == 0
            continue
        assert v["verified"] is True and v["reason"] is None, v
        if not m.name:
            continue
        report = json.loads((site.base / "reports" / WS / f"rapport-{m.sid}.json").read_text())
        login = report["linux_user"]
        user = next(u for u in site.disk.users if u.sid == m.sid)
        if user.domain:
            # The directory account of that SID, as SSSD names it, and no local twin.
            assert login == user.name
            assert site.ws(f"getent -s files passwd {login}").returncode != 0
        else:
            assert login == login_for(user.name)
            assert site.ws(f"getent -s files passwd {login}").returncode == 0
        uid_gid = site.ws(f"id -u {login}; id -g {login}").stdout.split()
        owners = site.ws(f"find /home/{login} -type f -printf '%U:%G %p\\n'").stdout
        hashes = site.ws(f"find /home/{login} -type f -print0 | xargs -0 -r sha256sum").stdout
        wrong = [ln for ln in owners.splitlines() if not ln.startswith(":".join(uid_gid) + " ")]
        assert wrong == [], wrong[:5]
        present = {line.split()[0] for line in hashes.splitlines()}
        missing = [e.sha256 for e in m.entries if e.sha256 not in present]
        assert missing == [], (login, len(missing))


def test_the_mapped_drive_mounts_at_login_with_the_agents_ticket(site: Site) -> None:
    login = "agent.un"
    uid = site.ws(f"id -u {login}").stdout.strip()
    user = f"runuser -u {login} -- env XDG_RUNTIME_DIR=/run/user/{uid}"
    user += f" DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{uid}/bus"
    # The agent logs in with the directory password (on stdin): SSSD gets the Kerberos ticket.
    site.ws(f"rm -f /tmp/krb5cc_{uid}")
    login_run = site.ws(
        f"pamtester login {login} authenticate open_session",
        stdin=site.dc.passwords[login] + "\n",
    )
    assert login_run.returncode == 0, login_run.stdout + login_run.stderr
    assert site.ws(f"test -s /tmp/krb5cc_{uid}").returncode == 0, "no ticket after the login"
    # The user's own services start with the session (lingering stands for a desktop session
    # that stays open: pamtester's closes at once).
    site.ws(f"loginctl enable-linger {login}")
    state = ""
    for _ in range(60):
        state = site.ws(f"{user} systemctl --user is-active sovmigrate-lecteurs.service").stdout
        if state.strip() == "active":
            break
        time.sleep(1)
    assert state.strip() == "active", state
    share = f"smb://{DC}.{REALM.lower()}/partage"
    mounts = site.ws(f"{user} gio mount -l").stdout
    assert share in mounts.lower(), mounts
    readme = site.ws(f"{user} gio cat {share}/LISEZMOI.txt")
    assert "Partage partage du laboratoire" in readme.stdout, readme.stderr
    # Written with the agent's own identity on the DC's share.
    site.ws(f"echo bonjour | {user} gio save {share}/depuis-{login}.txt")
    assert site.dc.sh(f"cat /srv/partages/partage/depuis-{login}.txt").strip() == "bonjour"
    site.ws(f"loginctl disable-linger {login}")
