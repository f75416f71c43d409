"""What a technician checks on a workstation_base machine, from inside it (testinfra over SSH)."""

import time


def _status(host, command):
    """``localectl``/``timedatectl`` output. Both ask a D-Bus service that starts on demand and
    exits when idle: a call that meets it while it exits fails, so a failure is tried again."""
    for _ in range(3):
        result = host.run(command)
        if result.rc == 0:
            return result.stdout
        time.sleep(1)
    raise AssertionError(f"{command} failed {result.rc}: {result.stderr}")


def test_french_locale_generated_and_default(host):
    available = host.run("locale -a").stdout.split()
    assert "fr_FR.utf8" in available
    assert "en_US.utf8" in available
    status = _status(host, "localectl status")
    assert "LANG=fr_FR.UTF-8" in status
    # A login shell gets it through PAM (/etc/default/locale).
    assert host.run("su - root -c 'echo $LANG'").stdout.strip() == "fr_FR.UTF-8"
    assert "samedi" in host.run("LC_ALL=fr_FR.UTF-8 date -d 2026-11-28 +%A").stdout


def test_french_keyboard_for_console_and_x11(host):
    status = _status(host, "localectl status")
    assert "X11 Layout: fr" in status
    # Debian's console takes its keymap from /etc/default/keyboard (console-setup), not KEYMAP=.
    assert 'XKBLAYOUT="fr"' in host.file("/etc/default/keyboard").content_string
    assert host.package("console-setup").is_installed


def test_paris_time_zone(host):
    assert host.file("/etc/timezone").content_string.strip() == "Europe/Paris"
    assert host.file("/etc/localtime").linked_to == "/usr/share/zoneinfo/Europe/Paris"
    assert host.run("date +%Z -d 2026-07-01").stdout.strip() == "CEST"
    assert "Time zone: Europe/Paris" in _status(host, "timedatectl status")


def test_hostname_is_the_configured_one(host):
    name = host.ansible.get_variables()["inventory_hostname"] + "-poste"
    assert host.run("hostname").stdout.strip() == name
    assert host.file("/etc/hostname").content_string.strip() == name
    assert host.run("getent hosts %s.lab.example", name).stdout.split()[0] == "127.0.1.1"


def test_apt_sources_are_deb822_and_usable(host):
    sources = host.file("/etc/apt/sources.list.d/debian.sources").content_string
    codename = host.run(". /etc/os-release; echo $VERSION_CODENAME").stdout.strip()
    assert f"Suites: {codename} {codename}-updates" in sources
    assert not host.file("/etc/apt/sources.list").exists
    assert host.file("/etc/apt/sources.list.sovmigrate-orig").exists
    suites = host.run("apt-get indextargets --format '$(RELEASE)'").stdout.split()
    assert f"{codename}-updates" in suites
    assert not host.file("/etc/apt/apt.conf.d/80sovmigrate-proxy").exists


def test_unattended_upgrades_enabled(host):
    assert host.package("unattended-upgrades").is_installed
    config = host.run("apt-config dump").stdout
    assert 'APT::Periodic::Unattended-Upgrade "1";' in config
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in config
    assert host.service("apt-daily-upgrade.timer").is_enabled
    # unattended-upgrades itself parses the configuration without error.
    dry = host.run("unattended-upgrade --dry-run")
    assert dry.rc == 0, dry.stderr


def test_time_sync_enabled_and_honest_about_containers(host):
    assert host.service("systemd-timesyncd").is_enabled
    in_container = host.run("systemd-detect-virt --container").rc == 0
    if in_container:
        # ConditionVirtualization=!container: the host sets the clock; the unit does not run.
        assert not host.service("systemd-timesyncd").is_running
    else:
        assert host.service("systemd-timesyncd").is_running


def test_role_wrote_nothing_per_user(host):
    homes = host.run("find /root /home -newer /etc/hostname -path '*/.config/*' -print").stdout
    assert homes.strip() == ""
