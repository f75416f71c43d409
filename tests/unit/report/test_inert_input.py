"""Names, users, titles and sites are data, never markup nor formulas, in every report.

The hostile values are what a GLPI inventory or an operator can really hand over: an agent's
name with a tag, a site with a quote that would close an attribute, a software title that a
spreadsheet would run as a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sovmigrate.assess.cartography import summarize
from sovmigrate.assess.catalogue import default_catalogue
from sovmigrate.assess.config import load_config
from sovmigrate.assess.pci import default_pci_table
from sovmigrate.assess.readiness import Assessor
from sovmigrate.fleet.model import Machine, Software
from sovmigrate.report import diagnostic, templating, wave
from sovmigrate.state import MachineRecord, open_store
from sovmigrate.state.pipeline import StageOutcome, begin_stage, finish_stage

MARKUP = '<script>alert("x")</script>'
ATTR = '"><img src=x onerror=alert(1)>'
FORMULAS = ('=HYPERLINK("http://evil")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)")


class _Tags(HTMLParser):
    """Every element and attribute of a document, and its text, as a browser parses them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _assert_inert(document: str, *values: str) -> None:
    parsed = _Tags()
    parsed.feed(document)
    assert "script" not in parsed.tags and "img" not in parsed.tags, parsed.tags
    assert not any(a.startswith("on") for a in parsed.attrs), parsed.attrs
    text = "".join(parsed.text)
    for value in values:
        # Shown to the reader exactly as it was given (escaped, not dropped).
        assert value in text, value


def _wave_data(tmp_path: Path) -> dict[str, object]:
    with open_store(str(tmp_path / "state.db")) as store:
        camp = store.campaign("camp<b>", create=True)
        store.upsert_machines(
            camp,
            [
                MachineRecord(MARKUP, site=ATTR),
                MachineRecord(FORMULAS[0], site=FORMULAS[3]),
            ],
        )
        w = store.create_wave(camp, "w<i>1", [MARKUP, FORMULAS[0]])
        for m in store.machines(camp, wave=w):
            run = begin_stage(store, m, "precheck", wave_id=w.id)
            finish_stage(
                store, m.id, "precheck", run, StageOutcome(ok=False, reason=ATTR), "tester"
            )
        return wave.collect(store, camp, w)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_wave_report_shows_markup_as_text(tmp_path: Path, lang: str) -> None:
    document = wave.render(_wave_data(tmp_path), "html", lang)
    _assert_inert(document, MARKUP, ATTR, FORMULAS[0], FORMULAS[3], "camp<b>", "w<i>1")


def _hostile_fleet():
    config = load_config(None)
    assessor = Assessor(config, default_catalogue(), default_pci_table())
    titles = (Software(MARKUP, ATTR), *(Software(f, f) for f in FORMULAS))
    fleet = [
        Machine(key="a", name=MARKUP, site=ATTR, department=FORMULAS[1], arch_bits=64,
                ram_mb=8192, disk_gb=256, softwares=titles),
        Machine(key="b", name=FORMULAS[0], site=FORMULAS[3], department=MARKUP, arch_bits=64,
                ram_mb=8192, disk_gb=256, softwares=titles),
    ]  # fmt: skip
    return [(m, assessor.assess(m)) for m in fleet], config


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_diagnostic_report_shows_markup_as_text(lang: str) -> None:
    pairs, config = _hostile_fleet()
    d = summarize(pairs, default_catalogue())
    document = diagnostic.render_html(d, config.rules, campaign=MARKUP, lang=lang)
    # The unreviewed titles, the sites and the campaign are all printed somewhere.
    _assert_inert(document, MARKUP, ATTR, FORMULAS[3])


def test_diagnostic_csv_never_starts_a_cell_with_a_formula() -> None:
    pairs, config = _hostile_fleet()
    text = diagnostic.render_csv(pairs, config.rules)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    by_name = {row[0]: row for row in rows[1:]}
    # Each value is kept whole behind the one quote Calc and Excel hide.
    assert set(by_name) == {MARKUP, "'" + FORMULAS[0]}
    assert by_name["'" + FORMULAS[0]][1] == "'" + FORMULAS[3]
    assert by_name[MARKUP][2] == "'" + FORMULAS[1]


def test_csv_cell_keeps_numbers_and_plain_text() -> None:
    assert templating.csv_cell(-3) == -3 and templating.csv_cell(2.5) == 2.5
    assert templating.csv_cell(None) == "" and templating.csv_cell("Lyon") == "Lyon"
    assert templating.csv_cell("-5") == "'-5" and templating.csv_cell("\tx") == "'\tx"
