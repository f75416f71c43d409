"""Testinfra checks of the harness scenario, run from inside the lab machine over SSH."""


def test_systemd_is_pid1_and_running(host):
    assert host.run("systemctl is-system-running").stdout.strip() == "running"
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"


def test_package_installed(host):
    assert host.package("tree").is_installed


def test_service_running_and_enabled(host):
    svc = host.service("lab-smoke.service")
    assert svc.is_running
    assert svc.is_enabled
