"""interministerial_suite as a technician checks it: the postcheck's own checks (one
implementation, here over molecule's testinfra host) and what an agent's session sees."""

from sovmigrate.postcheck import run_checks

AGENT = (
    "U=$(id -u agent); systemctl start user@$U.service; "
    "runuser -u agent -- env XDG_RUNTIME_DIR=/run/user/$U "
    "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$U/bus "
)


def test_postcheck_suite_checks_pass(host):
    report = run_checks(host, "molecule", roles=["interministerial_suite"])
    assert report.verdict == "pass", [r for r in report.results if r.status == "fail"]
    assert len(report.results) >= 10


def test_rie_profile_and_pinned_version(host):
    assert host.package("tchap-prod").version == "2.9.1"
    conf = host.file("/etc/tchap/config.json").content_string
    assert "https://matrix.agent.tchap.rie.gouv.fr" in conf


def test_agent_session_opens_tchap_links_and_has_a_secret_service(host):
    host.run("id agent || useradd -m -s /bin/bash agent")
    handler = host.run(AGENT + "xdg-mime query default x-scheme-handler/tchap")
    assert handler.stdout.strip() == "Tchap-prod.desktop"
    call = host.run(
        AGENT + "busctl --user call org.freedesktop.secrets /org/freedesktop/secrets "
        "org.freedesktop.DBus.Properties Get ss org.freedesktop.Secret.Service Collections"
    )
    assert call.rc == 0, call.stderr


def test_one_launcher_per_service(host):
    for app in ("visio", "francetransfert", "docs", "fichiers", "grist", "resana"):
        entry = host.file(f"/usr/share/applications/sovmigrate-{app}.desktop")
        assert entry.exists
        assert "Exec=firefox-esr https://" in entry.content_string
