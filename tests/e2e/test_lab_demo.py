"""The main job, end to end: ``sovmigrate lab demo`` as the README's first command runs it.

Two lab machines with built Windows disks of PCs joined to the lab's Samba AD domain (a third
lab machine, the DC): two directory agents and one local account on each; the second PC was left
hibernated by Fast Startup. The test looks where a pilot would: the state store, inside the
migrated machine (the files of every capture manifest, hashed there, in the home of the account
of each profile's SID with its uid/gid; the agents resolved through SSSD and logging in with
their directory password; Tchap and the suite's launchers), the HTML wave report in a real
browser, and every file the demo left for a secret it must not hold.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from sovmigrate.lab import Lab
from sovmigrate.state import open_store
from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate.restore_main import login_for

sys.path.insert(0, str(Path(__file__).parents[1]))
from browser import render_in_chromium

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab machines need root (systemd-nspawn)"),
]
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"
# Walks the homes inside the machine: path -> SHA-256 of every regular file.
HASH_HOMES = r"""
import hashlib, json, os
out = {}
for top, dirs, files in os.walk("/home"):
    for f in files:
        p = os.path.join(top, f)
        if os.path.isfile(p) and not os.path.islink(p):
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[p] = h.hexdigest()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    lab_dir = Path(os.environ.get("SOVMIGRATE_LAB_DIR") or "/var/lib/sovmigrate/lab")
    env = dict(os.environ, SOVMIGRATE_LAB_DIR=str(lab_dir))
    # The minimal GNOME profile keeps CI within its time; `make demo` installs the full desktop
    # with the same roles (docs/workstation.md has the figures of both).
    argv = ["lab", "demo", "--machines", "2", "--fresh", "--desktop", "minimal", "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-m", "sovmigrate", *argv],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=3600,
        check=False,
    )
    lab = Lab(lab_dir)
    try:
        yield lab, lab_dir / "demo", done
    finally:
        lab.destroy(["demo-1", "demo-2", "demo-dc"])


def _ssh(lab: Lab, name: str, *command: str, stdin: str | None = None) -> str:
    # ssh hands the words to the remote shell: quote them so that it sees them unchanged.
    argv = lab.ssh_argv(name, (shlex.join(command),))
    done = subprocess.run(
        argv, capture_output=True, text=True, timeout=600, check=True, input=stdin
    )
    return done.stdout


def _directory(lab: Lab) -> dict[str, Any]:
    """What the lab DC holds: the agents' SIDs and generated passwords (a 0600 file)."""
    path = lab.paths.root / "directory" / "demo-dc.json"
    assert path.stat().st_mode & 0o077 == 0, "the directory's passwords are readable by others"
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_demo_exits_zero_with_a_verdict_per_machine(demo) -> None:
    _lab, _root, done = demo
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["ok"] is True
    assert out["machines"]["demo-1"]["state"] == "done"
    assert out["machines"]["demo-2"]["state"] == "failed"
    assert Path(out["report"]).is_file()


def test_store_says_blocked_machine_stopped_at_precheck_with_its_reason(demo) -> None:
    _lab, root, _done = demo
    with open_store(root / "state.db") as store:
        campaign = store.campaign("demo")
        machines = {m.name: m for m in store.machines(campaign)}
        blocked = machines["demo-2"]
        assert (blocked.state, blocked.failed_stage) == ("failed", "precheck")
        assert "Fast Startup" in store.transitions(blocked.id)[-1].reason
        # Its Windows disk was never wiped: nothing destructive ran after a failed precheck.
        assert (root / "disks" / "demo-2.img").is_file()
        migrated = machines["demo-1"]
        assert migrated.state == "done"
        for kind in ("capture", "restore"):
            results = store.latest_verifications(migrated.id, kind)
            assert results, f"no {kind} verification recorded"
            assert all(v.verified for v in results), results
    # The destructive step really happened: the migrated machine's Windows disk is gone.
    assert not (root / "disks" / "demo-1.img").exists()


