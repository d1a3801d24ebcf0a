"""Holidays and shopping days said by name (双十一, 春节, 圣诞): the date each names from a clock.

A holiday is a day like a date: said bare it is the next one, today included (双十一 asked on
12 November is next year's); with a year (今年春节, 明年春节, 2028年春节) it is that year's. Lunar
holidays come from :mod:`twinchat.composer.time.holidays_data`; a year outside it is an error.
"""

from __future__ import annotations

from datetime import date

from twinchat.composer.time.holidays_data import ALIASES, FIXED, LUNAR, LUNAR_YEARS

__all__ = ["NAMES", "UnknownYear", "holiday_date"]

NAMES: tuple[str, ...] = tuple(sorted({*FIXED, *LUNAR, *ALIASES}, key=lambda name: (-len(name), name)))
"""Every name said for a holiday, longest first (the order a regular expression tries them)."""


class UnknownYear(ValueError):
    """The holiday's date in that year is not in the table."""


def _in_year(name: str, year: int) -> date:
    if name in FIXED:
        return date(year, *FIXED[name])
    if year not in LUNAR_YEARS:
        raise UnknownYear(f"{name} of {year} is not in the holiday table ({LUNAR_YEARS[0]}–{LUNAR_YEARS[-1]})")
    return date(year, *LUNAR[name][year - LUNAR_YEARS[0]])


def holiday_date(said: str, today: date, year: int | None = None) -> date:
    """The date holiday ``said`` names: in ``year`` when given, else the next one from ``today`` on."""
    name = ALIASES.get(said, said)
    if year is not None:
        return _in_year(name, year)
    found = _in_year(name, today.year)
    return found if found >= today else _in_year(name, today.year + 1)
