"""directory_join as a technician checks it: the postcheck's own checks (one implementation,
here over molecule's testinfra host), then an agent of the lab DC as SSSD serves it."""

from sovmigrate.postcheck import run_checks


def test_postcheck_directory_checks_pass(host):
    report = run_checks(host, "molecule", roles=["directory_join"])
    assert report.verdict == "pass", [r for r in report.results if r.status == "fail"]
    assert {r.name for r in report.results if r.status == "pass"} >= {
        "directory:joined",
        "directory:sssd_online",
        "directory:account_resolves",
    }


def test_an_agent_resolves_with_its_groups_and_gets_sudo(host):
    entry = host.run("getent -s sss passwd agent.un")
    assert entry.rc == 0 and entry.stdout.startswith("agent.un:")
    assert "admins-poste" in host.run("id -nG agent.un").stdout
    assert "(ALL : ALL) ALL" in host.run("sudo -l -U agent.un").stdout


def test_only_the_login_groups_may_log_in(host):
    conf = host.file("/etc/sssd/sssd.conf")
    assert conf.mode in (0o600, 0o640)
    assert "simple_allow_groups = agents" in conf.content_string
