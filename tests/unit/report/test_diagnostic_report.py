"""The diagnostic figures and their rendering (pure: in-memory machines)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import jsonschema
from markupsafe import escape

from sovmigrate.assess.cartography import summarize
from sovmigrate.assess.catalogue import default_catalogue
from sovmigrate.assess.config import load_config
from sovmigrate.assess.pci import default_pci_table
from sovmigrate.assess.readiness import Assessor
from sovmigrate.fleet.model import Machine, Software
from sovmigrate.report import diagnostic
from sovmigrate.report.i18n import Translator, gettext

SCHEMA = Path(__file__).parents[3] / "docs" / "formats" / "diagnostic-v1.schema.json"

SOFT = {
    "office": Software("Microsoft Office Professionnel Plus 2016", "Microsoft Corporation"),
    "teamviewer": Software("TeamViewer", "TeamViewer Germany GmbH"),  # EU
    "citrix": Software("Citrix Workspace 2309", "Citrix Systems, Inc."),  # stays (linux-version)
    "vcredist": Software("Microsoft Visual C++ 2015-2022 Redistributable (x64)", "Microsoft"),
    "vlc": Software("VLC media player", "VideoLAN"),  # free
    "firefox": Software("Mozilla Firefox (x64 fr)", "Mozilla"),  # free, non-EU
    "local": Software("Outil interne RECENS", ""),
}


def _pairs():
    config = load_config(None)
    assessor = Assessor(config, default_catalogue(), default_pci_table())
    fleet = [
        Machine(key="a", name="a", site="PARIS", department="RH", arch_bits=64, ram_mb=8192,
                disk_gb=256, softwares=(SOFT["office"], SOFT["citrix"], SOFT["vcredist"])),
        Machine(key="b", name="b", site="LYON", department="RH", arch_bits=64, ram_mb=8192,
                disk_gb=256, softwares=(SOFT["office"], SOFT["teamviewer"], SOFT["vlc"],
                                        SOFT["firefox"], SOFT["local"])),
    ]  # fmt: skip
    return [(m, assessor.assess(m)) for m in fleet], config


def test_both_figures_in_total_per_axis_and_after_each_wave() -> None:
    pairs, _ = _pairs()
    d = summarize(
        pairs, default_catalogue(), [("w1", "2027-01-04", ["a"]), ("w2", "2027-01-11", ["b"])]
    )
    # known, not ignored: office, citrix | office, teamviewer, vlc, firefox = 6; vcredist
    # ignored, RECENS not reviewed. Non-EU: office x2, citrix, firefox = 4; of them
    # proprietary (the dependencies): office x2, citrix = 3.
    assert (d.installs, d.non_eu, d.dependencies) == (6, 4, 3)
    assert (d.ignored_installs, d.unmatched_installs) == (1, 1)
    assert (round(d.non_eu_share, 4), d.share) == (0.6667, 0.5)
    assert dict(d.by_axis["workstation"]) == {
        "installs": 4, "non_eu": 3, "dependencies": 2, "machines": 2,
    }  # fmt: skip
    # After w1, a's Office is replaced by LibreOffice (EU) but Citrix (its Linux client) stays;
    # after w2, b's Office goes too, and Firefox stays non-EU (free: never a dependency).
    assert [(p.non_eu, p.dependencies) for p in d.projection] == [(4, 3), (3, 2), (2, 1)]
    assert d.projection[-1].non_eu_by_axis["workstation"] == 1
    assert d.projection[1].by_axis["virtualisation"] == 1
    assert d.by_jurisdiction == {"non-eu": 4, "eu": 2}
    assert d.sites["LYON"].dependencies == 1 and d.sites["LYON"].non_eu == 2
    assert d.departments["RH"].machines == 2


def test_html_json_and_csv_outputs_show_both_figures() -> None:
    pairs, config = _pairs()
    d = summarize(pairs, default_catalogue(), [("w1", "2027-01-04", ["a"])])
    fr = diagnostic.render_html(d, config.rules, campaign="essai")
    en = diagnostic.render_html(d, config.rules, campaign="essai", lang="en")
    for page, lang in ((fr, "fr"), (en, "en")):
        percent = Translator(lang).percent
        # today (4 of 6, 3 of 6) and after w1 (3 of 6, 2 of 6)
        for key, today, after in (("fig.non_eu", 4, 3), ("fig.dependency", 3, 2)):
            label, definition = gettext(key, lang), gettext(f"{key}_def", lang)
            # the label, the value today, after the last wave and the definition: one row
            row = re.search(f"<tr><td>{re.escape(escape(label))}</td>(.*?)</tr>", page)
            assert row is not None, (lang, key)
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1))
            assert cells == [percent(today / 6), percent(after / 6), escape(definition)]
        assert "<svg" in page
    assert "Outil interne RECENS" in fr  # titles not reviewed are listed
    data = json.loads(json.dumps(diagnostic.render_json(d, pairs, config.rules, campaign="e")))
    assert data["format"] == "sovmigrate-diagnostic" and data["version"] == 1
    assert data["figure"]["non_eu_proprietary_share"] == 0.5
    assert data["figure"]["non_eu_share"] == 0.6667
    assert [p["non_eu_share"] for p in data["projection"]] == [0.6667, 0.5]
    text = diagnostic.render_csv(pairs, config.rules)
    assert text.startswith("\ufeffname;site;") and text.count("\r\n") == 3
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    columns = ("known_installations", "non_eu_installations", "non_eu_dependencies")
    assert [[int(r[c]) for c in columns] for r in rows] == [[2, 2, 2], [4, 2, 1]]


def test_json_lists_every_machine_with_its_reasons_in_the_language_asked() -> None:
    pairs, config = _pairs()
    d = summarize(pairs, default_catalogue())
    schema = json.loads(SCHEMA.read_text())
    for lang in ("fr", "en"):
        data = diagnostic.render_json(d, pairs, config.rules, campaign="essai", lang=lang)
        jsonschema.validate(json.loads(json.dumps(data)), schema)
        by_name = {m["name"]: m for m in data["by_machine"]}
        assert set(by_name) == {"a", "b"} and by_name["b"]["site"] == "LYON"
        [reason] = [r for r in by_name["b"]["reasons"] if r["code"] == "software-not-reviewed"]
        assert reason["level"] == "needs-action" and by_name["b"]["status"] == "needs-action"
        assert reason["params"] == {"titles": "Outil interne RECENS"}
        expected = "Software not in the catalogue" if lang == "en" else "Logiciels absents"
        assert reason["message"].startswith(expected)
