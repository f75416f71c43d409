"""A small message catalogue for reports: French by default, English on demand.

Stable API (used by the diagnostic, the plan and the wave reports):

- ``LANGS``: the supported languages, ``("fr", "en")``; ``DEFAULT_LANG`` is ``"fr"``.
- ``check_lang(lang) -> str``: validates a language code (raises ``UsageError``).
- ``register(messages)``: adds ``{key: {"fr": ..., "en": ...}}`` entries; each area registers its
  own keys at import time (prefix them with the area, e.g. ``"wave.title"``). Re-registering a key
  with the same texts is a no-op; with different texts it is an error (two areas collided).
- ``gettext(key, lang="fr", **params) -> str``: the message, ``str.format``-ed with ``params``.
  An unknown key returns the key itself so a report never crashes on a missing message.
- ``Translator(lang)``: a callable ``_(key, **params)`` bound to one language, plus
  ``number(x, digits=0)``, ``percent(ratio, digits=1)``, ``date(d)`` formatting in that locale.

Messages are plain text; the HTML helpers escape them.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass

from sovmigrate.errors import UsageError

LANGS: tuple[str, ...] = ("fr", "en")
DEFAULT_LANG = "fr"

_CATALOGUE: dict[str, dict[str, str]] = {}

_MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise a one-line ``UsageError``."""
    if lang not in LANGS:
        raise UsageError(f"unknown language {lang!r}: choose one of {', '.join(LANGS)}")
    return lang


def register(messages: Mapping[str, Mapping[str, str]]) -> None:
    """Add messages; every entry must give every language of ``LANGS``."""
    for key, texts in messages.items():
        missing = [lang for lang in LANGS if lang not in texts]
        if missing:
            raise ValueError(f"message {key!r} lacks {', '.join(missing)}")
        known = _CATALOGUE.get(key)
        if known is not None and known != dict(texts):
            raise ValueError(f"message {key!r} registered twice with different texts")
        _CATALOGUE[key] = dict(texts)


def has(key: str) -> bool:
    return key in _CATALOGUE


def gettext(key: str, lang: str = DEFAULT_LANG, **params: object) -> str:
    texts = _CATALOGUE.get(key)
    if texts is None:
        return key
    text = texts.get(lang) or texts[DEFAULT_LANG]
    return text.format(**params) if params else text


def format_number(value: float, lang: str = DEFAULT_LANG, digits: int = 0) -> str:
    """12345.6 -> '12 345,6' in French (narrow no-break space), '12,345.6' in English."""
    text = f"{value:,.{digits}f}"
    if lang == "fr":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


def format_percent(ratio: float, lang: str = DEFAULT_LANG, digits: int = 1) -> str:
    """0.1234 -> '12,3 %' in French, '12.3%' in English."""
    number = format_number(ratio * 100, lang, digits)
    return f"{number}\u00a0%" if lang == "fr" else f"{number}%"


def format_date(day: _dt.date, lang: str = DEFAULT_LANG) -> str:
    """A date as people write it: '3 mars 2027', 'March 3, 2027'."""
    month = _MONTHS.get(lang, _MONTHS["en"])[day.month - 1]
    if lang == "fr":
        first = "1er" if day.day == 1 else str(day.day)
        return f"{first} {month} {day.year}"
    return f"{month} {day.day}, {day.year}"


@dataclass(frozen=True)
class Translator:
    """Messages and formats of one language: ``_ = Translator("en"); _("plan.title")``."""

    lang: str = DEFAULT_LANG

    def __post_init__(self) -> None:
        check_lang(self.lang)

    def __call__(self, key: str, **params: object) -> str:
        return gettext(key, self.lang, **params)

    def number(self, value: float, digits: int = 0) -> str:
        return format_number(value, self.lang, digits)

    def percent(self, ratio: float, digits: int = 1) -> str:
        return format_percent(ratio, self.lang, digits)

    def date(self, day: _dt.date) -> str:
        return format_date(day, self.lang)


# Keys shared by every report page (the shell of html.py uses them).
register(
    {
        "report.generated": {"fr": "Généré le {date}", "en": "Generated on {date}"},
        "report.contents": {"fr": "Sommaire", "en": "Contents"},
        "report.no_data": {"fr": "Aucune donnée", "en": "No data"},
        "report.total": {"fr": "Total", "en": "Total"},
        "report.other": {"fr": "Autres", "en": "Other"},
        "report.chart_alt": {"fr": "Graphique : {title}", "en": "Chart: {title}"},
    }
)
