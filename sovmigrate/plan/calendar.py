"""French working days: weekends and public holidays (computed, Easter-based ones included).

Holidays (Code du travail L3133-1): 1 January, Easter Monday, 1 May, 8 May, Ascension Thursday,
Whit Monday, 14 July, 15 August, 1 November, 11 November, 25 December; Alsace-Moselle adds
Good Friday and 26 December.
"""

from __future__ import annotations

import datetime as dt
from functools import cache


def easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


@cache
def holidays(year: int, alsace_moselle: bool = False) -> dict[dt.date, str]:
    sunday = easter(year)
    days = {
        dt.date(year, 1, 1): "Jour de l'an",
        sunday + dt.timedelta(days=1): "Lundi de Pâques",
        dt.date(year, 5, 1): "Fête du Travail",
        dt.date(year, 5, 8): "Victoire 1945",
        sunday + dt.timedelta(days=39): "Ascension",
        sunday + dt.timedelta(days=50): "Lundi de Pentecôte",
        dt.date(year, 7, 14): "Fête nationale",
        dt.date(year, 8, 15): "Assomption",
        dt.date(year, 11, 1): "Toussaint",
        dt.date(year, 11, 11): "Armistice 1918",
        dt.date(year, 12, 25): "Noël",
    }
    if alsace_moselle:
        days[sunday - dt.timedelta(days=2)] = "Vendredi saint"
        days[dt.date(year, 12, 26)] = "Saint-Étienne"
    return days


def is_working_day(day: dt.date, alsace_moselle: bool = False) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year, alsace_moselle)


def next_working_day(day: dt.date, alsace_moselle: bool = False) -> dt.date:
    """``day`` itself if it is a working day, else the next one."""
    while not is_working_day(day, alsace_moselle):
        day += dt.timedelta(days=1)
    return day


def working_days(start: dt.date, count: int, alsace_moselle: bool = False) -> list[dt.date]:
    """The first ``count`` working days from ``start`` (included when it is one)."""
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        if is_working_day(day, alsace_moselle):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def after(day: dt.date, alsace_moselle: bool = False) -> dt.date:
    """The working day following ``day``."""
    return next_working_day(day + dt.timedelta(days=1), alsace_moselle)
