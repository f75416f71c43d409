"""user_state_restore on the lab machine, checked as the agent would see it."""

import json


def homes(host):
    out = host.run("ls /home/*/.local/share/sovmigrate/rapport-*.json").stdout.split()
    return [json.loads(host.file(p).content_string) for p in out]


def test_every_user_verified_in_french_folders(host):
    reports = homes(host)
    assert reports and all(r["verified"] for r in reports)
    for r in reports:
        home = f"/home/{r['linux_user']}"
        assert host.file(f"{home}/Documents/Rapport de migration Windows.txt").exists
        assert host.file(f"{home}/Téléchargements").is_directory
        assert host.file(f"{home}/Documents").user == r["linux_user"]


def test_settings_visible(host):
    assert "smb://" in host.run("lpstat -v").stdout
    for r in homes(host):
        home = f"/home/{r['linux_user']}"
        assert "smb://" in host.file(f"{home}/.config/gtk-3.0/bookmarks").content_string
        assert "https://" in host.run(f"cat {home}/.mozilla/firefox/*/bookmarks.html").stdout
