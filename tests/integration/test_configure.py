"""configure.yml then postcheck.yml on a freshly booted lab machine, as a migration team runs them.

One machine (Debian 13, systemd-nspawn), the real roles, the minimal desktop profile (no gdm) to
keep CI short. The Tchap package is a stand-in built by sovmigrate/lab/tchap_standin.py (same
file name, package name and dependencies; the real one cannot be downloaded here), served by a local
HTTP server on the lab's host-side address that also stands in for the suite's web endpoints.
Then: a second run changes nothing, --check --diff reports nothing, the Tchap acceptance points,
a tampered package is refused with nothing installed, an upgrade from a file:// mirror, and the
postcheck names the check of every component broken on purpose.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_configure_support import (
    REPO,
    PlaybookRun,
    StandInServer,
    failed_names,
    lab_root,
    playbook,
    postcheck,
    ssh,
)

from sovmigrate.lab.tchap_standin import TchapDeb, build_tchap_deb

pytestmark = pytest.mark.integration

HOST = "wscfg1"
AGENT_SESSION = (
    "U=$(id -u agent); systemctl start user@$U.service; "
    "runuser -u agent -- env XDG_RUNTIME_DIR=/run/user/$U "
    "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$U/bus "
)


class Machine:
    def __init__(self, inventory: Path, ssh_argv: list[str], mirror: StandInServer, deb: TchapDeb):
        self.inventory = inventory
        self.ssh_argv = ssh_argv
        self.mirror = mirror
        self.deb = deb

    def vars(self, **more: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "workstation_desktop_profile": "minimal",
            "workstation_apps_install_recommends": False,
            "interministerial_suite_tchap_version": self.deb.version,
            "interministerial_suite_tchap_sha256": self.deb.sha256,
            "interministerial_suite_tchap_base_url": self.mirror.url,
            # The stand-in server plays the suite's endpoints: nothing leaves this machine.
            "interministerial_suite_reachability_endpoints": [self.mirror.url + "/"],
        }
        return {**base, **more}

    def configure(self, *args: str, **more: Any) -> PlaybookRun:
        return playbook(self.inventory, HOST, "configure.yml", self.vars(**more), *args)

    def sh(self, command: str) -> str:
        out = ssh(self.ssh_argv, command)
        assert out.returncode == 0, f"{command}: {out.stderr}"
        return out.stdout


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Machine]:
    if os.geteuid() != 0:
        pytest.skip("lab machines need root (systemd-nspawn)")
    from sovmigrate.lab import Lab

    lab = Lab(lab_root())
    report = lab.up([HOST])
    address = report.machines[0].address
    served = tmp_path_factory.mktemp("mirror")
    deb = build_tchap_deb(served, "2.9.1")
    server = StandInServer(served, address.rsplit(".", 1)[0] + ".1")
    server.start()
    try:
        yield Machine(lab.paths.inventory, lab.ssh_argv(HOST), server, deb)
    finally:
        server.stop()
        lab.destroy([HOST])


@pytest.fixture(scope="module")
def configured(machine: Machine) -> Machine:
    run = machine.configure()
    assert run.rc == 0, run.output[-5000:]
    return machine


def test_configure_then_postcheck_pass(configured: Machine) -> None:
    run = playbook(configured.inventory, HOST, "postcheck.yml", {})
    assert run.rc == 0, run.output[-4000:]
    assert "postcheck passed" in run.output
    report = (REPO / "artifacts" / "postcheck" / f"{HOST}.json").read_text()
    assert '"verdict": "pass"' in report


def test_second_run_changes_nothing(configured: Machine) -> None:
    run = configured.configure()
    assert run.rc == 0, run.output[-4000:]
    assert run.recap(HOST)["changed"] == 0, run.output[-6000:]


def test_check_diff_on_configured_machine_reports_no_change(configured: Machine) -> None:
    run = configured.configure("--check", "--diff")
    assert run.rc == 0, run.output[-4000:]
    assert run.recap(HOST)["changed"] == 0, run.output[-6000:]


def test_tchap_is_pinned_held_handles_its_urls_and_has_a_secret_service(
    configured: Machine,
) -> None:
    m = configured
    assert m.sh("dpkg-query -W -f='${Version}' tchap-prod") == "2.9.1"
    assert m.sh("dpkg --get-selections tchap-prod").split() == ["tchap-prod", "hold"]
    # apt resolved the dependencies the .deb declares.
    m.sh("dpkg-query -W libwebkit2gtk-4.1-0")
    assert "x-scheme-handler/tchap" in m.sh("cat /usr/share/applications/Tchap-prod.desktop")
    m.sh("id agent || useradd -m -s /bin/bash agent")
    handler = m.sh(AGENT_SESSION + "xdg-mime query default x-scheme-handler/tchap")
    assert handler.strip() == "Tchap-prod.desktop"
    collections = m.sh(
        AGENT_SESSION + "busctl --user call org.freedesktop.secrets /org/freedesktop/secrets "
        "org.freedesktop.DBus.Properties Get ss org.freedesktop.Secret.Service Collections"
    )
    assert collections.startswith("v ao")
    conf = m.sh("cat /etc/tchap/config.json")
    assert "https://matrix.agent.tchap.gouv.fr" in conf and '"disable_update": true' in conf


def test_tampered_package_is_refused_before_install(configured: Machine, tmp_path: Path) -> None:
    m = configured
    # The mirror serves a 2.9.2 whose bytes differ from the checksum the campaign pinned.
    genuine = build_tchap_deb(tmp_path, "2.9.2")
    tampered = build_tchap_deb(m.mirror.directory, "2.9.2", marker="tampered")
    assert tampered.sha256 != genuine.sha256
    run = m.configure(
        "--tags",
        "interministerial_suite",
        interministerial_suite_tchap_version="2.9.2",
        interministerial_suite_tchap_sha256=genuine.sha256,
    )
    assert run.rc != 0
    # The callback wraps long messages: compare with whitespace collapsed.
    said = " ".join(run.output.split())
    assert "Tchap package refused, nothing installed" in said
    assert "does not match interministerial_suite_tchap_sha256" in said
    assert m.sh("dpkg-query -W -f='${Version}' tchap-prod") == "2.9.1"
    assert "2.9.2" not in m.sh("ls /var/cache/sovmigrate/tchap/")


def test_upgrade_from_a_file_mirror(configured: Machine, tmp_path: Path) -> None:
    m = configured
    new = build_tchap_deb(tmp_path, "2.9.3")
    # A mirror directory on the machine itself, reached by a file:// URL.
    m.sh("mkdir -p /srv/tchap-mirror")
    with new.path.open("rb") as src:
        subprocess.run(
            [*m.ssh_argv, f"cat > /srv/tchap-mirror/{new.filename}"], stdin=src, check=True
        )
    run = m.configure(
        "--tags",
        "interministerial_suite",
        interministerial_suite_tchap_version="2.9.3",
        interministerial_suite_tchap_sha256=new.sha256,
        interministerial_suite_tchap_base_url="file:///srv/tchap-mirror",
    )
    assert run.rc == 0, run.output[-4000:]
    assert m.sh("dpkg-query -W -f='${Version}' tchap-prod") == "2.9.3"
    assert m.sh("dpkg --get-selections tchap-prod").split()[-1] == "hold"
    code, report, _ = postcheck(m.inventory, HOST, "--role", "interministerial_suite")
    assert code == 0, report


# (role, commands that break it, the check that must notice, commands that repair it)
BREAKAGES = [
    (
        "workstation_base",
        "ln -sf /usr/share/zoneinfo/UTC /etc/localtime",
        "base:timezone",
        "ln -sf /usr/share/zoneinfo/Europe/Paris /etc/localtime",
    ),
    (
        "workstation_desktop",
        "mv /etc/dconf/db/local /root/dconf-local.bak",
        "desktop:dconf_compiled",
        "mv /root/dconf-local.bak /etc/dconf/db/local",
    ),
    (
        "workstation_apps",
        "cp /etc/firefox/policies/policies.json /root/policies.bak && "
        "python3 -c \"import json; p='/etc/firefox/policies/policies.json'; "
        "d=json.load(open(p)); d['policies']['Permissions']['Camera']['Allow']=[]; "
        "json.dump(d, open(p, 'w'))\"",
        "apps:visio_permissions",
        "cp /root/policies.bak /etc/firefox/policies/policies.json",
    ),
    (
        "interministerial_suite",
        "apt-mark unhold tchap-prod",
        "suite:tchap_held",
        "apt-mark hold tchap-prod",
    ),
    (
        "interministerial_suite",
        "mv /usr/share/applications/sovmigrate-visio.desktop /root/",
        "suite:launchers",
        "mv /root/sovmigrate-visio.desktop /usr/share/applications/",
    ),
    ("hardening", "chmod 0644 /etc/shadow", "hardening:R50", "chmod 0640 /etc/shadow"),
    (
        "hardening",
        "sysctl -qw net.ipv4.conf.all.send_redirects=1",
        "hardening:R12",
        "sysctl -qw net.ipv4.conf.all.send_redirects=0",
    ),
]


@pytest.mark.parametrize(
    ("role", "breaks", "check", "repairs"), BREAKAGES, ids=[b[2] for b in BREAKAGES]
)
def test_postcheck_names_the_broken_component(
    configured: Machine, role: str, breaks: str, check: str, repairs: str
) -> None:
    m = configured
    m.sh(breaks)
    try:
        code, report, stderr = postcheck(m.inventory, HOST, "--role", role)
    finally:
        m.sh(repairs)
    assert code == 1
    assert report["verdict"] == "fail"
    assert check in failed_names(report), report
    assert check in stderr
    code, report, _ = postcheck(m.inventory, HOST, "--role", role)
    assert code == 0, report
