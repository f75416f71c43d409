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


# Titles that two entries' patterns both find, as Windows agents report them: the entry tried
# first wins, so the catalogue's order (or a pattern's exclusion) decides, with or without the
# publisher in the inventory. Each row is the explicit answer; reordering the file breaks it.
OVERLAPS = [
    ("Bitdefender Endpoint Security Tools", "Bitdefender SRL", "bitdefender"),  # 'defender'
    ("Windows Defender", "Microsoft Corporation", "defender"),
    ("Microsoft Access Runtime 2016", "Microsoft Corporation", "access-runtime"),  # ms-access
    ("Microsoft Office Access 2010", "Microsoft Corporation", "ms-access"),
    ("Microsoft Access database engine 2016 (French)", "Microsoft Corporation", "ms-ole-odbc"),
    ("Microsoft 365 Apps for enterprise - fr-fr", "Microsoft Corporation", "ms-office-365"),
    ("Microsoft Office Professionnel Plus 2016", "Microsoft Corporation", "ms-office"),
    ("Microsoft Office Outlook 2010", "Microsoft Corporation", "outlook"),  # not ms-office
    ("Brother MFL-Pro Suite MFC-L2710DW series", "Brother Industries, Ltd.", "scan-brother"),
    ("Realtek High Definition Audio Driver", "Realtek Semiconductor Corp.", "realtek-drivers"),
    ("Intel(R) Graphics Driver", "Intel Corporation", "intel-drivers"),  # not generic
    ("Gestionnaire de pilotes HP", "", "generic-components"),  # last resort only
]


@pytest.mark.parametrize(("title", "publisher", "entry"), OVERLAPS)
def test_overlapping_patterns_resolve_in_an_explicit_order(
    title: str, publisher: str, entry: str
) -> None:
    cat = default_catalogue()
    for pub in (publisher, ""):
        found = cat.match(title, pub)
        assert found is not None and found.id == entry, (title, pub, found and found.id)


def test_generic_components_entry_is_tried_last() -> None:
    assert default_catalogue().entries[-1].id == "generic-components"


def test_every_replacement_is_packaged() -> None:
    """A replacement named but not packaged in Debian is not a replacement (Tchap: the
    interministerial_suite role installs DINUM's own package)."""
    for e in default_catalogue().entries:
        if e.action == "replace" and e.id != "tchap":
            assert e.packages, e.id


@pytest.mark.parametrize(
    ("publisher", "country"),
    [("Avast", "US"), ("Panda", "US"), ("Cylance", "US"), ("Piriform", "US"),
     ("Atlassian", "US"), ("Audacity", "CY"), ("Opera", "CN"), ("ALE", "CN")],
)  # fmt: skip
def test_acquired_publishers_follow_their_owner(publisher: str, country: str) -> None:
    countries = {e.publisher: e.country for e in default_catalogue().entries}
    assert countries[publisher] == country
