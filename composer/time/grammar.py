"""The grammar of colloquial Chinese time phrases: what one match of the pattern names at a clock.

Internal to :mod:`twinchat.composer.time.resolve`, whose docstring states the conventions (the parts of the
day are tabled in :mod:`twinchat.composer.time.conventions`, the surface forms are in
:mod:`twinchat.composer.time.pattern`, the days in :mod:`twinchat.composer.time.days`). This module
turns one match of :data:`PHRASE` into a raw window ``(start, end)`` at a clock ``now``. It raises
:class:`Unresolvable` for a match that names nothing real (2月30日, 25点, 周五以后),
:class:`WhollyPast` for a window that ends before ``now`` and, for an appointment, :class:`Begun`
for a time named that has already begun; the caller turns them into messages.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from twinchat.composer.time.conventions import PART_HOURS, PARTS, part_name, part_window
from twinchat.composer.time.days import Unresolvable, day_of, end_of, number, period_of, start_of
from twinchat.composer.time.pattern import AFTER, AROUND, BEFORE, FULLWIDTH, HEDGES, PHRASE, WITHIN, WORK, has_core

__all__ = ["FULLWIDTH", "PHRASE", "SMALL_HOURS_END", "Begun", "Plan", "Unresolvable", "WhollyPast", "has_core", "interpret",
           "place", "plan"]

Window = tuple[datetime, datetime]
#: what :func:`plan` works out: (the windows in reading order, the suffix, whether the phrase names an
#: instant, whether it is an appointment's, whether to take the first reading still ahead)
Plan = tuple[tuple[Window, ...], str | None, bool, bool, bool]
_DAY_UNITS = frozenset({"天", "周", "星期", "礼拜"})
_UNIT_MINUTES = {"小时": 60, "钟头": 60, "分钟": 1, "刻钟": 15}
_HOUR, _MINUTE = timedelta(minutes=59, seconds=59), timedelta(seconds=59)
#: the hour the small hours (凌晨) end: a 凌晨 said from then on is the coming night's
SMALL_HOURS_END = PARTS["凌晨"][1]


class WhollyPast(ValueError):
    """The phrase names a window that ends before ``now``."""


class Begun(ValueError):
    """An appointment names a time that has already begun at ``now`` (``start`` is that time)."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.start = start


def _minute(g: re.Match[str], s: str) -> tuple[int, bool]:
    """(minute, whether the phrase names the minute rather than the hour)."""
    if g["colon" + s]:
        return int(g["cm" + s]), True
    if g["half" + s]:
        return 30, True
    if g["qtr" + s]:
        return (15 if g["qtr" + s] == "一刻" else 45), True
    if g["mi" + s]:
        return number(g["mi" + s]), True
    return 0, g["exact" + s] is not None


def _hours(part: str | None, spoken: int, padded: bool) -> list[int]:
    """The 24-hour readings of a spoken hour, most likely first."""
    if part is not None:
        if spoken not in PART_HOURS[part]:
            raise Unresolvable(f"{spoken}点 is not in the {part}")
        return [PART_HOURS[part][spoken]]
    if spoken > 24:
        raise Unresolvable(f"there is no hour {spoken}")
    if padded or spoken == 0 or spoken >= 12:
        return [spoken]
    if spoken <= 6:
        return [spoken + 12]          # 1–6点 without a part of day: the afternoon, never 凌晨
    return [spoken, spoken + 12]      # 7–11点: the first of morning or evening that is still ahead


def _clock_windows(g: re.Match[str], d: date, part: str | None) -> list[Window]:
    spoken = number(g["h"])
    minute, names_minute = _minute(g, "")
    base = start_of(d)
    windows = []
    for hour in _hours(part, spoken, g["h"].startswith("0") and len(g["h"]) == 2):
        at = base + timedelta(hours=hour, minutes=minute)
        if g["rsep"]:
            windows.append((at, _range_end(g, base, at, part_name(g["rpart"]) or part)))
        else:
            windows.append((at, at + (_MINUTE if names_minute else _HOUR)))
    return windows


