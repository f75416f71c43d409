"""Restore on the host: a fixture disk captured by the real engine, restored into temp homes.

Real ntfs-3g, real restic, real files; the Linux user is ``nobody`` with ``--home`` pointing at
a temporary directory (the lab test restores into real users' homes on a reinstalled machine).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sovmigrate.lab.windisk import DiskDescription, build_windows_disk
from sovmigrate.userstate import manifest as manifest_io

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting NTFS images needs root"),
]
FRENCH_DIRS = (
    'XDG_DESKTOP_DIR="$HOME/Bureau"\nXDG_DOCUMENTS_DIR="$HOME/Documents"\n'
    'XDG_DOWNLOAD_DIR="$HOME/Téléchargements"\nXDG_PICTURES_DIR="$HOME/Images"\n'
    'XDG_MUSIC_DIR="$HOME/Musique"\nXDG_VIDEOS_DIR="$HOME/Vidéos"\n'
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sovmigrate", *args], capture_output=True, text=True, check=False
    )


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


def new_home(base: Path, name: str) -> Path:
    home = base / name
    (home / ".config").mkdir(parents=True)
    (home / ".config" / "user-dirs.dirs").write_text(FRENCH_DIRS, encoding="utf-8")
    subprocess.run(["chown", "-R", "nobody", str(home)], check=True)
    return home


class Captured:
    def __init__(self, base: Path) -> None:
        self.image = base / "windows.img"
        self.description: DiskDescription = build_windows_disk(
            self.image, seed=11, size_knob=4_000_000, huge_file=False
        )
        self.store = base / "store"
        self.password = base / "store.pw"
        self.password.write_text("restore test password\n")
        self.password.chmod(0o600)
        self.manifest = base / "manifest.json"
        result = run(
            "capture", str(self.image), "--store", str(self.store),
            "--password-file", str(self.password), "--host", "pc-rst",
            "--manifest", str(self.manifest),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        saved = subprocess.run(
            [sys.executable, "-m", "sovmigrate.userstate.restore_main", "save-manifests",
             "--store", str(self.store), "--password-file", str(self.password),
             str(self.manifest)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert saved.returncode == 0, saved.stderr
        self.manifests = manifest_io.read(self.manifest)

    def restore(self, user: str, home: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return run(
            "restore", "--store", str(self.store), "--password-file", str(self.password),
            "--host", "pc-rst", "--user", user, "--to-user", "nobody", "--home", str(home),
            "--format", "json", *extra,
        )  # fmt: skip


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Captured:
    return Captured(tmp_path_factory.mktemp("rst"))


def test_restore_every_user_verified_in_xdg_folders_then_nothing_changes(
    captured: Captured, tmp_path: Path
) -> None:
    for m in captured.manifests:
        home = new_home(tmp_path, m.sid or "drive")
        # A file of the user already at the place of a captured one: both must be kept.
        first = next(e for e in m.entries if e.folder == "Personal") if m.name else None
        if first is not None:
            location = m.known_folders["Personal"]["location"]
            clash = home / "Documents" / m.volume_path(first)[len(location) + 1 :]
            clash.parent.mkdir(parents=True, exist_ok=True)
            clash.write_bytes(b"the Linux user's own file")
        result = captured.restore(m.sid or "drive", home)
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
        assert out["verified"] and out["files"] == len(m.entries) and out["changed"]
        report = json.loads(Path(out["report"]).read_text())
        restored = {c["kept_as"] for c in report["collisions"]}
        if first is not None:
            assert clash.read_bytes() == b"the Linux user's own file"
            assert report["collisions"] and any("(Windows)" in k for k in restored)
        assert {n["path"] for n in report["not_migrated"]} == {
            m.volume_path(n) for n in m.not_migrated
        }
        # Every manifest file is somewhere in the home with its captured hash.
        hashes = {
            hashlib.sha256(p.read_bytes()).hexdigest()
            for p in home.rglob("*")
            if p.is_file() and not p.is_symlink()
        }
        assert {e.sha256 for e in m.entries} <= hashes
        if m.name:
            assert (home / "Documents" / "Rapport de migration Windows.txt").is_file()
        before = tree_digest(home)
        again = captured.restore(m.sid or "drive", home)
        assert again.returncode == 0, again.stderr
        second = json.loads(again.stdout)
        assert second["verified"] and not second["changed"] and second["written"] == 0
        assert tree_digest(home) == before


def test_known_folders_land_in_french_xdg_folders(captured: Captured, tmp_path: Path) -> None:
    user = next(u for u in captured.description.users if u.known_folders["Desktop"].redirect == "")
    home = new_home(tmp_path, "h")
    assert captured.restore(user.name, home).returncode == 0
    assert (home / "Bureau" / "notes.txt").read_bytes() == b"penser a sauvegarder\r\n"
    assert (home / "Téléchargements" / "formulaire.pdf").is_file()
    assert (home / "Musique" / "titre.mp3").is_file()
    assert not list(home.rglob("*.lnk"))  # shortcuts are reported, not copied
    assert "smb://srv-fichiers/" in (home / ".config" / "gtk-3.0" / "bookmarks").read_text()
    html = next(home.glob(".mozilla/firefox/*/bookmarks.html")).read_text()
    assert "https://intranet.agence.gouv.fr/" in html
    assert (home / "Documents/Windows/Favoris/Intranet.desktop").is_file()


def test_restore_all_restores_every_planned_user_with_one_restic_run(
    captured: Captured, tmp_path: Path
) -> None:
    """The role's one engine run: every user of the plan restored and verified, the store's
    key derived once (one restic run, counted by a wrapper), one user's refusal kept as that
    user's result without stopping the others."""
    calls = tmp_path / "restic-calls"
    wrapper = tmp_path / "bin" / "restic"
    wrapper.parent.mkdir()
    real = subprocess.run(["sh", "-c", "command -v restic"], capture_output=True, text=True)
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> {calls}\nexec {real.stdout.strip()} "$@"\n')
    wrapper.chmod(0o755)
    plan = [
        {"user": m.sid or "drive", "name": m.name, "kind": "local", "login": "nobody",
         "home": str(new_home(tmp_path, m.sid or "drive"))}
        for m in captured.manifests
    ]  # fmt: skip
    first = captured.manifests[0]
    plan.insert(1, {"user": first.sid, "name": first.name, "kind": "local",
                    "login": "no-such-linux-user"})  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "sovmigrate.userstate.restore_main", "restore-all",
         "--store", str(captured.store), "--password-file", str(captured.password),
         "--host", "pc-rst", "--plan", json.dumps(plan)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PATH": f"{wrapper.parent}:{os.environ['PATH']}"},
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # one user not restored
    out = json.loads(result.stdout)
    assert [r["user"] for r in out] == [e["user"] for e in plan]
    refused = out.pop(1)
    assert not refused["verified"] and not refused["ok"] and refused["files"] == 0
    assert "no Linux user 'no-such-linux-user'" in refused["reason"]
    for r, m in zip(out, captured.manifests, strict=True):
        assert r["verified"] and r["files"] == len(m.entries) and r["changed"], r["reason"]
        home = tmp_path / (m.sid or "drive")
        on_disk = {hashlib.sha256(p.read_bytes()).hexdigest() for p in home.rglob("*")
                   if p.is_file()}  # fmt: skip
        assert {e.sha256 for e in m.entries} <= on_disk
    runs = calls.read_text().splitlines()  # the master key, once for all users
    assert len(runs) == 1 and runs[0].endswith("cat masterkey"), runs
    # The capture role's "keep the manifests" after a capture that kept them: one listing.
    calls.unlink()
    again = subprocess.run(
        [sys.executable, "-m", "sovmigrate.userstate.restore_main", "save-manifests",
         "--store", str(captured.store), "--password-file", str(captured.password),
         str(captured.manifest)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "PATH": f"{wrapper.parent}:{os.environ['PATH']}"},
    )  # fmt: skip
    assert again.returncode == 0 and json.loads(again.stdout)["saved"] == 0, again.stderr
    runs = calls.read_text().splitlines()
    assert len(runs) == 1 and "snapshots" in runs[0], runs


