"""The report base pieces: pages are self-contained, texts escaped, charts valid SVG."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from sovmigrate.errors import UsageError
from sovmigrate.report import charts, html, i18n

SVG = "{http://www.w3.org/2000/svg}"


def test_french_by_default_and_english_on_demand() -> None:
    i18n.register({"test.hello": {"fr": "Bonjour {name}", "en": "Hello {name}"}})
    assert i18n.gettext("test.hello", name="Anne") == "Bonjour Anne"
    assert i18n.Translator("en")("test.hello", name="Anne") == "Hello Anne"
    assert i18n.gettext("test.never-registered") == "test.never-registered"


def test_conflicting_registration_is_refused() -> None:
    i18n.register({"test.same": {"fr": "a", "en": "b"}})
    i18n.register({"test.same": {"fr": "a", "en": "b"}})
    with pytest.raises(ValueError):
        i18n.register({"test.same": {"fr": "autre", "en": "b"}})
    with pytest.raises(ValueError):
        i18n.register({"test.half": {"fr": "seulement"}})


def test_unknown_language_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown language 'de'"):
        i18n.Translator("de")


def test_number_date_and_percent_formats() -> None:
    assert i18n.format_number(1234567.25, "fr", 1) == "1\u202f234\u202f567,2"
    assert i18n.format_number(1234567, "en") == "1,234,567"
    assert i18n.format_percent(0.4567, "fr") == "45,7\u00a0%"
    assert i18n.format_percent(0.4567, "en") == "45.7%"
    assert i18n.format_date(dt.date(2027, 5, 1), "fr") == "1er mai 2027"
    assert i18n.format_date(dt.date(2027, 5, 8), "en") == "May 8, 2027"


def test_page_is_self_contained_and_escapes_text() -> None:
    body = html.section("Sites <b>", html.table(["Nom", "Postes"], [["<script>x</script>", 3]]))
    doc = html.page("Diagnostic & plan", body, lang="en", nav=[("s", "Sites")])
    assert doc.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in doc
    assert "<script>" not in doc and "&lt;script&gt;" in doc
    assert "Sites &lt;b&gt;" in doc and "Diagnostic &amp; plan" in doc
    assert 'http-equiv="Content-Security-Policy"' in doc
    assert "src=" not in doc and "<link" not in doc


def test_table_limit_counts_hidden_rows_and_formats_numbers() -> None:
    out = html.table(["a", "n"], [[str(i), i * 1000] for i in range(5)], limit=2)
    assert out.count("<tr>") == 3  # header + 2 rows
    assert "+ 3" in out
    assert '<td class="n">1\u202f000</td>' in out
    assert html.badge("ok", "ok") in html.table(["x"], [[html.badge("ok", "ok")]])


def test_write_is_atomic_and_creates_directories(tmp_path) -> None:
    target = html.write(tmp_path / "a" / "r.html", "<p>x</p>")
    assert target.read_text() == "<p>x</p>"
    assert [p.name for p in target.parent.iterdir()] == ["r.html"]


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def test_bar_and_stacked_charts_scale_to_values() -> None:
    root = _parse(charts.bar_chart([("A & B", 10), ("C", 5)], title="t<"))
    widths = [float(r.get("width", 0)) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])
    series = [charts.Series("UE", [1, 3]), charts.Series("Hors UE", [3, 1])]
    root = _parse(charts.stacked_bar_chart(["x", "y"], series, title="s", normalise=True))
    bars = [float(r.get("width", 0)) for r in root.iter(f"{SVG}rect") if r.get("height") == "20"]
    assert bars[0] + bars[1] == pytest.approx(bars[2] + bars[3])


def test_donut_line_and_gantt_are_valid_svg() -> None:
    _parse(charts.donut_chart([("a", 1), ("b", 0), ("c", 3)], title="d"))
    _parse(charts.donut_chart([("seul", 4)], title="full circle"))
    _parse(charts.line_chart(["V1", "V2"], [charts.Series("%", [0.5, 0.2])], title="l"))
    tasks = [
        charts.GanttTask("Pilote", dt.date(2027, 1, 4), dt.date(2027, 1, 8), "pilot"),
        charts.GanttTask("Vague 1", dt.date(2027, 1, 11), dt.date(2027, 3, 2), "site"),
    ]
    root = _parse(charts.gantt_chart(tasks, title="g", lang="en"))
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert any("January 4, 2027" in t for t in titles)


def test_empty_charts_say_so() -> None:
    assert "Aucune donnée" in charts.bar_chart([], title="vide")
    assert "Aucune donnée" in charts.gantt_chart([], title="vide")
