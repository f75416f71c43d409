"""Mapped drives: a directory account gets them mounted at each login (a GVfs user service),
a local account keeps bookmarks only; both keep the GTK bookmarks."""

from __future__ import annotations

import os
from pathlib import Path

from sovmigrate.userstate.manifest import Manifest
from sovmigrate.userstate.restore import Outcome
from sovmigrate.userstate.settings_apply import shares
from sovmigrate.userstate.share_mounts import UNIT, smb_uri
from sovmigrate.userstate.xdg import LinuxUser

DRIVES = {"H": "\\\\dc.lab.sovmigrate.test\\partage", "P": "\\\\srv-fic\\Projets\\2026 budget"}


def _outcome(tmp_path: Path, login: str) -> Outcome:
    home = tmp_path / login
    home.mkdir()
    user = LinuxUser(login, os.getuid(), os.getgid(), home)
    manifest = Manifest(
        host="pc1",
        kind="user",
        name=login,
        sid="S-1-5-21-1-2-3-1104",
        roots={},
        settings={"mapped_drives": DRIVES},
    )
    return Outcome(manifest=manifest, user=user, snapshot="s", placed=[])


def test_a_unc_path_becomes_the_smb_uri_gvfs_mounts() -> None:
    assert smb_uri("\\\\dc.lab\\partage") == "smb://dc.lab/partage"
    assert smb_uri("\\\\srv\\Projets\\2026 été") == "smb://srv/Projets/2026%20%C3%A9t%C3%A9"


def test_a_directory_account_gets_its_drives_mounted_at_login(tmp_path: Path) -> None:
    # "agent.x" is in no /etc/passwd of this host: an account the directory serves.
    o = _outcome(tmp_path, "agent.x-not-local")
    result = shares(o)
    assert result["status"] == "applied", result
    units = o.user.home / ".config/systemd/user"
    text = (units / UNIT).read_text(encoding="utf-8")
    assert "ExecStart=-/usr/bin/gio mount smb://dc.lab.sovmigrate.test/partage\n" in text
    assert "ExecStart=-/usr/bin/gio mount smb://srv-fic/Projets/2026%%20budget\n" in text
    assert "WantedBy=default.target" in text
    link = units / "default.target.wants" / UNIT
    assert link.is_symlink() and link.resolve() == (units / UNIT).resolve()
    bookmarks = (o.user.home / ".config/gtk-3.0/bookmarks").read_text(encoding="utf-8")
    assert "smb://dc.lab.sovmigrate.test/partage H: partage" in bookmarks
    # A second restore changes nothing.
    assert shares(o)["status"] == "unchanged"


def test_a_local_account_or_a_site_without_mounts_keeps_bookmarks_only(tmp_path: Path) -> None:
    local = _outcome(tmp_path, "root")  # in /etc/passwd: a local account
    assert shares(local)["status"] == "applied"
    assert not (local.user.home / ".config/systemd").exists()
    no_mounts = _outcome(tmp_path, "agent.y-not-local")
    assert "bookmarks" in shares(no_mounts, mount=False)["detail"]
    assert not (no_mounts.user.home / ".config/systemd").exists()
    assert (no_mounts.user.home / ".config/gtk-3.0/bookmarks").is_file()
