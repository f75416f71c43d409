"""The diagnostic figures and their rendering (pure: in-memory machines)."""

from __future__ import annotations

import json

from sovmigrate.assess.cartography import summarize
from sovmigrate.assess.catalogue import default_catalogue
from sovmigrate.assess.config import load_config
from sovmigrate.assess.pci import default_pci_table
from sovmigrate.assess.readiness import Assessor
from sovmigrate.fleet.model import Machine, Software
from sovmigrate.report import diagnostic

SOFT = {
    "office": Software("Microsoft Office Professionnel Plus 2016", "Microsoft Corporation"),
    "teamviewer": Software("TeamViewer", "TeamViewer Germany GmbH"),  # EU
    "citrix": Software("Citrix Workspace 2309", "Citrix Systems, Inc."),  # stays (linux-version)
    "vcredist": Software("Microsoft Visual C++ 2015-2022 Redistributable (x64)", "Microsoft"),
    "vlc": Software("VLC media player", "VideoLAN"),  # free
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
                                        SOFT["local"])),
    ]  # fmt: skip
    return [(m, assessor.assess(m)) for m in fleet], config


def test_figure_counts_proprietary_non_eu_and_projects_after_waves() -> None:
    pairs, _ = _pairs()
    d = summarize(
        pairs, default_catalogue(), [("w1", "2027-01-04", ["a"]), ("w2", "2027-01-11", ["b"])]
    )
    # installations known and not ignored: office, citrix, office, teamviewer, vlc = 5
    assert (d.installs, d.dependencies, d.ignored_installs, d.unmatched_installs) == (5, 3, 1, 1)
    # after w1, a's Office is replaced but Citrix (a Linux client of the same vendor) stays
    assert [p.dependencies for p in d.projection] == [3, 2, 1]
    assert d.projection[1].by_axis["virtualisation"] == 1
    assert d.by_jurisdiction == {"non-eu": 3, "eu": 2}
    assert d.sites["LYON"].dependencies == 1 and d.departments["RH"].machines == 2


def test_html_json_and_csv_outputs() -> None:
    pairs, config = _pairs()
    d = summarize(pairs, default_catalogue())
    fr = diagnostic.render_html(d, config.rules, campaign="essai")
    en = diagnostic.render_html(d, config.rules, campaign="essai", lang="en")
    assert "Part des installations de logiciels propriétaires" in fr and "<svg" in fr
    assert "Share of installations of proprietary software" in en
    assert "Outil interne RECENS" in fr  # unmatched titles are listed
    data = diagnostic.render_json(d, campaign="essai")
    assert json.loads(json.dumps(data))["figure"]["non_eu_proprietary_share"] == 0.6
    text = diagnostic.render_csv(pairs, config.rules)
    assert text.startswith("\ufeffname;site;") and text.count("\r\n") == 3
