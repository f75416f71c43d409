"""Finding the Debian mirror in the host's APT sources, in both formats."""

import pytest

from sovmigrate.errors import EnvironmentProblem
from sovmigrate.lab.host import apt_mirror

MIRROR = "http://mirror.invalid/debian"
SECURITY = "http://mirror.invalid/debian-security"


def test_deb822_sources_skip_security_and_disabled(tmp_path):
    d = tmp_path / "sources.list.d"
    d.mkdir()
    (d / "a.sources").write_text(
        f"Types: deb\nURIs: {SECURITY}\nSuites: trixie-security\n\n"
        "Types: deb\nURIs: http://other.invalid/debian\nEnabled: no\n\n"
        f"# comment\nTypes: deb deb-src\nURIs: {MIRROR}/\nSuites: trixie\n"
    )
    assert apt_mirror(tmp_path) == MIRROR


def test_one_line_sources(tmp_path):
    (tmp_path / "sources.list").write_text(
        f"# deb http://commented.invalid/debian x main\ndeb [arch=amd64] {MIRROR} bookworm main\n"
    )
    assert apt_mirror(tmp_path) == MIRROR


def test_no_debian_mirror_is_a_clear_error(tmp_path):
    (tmp_path / "sources.list").write_text("deb https://vendor.invalid/apt stable main\n")
    with pytest.raises(EnvironmentProblem, match="no Debian mirror"):
        apt_mirror(tmp_path)


def test_kernel_limits_raised_never_lowered(tmp_path):
    from sovmigrate.lab.host import raise_kernel_limits

    (tmp_path / "fs/inotify").mkdir(parents=True)
    (tmp_path / "fs/inotify/max_user_instances").write_text("128\n")
    (tmp_path / "fs/inotify/max_user_watches").write_text("9999999\n")
    raise_kernel_limits(tmp_path)
    assert (tmp_path / "fs/inotify/max_user_instances").read_text() == "8192\n"
    assert (tmp_path / "fs/inotify/max_user_watches").read_text() == "9999999\n"
