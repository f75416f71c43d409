"""Self-contained HTML pages: one file, inline CSS, no script, no external resource.

Stable API for code that assembles fragments in Python (every function returns an HTML fragment
as ``str`` and escapes the text it is given, never the fragments). Each function renders a macro
of ``templates/components.html.j2`` (autoescaped Jinja2, see ``templating``); a report with its
own template extends ``base.html.j2`` and imports those macros instead:

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
- ``heading(text) -> str`` (an ``<h3>``), ``intro(text) -> str`` (a lead paragraph).
- ``figure(svg, caption=None) -> str``: wraps an inline SVG from ``charts``.
- ``write(path, html) -> Path``: writes atomically (a reader never sees half a report).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from markupsafe import Markup
from markupsafe import escape as _escape

from sovmigrate.report.i18n import DEFAULT_LANG
from sovmigrate.report.templating import macro, render

TONES = ("ok", "warn", "bad", "info", "")


class Raw(Markup):
    """An HTML fragment that is already safe: templates and ``table`` insert it unescaped."""

    __slots__ = ()


def escape(text: object) -> str:
    return str(_escape("" if text is None else text))


def page(
    title: str,
    body: str,
    *,
    lang: str = DEFAULT_LANG,
    subtitle: str | None = None,
    generated: str | None = None,
    nav: Sequence[tuple[str, str]] = (),
) -> str:
    """A complete HTML document around ``body`` (a fragment from this module: never escaped)."""
    return render(
        "base.html.j2",
        lang=lang,
        title=title,
        body=Markup(body),
        subtitle=subtitle,
        generated=generated,
        nav=list(nav),
    )


def section(title: str, body: str, *, anchor: str | None = None, intro: str | None = None) -> str:
    return str(macro("section")(title, Markup(body), anchor=anchor, intro=intro))


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
    fragment = macro("table")(
        headers, rows, numeric=tuple(numeric), caption=caption, limit=limit, lang=lang
    )
    return str(fragment)


def kpis(items: Iterable[tuple[str, object, str]]) -> str:
    return str(macro("kpis")(list(items)))


def badge(text: str, tone: str = "") -> Raw:
    return Raw(macro("badge")(text, tone))


def heading(text: str) -> str:
    """A sub-heading inside a section."""
    return str(macro("heading")(text))


def intro(text: str) -> str:
    """A lead paragraph (muted) inside a section."""
    return str(macro("intro")(text))


def figure(svg: str, caption: str | None = None) -> str:
    """``svg`` comes from ``charts`` (it escapes its labels): inserted as it is."""
    return str(macro("figure")(Markup(svg), caption))


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
