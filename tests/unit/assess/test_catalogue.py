"""The software catalogue: size, coverage, data quality, matching by name and publisher."""

# ruff: noqa: E501  (test tables read best one case a line)

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path

import pytest

from sovmigrate.assess.catalogue import ACTIONS, AXES, DATA, default_catalogue, load_catalogue
from sovmigrate.errors import UsageError


def test_at_least_200_titles_on_the_seven_axes() -> None:
    cat = default_catalogue()
    assert len(cat.entries) >= 200
    assert {e.axis for e in cat.entries} == set(AXES)
    assert {e.action for e in cat.entries} <= set(ACTIONS)
    assert all(re.fullmatch(r"[A-Z]{2}|", e.country) for e in cat.entries)


def test_every_non_ignored_proprietary_title_says_what_to_do() -> None:
    for e in default_catalogue().entries:
        if e.action in ("replace",):
            assert e.replacement, e.id
        if e.blocks:
            assert e.action == "exception", e.id


@pytest.mark.parametrize(
    ("title", "publisher", "entry", "jurisdiction"),
    [
        ("Microsoft Office Professionnel Plus 2016", "Microsoft Corporation", "ms-office", "non-eu"),
        ("Google Chrome", "Google LLC", "chrome", "non-eu"),
        ("7-Zip 23.01 (x64)", "Igor Pavlov", "7zip", "non-eu"),
        ("VLC media player", "VideoLAN", "vlc", "eu"),
        ("TeamViewer", "TeamViewer Germany GmbH", "teamviewer", "eu"),
        ("Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.38", "Microsoft Corporation", "vcredist", "non-eu"),
        ("Kaspersky Endpoint Security for Windows", "AO Kaspersky Lab", "kaspersky", "non-eu"),
        ("FortiClient VPN", "Fortinet Technologies Inc", "forticlient", "non-eu"),
        ("ChatGPT", "OpenAI", "chatgpt", "non-eu"),
        ("VMware Workstation", "VMware, Inc.", "vmware-workstation", "non-eu"),
        ("Microsoft SQL Server Management Studio - 19.1", "Microsoft Corporation", "ssms", "non-eu"),
        ("Zoom", "Zoom Video Communications, Inc.", "zoom", "non-eu"),
    ],
)  # fmt: skip
def test_matching(title: str, publisher: str, entry: str, jurisdiction: str) -> None:
    found = default_catalogue().match(title, publisher)
    assert found is not None and found.id == entry
    assert found.jurisdiction == jurisdiction


def test_publisher_must_agree_when_given() -> None:
    cat = default_catalogue()
    assert cat.match("Zoom", "Some Camera Vendor Ltd") is None
    assert cat.match("Zoom", "") is not None  # no publisher in the inventory: the name decides
    assert cat.match("Appli métier GESTAC", "Ministère") is None


def test_duplicate_ids_and_bad_entries_are_refused(tmp_path: Path) -> None:
    extra = [{"id": "chrome", "name": "x", "match": ["x"], "publisher": "Google", "axis": "ai",
              "license": "free", "action": "web"}]  # fmt: skip
    with pytest.raises(UsageError, match="'chrome' appears twice"):
        load_catalogue(extra=extra)
    bad = [{**extra[0], "id": "new", "axis": "space"}]
    with pytest.raises(UsageError, match="axis 'space'"):
        load_catalogue(extra=bad)


def test_packages_exist_in_debian_when_apt_knows_them() -> None:
    names = sorted({p for e in default_catalogue().entries for p in e.packages})
    assert names and all(re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", n) for n in names)
    try:
        out = subprocess.run(["apt-cache", "show", "--no-all-versions", *names],
                             capture_output=True, text=True, timeout=60)  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        pytest.skip("apt-cache not usable here")
    known = set(re.findall(r"^Package: (\S+)", out.stdout, re.M))
    if not known:
        pytest.skip("no APT lists on this machine")
    # firefox-esr-l10n-fr comes with firefox-esr's source; python3 is virtual on some mirrors
    assert set(names) - known <= {"firefox-esr-l10n-fr"}


def test_catalogue_file_counts_match_the_docs() -> None:
    text = (Path(__file__).parents[3] / "docs" / "catalogue.md").read_text()
    count = len(default_catalogue().entries)
    assert f"{count} titles" in text
    axes = collections.Counter(e.axis for e in default_catalogue().entries)
    assert all(axis in text for axis in axes)
    assert DATA.name in text