def _manifest_entries(root: Path) -> list[dict[str, object]]:
    entries = []
    for path in sorted((root / "manifests").rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for manifest in data if isinstance(data, list) else data.get("manifests", [data]):
            if manifest.get("host") == "demo-1":
                entries.extend(manifest.get("entries", []))
    return entries


def test_every_captured_file_is_in_the_new_home_with_the_same_hash(demo) -> None:
    lab, root, _done = demo
    entries = _manifest_entries(root)
    assert len(entries) > 20, "the capture manifests of demo-1 were not collected"
    homes = json.loads(_ssh(lab, "demo-1", "python3", "-c", HASH_HOMES))
    by_hash: dict[str, set[str]] = {}
    for path, digest in homes.items():
        by_hash.setdefault(digest, set()).add(PurePosixPath(path).name)
    # By content, not by name: a collision keeps a file under another name, same bytes.
    missing = [e["path"] for e in entries if e["sha256"] not in by_hash]
    assert not missing, f"{len(missing)} captured files not in /home, e.g. {missing[:5]}"
    # Known folders land in the French XDG folders of the user's locale.
    assert any("/Bureau/" in p for p in homes), "nothing restored under a Bureau folder"
    assert any("/Documents/" in p for p in homes)


def test_each_profile_is_in_the_home_of_its_account_with_its_uid_and_gid(demo) -> None:
    lab, root, _done = demo
    directory = _directory(lab)
    agents = {sid: login for login, sid in directory["sids"].items()}
    manifests = [m for m in manifest_io.read(root / "manifests" / "demo-1.json") if m.sid]
    kinds = {"directory": 0, "local": 0}
    for m in manifests:
        if m.sid in agents:
            # A directory agent: the account SSSD serves for that SID, and no local twin.
            login = agents[m.sid]
            assert _ssh(lab, "demo-1", "getent", "-s", "sss", "passwd", login).startswith(login)
            assert (
                subprocess.run(
                    lab.ssh_argv("demo-1", (f"getent -s files passwd {login}",)),
                    capture_output=True,
                ).returncode
                != 0
            ), f"{login} has a local twin"
            kinds["directory"] += 1
        else:
            # The PC's own local account keeps the local rules: a local login from its name.
            login = login_for(m.name)
            assert _ssh(lab, "demo-1", "getent", "-s", "files", "passwd", login)
            kinds["local"] += 1
        ids = _ssh(lab, "demo-1", "sh", "-c", f"id -u {login}; id -g {login}").split()
        home = _ssh(lab, "demo-1", "getent", "passwd", login).strip().split(":")[5]
        listing = _ssh(
            lab, "demo-1", "find", home, "-type", "f", "-printf", "%U:%G\\t%p\\n"
        ).splitlines()
        wrong = [ln for ln in listing if not ln.startswith(":".join(ids) + "\t")]
        assert wrong == [], f"{login}: files not owned by {ids}: {wrong[:3]}"
        digests = _ssh(
            lab,
            "demo-1",
            "sh",
            "-c",
            f"find {shlex.quote(home)} -type f -print0 | xargs -0 -r sha256sum",
        )
        present = {line.split()[0] for line in digests.splitlines()}
        missing = [e.path for e in m.entries if e.sha256 not in present]
        assert missing == [], f"{login}: {len(missing)} files missing, e.g. {missing[:3]}"
    assert kinds == {"directory": 2, "local": 1}, kinds


def test_an_agent_logs_in_with_the_directory_password(demo) -> None:
    lab, _root, _done = demo
    directory = _directory(lab)
    login = "alice.martin"
    _ssh(
        lab, "demo-1", "sh", "-c", "DEBIAN_FRONTEND=noninteractive apt-get install -y -q pamtester"
    )
    # The password on stdin, never on a command line.
    good = subprocess.run(
        lab.ssh_argv("demo-1", (f"pamtester login {login} authenticate acct_mgmt",)),
        input=directory["passwords"][login] + "\n",
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    bad = subprocess.run(
        lab.ssh_argv("demo-1", (f"pamtester login {login} authenticate",)),
        input="not-the-password\n",
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0
    # The first agent of each PC is in the site's admin group: sudo on the new workstation.
    assert "(ALL : ALL) ALL" in _ssh(lab, "demo-1", "sudo", "-l", "-U", login)


def test_suite_and_tchap_are_installed_on_the_migrated_machine(demo) -> None:
    lab, _root, _done = demo
    version = _ssh(lab, "demo-1", "dpkg-query", "-W", "-f", "${Version}", "tchap-prod")
    assert version.strip() == "4.13.0"
    launchers = _ssh(lab, "demo-1", "ls", "/usr/share/applications")
    for name in ("Tchap-prod.desktop", "visio", "francetransfert"):
        assert name.lower() in launchers.lower(), f"no launcher for {name}"


def test_wave_report_renders_in_chromium(demo) -> None:
    _lab, root, _done = demo
    report = root / "reports" / "rapport-vague-1.html"
    errors = render_in_chromium(report, ARTIFACTS / "demo-wave-report.png")
    assert errors == []
    text = report.read_text(encoding="utf-8")
    assert "demo-1" in text and "demo-2" in text
    # The account that received each profile, and that it is the directory's.
    accounts = text.split('id="accounts"', 1)[1]
    assert "alice.martin</td><td>annuaire</td>" in accounts


def test_the_blocked_machines_reason_is_said_in_the_reports_language(demo) -> None:
    _lab, root, _done = demo
    french = (root / "reports" / "rapport-vague-1.html").read_text(encoding="utf-8")
    assert "Le volume Windows est en veille prolongée" in french
    # Neither the English message nor the Ansible task that carried it.
    for english in ("The Windows volume is hibernated", "precheck failed", "Fast Startup)"):
        assert english not in french, english
    out = root / "rapport-en.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sovmigrate",
            "report",
            "vague-1",
            "--format",
            "html",
            "--lang",
            "en",
            "--campaign",
            "demo",
            "-o",
            str(out),
        ],
        env=dict(os.environ, SOVMIGRATE_DB=str(root / "state.db")),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    english = out.read_text(encoding="utf-8")
    assert "The Windows volume is hibernated" in english
    assert "veille prolongée" not in english


def test_no_password_is_in_any_artifact_report_or_output(demo) -> None:
    lab, root, done = demo
    password = (root / "store.password").read_text(encoding="utf-8").strip()
    assert len(password) >= 32
    # The join account's password and the agents': none may leak either.
    secrets = [password, *_directory(lab)["passwords"].values()]
    for secret in secrets:
        assert secret not in done.stdout and secret not in done.stderr
    leaks = []
    for folder in ("artifacts", "reports", "manifests", "disks"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix != ".img":
                data = path.read_bytes()
                leaks += [str(path) for s in secrets if s.encode() in data]
    assert not leaks, f"a password is written in {leaks[:5]}"
