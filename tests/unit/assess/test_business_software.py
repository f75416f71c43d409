"""Business software the catalogue does not know is never ``ready``: it stays
``software-not-reviewed`` until the campaign's catalogue classifies it."""

from __future__ import annotations

from pathlib import Path

from sovmigrate.assess.cartography import summarize
from sovmigrate.assess.config import load_config
from sovmigrate.fleet.importer import load_fleet
from sovmigrate.fleet.prepare import assessor_for
from sovmigrate.lab.fleetgen import write_fleet

# The generated fleet's two local business applications, unknown to the shipped catalogue.
LOCAL = ("Appli métier GESTAC", "Outil interne RECENS")
OVERRIDE = """\
catalogue:
  - {id: gestac, name: GESTAC, match: ['^appli métier gestac'], publisher: Unknown,
     axis: databases, license: proprietary, action: web, category: business, path: web}
  - {id: recens, name: RECENS, match: ['^outil interne recens'], publisher: Unknown,
     axis: databases, license: proprietary, action: web, category: business, path: web}
"""


def test_unknown_business_titles_until_the_campaign_classifies_them(tmp_path: Path) -> None:
    write_fleet(tmp_path / "fleet", 150, seed=7)
    machines = load_fleet([tmp_path / "fleet"]).machines
    local = [m for m in machines if any(s.name in LOCAL for s in m.softwares)]
    assert 20 < len(local) < len(machines)  # a part of the fleet runs them

    default = assessor_for(load_config(None))
    for m in local:
        verdict = default.assess(m)
        assert verdict.status != "ready", m.name
        [reason] = [r for r in verdict.reasons if r.code == "software-not-reviewed"]
        titles = dict(reason.params)["titles"]
        assert any(t in titles for t in LOCAL)
    assert not any(
        r.code == "software-not-reviewed"
        for m in machines
        if m not in local
        for r in default.assess(m).reasons
    )  # every other title of the generated fleet is catalogued

    settings = tmp_path / "campaign.yml"
    settings.write_text(OVERRIDE)
    reviewed = assessor_for(load_config(settings))
    again = 0
    for m in local:
        before, after = default.assess(m), reviewed.assess(m)
        assert "software-not-reviewed" not in {r.code for r in after.reasons}
        others = {r.code for r in before.reasons} - {"software-not-reviewed"}
        assert {r.code for r in after.reasons} == others
        again += after.status == "ready"
    assert again > 0  # machines held back by these titles alone are ready again

    # The diagnostic counts the unreviewed titles by machine.
    diag = summarize([(m, default.assess(m)) for m in machines], default.catalogue)
    for title in LOCAL:
        running = sum(1 for m in local if title in {s.name for s in m.softwares})
        assert diag.unmatched[title] == running
