"""French public holidays, Easter-based ones included, and working days."""

from __future__ import annotations

import datetime as dt

import pytest

from sovmigrate.plan import calendar

D = dt.date


@pytest.mark.parametrize(
    ("year", "sunday"),
    [(2024, D(2024, 3, 31)), (2025, D(2025, 4, 20)), (2026, D(2026, 4, 5)),
     (2027, D(2027, 3, 28)), (2038, D(2038, 4, 25)), (2285, D(2285, 3, 22))],
)  # fmt: skip
def test_easter(year: int, sunday: dt.date) -> None:
    assert calendar.easter(year) == sunday


def test_holidays_2027() -> None:
    days = calendar.holidays(2027)
    assert len(days) == 11
    assert D(2027, 3, 29) in days  # Easter Monday
    assert D(2027, 5, 6) in days  # Ascension
    assert D(2027, 5, 17) in days  # Whit Monday
    assert D(2027, 3, 26) not in days  # Good Friday: Alsace-Moselle only
    assert D(2027, 3, 26) in calendar.holidays(2027, alsace_moselle=True)


def test_working_days_skip_weekends_and_holidays() -> None:
    # Thursday 29 April 2027 -> Fri 30, (Sat 1 May holiday, Sun), Mon 3, ..., Wed 5,
    # (Thu 6 Ascension), Fri 7, (Sat 8 May), Mon 10
    days = calendar.working_days(D(2027, 4, 29), 7)
    assert days == [D(2027, 4, 29), D(2027, 4, 30), D(2027, 5, 3), D(2027, 5, 4),
                    D(2027, 5, 5), D(2027, 5, 7), D(2027, 5, 10)]  # fmt: skip
    assert calendar.next_working_day(D(2026, 12, 25)) == D(2026, 12, 28)
    assert calendar.after(D(2027, 7, 13)) == D(2027, 7, 15)
