"""Self-contained HTML pages: one file, inline CSS, no script, no external resource.

Stable API (the diagnostic, the plan and the wave reports build on it; every function returns
an HTML fragment as ``str`` and escapes the text it is given, never the fragments):

- ``escape(text) -> str``
- ``page(title, body, *, lang="fr", subtitle=None, generated=None, nav=()) -> str``: a whole
  document. ``nav`` is a sequence of ``(anchor_id, label)`` rendered as a table of contents.
  The page carries a Content-Security-Policy that forbids any network fetch and any script, so a
  report opened from a USB key behaves the same as one opened at the ministry.
- ``section(title, body, *, anchor=None, intro=None) -> str``
- ``table(headers, rows, *, numeric=(), caption=None, limit=None, lang="fr") -> str``: ``rows``
  hold plain values (escaped; ints and floats right-aligned and formatted in ``lang``) or
  ``Raw`` fragments. ``numeric`` lists extra column indexes to right-align.
- ``kpis(items) -> str``: a row of key figures, ``items`` = ``(label, value, tone)`` with
  ``tone`` in ``TONES`` (``"ok"``, ``"warn"``, ``"bad"``, ``"info"``, ``""``).
- ``badge(text, tone) -> Raw``; ``Raw(html)`` marks an already-safe fragment.
- ``figure(svg, caption=None) -> str``: wraps an inline SVG from ``charts``.
- ``write(path, html) -> Path``: writes atomically (a reader never sees half a report).
"""

from __future__ import annotations

import html as _html
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from sovmigrate.report.i18n import DEFAULT_LANG, check_lang, format_number, gettext

TONES = ("ok", "warn", "bad", "info", "")


class Raw(str):
    """An HTML fragment that is already safe: ``table`` and friends insert it unescaped."""

    __slots__ = ()


def escape(text: object) -> str:
    if isinstance(text, Raw):
        return str(text)
    return _html.escape("" if text is None else str(text), quote=True)


_CSS = """
:root{--ink:#1e1e1e;--muted:#666;--line:#ddd;--bg:#fff;--soft:#f5f5fe;--blue:#000091;
--ok:#18753c;--warn:#b34000;--bad:#ce0500;--info:#0063cb}
*{box-sizing:border-box}
body{font-family:Marianne,Arial,Helvetica,sans-serif;color:var(--ink);background:var(--bg);
margin:0;line-height:1.45}
header{background:var(--blue);color:#fff;padding:1.2rem 2rem}
header h1{margin:0;font-size:1.6rem}header p{margin:.3rem 0 0;opacity:.9}
main{padding:1rem 2rem 3rem;max-width:1200px}
nav ol{columns:2;margin:.5rem 0 1rem;padding-left:1.2rem}
nav a,main a{color:var(--blue)}
section{margin:2rem 0;page-break-inside:avoid}
h2{border-bottom:3px solid var(--blue);padding-bottom:.2rem;font-size:1.3rem}
.intro{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.9rem}
caption{text-align:left;font-weight:bold;padding:.3rem 0}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:var(--soft)}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafafa}
.more{color:var(--muted);font-style:italic}
.kpis{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
.kpi{border:1px solid var(--line);border-top:4px solid var(--blue);padding:.6rem 1rem;
min-width:11rem;background:var(--soft)}
.kpi .v{font-size:1.7rem;font-weight:bold}.kpi .l{color:var(--muted);font-size:.85rem}
.kpi.ok{border-top-color:var(--ok)}.kpi.warn{border-top-color:var(--warn)}
.kpi.bad{border-top-color:var(--bad)}.kpi.info{border-top-color:var(--info)}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;color:#fff;
background:var(--muted)}
.badge.ok{background:var(--ok)}.badge.warn{background:var(--warn)}
.badge.bad{background:var(--bad)}.badge.info{background:var(--info)}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
figcaption{color:var(--muted);font-size:.85rem}
footer{color:var(--muted);font-size:.8rem;padding:1rem 2rem;border-top:1px solid var(--line)}
@media print{header{background:none;color:var(--ink)}nav{display:none}}
"""

