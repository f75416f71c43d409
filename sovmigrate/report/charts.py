"""Inline SVG charts: no script, no library, readable printed in black and white.

Stable API (every function returns one ``<svg>`` element as ``markupsafe.Markup``, to embed with
``html.figure``; labels are escaped here):

- ``bar_chart(items, *, title, fmt=None, color=None, width=720) -> str``: horizontal bars,
  ``items`` = ``(label, value)``.
- ``stacked_bar_chart(categories, series, *, title, fmt=None, normalise=False, width=720)``:
  one horizontal bar per category, ``series`` = ``Series(name, values, color)`` with one value
  per category; ``normalise=True`` draws shares (each bar is 100 %).
- ``donut_chart(items, *, title, fmt=None, hole=0.55, width=520) -> str``: ``hole=0`` is a pie.
- ``line_chart(labels, series, *, title, fmt=None, y_max=None, width=720) -> str``: one line
  per ``Series``; ``labels`` name the x positions (e.g. waves or dates).
- ``gantt_chart(tasks, *, title, lang="fr", width=960) -> str``: ``GanttTask(label, start, end,
  group="", color=None)`` with inclusive ``datetime.date`` bounds; month ticks on top.
- ``PALETTE`` and ``color(index)``: the colour cycle used when no colour is given.

``fmt`` formats a value for labels (default: French-formatted integer).
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from sovmigrate.report.i18n import DEFAULT_LANG, format_date, format_number, gettext

PALETTE = (
    "#000091",  # bleu France
    "#e1000f",  # rouge Marianne
    "#18753c",
    "#b34000",
    "#6a6af4",
    "#009099",
    "#a558a0",
    "#c3992a",
    "#666666",
    "#34cb6a",
)

Formatter = Callable[[float], str]


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _esc(text: object) -> str:
    return str(escape(str(text)))


def _default_fmt(value: float) -> str:
    return format_number(value, DEFAULT_LANG)


def _svg(width: float, height: float, title: str, inner: str) -> Markup:
    # Markup: templates embed the chart as it is (every label in it went through _esc).
    w, h = round(width), round(height)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" '
        f'height="{h}" role="img" font-family="Arial,Helvetica,sans-serif" font-size="12">'
        f"<title>{_esc(title)}</title>"
        f'<text x="0" y="16" font-size="14" font-weight="bold">{_esc(title)}</text>'
        f"{inner}</svg>"
    )


def _short(label: str, size: int = 32) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"


def _empty(title: str, width: int) -> Markup:
    msg = gettext("report.no_data")
    return _svg(width, 50, title, f'<text x="0" y="40" fill="#666">{_esc(msg)}</text>')


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]
    color: str | None = None


@dataclass(frozen=True)
class GanttTask:
    label: str
    start: _dt.date
    end: _dt.date
    group: str = ""
    color: str | None = None
    note: str = field(default="", compare=False)


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    fmt: Formatter | None = None,
    color: str | None = None,
    width: int = 720,
) -> Markup:
    fmt = fmt or _default_fmt
    if not items:
        return _empty(title, width)
    label_w, bar_h, top = 230, 20, 30
    top_value = max((v for _, v in items), default=0) or 1
    span = width - label_w - 80
    parts = []
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + 6)
        w = max(0.0, value) / top_value * span
        fill = color or PALETTE[0]
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_esc(_short(label))}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{fill}">'
            f"<title>{_esc(label)}: {_esc(fmt(value))}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}">{_esc(fmt(value))}</text>'
        )
    return _svg(width, top + len(items) * (bar_h + 6) + 4, title, "".join(parts))


def _legend(series: Sequence[Series], y: float, width: int) -> tuple[str, float]:
    parts, x = [], 0.0
    for i, s in enumerate(series):
        fill = s.color or color(i)
        item_w = 24 + 7 * len(_short(s.name, 28))
        if x + item_w > width:
            x, y = 0.0, y + 18
        parts.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="12" height="12" fill="{fill}"/>'
            f'<text x="{x + 16:.0f}" y="{y + 10:.0f}">{_esc(_short(s.name, 28))}</text>'
        )
        x += item_w
    return "".join(parts), y + 18


def stacked_bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Formatter | None = None,
    normalise: bool = False,
    width: int = 720,
) -> Markup:
    fmt = fmt or _default_fmt
    if not categories or not series:
        return _empty(title, width)
    legend, top = _legend(series, 26, width)
    label_w, bar_h = 230, 20
    totals = [sum(max(0.0, s.values[i]) for s in series) for i in range(len(categories))]
    top_value = max(totals) or 1
    span = width - label_w - 80
    parts = [legend]
    for i, cat in enumerate(categories):
        y = top + 4 + i * (bar_h + 6)
        scale = span / (totals[i] or 1) if normalise else span / top_value
        x = float(label_w)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{_esc(_short(cat))}</text>'
        )
        for j, s in enumerate(series):
            value = max(0.0, s.values[i])
            w = value * scale
            if w <= 0:
                continue
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{s.color or color(j)}"><title>{_esc(cat)} · {_esc(s.name)}: '
                f"{_esc(fmt(value))}</title></rect>"
            )
            x += w
        if not normalise:
            parts.append(f'<text x="{x + 4:.1f}" y="{y + 14}">{_esc(fmt(totals[i]))}</text>')
    height = top + 4 + len(categories) * (bar_h + 6) + 4
    return _svg(width, height, title, "".join(parts))


def donut_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    fmt: Formatter | None = None,
    hole: float = 0.55,
    width: int = 520,
) -> Markup:
    fmt = fmt or _default_fmt
    values = [(label, max(0.0, v)) for label, v in items]
    total = sum(v for _, v in values)
    if total <= 0:
        return _empty(title, width)
    r, cx, cy = 90.0, 110.0, 130.0
    parts, angle = [], -math.pi / 2
    for i, (label, value) in enumerate(values):
        share = value / total
        fill = color(i)
        tip = f"<title>{_esc(label)}: {_esc(fmt(value))} ({share:.1%})</title>"
        if share >= 0.9999:
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{fill}">{tip}</circle>')
        elif share > 0:
            end = angle + share * 2 * math.pi
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            large = 1 if share > 0.5 else 0
            parts.append(
                f'<path d="M{cx},{cy} L{x1:.2f},{y1:.2f} A{r},{r} 0 {large} 1 {x2:.2f},{y2:.2f} Z" '
                f'fill="{fill}">{tip}</path>'
            )
            angle = end
        ly = 40 + i * 20
        parts.append(
            f'<rect x="240" y="{ly}" width="12" height="12" fill="{fill}"/>'
            f'<text x="258" y="{ly + 10}">{_esc(_short(label, 26))} — {_esc(fmt(value))} '
            f"({share * 100:.0f} %)</text>"
        )
    if hole > 0:
        parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r * hole:.1f}" fill="#fff"/>')
    height = max(240, 50 + len(values) * 20)
    return _svg(width, height, title, "".join(parts))


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    fmt: Formatter | None = None,
    y_max: float | None = None,
    width: int = 720,
) -> Markup:
    fmt = fmt or _default_fmt
    if not labels or not series:
        return _empty(title, width)
    legend, top = _legend(series, 26, width)
    left, plot_h = 70, 200
    plot_w = width - left - 20
    highest = y_max or max((max(s.values, default=0) for s in series), default=0) or 1
    step = plot_w / max(1, len(labels) - 1)
    parts = [legend]
    for k in range(5):
        value = highest * k / 4
        y = top + plot_h - plot_h * k / 4
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_esc(fmt(value))}</text>'
        )
    every = max(1, math.ceil(len(labels) / 12))
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            x = left + i * step
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                f"{_esc(_short(label, 12))}</text>"
            )
    for j, s in enumerate(series):
        stroke = s.color or color(j)
        points = " ".join(
            f"{left + i * step:.1f},{top + plot_h - plot_h * min(v, highest) / highest:.1f}"
            for i, v in enumerate(s.values)
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{stroke}" stroke-width="2"/>'
        )
        for i, v in enumerate(s.values):
            x, y = left + i * step, top + plot_h - plot_h * min(v, highest) / highest
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{stroke}"><title>'
                f"{_esc(labels[i] if i < len(labels) else '')} · {_esc(s.name)}: "
                f"{_esc(fmt(v))}</title></circle>"
            )
    return _svg(width, top + plot_h + 26, title, "".join(parts))


def gantt_chart(
    tasks: Sequence[GanttTask],
    *,
    title: str,
    lang: str = DEFAULT_LANG,
    width: int = 960,
) -> Markup:
    if not tasks:
        return _empty(title, width)
    first = min(t.start for t in tasks)
    last = max(t.end for t in tasks)
    days = (last - first).days + 1
    label_w, row_h, top = 230, 16, 44
    span = width - label_w - 10
    per_day = span / days
    groups: dict[str, int] = {}
    parts = []
    # Month ticks: the first of each month inside the range.
    tick = _dt.date(first.year, first.month, 1)
    while tick <= last:
        if tick >= first:
            x = label_w + (tick - first).days * per_day
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 8}" '
                f'y2="{top + len(tasks) * (row_h + 3)}" stroke="#ddd"/>'
                f'<text x="{x + 2:.1f}" y="{top - 12}" font-size="10">'
                f"{tick.month:02d}/{tick.year % 100:02d}</text>"
            )
        tick = _dt.date(tick.year + tick.month // 12, tick.month % 12 + 1, 1)
    for i, task in enumerate(tasks):
        y = top + i * (row_h + 3)
        fill = task.color or color(groups.setdefault(task.group, len(groups)))
        x = label_w + (task.start - first).days * per_day
        w = max(per_day, ((task.end - task.start).days + 1) * per_day)
        when = f"{format_date(task.start, lang)} – {format_date(task.end, lang)}"
        note = f" · {task.note}" if task.note else ""
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end" font-size="11">'
            f"{_esc(_short(task.label))}</text>"
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h}" fill="{fill}">'
            f"<title>{_esc(task.label)}: {_esc(when)}{_esc(note)}</title></rect>"
        )
    height = top + len(tasks) * (row_h + 3) + 6
    return _svg(width, height, title, "".join(parts))