def _range_end(g: re.Match[str], base: datetime, first: datetime, part: str | None) -> datetime:
    minute, _ = _minute(g, "2")
    spoken = number(g["h2"])
    for hour in _hours(part, spoken, g["h2"].startswith("0") and len(g["h2"]) == 2):
        end = base + timedelta(hours=hour, minutes=minute)
        if end > first:
            return end
    raise Unresolvable("the range ends before it starts")


def _finish(window: Window, suffix: str | None, *, point: bool, now: datetime, appointment: bool = False) -> Window:
    """Apply 前/内/后 and clip to ``now``; ``point`` says the phrase names an instant (a clock).

    For an ``appointment`` a clock said on its own (or with 左右) keeps its time: one already begun
    raises :class:`Begun` rather than starting at ``now``."""
    start, end = window
    if suffix in BEFORE:
        start, end = now, (start if point else end)
    elif suffix in WITHIN and point:
        raise Unresolvable(f"'{suffix}' does not follow a clock time")
    elif suffix in AFTER:
        if not point:
            raise Unresolvable(f"'{suffix}' after a day or a period leaves the window open")
        end = end_of(start.date())
    if end < now:
        raise WhollyPast()
    if appointment and point and (suffix is None or suffix in AROUND) and start < now:
        raise Begun(start)
    return max(start, now), end


