"""The wave plan report: forecast calendar, Gantt chart by site, waves, capacity, blocked list."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sovmigrate.plan.planner import Plan
from sovmigrate.report import charts, html
from sovmigrate.report import fleet_messages as _messages
from sovmigrate.report.i18n import Translator

assert _messages  # imported for its registrations


def _gantt(plan: Plan, _: Translator) -> str:
    spans: dict[str, list[dt.date]] = defaultdict(list)
    counts: Counter[str] = Counter()
    for wave in plan.waves:
        key = _("plan.pilot") if wave.pilot else wave.site
        spans[key] += [wave.start, wave.end]
        counts[key] += len(wave.members)
    tasks = [
        charts.GanttTask(
            site,
            min(days),
            max(days),
            group="pilot" if site == _("plan.pilot") else "site",
            note=f"{_.number(counts[site])} {_('plan.machines').lower()}",
        )
        for site, days in sorted(spans.items(), key=lambda kv: (min(kv[1]), kv[0]))
    ]
    return charts.gantt_chart(tasks[:150], title=_("plan.gantt"), lang=_.lang)


def _weekly(plan: Plan, _: Translator) -> str:
    weeks: Counter[str] = Counter()
    for wave in plan.waves:
        for day, count in zip(wave.days, wave.per_day, strict=True):
            year, week, _wd = day.isocalendar()
            weeks[f"{year}-S{week:02d}"] += count
    labels = sorted(weeks)
    cumulative, total = [], 0
    for label in labels:
        total += weeks[label]
        cumulative.append(total)
    return charts.line_chart(
        labels,
        [charts.Series(_("plan.scheduled"), cumulative)],
        title=_("plan.machines_per_week"),
        fmt=_.number,
    )


def render_html(
    plan: Plan, *, campaign: str, lang: str = "fr", generated: str = "", reasons: dict[str, str]
) -> str:
    """``reasons``: blocking reason code -> message in ``lang``."""
    _ = Translator(lang)
    end = plan.end
    start = plan.waves[0].start if plan.waves else plan.settings.start
    working = len({d for w in plan.waves for d in w.days})
    figures = [
        (_("plan.scheduled"), _.number(plan.scheduled), "ok"),
        (_("plan.waves"), _.number(len(plan.waves)), "info"),
        (_("plan.blocked"), _.number(len(plan.blocked)), "bad" if plan.blocked else "ok"),
        (_("plan.start"), _.date(start), "info"),
        (_("plan.end"), _.date(end) if end else "—", "warn"),
        (_("plan.working_days"), _.number(working), "info"),
    ]
    wave_rows = [
        [
            _("plan.pilot") if w.pilot else w.name,
            "*" if w.pilot else w.site,
            _.date(w.start),
            _.date(w.end),
            len(w.days),
            len(w.members),
            w.data_gb,
        ]
        for w in plan.waves
    ]
    waves_table = html.table(
        [_("plan.wave"), _("plan.site"), _("plan.start"), _("plan.end"), _("plan.days"),
         _("plan.machines"), _("plan.data")],
        wave_rows, numeric=[4, 5, 6], limit=300, lang=lang,
    )  # fmt: skip
    by_site: dict[str, list[Any]] = {}
    for w in plan.waves:
        if w.pilot:
            continue
        row = by_site.setdefault(w.site, [w.site, 0, 0.0, 0, w.start, w.end])
        row[3] += len(w.members)
        row[5] = max(row[5], w.end)
    cap_rows = []
    for site, row in sorted(by_site.items()):
        per_day, gb = plan.site_capacity.get(site, (0, 0.0))
        cap_rows.append([site, per_day, round(gb, 1), row[3], _.date(row[4]), _.date(row[5])])
    cap_table = html.table(
        [_("plan.site"), _("plan.per_day"), _("plan.gb_per_day"), _("plan.machines"),
         _("plan.start"), _("plan.end")],
        cap_rows, numeric=[1, 2, 3], limit=300, lang=lang,
    )  # fmt: skip
    blocked_rows = [
        [name, site, "; ".join(reasons.get(c, c) for c in codes)]
        for name, site, codes in plan.blocked
    ]
    blocked_table = html.table(
        [_("plan.machine"), _("plan.site"), _("plan.reasons")], blocked_rows, limit=500, lang=lang
    )
    sections = [
        ("summary", _("plan.summary"), html.kpis(figures), None),
        ("calendar", _("plan.calendar"),
         html.figure(_gantt(plan, _)) + html.figure(_weekly(plan, _)), _("plan.calendar_intro")),
        ("waves", _("plan.waves"), waves_table, None),
        ("capacity", _("plan.capacity"), cap_table, None),
        ("blocked", _("plan.blocked"), blocked_table, None),
    ]  # fmt: skip
    body = "".join(html.section(t, c, anchor=a, intro=i) for a, t, c, i in sections)
    return html.page(
        _("plan.title"), body, lang=lang, subtitle=campaign, generated=generated,
        nav=[(a, t) for a, t, _c, _i in sections],
    )  # fmt: skip


def render_json(plan: Plan, *, campaign: str) -> dict[str, Any]:
    return {
        "campaign": campaign,
        "start": plan.waves[0].start.isoformat() if plan.waves else None,
        "end": plan.end.isoformat() if plan.end else None,
        "scheduled": plan.scheduled,
        "waves": [
            {
                "name": w.name,
                "site": w.site,
                "pilot": w.pilot,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "days": [d.isoformat() for d in w.days],
                "per_day": w.per_day,
                "machines": len(w.members),
                "data_gb": w.data_gb,
            }
            for w in plan.waves
        ],
        "blocked": [{"machine": n, "site": s, "reasons": c} for n, s, c in plan.blocked],
    }
