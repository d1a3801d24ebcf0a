"""The day a time phrase names: numbers, dates, day words, weekdays, holidays and periods.

Internal to :mod:`twinchat.composer.time.grammar`; reads the groups of a match of
:data:`twinchat.composer.time.pattern.PHRASE`. Raises :class:`Unresolvable` for words that name no
real day (2月30日, 32号, a holiday outside the holiday table).
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta

from twinchat.composer.time.conventions import part_name
from twinchat.composer.time.holidays import UnknownYear, holiday_date
from twinchat.composer.time.pattern import CN_DIGIT, FUSED, REL_DAYS, SHIFT, WEEKDAY

__all__ = ["Unresolvable", "add_months", "day_of", "end_of", "number", "period_of", "start_of"]


class Unresolvable(ValueError):
    """The matched words do not name a time this grammar can place (the message says why)."""


def number(text: str) -> int:
    """A number said in Arabic or Chinese numerals (十五, 两, 零五)."""
    if text.isascii():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN_DIGIT[tens] if tens else 1) * 10 + (CN_DIGIT[ones] if ones else 0)
    return CN_DIGIT[text[-1]] if text[0] == "零" else CN_DIGIT[text]


def start_of(d: date) -> datetime:
    """The first second of ``d``."""
    return datetime.combine(d, time())


def end_of(d: date) -> datetime:
    """The last second of ``d``."""
    return datetime.combine(d, time(23, 59, 59))


def add_months(d: date, months: int) -> tuple[int, int]:
    """(year, month) ``months`` after the month of ``d``."""
    index = d.year * 12 + d.month - 1 + months
    return index // 12, index % 12 + 1


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise Unresolvable(f"there is no day {day} in {year}-{month:02d}") from None


def _next_month_day(today: date, month: int, day: int) -> date:
    """The next (month, day), today included, skipping years that lack it (2月29日)."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        raise Unresolvable(f"{month}月{day}日 is not a date")
    for year in range(today.year, today.year + 9):
        try:
            found = date(year, month, day)
        except ValueError:
            continue
        if found >= today:
            return found
    raise Unresolvable(f"{month}月{day}日 is not a date")


def _next_day_of_month(today: date, day: int) -> date:
    """The next date whose day of month is ``day``, today included (31号 skips short months)."""
    if not 1 <= day <= 31:
        raise Unresolvable(f"{day}号 is not a day of the month")
    for months in range(13):
        year, month = add_months(today, months)
        if day <= monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
    raise Unresolvable(f"{day}号 is not a day of the month")  # not reached: 13 months hold every day 1–31


def _holiday(said: str, year_word: str | None, today: date) -> date:
    year = None if year_word is None else {"今": today.year, "明": today.year + 1}.get(year_word) or int(year_word)
    try:
        return holiday_date(said, today, year)
    except UnknownYear as exc:
        raise Unresolvable(str(exc)) from None


def day_of(g: re.Match[str], today: date) -> tuple[date | None, str | None]:
    """The date a phrase names (None when it names none) and the part of day it carries."""
    part = part_name(g["dpart"] or g["dpart1"] or g["part"])
    if g["day"] is None:
        return None, part
    if g["rel"]:
        return today + timedelta(days=REL_DAYS[g["rel"]]), part
    if g["fused"]:
        if part is not None:
            raise Unresolvable(f"{g['fused']} already names a part of the day")
        offset, fused_part = FUSED[g["fused"]]
        return today + timedelta(days=offset), fused_part
    if g["wd"]:
        weekday = WEEKDAY[g["wd"]]
        if g["wmod"] is None:
            return today + timedelta(days=(weekday - today.weekday()) % 7), part
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(days=7 * SHIFT[g["wmod"]] + weekday), part
    if g["hol"]:
        return _holiday(g["hol"], g["yr"], today), part
    if g["mon"]:
        month, day = number(g["mon"]), number(g["md"])
        if g["yr"] is None:
            return _next_month_day(today, month, day), part
        year = {"今": today.year, "明": today.year + 1}.get(g["yr"]) or int(g["yr"])
        if not 1 <= month <= 12:
            raise Unresolvable(f"there is no month {month}")
        return _date(year, month, day), part
    if g["mmod"]:
        year, month = add_months(today, SHIFT[g["mmod"]])
        return _date(year, month, number(g["md2"])), part
    if g["iy"]:
        month = int(g["im"])
        if not 1 <= month <= 12:
            raise Unresolvable(f"there is no month {month}")
        return _date(int(g["iy"]), month, int(g["id"])), part
    return _next_day_of_month(today, number(g["dom"])), part


def period_of(g: re.Match[str], today: date) -> tuple[date, date]:
    """The first and last day of a period (周末, 下周, 这个月, 月底, 年底)."""
    monday = today - timedelta(days=today.weekday())
    if g["we"]:
        saturday = monday + timedelta(days=7 * SHIFT[g["wemod"]] + 5)
        return saturday, saturday + timedelta(days=1)
    if g["wk"]:
        first = monday + timedelta(days=7 * SHIFT[g["wkmod"]])
        return first, first + timedelta(days=6)
    if g["ye"]:
        return date(today.year, 12, 31), date(today.year, 12, 31)
    year, month = add_months(today, SHIFT[g["mmod2"]] if g["mo"] else 0)
    last = date(year, month, monthrange(year, month)[1])
    return (last, last) if (g["me"] or g["mend"]) else (date(year, month, 1), last)