def bad(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sovmigrate: error:"), result.stderr
    assert words in lines[0], lines[0]


def test_bad_input_is_one_clear_line_and_leaves_the_store_untouched(
    captured: Captured, tmp_path: Path
) -> None:
    store_before = tree_digest(captured.store)
    home = new_home(tmp_path, "bad")
    user = captured.description.users[0].sid
    wrong = tmp_path / "wrong.pw"
    wrong.write_text("nope\n")
    common = ["--to-user", "nobody", "--home", str(home)]
    base = ["restore", "--store", str(captured.store), "--host", "pc-rst"]
    bad(run(*base, "--password-file", str(wrong), "--user", user, *common), 2, "wrong password")
    pw = ["--password-file", str(captured.password)]
    bad(run("restore", "--store", str(captured.store), *pw, "--host", "pc-x", "--user", user,
            *common), 2, "no capture of host 'pc-x'")  # fmt: skip
    bad(run(*base, *pw, "--user", "mallory", *common), 2, "no capture of user 'mallory'")
    bad(run(*base, *pw, "--user", user, "--to-user", "no-such-linux-user"), 2, "no Linux user")
    # A manifest entry climbing out of the home.
    evil = json.loads(captured.manifest.read_text())
    evil[0]["entries"][0]["path"] = "../../../etc/evil"
    evil_file = tmp_path / "evil.json"
    evil_file.write_text(json.dumps(evil))
    bad(run(*base, *pw, "--user", user, *common, "--manifest", str(evil_file)), 2, "refused")
    assert not any(home.rglob("*.odt"))
    # A home too small for the data: refused before the bulk is written.
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(small)], check=True)
    try:
        (small / ".config").mkdir()
        (small / ".config" / "user-dirs.dirs").write_text(FRENCH_DIRS)
        result = run(*base, *pw, "--user", user, "--to-user", "nobody", "--home", str(small))
        bad(result, 3, "not enough space")
        assert not [p for p in small.rglob("*") if p.is_file() and p.name != "user-dirs.dirs"]
    finally:
        subprocess.run(["umount", str(small)], check=True)
    assert tree_digest(captured.store) == store_before


