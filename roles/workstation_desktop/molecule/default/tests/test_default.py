"""What an agent and a technician see on a workstation_desktop machine (testinfra over SSH)."""

# A session as the agent: its own D-Bus, French locale, nothing inherited from root.
AGENT = "runuser -u agent -- env -i HOME=/home/agent PATH=/usr/bin:/bin LANG=fr_FR.UTF-8 "


def test_desktop_packages_installed(host):
    for name in ("dconf-cli", "xdg-user-dirs", "gnome-keyring", "cups"):
        assert host.package(name).is_installed, name


def test_dconf_defaults_reach_the_user(host):
    idle = host.run(AGENT + "dconf read /org/gnome/desktop/session/idle-delay")
    assert idle.stdout.strip() == "uint32 600"
    favourites = host.run(AGENT + "dconf read /org/gnome/shell/favorite-apps").stdout
    assert "'Tchap-prod.desktop'" in favourites
    assert "'sovmigrate-visio.desktop'" in favourites
    extra = host.run(AGENT + "dconf read /org/gnome/desktop/interface/clock-show-date")
    assert extra.stdout.strip() == "true"


def test_locked_key_cannot_be_changed_by_the_user(host):
    attempt = host.run(
        AGENT + "dbus-run-session -- dconf write /org/gnome/desktop/session/idle-delay 'uint32 5'"
    )
    assert attempt.rc != 0
    assert "non-writable" in attempt.stderr
    locks = host.run(AGENT + "dconf list-locks /org/gnome/desktop/").stdout.split()
    assert "/org/gnome/desktop/screensaver/lock-delay" in locks
    after = host.run(AGENT + "dconf read /org/gnome/desktop/session/idle-delay").stdout.strip()
    assert after == "uint32 600"


def test_unlocked_key_stays_the_users_choice(host):
    # Favourites are a default, not a lock: the agent may rearrange the dash.
    host.run(
        AGENT + "dbus-run-session -- dconf write /org/gnome/shell/favorite-apps \"['a.desktop']\""
    )
    try:
        mine = host.run(AGENT + "dconf read /org/gnome/shell/favorite-apps").stdout.strip()
        assert mine == "['a.desktop']"
    finally:
        host.run(AGENT + "dbus-run-session -- dconf reset /org/gnome/shell/favorite-apps")


def test_xdg_user_dirs_in_french(host):
    host.run("rm -rf /tmp/xdg-check && mkdir /tmp/xdg-check && chown agent /tmp/xdg-check")
    run = host.run(
        "runuser -u agent -- env -i HOME=/tmp/xdg-check PATH=/usr/bin:/bin LANG=fr_FR.UTF-8 "
        "xdg-user-dirs-update"
    )
    assert run.rc == 0, run.stderr
    created = set(host.run("ls /tmp/xdg-check").stdout.split())
    assert {"Bureau", "Documents", "Téléchargements", "Images", "Musique", "Vidéos"} <= created
    dirs = host.file("/tmp/xdg-check/.config/user-dirs.dirs").content_string
    assert 'XDG_DESKTOP_DIR="$HOME/Bureau"' in dirs


def test_secret_service_answers_in_a_user_session(host):
    call = host.run(
        AGENT + "dbus-run-session -- dbus-send --session --print-reply "
        "--dest=org.freedesktop.secrets /org/freedesktop/secrets "
        "org.freedesktop.DBus.Properties.Get "
        "string:org.freedesktop.Secret.Service string:Collections"
    )
    assert call.rc == 0, call.stderr
    assert "method return" in call.stdout


def test_cups_scheduler_running(host):
    assert host.service("cups").is_enabled
    assert host.run("lpstat -r").stdout.strip() == "scheduler is running"


def test_nothing_written_per_user(host):
    # The role itself created no dconf user database for anyone.
    assert not host.file("/root/.config/dconf/user").exists
    assert host.run("ls /etc/skel").stdout.strip() == ""
