"""The fleet diagnostic report: HTML (self-contained, fr/en), CSV (one row per machine), JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sovmigrate.assess.cartography import Diagnostic, Group
from sovmigrate.assess.catalogue import EU
from sovmigrate.assess.readiness import Assessment, Reason
from sovmigrate.fleet.model import Machine
from sovmigrate.report import (
    charts,
    fleet_messages,  # noqa: F401  (registers the texts)
    html,
)
from sovmigrate.report.diagnostic_figures import figure_section
from sovmigrate.report.diagnostic_json import render_json as render_json
from sovmigrate.report.i18n import Translator
from sovmigrate.report.templating import csv_document

_STATUS_TONE = {"ready": "ok", "needs-action": "warn", "blocked": "bad"}
_LEVEL_TONE = {"info": "info", "needs-action": "warn", "blocked": "bad"}


def _group_rows(groups: dict[str, Group], _: Translator) -> list[list[Any]]:
    rows = []
    for name in sorted(groups, key=lambda g: -groups[g].machines):
        g = groups[name]
        share = _.percent(g.dependencies / g.installs) if g.installs else "—"
        rows.append(
            [
                name,
                g.machines,
                g.status["ready"],
                g.status["needs-action"],
                g.status["blocked"],
                share,
            ]
        )
    return rows


def _readiness(d: Diagnostic, rules: dict[str, Any], _: Translator) -> str:
    figures = [(_("diag.machines"), _.number(d.machines), "info")]
    for status in ("ready", "needs-action", "blocked"):
        share = d.status[status] / d.machines if d.machines else 0
        figures.append(
            (
                _(f"status.{status}"),
                f"{_.number(d.status[status])} ({_.percent(share, 0)})",
                _STATUS_TONE[status],
            )
        )
    donut = charts.donut_chart(
        [(_(f"status.{s}"), d.status[s]) for s in ("ready", "needs-action", "blocked")],
        title=_("diag.readiness"),
        fmt=_.number,
    )
    top = d.reasons.most_common(15)
    rows = [
        [
            code,
            html.badge(d.reason_levels[code], _LEVEL_TONE[d.reason_levels[code]]),
            Reason(code, d.reason_levels[code]).message(rules, _.lang),
            count,
        ]
        for code, count in top
    ]
    bars = charts.bar_chart([(code, n) for code, n in top], title=_("diag.reasons"), fmt=_.number)
    table = html.table(
        [_("diag.code"), _("diag.level"), _("diag.message"), _("diag.machines")],
        rows,
        numeric=[3],
        lang=_.lang,
    )
    return html.kpis(figures) + html.figure(donut) + html.figure(bars) + table


def _map(d: Diagnostic, _: Translator) -> str:
    axes = list(d.by_axis)
    after = d.projection[-1].by_axis if d.projection else {}
    series = [
        charts.Series(_("diag.before"), [d.by_axis[a]["dependencies"] for a in axes]),
        charts.Series(_("diag.after"), [after.get(a, 0) for a in axes]),
    ]
    axis_chart = "".join(
        charts.bar_chart(
            [(_(f"axis.{a}"), s.values[i]) for i, a in enumerate(axes)],
            title=f"{_('diag.dependencies')} — {s.name}",
            fmt=_.number,
            color=charts.color(k),
        )
        for k, s in enumerate(series)
    )
    axis_rows = [
        [
            _(f"axis.{a}"),
            d.by_axis[a]["installs"],
            d.by_axis[a]["dependencies"],
            d.by_axis[a]["machines"],
            after.get(a, 0),
        ]
        for a in axes
    ]
    axis_table = html.table(
        [
            _("diag.axis"),
            _("diag.installs"),
            _("diag.dependencies"),
            _("diag.machines_dep"),
            _("diag.after"),
        ],
        axis_rows,
        numeric=[1, 2, 3, 4],
        lang=_.lang,
    )
    publishers = sorted(d.by_publisher.items(), key=lambda kv: -kv[1][0])
    pub_chart = charts.bar_chart(
        [(p, v[0]) for p, v in publishers[:20]], title=_("diag.by_publisher"), fmt=_.number
    )
    pub_rows = [
        [
            p,
            d.publisher_country.get(p, ""),
            _(f"jur.{_jur(d.publisher_country.get(p, ''))}"),
            v[0],
            v[1],
        ]
        for p, v in publishers
    ]
    pub_table = html.table(
        [
            _("diag.publisher"),
            _("diag.country"),
            _("diag.by_jurisdiction"),
            _("diag.installs"),
            _("diag.machines"),
        ],
        pub_rows,
        numeric=[3, 4],
        limit=60,
        lang=_.lang,
    )
    jur = charts.donut_chart(
        [(_(f"jur.{j}"), n) for j, n in sorted(d.by_jurisdiction.items())],
        title=_("diag.by_jurisdiction"),
        fmt=_.number,
    )
    return (
        html.heading(_("diag.by_axis"))
        + html.figure(axis_chart)
        + axis_table
        + html.heading(_("diag.by_jurisdiction"))
        + html.figure(jur)
        + html.heading(_("diag.by_publisher"))
        + html.figure(pub_chart)
        + pub_table
    )


def _jur(country: str) -> str:
    return "unknown" if not country else "eu" if country in EU else "non-eu"


def render_html(
    d: Diagnostic, rules: dict[str, Any], *, campaign: str, lang: str = "fr", generated: str = ""
) -> str:
    _ = Translator(lang)
    group_head = [
        _("diag.site"),
        _("diag.machines"),
        _("status.ready"),
        _("status.needs-action"),
        _("status.blocked"),
        _("diag.share"),
    ]
    sections = [
        ("readiness", _("diag.readiness"), _readiness(d, rules, _), None),
        ("figure", _("diag.figure"), figure_section(d, _), None),
        ("map", _("diag.map"), _map(d, _), None),
        (
            "sites",
            _("diag.sites"),
            html.table(
                group_head, _group_rows(d.sites, _), numeric=[1, 2, 3, 4, 5], limit=200, lang=lang
            ),
            None,
        ),
        (
            "departments",
            _("diag.departments"),
            html.table(
                [_("diag.department"), *group_head[1:]],
                _group_rows(d.departments, _),
                numeric=[1, 2, 3, 4, 5],
                lang=lang,
            ),
            None,
        ),
        (
            "unmatched",
            _("diag.unmatched"),
            html.table(
                [_("diag.title_col"), _("diag.machines")],
                d.unmatched.most_common(100),
                numeric=[1],
                lang=lang,
            ),
            _("diag.unmatched_intro"),
        ),
    ]
    body = "".join(
        html.section(title, content, anchor=a, intro=intro) for a, title, content, intro in sections
    )
    return html.page(
        _("diag.title"),
        body,
        lang=lang,
        subtitle=_("diag.subtitle", campaign=campaign),
        generated=generated,
        nav=[(a, t) for a, t, _c, _i in sections],
    )


# non_eu_installations and non_eu_dependencies over known_installations are the machine's
# shares of the two figures (docs/formats.md).
CSV_COLUMNS = (
    "name",
    "site",
    "department",
    "model",
    "status",
    "reasons",
    "messages",
    "ram_mb",
    "disk_gb",
    "user_data_gb",
    "transfer_hours",
    "known_installations",
    "non_eu_installations",
    "non_eu_dependencies",
    "source",
)


def _figures(a: Assessment) -> tuple[int, int, int]:
    """The machine's known installations, non-EU ones and non-EU proprietary ones, as the
    diagnostic counts them (action ``ignore`` left out)."""
    known = [e for e in a.matched if e.action != "ignore"]
    return (
        len(known),
        sum(1 for e in known if e.jurisdiction == "non-eu"),
        sum(1 for e in known if e.dependency),
    )


def render_csv(
    pairs: Sequence[tuple[Machine, Assessment]], rules: dict[str, Any], lang: str = "fr"
) -> str:
    """One row per machine; UTF-8 with BOM and ``;`` so LibreOffice Calc and Excel open it.

    Every cell goes through ``templating.csv_document``: a name or title starting with ``=``,
    ``+``, ``-`` or ``@`` stays text in a spreadsheet instead of running as a formula.
    """
    rows = (
        [
            m.name,
            m.site,
            m.department,
            m.hardware_model,
            a.status,
            " ".join(r.code for r in a.reasons),
            " | ".join(r.message(rules, lang) for r in a.reasons if r.level != "info"),
            m.ram_mb,
            m.disk_gb,
            m.user_data_gb,
            a.transfer_hours,
            *_figures(a),
            m.source,
        ]
        for m, a in pairs
    )
    return csv_document(CSV_COLUMNS, rows)