# No script and no fetch at all: charts are inline SVG, styles inline.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def page(
    title: str,
    body: str,
    *,
    lang: str = DEFAULT_LANG,
    subtitle: str | None = None,
    generated: str | None = None,
    nav: Sequence[tuple[str, str]] = (),
) -> str:
    """A complete HTML document around ``body`` (fragments from this module)."""
    check_lang(lang)
    toc = ""
    if nav:
        links = "".join(f'<li><a href="#{escape(a)}">{escape(label)}</a></li>' for a, label in nav)
        heading = escape(gettext("report.contents", lang))
        toc = f"<nav><strong>{heading}</strong><ol>{links}</ol></nav>"
    sub = f"<p>{escape(subtitle)}</p>" if subtitle else ""
    foot = (
        f"<footer>{escape(gettext('report.generated', lang, date=generated))} · sovmigrate</footer>"
        if generated
        else "<footer>sovmigrate</footer>"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<header><h1>{escape(title)}</h1>{sub}</header>\n<main>{toc}\n{body}\n</main>\n"
        f"{foot}\n</body>\n</html>\n"
    )


def section(title: str, body: str, *, anchor: str | None = None, intro: str | None = None) -> str:
    ident = f' id="{escape(anchor)}"' if anchor else ""
    lead = f'<p class="intro">{escape(intro)}</p>' if intro else ""
    return f"<section{ident}><h2>{escape(title)}</h2>{lead}{body}</section>\n"


def _cell(value: object, lang: str, right: bool) -> str:
    if isinstance(value, bool) or value is None:
        text = escape("" if value is None else str(value))
    elif isinstance(value, int):
        text, right = format_number(value, lang), True
    elif isinstance(value, float):
        text, right = format_number(value, lang, 1), True
    else:
        text = escape(value)
    return f'<td class="n">{text}</td>' if right else f"<td>{text}</td>"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    numeric: Iterable[int] = (),
    caption: str | None = None,
    limit: int | None = None,
    lang: str = DEFAULT_LANG,
) -> str:
    """An HTML table; with ``limit``, later rows are counted, not shown (keeps pages light)."""
    right = set(numeric)
    head = "".join(
        f'<th class="n">{escape(h)}</th>' if i in right else f"<th>{escape(h)}</th>"
        for i, h in enumerate(headers)
    )
    body: list[str] = []
    hidden = 0
    for count, row in enumerate(rows):
        if limit is not None and count >= limit:
            hidden += 1
            continue
        cells = "".join(_cell(v, lang, i in right) for i, v in enumerate(row))
        body.append(f"<tr>{cells}</tr>")
    if not body:
        body.append(
            f'<tr><td colspan="{len(headers)}">{escape(gettext("report.no_data", lang))}</td></tr>'
        )
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    more = f'<p class="more">+ {format_number(hidden, lang)} …</p>' if hidden else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def kpis(items: Iterable[tuple[str, object, str]]) -> str:
    blocks = []
    for label, value, tone in items:
        cls = f"kpi {tone}" if tone in TONES and tone else "kpi"
        blocks.append(
            f'<div class="{cls}"><div class="v">{escape(value)}</div>'
            f'<div class="l">{escape(label)}</div></div>'
        )
    return f'<div class="kpis">{"".join(blocks)}</div>'


def badge(text: str, tone: str = "") -> Raw:
    cls = f"badge {tone}" if tone in TONES and tone else "badge"
    return Raw(f'<span class="{cls}">{escape(text)}</span>')


def figure(svg: str, caption: str | None = None) -> str:
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f"<figure>{svg}{cap}</figure>"


def write(path: str | os.PathLike[str], document: str) -> Path:
    """Write ``document`` to ``path`` atomically (temp file in the same directory, rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(document)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a report is meant to be shared
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
