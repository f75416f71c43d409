"""What a technician checks on a workstation_apps machine (testinfra over SSH)."""

import json

POLICIES = "/etc/firefox/policies/policies.json"


def test_french_office_mail_and_browser_installed(host):
    for name in (
        "libreoffice-writer",
        "libreoffice-l10n-fr",
        "libreoffice-help-fr",
        "thunderbird",
        "thunderbird-l10n-fr",
        "firefox-esr",
        "firefox-esr-l10n-fr",
    ):
        assert host.package(name).is_installed, name


def test_policies_json_parses_with_the_expected_policies(host):
    policies = json.loads(host.file(POLICIES).content_string)["policies"]
    assert policies["Homepage"]["URL"] == "https://lasuite.numerique.gouv.fr"
    titles = {b["Title"]: b["URL"] for b in policies["Bookmarks"]}
    assert titles["Visio"] == "https://visio.numerique.gouv.fr"
    assert "Docs" in titles and "FranceTransfert" in titles
    assert {b["Folder"] for b in policies["Bookmarks"]} == {"La Suite"}
    assert policies["Permissions"]["Camera"]["Allow"] == ["https://visio.numerique.gouv.fr"]
    assert policies["Permissions"]["Microphone"]["Allow"] == ["https://visio.numerique.gouv.fr"]
    assert policies["DisableTelemetry"] is True
    assert policies["DisableAppUpdate"] is True


def test_firefox_esr_reads_the_policies_file(host):
    # Start the real browser headless as an ordinary user with policy debug logging on. Its
    # network goes to a dead local proxy: the test sends nothing off the machine.
    prof = "/tmp/ff-policy-check"
    host.run(f"rm -rf {prof}")
    host.run(f"mkdir -p {prof}/p && chown -R nobody {prof}")
    user_js = (
        'user_pref("browser.policies.loglevel", "debug");\n'
        'user_pref("devtools.console.stdout.chrome", true);\n'
        'user_pref("browser.dom.window.dump.enabled", true);\n'
        'user_pref("network.proxy.type", 1);\n'
        'user_pref("network.proxy.http", "127.0.0.1");\n'
        'user_pref("network.proxy.http_port", 9);\n'
        'user_pref("network.proxy.ssl", "127.0.0.1");\n'
        'user_pref("network.proxy.ssl_port", 9);\n'
    )
    host.run(f"cat > {prof}/p/user.js <<'EOF'\n{user_js}EOF\nchown nobody {prof}/p/user.js")
    run = host.run(
        f"cd {prof} && runuser -u nobody -- env -i HOME={prof} PATH=/usr/bin:/bin "
        f"timeout 120 firefox-esr --headless -no-remote -profile {prof}/p "
        f"--screenshot {prof}/shot.png about:blank"
    )
    out = run.stdout + run.stderr
    assert f"policies.json path = {POLICIES}" in out, out[-2000:]
    assert "visio.numerique.gouv.fr" in out
    # Firefox logs a rejected policy as a console error of "Enterprise Policies".
    errors = [
        line
        for line in out.splitlines()
        if line.startswith("console.error") and "Enterprise Policies" in line
    ]
    assert errors == []


def test_catalogue_replacements_installed_and_missing_skipped(host):
    assert host.package("git").is_installed
    assert host.package("7zip").is_installed
    assert host.package("file-roller").is_installed
    # Entries not selected for this machine are not installed.
    assert not host.package("vlc").is_installed
    assert host.run("dpkg -s sovmigrate-no-such-package").rc != 0
