"""The diagnostic's figures section: the non-EU share and the non-EU proprietary share, in
total and per axis, each beside its definition, and the calendar of both after each wave."""

from __future__ import annotations

from sovmigrate.assess.cartography import Diagnostic
from sovmigrate.report import charts, html
from sovmigrate.report.i18n import Translator, register

register(
    {
        "fig.non_eu": {
            "fr": "Part des installations d'éditeurs hors UE",
            "en": "Share of installations from non-EU publishers",
        },
        "fig.non_eu_def": {
            "fr": "Parmi les installations que le catalogue connaît (pilotes, composants et "
            "logiciels non revus exclus), celles d'un titre dont l'éditeur a son siège hors de "
            "l'Union européenne, logiciel libre ou propriétaire.",
            "en": "Among the installations the catalogue knows (drivers, components and software "
            "not reviewed excluded), those of a title whose publisher has its head office "
            "outside the European Union, free or proprietary.",
        },
        "fig.dependency": {
            "fr": "Part des dépendances propriétaires hors UE",
            "en": "Share of non-EU proprietary dependencies",
        },
        "fig.dependency_def": {
            "fr": "Parmi les mêmes installations, celles d'un logiciel propriétaire dont "
            "l'éditeur a son siège hors de l'Union européenne. Un logiciel libre n'en est pas "
            "une, quel que soit le pays de son éditeur : il peut être audité, repris et hébergé "
            "partout.",
            "en": "Among the same installations, those of proprietary software whose publisher "
            "has its head office outside the European Union. Free software is not one, whatever "
            "its publisher's country: it can be audited, forked and hosted anywhere.",
        },
        "fig.figure": {"fr": "Indicateur", "en": "Figure"},
        "fig.value": {"fr": "Aujourd'hui", "en": "Today"},
        "fig.after": {"fr": "Après la dernière vague", "en": "After the last wave"},
        "fig.definition": {"fr": "Définition", "en": "Definition"},
        "fig.by_axis": {"fr": "Par axe", "en": "By axis"},
        "fig.total": {"fr": "Total", "en": "Total"},
        "fig.non_eu_installs": {"fr": "Installations hors UE", "en": "Non-EU installations"},
        "fig.calendar": {
            "fr": "Calendrier prévu des deux indicateurs",
            "en": "Projected calendar of both figures",
        },
        "fig.calendar_intro": {
            "fr": "Après chaque vague planifiée, les installations remplacées, passées au web ou "
            "retirées ne sont plus des dépendances ; pour la part hors UE, elles comptent "
            "comme leur remplaçant (Chrome remplacé par Firefox reste hors UE).",
            "en": "After each planned wave, installations replaced, moved to the web or removed "
            "are no longer dependencies; for the non-EU share they count as their replacement "
            "(Chrome replaced by Firefox stays non-EU).",
        },
    }
)


def _share(part: int, whole: int, _: Translator) -> str:
    return _.percent(part / whole) if whole else "—"


def figure_section(d: Diagnostic, _: Translator) -> str:
    last = d.projection[-1]
    intro = _(
        "diag.figure_intro",
        deps=_.number(d.dependencies),
        installs=_.number(d.installs),
        unmatched=_.number(d.unmatched_installs),
        ignored=_.number(d.ignored_installs),
    )
    kpi = html.kpis(
        [
            (_("fig.non_eu"), _.percent(d.non_eu_share), "warn"),
            (_("fig.dependency"), _.percent(d.share), "bad" if d.share > 0.5 else "warn"),
        ]
    )
    definitions = html.table(
        [_("fig.figure"), _("fig.value"), _("fig.after"), _("fig.definition")],
        [
            [
                _("fig.non_eu"),
                _.percent(d.non_eu_share),
                _.percent(last.non_eu_share),
                _("fig.non_eu_def"),
            ],
            [
                _("fig.dependency"),
                _.percent(d.share),
                _.percent(last.share),
                _("fig.dependency_def"),
            ],
        ],
        numeric=[1, 2],
        lang=_.lang,
    )
    axes = [
        [
            _(f"axis.{a}"),
            c["installs"],
            c["non_eu"],
            _share(c["non_eu"], c["installs"], _),
            c["dependencies"],
            _share(c["dependencies"], c["installs"], _),
        ]
        for a, c in d.by_axis.items()
    ]
    axes.append(
        [_("fig.total"), d.installs, d.non_eu, _share(d.non_eu, d.installs, _), d.dependencies,
         _share(d.dependencies, d.installs, _)]
    )  # fmt: skip
    axis_table = html.table(
        [_("diag.axis"), _("diag.installs"), _("fig.non_eu_installs"), _("fig.non_eu"),
         _("diag.dependencies"), _("fig.dependency")],
        axes,
        numeric=[1, 2, 3, 4, 5],
        lang=_.lang,
    )  # fmt: skip
    return (
        html.intro(intro)
        + kpi
        + definitions
        + html.heading(_("fig.by_axis"))
        + axis_table
        + html.heading(_("fig.calendar"))
        + html.intro(_("fig.calendar_intro"))
        + _calendar(d, _)
    )


def _calendar(d: Diagnostic, _: Translator) -> str:
    labels = [_("diag.before") if p.label == "before" else p.label for p in d.projection]
    # A few hundred waves would make an unreadable line: sample to at most 60 points.
    step = max(1, len(labels) // 60)
    points = list(range(0, len(labels), step))
    if points[-1] != len(labels) - 1:
        points.append(len(labels) - 1)
    line = charts.line_chart(
        [labels[i] for i in points],
        [
            charts.Series(_("fig.non_eu"), [d.projection[i].non_eu_share for i in points]),
            charts.Series(_("fig.dependency"), [d.projection[i].share for i in points]),
        ],
        title=_("diag.projection"),
        fmt=lambda v: _.percent(v, 0),
        y_max=max(d.non_eu_share, d.share, 0.01),
    )
    rows = [
        [
            labels[i],
            d.projection[i].date,
            d.projection[i].migrated,
            _.percent(d.projection[i].non_eu_share),
            _.percent(d.projection[i].share),
        ]
        for i in points
    ]
    table = html.table(
        [_("diag.wave"), _("diag.date"), _("diag.migrated"), _("fig.non_eu"),
         _("fig.dependency")],
        rows,
        numeric=[2, 3, 4],
        limit=40,
        lang=_.lang,
    )  # fmt: skip
    return html.figure(line) + table
