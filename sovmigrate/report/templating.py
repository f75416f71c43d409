"""Jinja2 rendering shared by every report, and the one CSV cell guard.

Stable API (the wave, plan and diagnostic reports build on it):

- ``render(name, *, lang="fr", **context) -> str``: renders ``templates/<name>`` with
  autoescape on, so any value a template prints is escaped unless it is ``Markup``. The context
  always holds ``lang`` and ``_`` (a ``Translator`` of ``lang``: ``_("key", **params)``,
  ``_.number(x)``, ``_.percent(r)``, ``_.date(d)``).
- ``macro(name) -> Callable[..., Markup]``: a macro of ``templates/components.html.j2`` (table,
  kpis, badge, section, figure) callable from Python, for code that assembles fragments.
- Filters in every template: ``number(value, lang, digits=0)``, ``percent(ratio, lang,
  digits=1)``, ``date(day, lang)``, ``csv_cell``.
- ``csv_cell(value)``: a cell that a spreadsheet cannot run as a formula (OWASP "CSV
  injection": a text starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a
  leading ``'``); numbers pass unchanged.
- ``csv_document(header, rows, *, delimiter=";") -> str``: UTF-8 with BOM, CRLF, every cell
  through ``csv_cell``; every CSV the project writes goes through it.

Templates are plain files next to this module (``templates/*.j2``), shipped as package data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from sovmigrate.report.i18n import (
    DEFAULT_LANG,
    Translator,
    check_lang,
    format_date,
    format_number,
    format_percent,
    gettext,
)

# OWASP's list: what Excel, LibreOffice Calc and Google Sheets read as the start of a formula.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """``value`` made inert for a spreadsheet; non-text values are returned as they are."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_LEADS) else text


def csv_document(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, delimiter: str = ";"
) -> str:
    """A CSV that LibreOffice Calc and Excel open as UTF-8 and never evaluate."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def _number(value: float, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    return format_number(value, lang, digits)


def _percent(ratio: float, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    return format_percent(ratio, lang, digits)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sovmigrate.report", "templates"),
        # Every template is HTML: escape everything, always (no extension-based guessing).
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(number=_number, percent=_percent, date=format_date, csv_cell=csv_cell)
    env.globals.update(gettext=gettext)
    return env


def render(name: str, *, lang: str = DEFAULT_LANG, **context: Any) -> str:
    check_lang(lang)
    template = environment().get_template(name)
    return template.render(lang=lang, _=Translator(lang), **context)


def macro(name: str) -> Callable[..., Markup]:
    module = environment().get_template("components.html.j2").module
    fn: Callable[..., Markup] = getattr(module, name)
    return fn
