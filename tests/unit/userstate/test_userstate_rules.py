"""Selection rules: first match wins, case-insensitive globs, overridable, keep by default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sovmigrate.errors import UsageError
from sovmigrate.userstate.rules import classify, load


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Documents/Rapport.odt", ("select", "")),
        ("documents/sub/DESKTOP.INI", ("exclude", "shell-metadata")),
        ("Pictures/Thumbs.db", ("exclude", "shell-metadata")),
        ("NTUSER.DAT", ("exclude", "registry-hive")),
        ("ntuser.dat.LOG2", ("exclude", "registry-hive")),
        ("AppData/Local/Temp/x.tmp", ("exclude", "temp")),
        ("AppData/Roaming/Editeur/config.xml", ("exclude", "appdata")),
        (
            "AppData/Local/Google/Chrome/User Data/Profile 1/Bookmarks",
            ("select", "browser-bookmarks"),
        ),
        (
            "AppData/Local/Google/Chrome/User Data/Default/Cache/Cache_Data/f_1",
            ("exclude", "cache"),
        ),
        (
            "appdata/roaming/mozilla/firefox/profiles/x.default/places.sqlite",
            ("select", "firefox-profile"),
        ),
        (
            "AppData/Roaming/Microsoft/Signatures/Agent_files/image001.png",
            ("select", "outlook-signatures"),
        ),
        ("AppData/Local/Microsoft/Outlook/agent@x.fr.pst", ("select", "outlook-pst")),
        ("Desktop/Word.lnk", ("exclude", "shortcut")),
        ("Desktop/Intranet.url", ("select", "")),
        ("Documents/~$rapport.docx", ("exclude", "temp")),
    ],
)
def test_default_rules_on_profile_paths(path: str, expected: tuple[str, str]) -> None:
    assert classify(load(None), "profile", path) == expected


def test_profile_only_rules_do_not_touch_other_roots() -> None:
    rules = load(None)
    assert classify(rules, "drive", "AppData/x.txt") == ("select", "")
    assert classify(rules, "drive", "pagefile.sys") == ("exclude", "system-file")
    assert classify(rules, "profile", "pagefile.sys") == ("select", "")


def test_star_stays_in_one_component() -> None:
    rules = load(None)
    # A Bookmarks file two levels under "User Data" is not a browser profile's bookmarks.
    deep = "AppData/Local/Google/Chrome/User Data/A/B/Bookmarks"
    assert classify(rules, "profile", deep) == ("exclude", "appdata")


def test_rules_file_extends_or_replaces(tmp_path: Path) -> None:
    extend = tmp_path / "extend.json"
    extend.write_text(
        json.dumps({"extend": [{"match": "**/*.iso", "action": "exclude", "reason": "disk-image"}]})
    )
    rules = load(extend)
    assert classify(rules, "profile", "Downloads/debian.iso") == ("exclude", "disk-image")
    assert classify(rules, "profile", "NTUSER.DAT") == ("exclude", "registry-hive")
    replace = tmp_path / "replace.json"
    replace.write_text(json.dumps([{"match": "**", "action": "select"}]))
    assert classify(load(replace), "profile", "NTUSER.DAT") == ("select", "")


def test_bad_rules_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"match": "x", "action": "delete"}]')
    with pytest.raises(UsageError, match="bad selection rule"):
        load(bad)
    with pytest.raises(UsageError, match="cannot read"):
        load(tmp_path / "missing.json")