def test_tampered_store_is_detected_and_named(captured: Captured, tmp_path: Path) -> None:
    store = tmp_path / "store-copy"
    subprocess.run(["cp", "-a", str(captured.store), str(store)], check=True)
    packs = sorted((store / "data").rglob("*"), key=lambda p: p.stat().st_size)
    biggest = [p for p in packs if p.is_file()][-1]
    data = bytearray(biggest.read_bytes())
    data[len(data) // 2] ^= 0xFF
    biggest.write_bytes(bytes(data))
    home = new_home(tmp_path, "t")
    user = max(captured.manifests, key=lambda m: m.total_bytes)
    result = run(
        "restore", "--store", str(store), "--password-file", str(captured.password),
        "--host", "pc-rst", "--user", user.sid, "--to-user", "nobody", "--home", str(home),
    )  # fmt: skip
    assert result.returncode in (1, 2), result.stderr
    assert "damaged" in result.stderr and "nothing was restored" in result.stderr
    assert not [p for p in home.rglob("*") if p.is_file() and p.name != "user-dirs.dirs"]


@pytest.mark.parametrize(
    ("variant", "words"),
    [("hibernated", "disable Fast Startup"), ("bitlocker", "recovery key needed")],
)
def test_precheck_names_cause_and_fix(
    captured: Captured, tmp_path: Path, variant: str, words: str
) -> None:
    image = tmp_path / "windows.img"
    build_windows_disk(image, seed=3, variant=variant, size_knob=200_000, huge_file=False)
    argv = [sys.executable, "-m", "sovmigrate.userstate.restore_main", "precheck", str(image)]
    argv += ["--store", str(captured.store), "--password-file", str(captured.password)]
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.returncode == 3, result.stderr
    out = json.loads(result.stdout)
    assert out["ok"] is False and words in out["reason"]
    clean = subprocess.run(
        [*argv[:4], str(captured.image), *argv[5:]], capture_output=True, text=True, check=False
    )
    assert clean.returncode == 0, clean.stdout
    assert json.loads(clean.stdout)["data_bytes"] == sum(m.total_bytes for m in captured.manifests)