def _quantity(g: re.Match[str], now: datetime, *, in_sentence: bool, deadline: bool) -> Window:
    """N天内/后, N小时内/后, 半小时, 一刻钟…: counted from now; said bare, an hour or minute count is a 内."""
    half = g["qh"] is not None or g["qhalf"] is not None
    count = 0 if g["qh"] else number(g["qn"])
    unit, suffix = g["qunit"], g["qsuf"]
    if suffix is None:
        if in_sentence or unit in _DAY_UNITS:
            raise Unresolvable(f"a bare {unit} count is neither 内 nor 后")
        suffix = "内"
    after = suffix in AFTER
    if unit in _DAY_UNITS:
        if half:
            raise Unresolvable(f"half a {unit} is not a window")
        day = now.date() + timedelta(days=count * (1 if unit == "天" else 7))
        if count == 0:
            raise Unresolvable(f"0{unit} is not a window")
        return (start_of(day) if after and not deadline else now, end_of(day))
    if half and unit in ("分钟", "刻钟"):
        raise Unresolvable(f"half a {'minute' if unit == '分钟' else unit} is not a window")
    minutes = count * _UNIT_MINUTES[unit] + (30 if half else 0)
    if minutes == 0:
        raise Unresolvable(f"0{unit} is not a window")
    if not after:
        return now, now + timedelta(minutes=minutes)
    at = (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return (now if deadline else at), at + _MINUTE


def _work(g: re.Match[str], day: date, suffix: str | None, *, in_sentence: bool, appointment: bool) -> Plan:
    """上班 and 下班 name their hour (09:00, 18:00); 午休 is 12:00–13:29:59, 午休前 ends as it begins."""
    if in_sentence and g["day"] is None and suffix is None:
        raise Unresolvable(f"{g['work']} alone in running text is not read as a time")
    (hour, minute), until = WORK[g["work"]]
    start = start_of(day) + timedelta(hours=hour, minutes=minute)
    if until is None:
        return ((start, start + _HOUR),), suffix, True, appointment, False
    end = start_of(day) + timedelta(hours=until[0], minutes=until[1])
    if suffix in BEFORE:
        return ((start, start),), suffix, True, False, False
    if suffix in AFTER:
        return ((end, end),), suffix, True, False, False
    return ((start, end - timedelta(seconds=1)),), suffix, False, False, False


def _readings(windows: tuple[Window, ...], suffix: str | None, *, point: bool, now: datetime, appointment: bool) -> Window:
    """The first reading of a clock still ahead; after 以后 or for an appointment, one not yet begun."""
    begun = None
    for i, window in enumerate(windows):
        if suffix in AFTER and i + 1 < len(windows) and window[0] < now:
            continue                  # 十点以后 said at 15:00: 22:00 on, not "from now"
        try:
            return _finish(window, suffix, point=point, now=now, appointment=appointment)
        except WhollyPast:
            continue
        except Begun as exc:
            begun = exc
    raise begun or WhollyPast()


def interpret(m: re.Match[str], now: datetime, *, in_sentence: bool, appointment: bool = False,
              hedge: str | None = None) -> Window:
    """The window ``(start, end)`` that match ``m`` of :data:`PHRASE` names at ``now``.

    ``in_sentence`` applies the stricter reading used when searching running text: a bare
    Chinese-numeral hour (两点, 一点) is a time only with a minute, 钟, a range or a suffix,
    since 快一点 and 有两点要求 hold no time. ``appointment`` keeps a clock's named time
    (see :func:`_finish`); ``hedge`` is a word said just before the phrase (最晚, 最好).
    """
    if m["qunit"]:  # counted from now itself
        return _quantity(m, now, in_sentence=in_sentence, deadline=hedge is not None and HEDGES[hedge])
    return place(plan(m, now.date(), now.hour >= SMALL_HOURS_END, in_sentence=in_sentence,
                      appointment=appointment, hedge=hedge), now)


def plan(m: re.Match[str], today: date, late: bool, *, in_sentence: bool, appointment: bool = False,
         hedge: str | None = None) -> Plan:
    """What :func:`interpret` works out of a match (not a quantity) before it reads the clock's time:
    it depends on the day ``today`` and on ``late`` (whether the clock is past the small hours)
    only, so it holds for every clock of that day; :func:`place` finishes it at a clock. Raises
    :class:`Unresolvable` as :func:`interpret` does."""
    g = m   # read group by group: the pattern has some eighty groups and a phrase uses a few
    deadline = hedge is not None and HEDGES[hedge]
    if g["we"] or g["wk"] or g["mo"] or g["me"] or g["ye"]:
        first, last = period_of(g, today)
        return ((start_of(first), end_of(last)),), _hedged(g["psuf"], deadline), False, False, False
    d, part = day_of(g, today)
    if d is None and part == "凌晨" and late:
        d = today + timedelta(days=1)   # the small hours said once today's are over: the coming night
    suffix = _hedged(g["suf"], deadline)
    if g["work"]:
        return _work(g, d or today, suffix, in_sentence=in_sentence, appointment=appointment)
    if g["clock"] is None:
        if d is None and part is None:
            raise Unresolvable("no day, part of day or clock")
        day = d or today
        return (part_window(day, part) if part else (start_of(day), end_of(day)),), suffix, False, False, False
    if g["bare"] is not None and not g["rsep"]:
        raise Unresolvable(f"{g['h']} without 点 is not a clock")
    if (in_sentence and d is None and part is None and not g["h"].isascii() and g["unit"] == "点"
            and (suffix is None or suffix in AROUND) and not (g["half"] or g["qtr"] or g["mi"] or g["exact"] or g["rsep"])):
        raise Unresolvable(f"bare {g['clock']} in running text is not read as a time")
    if g["rsep"] and not (suffix is None or suffix in AROUND):
        raise Unresolvable(f"'{suffix}' does not follow a range of times")
    return tuple(_clock_windows(g, d or today, part)), suffix, not g["rsep"], appointment, True


def place(planned: Plan, now: datetime) -> Window:
    """The window a :func:`plan` names at ``now`` (raises :class:`WhollyPast` or :class:`Begun` as
    :func:`interpret` does)."""
    windows, suffix, point, appointment, readings = planned
    if readings:
        return _readings(windows, suffix, point=point, now=now, appointment=appointment)
    return _finish(windows[0], suffix, point=point, now=now, appointment=appointment)


def _hedged(suffix: str | None, deadline: bool) -> str | None:
    """最晚/最迟/不晚于 X mean X前; another suffix said with them stays (最晚周五以后 is still open)."""
    return "前" if deadline and (suffix is None or suffix in AROUND) else suffix
