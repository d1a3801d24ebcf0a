"""The phrase pool: natural Chinese time phrases, with their windows, for a session clock.

The inverse of :func:`twinchat.composer.timeexpr.resolve`: a unit whose slot draws from the pool
gets a phrase a customer would type together with the window it names, so the label is known
before the sentence is written. Windows are computed here from what each phrase is built from
(a date, a part of day, an hour), by the conventions stated in :mod:`twinchat.composer.timeexpr`;
the test suite checks that every phrase resolves back to its window.

Kinds
-----
``day``
    a whole day: 今天, 明天, 后天, 大后天, 周五/星期五/礼拜五, 这周五, 下周一, 12月1号, 十二月一日,
    11月25日, 2026年12月1日, a bare 25号.
``part_of_day``
    a part of a day: 今晚, 今天晚上, 今早, 明早, 明天上午, 后天下午, 周六晚上, 12月1号下午, 下午.
``clock``
    an hour or a minute of a day: 明天上午9点, 明早8点半, 后天下午2点, 今晚8:30, 今晚12点
    (midnight), 下午3点 (today), and a part of day with an hour after each day word.
``deadline``
    "by then": X前/X之前/X以前 of a day, a part of day, a clock or a period (周五前, 今晚8点前,
    这周末前, 月底前, 年底之前), N天内 / N小时内 / 一周内 (from now), and X内 of a period, which is
    the period itself (今天之内, 本周内, 这个月内).
``weekend``
    这周末, 周末, 本周末, 这个周末, 下周末, 下个周末.
``relative``
    a time counted from now: 两小时后, 半小时后 and 10分钟后 name one minute (now+Δ rounded down to the
    minute, to …:59); 3天后 and 一周后 name the whole day they land on.

Surface forms vary across the pool: Chinese and Arabic numerals (两点, 2点, 十二月), 点/点钟/点半/
点一刻/:30/:00, 号/日, 周/星期/礼拜, 前/之前/以前, full-width digits (３天内).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from twinchat.composer.errors import ComposerError
from twinchat.composer.timeexpr import TimeWindow

__all__ = ["KINDS", "TimePhrase", "phrases", "sample"]

KINDS: tuple[str, ...] = ("day", "part_of_day", "clock", "deadline", "weekend", "relative")
"""Every kind of phrase the pool emits, in the order :func:`phrases` lists them."""


@dataclass(frozen=True, slots=True)
class TimePhrase:
    """A phrase a customer could type, the window it names at the session clock, and its kind."""

    text: str
    window: TimeWindow
    kind: str


_CN_DIGITS = "零一二三四五六七八九"
_WEEKDAYS = "一二三四五六日"
_SECOND = timedelta(seconds=1)
# part of day → [first hour, hour after the last) as DESIGN.md states them
_PART_HOURS = {"凌晨": (0, 6), "早上": (6, 10), "上午": (8, 12), "中午": (11, 14),
               "下午": (13, 18), "傍晚": (17, 19), "晚上": (18, 24)}
# (part of day, hour as spoken, hour on the 24-hour dial)
_CLOCKS = (("凌晨", 2, 2), ("早上", 7, 7), ("早上", 8, 8), ("上午", 9, 9), ("上午", 10, 10), ("上午", 11, 11),
           ("中午", 12, 12), ("中午", 1, 13), ("下午", 2, 14), ("下午", 3, 15), ("下午", 5, 17), ("傍晚", 6, 18),
           ("晚上", 7, 19), ("晚上", 8, 20), ("晚上", 10, 22))
# clock phrases always offered while ahead: (text, days from today, hour, minute, names the minute)
_STAPLE_CLOCKS = (("明天上午9点", 1, 9, 0, False), ("明早8点半", 1, 8, 30, True), ("后天下午2点", 2, 14, 0, False),
                  ("今晚8:30", 0, 20, 30, True), ("明早8点", 1, 8, 0, False), ("今晚8点", 0, 20, 0, False),
                  ("今晚12点", 0, 24, 0, False))
# minute forms: (text after the hour, minute, names the minute, Arabic hour only)
_MINUTES = (("点", 0, False, False), ("点半", 30, True, False), (":30", 30, True, True), ("点钟", 0, False, False),
            ("点一刻", 15, True, False), (":00", 0, True, True), ("点15分", 15, True, True))
_BEFORE = ("前", "之前", "以前")


def _cn(n: int) -> str:
    """0–99 in Chinese numerals, 2 as 两 when it stands alone (两点, 两天)."""
    if n == 2:
        return "两"
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + ("" if ones == 0 else _CN_DIGITS[ones])


def _cn_date(n: int) -> str:
    return "二" if n == 2 else _cn(n)


def _day(d: date) -> tuple[datetime, datetime]:
    start = datetime.combine(d, time())
    return start, start + timedelta(days=1) - _SECOND


def _part(d: date, part: str) -> tuple[datetime, datetime]:
    lo, hi = _PART_HOURS[part]
    start = datetime.combine(d, time())
    return start + timedelta(hours=lo), start + timedelta(hours=hi) - _SECOND


def _weekday_words(weekday: int) -> list[str]:
    if weekday == 6:
        return ["周日", "周天", "星期日", "星期天", "礼拜天", "礼拜日"]
    return [f"{word}{_WEEKDAYS[weekday]}" for word in ("周", "星期", "礼拜")]


class _Pool:
    """Collects phrases at one clock, keeping those whose window is not wholly past."""

    def __init__(self, now: datetime) -> None:
        self.now, self.today = now, now.date()
        self.items: list[TimePhrase] = []
        self.seen: set[str] = set()
        self.turn = 0

    def add(self, kind: str, text: str, window: tuple[datetime, datetime]) -> None:
        start, end = window
        if end < self.now or text in self.seen:
            return
        self.seen.add(text)
        self.items.append(TimePhrase(text, TimeWindow(max(start, self.now), end), kind))

    def next_turn(self) -> int:
        self.turn += 1
        return self.turn

    def days(self, *, all_forms: bool) -> Iterator[tuple[str, date]]:
        """Day words and the dates they name; ``all_forms`` gives every surface form, else one each."""
        today = self.today
        monday = today - timedelta(days=today.weekday())
        for offset, word in enumerate(("今天", "明天", "后天", "大后天")):
            yield word, today + timedelta(days=offset)
        for weekday in range(7):
            words = _weekday_words(weekday)
            bare = today + timedelta(days=(weekday - today.weekday()) % 7)
            for word in (words if all_forms else [words[(weekday + 1) % len(words)]]):
                yield word, bare
            tails = "日天天" if weekday == 6 else _WEEKDAYS[weekday] * 3
            nexts = [head + tail for head, tail in zip(("下周", "下星期", "下个礼拜"), tails, strict=True)]
            for word in (nexts if all_forms else [nexts[weekday % 3]]):
                yield word, monday + timedelta(days=7 + weekday)
            if all_forms and weekday >= today.weekday():
                yield ("本" if weekday % 2 else "这") + words[0], monday + timedelta(days=weekday)
        offsets = (0, 1, 2, 5, 9, 13, 20, 34, 61, 200) if all_forms else (4, 11)
        for k, target in enumerate(today + timedelta(days=offset) for offset in offsets):
            m, d = target.month, target.day
            forms = [f"{m}月{d}号", f"{m}月{d}日", f"{_cn_date(m)}月{_cn_date(d)}号"]
            if not all_forms:
                yield forms[1 - k], target
                continue
            yield from ((form, target) for form in forms)
            if k % 3 == 0:
                yield f"{target.year}年{m}月{d}日", target
            months_ahead = (target.year - today.year) * 12 + target.month - today.month
            if months_ahead == 0 or (months_ahead == 1 and d < today.day):  # the next day of month ``d``
                yield f"{d}{'号' if k % 2 else '日'}", target


def _days(pool: _Pool) -> None:
    for word, d in pool.days(all_forms=True):
        pool.add("day", word, _day(d))


def _parts(pool: _Pool) -> None:
    today = pool.today
    for word, offset, part in (("今早", 0, "早上"), ("今晚", 0, "晚上"), ("明早", 1, "早上"), ("明晚", 1, "晚上")):
        pool.add("part_of_day", word, _part(today + timedelta(days=offset), part))
    for part in _PART_HOURS:
        pool.add("part_of_day", part, _part(today, part))
    for word, d in pool.days(all_forms=False):
        for part in _PART_HOURS:
            pool.add("part_of_day", word + part, _part(d, part))


def _clock_text(spoken: int, turn: int) -> tuple[str, int, bool]:
    suffix, minute, names_minute, arabic_only = _MINUTES[turn % len(_MINUTES)]
    hour = str(spoken) if arabic_only or turn % 2 else _cn(spoken)
    return hour + suffix, minute, names_minute


def _clock_window(d: date, hour: int, minute: int, names_minute: bool) -> tuple[datetime, datetime]:
    start = datetime.combine(d, time()) + timedelta(hours=hour, minutes=minute)
    return start, start + (timedelta(minutes=1) if names_minute else timedelta(hours=1)) - _SECOND


def _clock_phrases(pool: _Pool) -> Iterator[tuple[str, tuple[datetime, datetime]]]:
    """Clock phrases with their windows: staples, fused (今晚8点), bare today (下午3点) and dated."""
    today = pool.today
    for text, offset, hour, minute, names_minute in _STAPLE_CLOCKS:
        yield text, _clock_window(today + timedelta(days=offset), hour, minute, names_minute)
    fused = {"晚上": (("今晚", 0), ("明晚", 1)), "早上": (("今早", 0), ("明早", 1))}
    for part, spoken, hour in _CLOCKS:
        for word, offset in fused.get(part, ()):
            text, minute, names_minute = _clock_text(spoken, pool.next_turn())
            yield word + text, _clock_window(today + timedelta(days=offset), hour, minute, names_minute)
        text, minute, names_minute = _clock_text(spoken, pool.next_turn())
        yield part + text, _clock_window(today, hour, minute, names_minute)
    for word, d in pool.days(all_forms=False):
        for part, spoken, hour in _CLOCKS:
            text, minute, names_minute = _clock_text(spoken, pool.next_turn())
            yield word + part + text, _clock_window(d, hour, minute, names_minute)


def _clocks(pool: _Pool) -> None:
    for text, window in _clock_phrases(pool):
        pool.add("clock", text, window)


def _periods(today: date) -> Iterator[tuple[str, date, date, tuple[str, ...]]]:
    """Periods with their first and last day and the suffixes that make a deadline of them."""
    within = ("内", "之内", "以内")
    monday = today - timedelta(days=today.weekday())
    first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    month_end = first_next - timedelta(days=1)
    next_month_end = (first_next.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    yield "今天", today, today, within
    yield "这周", monday, monday + timedelta(days=6), within
    yield "本周", monday, monday + timedelta(days=6), within
    yield "下周", monday + timedelta(days=7), monday + timedelta(days=13), within
    yield "这个月", today.replace(day=1), month_end, within
    yield "本月", today.replace(day=1), month_end, within
    yield "月底", month_end, month_end, _BEFORE
    yield "这个月底", month_end, month_end, _BEFORE
    yield "下个月底", next_month_end, next_month_end, _BEFORE
    yield "年底", date(today.year, 12, 31), date(today.year, 12, 31), _BEFORE


def _weekends(today: date) -> Iterator[tuple[str, date]]:
    saturday = today - timedelta(days=today.weekday()) + timedelta(days=5)
    for word in ("这周末", "周末", "本周末", "这个周末"):
        yield word, saturday
    for word in ("下周末", "下个周末"):
        yield word, saturday + timedelta(days=7)


def _deadlines(pool: _Pool) -> None:
    now, today = pool.now, pool.today
    for word, d in pool.days(all_forms=True):
        pool.add("deadline", word + "前", (now, _day(d)[1]))
    for word, d in pool.days(all_forms=False):
        pool.add("deadline", word + _BEFORE[1 + pool.next_turn() % 2], (now, _day(d)[1]))
    parts = (("今晚", 0, "晚上"), ("今天下午", 0, "下午"), ("明天上午", 1, "上午"), ("明早", 1, "早上"),
             ("后天下午", 2, "下午"))
    for word, offset, part in parts:
        end = _part(today + timedelta(days=offset), part)[1]
        pool.add("deadline", word + _BEFORE[pool.next_turn() % 3], (now, end))
    for index, (text, (start, _)) in enumerate(_clock_phrases(pool)):
        suffix = "前" if index < len(_STAPLE_CLOCKS) else _BEFORE[pool.next_turn() % 3]
        pool.add("deadline", text + suffix, (now, start))
    for word, first, last, suffixes in _periods(today):
        # X前 runs from now to the end of X; X内 (今天之内, 本周内) is X itself
        start = now if suffixes is _BEFORE else _day(first)[0]
        for suffix in (suffixes[0], suffixes[1 + pool.next_turn() % 2]):
            pool.add("deadline", word + suffix, (start, _day(last)[1]))
    for word, saturday in _weekends(today):
        pool.add("deadline", word + "前", (now, _day(saturday + timedelta(days=1))[1]))
    for n in range(1, 8):
        end = _day(today + timedelta(days=n))[1]
        for text in (f"{n}天内", f"{_cn(n)}天内", f"{n}天之内", f"{_cn(n)}天以内"):
            pool.add("deadline", text, (now, end))
    pool.add("deadline", "３天内", (now, _day(today + timedelta(days=3))[1]))
    for text, weeks in (("一周内", 1), ("1周内", 1), ("两周内", 2), ("一个星期内", 1)):
        pool.add("deadline", text, (now, _day(today + timedelta(days=7 * weeks))[1]))
    hours = (("半小时内", 30), ("1小时内", 60), ("两小时内", 120), ("24小时内", 1440), ("48小时之内", 2880))
    for text, minutes in hours:
        pool.add("deadline", text, (now, now + timedelta(minutes=minutes)))


def _weekend_kind(pool: _Pool) -> None:
    for word, saturday in _weekends(pool.today):
        pool.add("weekend", word, (_day(saturday)[0], _day(saturday + timedelta(days=1))[1]))


def _relative(pool: _Pool) -> None:
    now, today = pool.now, pool.today
    minutes = (("半小时后", 30), ("半个小时后", 30), ("1小时后", 60), ("一个小时后", 60), ("两小时后", 120),
               ("2个小时后", 120), ("一个半小时后", 90), ("3小时以后", 180), ("10分钟后", 10),
               ("十五分钟后", 15), ("20分钟之后", 20), ("30分钟后", 30), ("四十分钟后", 40))
    for text, count in minutes:
        at = (now + timedelta(minutes=count)).replace(second=0, microsecond=0)
        pool.add("relative", text, (at, at + timedelta(minutes=1) - _SECOND))
    days = (("1天后", 1), ("2天后", 2), ("两天后", 2), ("3天后", 3), ("三天以后", 3), ("5天后", 5), ("十天后", 10),
            ("4天之后", 4), ("一周后", 7), ("两周后", 14), ("1个星期后", 7))
    for text, count in days:
        pool.add("relative", text, _day(today + timedelta(days=count)))


_BUILDERS: dict[str, Callable[[_Pool], None]] = {
    "day": _days, "part_of_day": _parts, "clock": _clocks, "deadline": _deadlines,
    "weekend": _weekend_kind, "relative": _relative,
}


def _check_kinds(kinds: Collection[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):
        kinds = (kinds,)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ComposerError(f"unknown time-phrase kind {unknown[0]!r} (known: {', '.join(KINDS)})")
    return tuple(kind for kind in KINDS if kind in kinds)


@lru_cache(maxsize=256)
def _build(now: datetime, kind: str) -> tuple[TimePhrase, ...]:
    pool = _Pool(now)
    _BUILDERS[kind](pool)
    return tuple(pool.items)


def phrases(now: datetime, kinds: Collection[str] | None = None) -> list[TimePhrase]:
    """Every phrase of the given kinds (all by default) whose window is not wholly past at ``now``.

    The order is deterministic: by kind, in :data:`KINDS` order, then by construction. A text
    appears once; windows start no earlier than ``now``. Raises :class:`ComposerError` for an
    unknown kind.
    """
    found: list[TimePhrase] = []
    seen: set[str] = set()
    for kind in _check_kinds(kinds):
        for phrase in _build(now, kind):
            if phrase.text not in seen:
                seen.add(phrase.text)
                found.append(phrase)
    return found


def sample(now: datetime, rng: random.Random, kinds: Collection[str] | None = None) -> TimePhrase:
    """One phrase drawn with ``rng``: a kind uniformly among the given ones, then one of its phrases.

    A kind with no phrase left at ``now`` is passed over. The same ``rng`` state, clock and kinds
    always give the same phrase. Raises :class:`ComposerError` for an unknown kind, or when no
    phrase of the kinds is possible at ``now``.
    """
    candidates = list(_check_kinds(kinds))
    while candidates:
        kind = rng.choice(candidates)
        pool = _build(now, kind)
        if pool:
            return rng.choice(pool)
        candidates.remove(kind)
    raise ComposerError(f"no time phrase of kinds {', '.join(_check_kinds(kinds))} is possible at {now}")
