"""Issue 4 acceptance on lab machines, through the roles, as the orchestrator runs them.

One booted Debian machine plays the workstation: a fixture Windows disk is attached read-only,
the restic store is a host directory bound into it. precheck and capture run there (capture
twice: nothing changes); the disk image is then DESTROYED and the machine recreated from the
clean base image (the lab's reinstall); restore runs (twice: nothing changes; then in check mode)
and everything is checked from inside the machine as the agent would see it. The playbooks run
through ansible-runner, like ``sovmigrate wave run``, and the per-user verdicts are read from its
events (set_stats). The lab directory is private (machines of other tests are never touched) but
shares the default lab's base images and APT cache.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import ansible_runner
import pytest

from sovmigrate.lab import Lab, default_root
from sovmigrate.lab.windisk import DiskDescription, build_windows_disk
from sovmigrate.run.options import ensure_ansible_on_path
from sovmigrate.userstate import manifest as manifest_io
from sovmigrate.userstate.restore_main import login_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="lab machines need root"),
]
REPO = Path(__file__).resolve().parents[2]
# Unique per run: a CI clone may run this test while a developer runs it too.
NAME = f"rstws{os.getpid() % 100000}"
PASSWORD = "lab store password"
FOLDER_RECORDS = {"captured-elsewhere", "unc-redirect", "other-drive"}
FRENCH = {
    "Desktop": "Bureau",
    "Personal": "Documents",
    "My Pictures": "Images",
    "My Music": "Musique",
    "{374DE290-123F-4565-9164-39C4925E467B}": "Téléchargements",
}


def private_lab(base: Path) -> Lab:
    shared = default_root()
    root = base / "lab"
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("images",):
        (shared / sub).mkdir(parents=True, exist_ok=True)
        if not (root / sub).exists():
            (root / sub).symlink_to(shared / sub)
    return Lab(root)


class Workstation:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.image = base / "windows.img"
        self.description: DiskDescription = build_windows_disk(
            self.image, seed=23, size_knob=4_000_000, huge_file=False
        )
        self.store = base / "store"
        self.store.mkdir()
        self.lab = private_lab(base)

    def up(self, with_disk: bool) -> None:
        binds = [f"--bind={self.store}:/srv/store"]
        if with_disk:
            binds += [f"--bind-ro={self.image}:/srv/windows.img", "--bind=/dev/fuse"]
        self.lab.up([NAME], binds=binds)

    def reinstall(self) -> None:
        # The lab's reinstall: a fresh root file system from the clean base image, new host keys.
        self.lab.destroy([NAME])
        self.up(with_disk=False)

    def sh(self, command: str, check: bool = True) -> str:
        proc = subprocess.run(
            self.lab.ssh_argv(NAME, (command,)),
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if check:
            assert proc.returncode == 0, f"{command}: {proc.stderr}"
        return proc.stdout

    def play(self, playbook: str, extra: dict[str, Any], check: bool = False) -> Any:
        private = self.base / "runner" / f"{playbook}-{len(list(self.base.glob('runner/*')))}"
        private.mkdir(parents=True)
        extravars = {
            "precheck_store": "/srv/store",
            "precheck_store_password": PASSWORD,
            "precheck_min_disk_gib": 0,
            "user_state_capture_store": "/srv/store",
            "user_state_capture_store_password": PASSWORD,
            "user_state_capture_manifest_dir": str(self.base / "manifests"),
            "user_state_restore_store": "/srv/store",
            "user_state_restore_store_password": PASSWORD,
            "user_state_restore_report_dir": str(self.base / "reports"),
            **extra,
        }
        ensure_ansible_on_path()
        run = ansible_runner.run(
            private_data_dir=str(private),
            playbook=str(REPO / "playbooks" / f"{playbook}.yml"),
            inventory=str(self.lab.paths.inventory),
            limit=NAME,
            extravars=extravars,
            cmdline="--check" if check else None,
            # The controller side (engine bundle lookup) imports this checkout's sovmigrate.
            envvars={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "PYTHONPATH": str(REPO)},
            quiet=True,
        )
        stdout = run.stdout.read()
        assert PASSWORD not in stdout
        assert run.rc == 0, stdout[-4000:]
        return run

    @staticmethod
    def changed_tasks(run: Any) -> list[str]:
        return [
            str(e["event_data"].get("task"))
            for e in run.events
            if e.get("event") == "runner_on_ok"
            and (e["event_data"].get("res") or {}).get("changed")
        ]

    @staticmethod
    def custom_stats(run: Any) -> dict[str, Any]:
        for event in run.events:
            if event.get("event") == "playbook_on_stats":
                return dict(event["event_data"].get("artifact_data") or {})
        return {}


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Any:
    station = Workstation(tmp_path_factory.mktemp("rstlab"))
    station.up(with_disk=True)
    yield station
    station.lab.destroy([NAME])


def test_capture_reinstall_restore_on_a_lab_machine(ws: Workstation) -> None:
    # -- before the wipe: precheck, capture (twice) -------------------------------------------
    pre = ws.play("precheck", {})
    assert ws.custom_stats(pre)["sovmigrate_precheck"][NAME]["ok"] is True
    first = ws.play("capture", {"user_state_capture_wave": "w1"})
    captured = ws.custom_stats(first)["sovmigrate_capture"][NAME]
    users = {u.sid: u for u in ws.description.users}
    assert set(users) <= set(captured)
    assert all(v["verified"] and v["snapshot"] for v in captured.values())
    # The target's Debian python (with the role's python3-cryptography and python3-zstandard)
    # verified each snapshot by reading the store directly, not through restic dump.
    logs = "".join(
        str((e["event_data"].get("res") or {}).get("stderr", ""))
        for e in first.events
        if e.get("event") == "runner_on_ok"
    )
    assert logs.count("files verified, read from the store") >= len(users), logs[-2000:]
    assert "through restic dump" not in logs
    again = ws.play("capture", {"user_state_capture_wave": "w1"})
    assert again.stats["changed"].get(NAME, 0) == 0, ws.changed_tasks(again)
    manifests = manifest_io.read(ws.base / "manifests" / f"{NAME}.json")

    # -- the wipe: the Windows disk is gone, the machine is a fresh Debian ----------------------
    ws.image.unlink()
    ws.reinstall()
    assert "windows.img" not in ws.sh("ls /srv")
    ws.sh(
        "apt-get install -y -q locales xdg-user-dirs >/dev/null"
        " && sed -i 's/^# *fr_FR.UTF-8/fr_FR.UTF-8/' /etc/locale.gen && locale-gen >/dev/null"
        " && echo LANG=fr_FR.UTF-8 > /etc/default/locale"
    )
    # A Linux user who already has a file where a captured one goes: both must be kept.
    clash_user = next(
        m for m in manifests if m.name and m.known_folders["Personal"]["redirect"] == ""
    )
    login = login_for(clash_user.name)
    ws.sh(f"useradd -m -s /bin/bash {login}")
    ws.sh(f"runuser -u {login} -- env LANG=fr_FR.UTF-8 xdg-user-dirs-update")
    ws.sh(f"echo mine > '/home/{login}/Documents/Rapport annuel.odt'")
    drive_login = login

    # -- restore, twice, then check mode ------------------------------------------------------
    extra = {"user_state_restore_drive_data_user": drive_login}
    restored = ws.play("restore", extra)
    verdict = ws.custom_stats(restored)["sovmigrate_restore"][NAME]
    assert {m.sid or "drive" for m in manifests} == set(verdict)
    for m in manifests:
        v = verdict[m.sid or "drive"]
        assert v["verified"] is True and v["reason"] is None, v
        assert v["files"] == len(m.entries) and v["bytes"] == m.total_bytes
    second = ws.play("restore", extra)
    assert second.stats["changed"].get(NAME, 0) == 0, ws.changed_tasks(second)
    ws.play("restore", extra, check=True)

    # -- what the agent sees, from inside the machine -----------------------------------------
    for m in manifests:
        if not m.name:
            continue
        check_user(ws, m, users[m.sid])
    assert ws.sh(f"cat '/home/{login}/Documents/Rapport annuel.odt'").strip() == "mine"
    assert ws.sh(f"ls '/home/{login}/Documents/'").count("Rapport annuel (Windows).odt") == 1
    printers = ws.sh("lpstat -v")
    for u in ws.description.users:
        for unc in u.settings.printers:
            assert "smb:" + unc.replace("\\", "/") in printers


def home_files(ws: Workstation, home: str) -> dict[str, str]:
    out = ws.sh(f"cd {shlex.quote(home)} && find . -type f -print0 | xargs -0 -r sha256sum")
    files = {}
    for line in out.splitlines():
        digest, _, path = line.partition("  ")
        files[path[2:]] = digest
    return files


def check_user(ws: Workstation, m: manifest_io.Manifest, user: Any) -> None:
    report_dir = ws.base / "reports" / NAME
    report = json.loads((report_dir / f"rapport-{m.sid}.json").read_text())
    login = report["linux_user"]
    home = f"/home/{login}"
    files = home_files(ws, home)
    hashes = set(files.values())
    for e in m.entries:
        assert e.sha256 in hashes, (login, m.volume_path(e))
        french = FRENCH.get(e.folder)
        location = m.known_folders.get(e.folder, {}).get("location", "")
        if french and m.volume_path(e).startswith(location + "/"):
            inside = m.volume_path(e)[len(location) + 1 :]
            kept = [f"{french}/{inside}", *[c["kept_as"] for c in report["collisions"]]]
            assert any(files.get(k) == e.sha256 for k in kept), (login, inside)
    # The report lists exactly the fixture's non-migrated items of this user.
    expected = {
        f.path
        for f in ws.description.files
        if f.owner == user.name and f.expected == "not-migrated"
    }
    listed = {n["path"] for n in report["not_migrated"] if n["reason"] not in FOLDER_RECORDS}
    assert listed == expected
    unc = [k for k in user.known_folders.values() if k.redirect == "unc"]
    assert len([n for n in report["not_migrated"] if n["reason"] == "unc-redirect"]) == len(unc)
    assert "Rapport de migration Windows.txt" in ws.sh(f"ls {home}/Documents")
    # Settings, as the user's session would read them.
    shares = ws.sh(f"cat {home}/.config/gtk-3.0/bookmarks")
    for unc_share in user.settings.mapped_drives.values():
        assert "smb:" + unc_share.replace("\\", "/") in shares
    ff = ws.sh(f"cat {home}/.mozilla/firefox/*/bookmarks.html")
    assert "https://intranet.agence.gouv.fr/" in ff
    if user.settings.wallpaper:
        uri = ws.sh(
            f"runuser -u {login} -- dconf read /org/gnome/desktop/background/picture-uri"
        ).strip()
        assert uri.startswith(f"'file://{home}/Images/") and uri.endswith(".jpg'"), uri
