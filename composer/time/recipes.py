"""The phrase pool's recipes: at a session clock, phrase ``j`` of a section as (text, window).

Windows are computed here from what each phrase is built from (a date, a part of day, an hour), by
the conventions of :mod:`twinchat.composer.time.conventions` and those stated in
:mod:`twinchat.composer.time.resolve`; the test suite checks that every phrase resolves back to its
window. The words come from :mod:`twinchat.composer.time.words`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

from twinchat.composer.time.conventions import PARTS, part_window
from twinchat.composer.time.words import (AFTER_DAYS, AFTER_MINUTES, ALL_DAYS, BEFORE, CLOCK_TURN, CLOCKS,
                                          DEADLINE_PARTS, MINUTES, NEAR_CLOCKS, NEAR_PARTS, PERIOD_TURN, PERIODS,
                                          SHORT_DAYS, STAPLE_CLOCKS, WEEKENDS, WITHIN_DAYS, WITHIN_MINUTES, cn)

__all__ = ["FROM_NOW", "At", "Found", "Window"]

Window = tuple[datetime, datetime]
Found = tuple[str, Window] | None
"""What a recipe gives: (text, (start, end)), or None where the phrase does not exist on the date."""

_SECOND = timedelta(seconds=1)
FROM_NOW = datetime.min
"""The clock of an :class:`At` made for a date alone (:meth:`At.on_date`): a window that runs from the
clock starts there, and ``max(start, now)`` turns it into the clock of any session that day."""
_PART_NAMES = tuple(PARTS)


def _day(d: date) -> Window:
    start = datetime.combine(d, time())
    return start, start + timedelta(days=1) - _SECOND


def _clock_text(spoken: int, turn: int) -> tuple[str, int, bool]:
    suffix, minute, names_minute, arabic_only = MINUTES[turn % len(MINUTES)]
    hour = str(spoken) if arabic_only or turn % 2 else cn(spoken)
    return hour + suffix, minute, names_minute


def _clock_window(d: date, hour: int, minute: int, names_minute: bool) -> Window:
    start = datetime.combine(d, time()) + timedelta(hours=hour, minutes=minute)
    return start, start + (timedelta(minutes=1) if names_minute else timedelta(hours=1)) - _SECOND


def _span(today: date, span: str) -> tuple[date, date]:
    """The first and last day of a period named in :data:`~twinchat.composer.time.words.PERIODS`."""
    monday = today - timedelta(days=today.weekday())
    first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    month_end = first_next - timedelta(days=1)
    if span == "next month end":
        month_end = (first_next.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return {"today": (today, today), "week": (monday, monday + timedelta(days=6)),
            "next week": (monday + timedelta(days=7), monday + timedelta(days=13)),
            "month": (today.replace(day=1), month_end), "month end": (month_end, month_end),
            "next month end": (month_end, month_end), "year end": (date(today.year, 12, 31),) * 2}[span]


class At:
    """A session clock and the recipes at it.

    ``recipe(j)`` builds phrase ``j`` of its section of a layout as ``(text, (start, end))``,
    or gives None where that phrase does not exist on this date.
    """

    __slots__ = ("now", "today", "monday", "_short")

    def __init__(self, now: datetime, today: date | None = None) -> None:
        self.now, self.today = now, (now.date() if today is None else today)
        self.monday = self.today - timedelta(days=self.today.weekday())
        self._short: list[tuple[str, date] | None] = [None] * len(SHORT_DAYS)

    @classmethod
    def on_date(cls, today: date) -> At:
        """The recipes of a date alone: a window from the clock starts at :data:`FROM_NOW`. Only for the
        recipes that read no more of the clock than that (not :meth:`within_minutes`, :meth:`relative_minutes`)."""
        return cls(FROM_NOW, today)

    def day_word(self, spec: tuple[str, str, int]) -> tuple[str, date] | None:
        """A day word of ``ALL_DAYS`` or ``SHORT_DAYS`` as (word, the date it names), or None where it is not offered."""
        how, word, n = spec
        today = self.today
        if how == "ahead":
            return word, today + timedelta(days=n)
        if how == "weekday":      # 周五: the next one, today included
            return word, today + timedelta(days=(n - today.weekday()) % 7)
        if how == "next week":
            return word, self.monday + timedelta(days=7 + n)
        if how == "this week":    # 这周五, 本周五: offered only while that day is today or ahead
            return (word, self.monday + timedelta(days=n)) if n >= today.weekday() else None
        target = today + timedelta(days=n)
        m, d = target.month, target.day
        if how == "day of month":  # a bare 25号: offered only when it names this very date
            months_ahead = (target.year - today.year) * 12 + m - today.month
            return (f"{d}{word}", target) if months_ahead == 0 or (months_ahead == 1 and d < today.day) else None
        if word == "cn":   # 十二月一号, 二月二号: 2 in a date is 二, never 两
            return f"{cn(m)}月{cn(d)}号".replace("两", "二"), target
        return (f"{target.year}年{m}月{d}日" if word == "year" else f"{m}月{d}{word}"), target

    def short_day(self, index: int) -> tuple[str, date]:
        found = self._short[index]
        if found is None:
            found = self._short[index] = self.day_word(SHORT_DAYS[index])
        assert found is not None  # every short day word is offered on every date
        return found

    def day(self, j: int) -> Found:
        found = self.day_word(ALL_DAYS[j])
        return None if found is None else (found[0], _day(found[1]))

    def near_part(self, j: int) -> Found:
        word, offset, part = NEAR_PARTS[j]
        return word, part_window(self.today + timedelta(days=offset), part)

    def dated_part(self, j: int) -> Found:
        word, d = self.short_day(j // len(_PART_NAMES))
        part = _PART_NAMES[j % len(_PART_NAMES)]
        return word + part, part_window(d, part)

    def clock_at(self, j: int, turn: int) -> tuple[str, Window]:
        """Clock phrase ``j``: staples, then today's and tomorrow's (今晚8点, 下午3点), then one per day word."""
        if j < len(STAPLE_CLOCKS):
            text, offset, hour, minute, names_minute = STAPLE_CLOCKS[j]
            return text, _clock_window(self.today + timedelta(days=offset), hour, minute, names_minute)
        j -= len(STAPLE_CLOCKS)
        if j < len(NEAR_CLOCKS):
            word, offset, spoken, hour = NEAR_CLOCKS[j]
            d = self.today + timedelta(days=offset)
        else:
            j -= len(NEAR_CLOCKS)
            word, d = self.short_day(j // len(CLOCKS))
            part, spoken, hour = CLOCKS[j % len(CLOCKS)]
            word += part
        text, minute, names_minute = _clock_text(spoken, turn)
        return word + text, _clock_window(d, hour, minute, names_minute)

    def clock(self, j: int) -> Found:
        return _clock_on(self.today, j)

    def day_deadline(self, j: int) -> Found:
        found = self.day_word(ALL_DAYS[j])
        return None if found is None else (found[0] + "前", (self.now, _day(found[1])[1]))

    def short_day_deadline(self, j: int) -> Found:
        word, d = self.short_day(j)
        return word + BEFORE[1 + (j + 1) % 2], (self.now, _day(d)[1])

    def part_deadline(self, j: int) -> Found:
        word, offset, part = DEADLINE_PARTS[j]
        turn = len(SHORT_DAYS) + j + 1
        return word + BEFORE[turn % 3], (self.now, part_window(self.today + timedelta(days=offset), part)[1])

    def clock_deadline(self, j: int) -> Found:
        turn = CLOCK_TURN + 2 * (j - len(STAPLE_CLOCKS)) + 1
        text, (start, _) = self.clock_at(j, turn)
        return text + ("前" if j < len(STAPLE_CLOCKS) else BEFORE[(turn + 1) % 3]), (self.now, start)

    def period_deadline(self, j: int) -> Found:
        word, span, suffixes = PERIODS[j // 2]
        first, last = _span(self.today, span)
        suffix = suffixes[1 + (PERIOD_TURN + j // 2 + 1) % 2] if j % 2 else suffixes[0]
        return word + suffix, (self.now if suffixes is BEFORE else _day(first)[0], _day(last)[1])

    def weekend_deadline(self, j: int) -> Found:
        word, weeks = WEEKENDS[j]
        return word + "前", (self.now, _day(self.monday + timedelta(days=6 + 7 * weeks))[1])

    def within_deadline(self, j: int) -> Found:
        return self.within_days(j) if j < len(WITHIN_DAYS) else self.within_minutes(j - len(WITHIN_DAYS))

    def within_days(self, j: int) -> Found:
        text, days = WITHIN_DAYS[j]
        return text, (self.now, _day(self.today + timedelta(days=days))[1])

    def within_minutes(self, j: int) -> Found:
        text, minutes = WITHIN_MINUTES[j]
        return text, (self.now, self.now + timedelta(minutes=minutes))

    def weekend(self, j: int) -> Found:
        word, weeks = WEEKENDS[j]
        saturday = self.monday + timedelta(days=5 + 7 * weeks)
        return word, (_day(saturday)[0], _day(saturday + timedelta(days=1))[1])

    def relative(self, j: int) -> Found:
        return self.relative_minutes(j) if j < len(AFTER_MINUTES) else self.relative_days(j - len(AFTER_MINUTES))

    def relative_minutes(self, j: int) -> Found:
        text, minutes = AFTER_MINUTES[j]
        start = (self.now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
        return text, (start, start + timedelta(minutes=1) - _SECOND)

    def relative_days(self, j: int) -> Found:
        text, days = AFTER_DAYS[j]
        return text, _day(self.today + timedelta(days=days))


@lru_cache(maxsize=1 << 14)
def _clock_on(today: date, j: int) -> tuple[str, Window]:
    """Clock phrase ``j`` on the date ``today``: it depends on the date alone, never on the time of
    day, so each is built once per date (a clock slot with ``hours`` turns down about eleven drawn
    phrases for each one it keeps; 28 days of clocks are a few thousand entries)."""
    return At(datetime.combine(today, time())).clock_at(j, j - len(STAPLE_CLOCKS) + 1)
