"""The phrase pool: natural Chinese time phrases, with their windows, for a session clock.

The inverse of :func:`twinchat.composer.time.resolve.resolve`: a unit whose slot draws from the pool
gets a phrase a customer would type together with the window it names, so the label is known
before the sentence is written. Windows are computed here from what each phrase is built from
(a date, a part of day, an hour), by the conventions stated in :mod:`twinchat.composer.time.resolve`;
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

Each kind is a fixed, numbered list of recipes (:class:`_Layout`), each building one phrase at a
clock; no two give the same text. :func:`phrases` runs them all and keeps what is not wholly past;
:func:`sample` runs only the ones it draws, so a clock never seen before costs a few recipes.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate

from twinchat.composer.errors import ComposerError
from twinchat.composer.time.resolve import TimeWindow

__all__ = ["KINDS", "TimePhrase", "phrases", "sample", "sample_where"]

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
_PARTS = tuple(_PART_HOURS)
# (part of day, hour as spoken, hour on the 24-hour dial)
_CLOCKS = (("凌晨", 2, 2), ("早上", 7, 7), ("早上", 8, 8), ("上午", 9, 9), ("上午", 10, 10), ("上午", 11, 11),
           ("中午", 12, 12), ("中午", 1, 13), ("下午", 2, 14), ("下午", 3, 15), ("下午", 5, 17), ("傍晚", 6, 18),
           ("晚上", 7, 19), ("晚上", 8, 20), ("晚上", 10, 22))
# clock phrases always offered while ahead: (text, days from today, hour, minute, names the minute)
_STAPLE_CLOCKS = (("明天上午9点", 1, 9, 0, False), ("明早8点半", 1, 8, 30, True), ("后天下午2点", 2, 14, 0, False),
                  ("今晚8:30", 0, 20, 30, True), ("明早8点", 1, 8, 0, False), ("今晚8点", 0, 20, 0, False),
                  ("今晚12点", 0, 24, 0, False))
# the clocks of today and tomorrow that follow the staples: (word, days from today, hour as spoken, dial hour)
_FUSED_CLOCKS = {"晚上": (("今晚", 0), ("明晚", 1)), "早上": (("今早", 0), ("明早", 1))}
_NEAR_CLOCKS = tuple((word, offset, spoken, hour) for part, spoken, hour in _CLOCKS
                     for word, offset in (*_FUSED_CLOCKS.get(part, ()), (part, 0)))
# minute forms: (text after the hour, minute, names the minute, Arabic hour only)
_MINUTES = (("点", 0, False, False), ("点半", 30, True, False), (":30", 30, True, True), ("点钟", 0, False, False),
            ("点一刻", 15, True, False), (":00", 0, True, True), ("点15分", 15, True, True))
_BEFORE = ("前", "之前", "以前")
_WITHIN = ("内", "之内", "以内")
# parts of day without a day word: (text, days from today, part)
_NEAR_PARTS = (("今早", 0, "早上"), ("今晚", 0, "晚上"), ("明早", 1, "早上"), ("明晚", 1, "晚上"),
               *((part, 0, part) for part in _PART_HOURS))
_DEADLINE_PARTS = (("今晚", 0, "晚上"), ("今天下午", 0, "下午"), ("明天上午", 1, "上午"), ("明早", 1, "早上"),
                   ("后天下午", 2, "下午"))
# periods: (word, span, suffixes that make a deadline of it); X前 runs from now, X内 is X itself
_PERIODS = (("今天", "today", _WITHIN), ("这周", "week", _WITHIN), ("本周", "week", _WITHIN),
            ("下周", "next week", _WITHIN), ("这个月", "month", _WITHIN), ("本月", "month", _WITHIN),
            ("月底", "month end", _BEFORE), ("这个月底", "month end", _BEFORE),
            ("下个月底", "next month end", _BEFORE), ("年底", "year end", _BEFORE))
_WEEKENDS = (("这周末", 0), ("周末", 0), ("本周末", 0), ("这个周末", 0), ("下周末", 1), ("下个周末", 1))


def _cn(n: int) -> str:
    """0–99 in Chinese numerals, 2 as 两 when it stands alone (两点, 两天)."""
    if n == 2:
        return "两"
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + ("" if ones == 0 else _CN_DIGITS[ones])


# counted from now: (text, days) names or ends with the day today+N, (text, minutes) the time now+Δ
_WITHIN_DAYS = (*((text, n) for n in range(1, 8)
                  for text in (f"{n}天内", f"{_cn(n)}天内", f"{n}天之内", f"{_cn(n)}天以内")),
                ("３天内", 3), ("一周内", 7), ("1周内", 7), ("两周内", 14), ("一个星期内", 7))
_WITHIN_MINUTES = (("半小时内", 30), ("1小时内", 60), ("两小时内", 120), ("24小时内", 1440), ("48小时之内", 2880))
_AFTER_MINUTES = (("半小时后", 30), ("半个小时后", 30), ("1小时后", 60), ("一个小时后", 60), ("两小时后", 120),
                  ("2个小时后", 120), ("一个半小时后", 90), ("3小时以后", 180), ("10分钟后", 10),
                  ("十五分钟后", 15), ("20分钟之后", 20), ("30分钟后", 30), ("四十分钟后", 40))
_AFTER_DAYS = (("1天后", 1), ("2天后", 2), ("两天后", 2), ("3天后", 3), ("三天以后", 3), ("5天后", 5), ("十天后", 10),
               ("4天之后", 4), ("一周后", 7), ("两周后", 14), ("1个星期后", 7))

_Window = tuple[datetime, datetime]
_Found = tuple[str, _Window] | None


def _day(d: date) -> _Window:
    start = datetime.combine(d, time())
    return start, start + timedelta(days=1) - _SECOND


def _part(d: date, part: str) -> _Window:
    lo, hi = _PART_HOURS[part]
    start = datetime.combine(d, time())
    return start + timedelta(hours=lo), start + timedelta(hours=hi) - _SECOND


def _clock_text(spoken: int, turn: int) -> tuple[str, int, bool]:
    suffix, minute, names_minute, arabic_only = _MINUTES[turn % len(_MINUTES)]
    hour = str(spoken) if arabic_only or turn % 2 else _cn(spoken)
    return hour + suffix, minute, names_minute


def _clock_window(d: date, hour: int, minute: int, names_minute: bool) -> _Window:
    start = datetime.combine(d, time()) + timedelta(hours=hour, minutes=minute)
    return start, start + (timedelta(minutes=1) if names_minute else timedelta(hours=1)) - _SECOND


def _weekday_words(weekday: int) -> list[str]:
    if weekday == 6:
        return ["周日", "周天", "星期日", "星期天", "礼拜天", "礼拜日"]
    return [f"{word}{_WEEKDAYS[weekday]}" for word in ("周", "星期", "礼拜")]


def _day_words(*, all_forms: bool) -> tuple[tuple[str, str, int], ...]:
    """Day words in the pool's order (see :meth:`_At.day_word`); one form of each day unless ``all_forms``."""
    words_of = [("ahead", word, offset) for offset, word in enumerate(("今天", "明天", "后天", "大后天"))]
    for weekday in range(7):
        words = _weekday_words(weekday)
        tails = "日天天" if weekday == 6 else _WEEKDAYS[weekday] * 3
        nexts = [head + tail for head, tail in zip(("下周", "下星期", "下个礼拜"), tails, strict=True)]
        bares = words if all_forms else [words[(weekday + 1) % len(words)]]
        words_of += [("weekday", word, weekday) for word in bares]
        words_of += [("next week", word, weekday) for word in (nexts if all_forms else [nexts[weekday % 3]])]
        if all_forms:
            words_of.append(("this week", ("本" if weekday % 2 else "这") + words[0], weekday))
    if not all_forms:
        return (*words_of, ("date", "日", 4), ("date", "号", 11))
    for k, offset in enumerate((0, 1, 2, 5, 9, 13, 20, 34, 61, 200)):
        words_of += [("date", form, offset) for form in ("号", "日", "cn")]
        if k % 3 == 0:
            words_of.append(("date", "year", offset))
        words_of.append(("day of month", "号" if k % 2 else "日", offset))
    return tuple(words_of)


_ALL_DAYS = _day_words(all_forms=True)
_SHORT_DAYS = _day_words(all_forms=False)
# Some surface forms rotate with a turn: a count that runs through a kind's phrases in order. In
# ``clock`` it is one per phrase after the staples; in ``deadline`` one per short day word, one per
# part of day, two per clock phrase after the staples (its hour form, then its suffix), one per period.
_N_CLOCKS = len(_STAPLE_CLOCKS) + len(_NEAR_CLOCKS) + len(_SHORT_DAYS) * len(_CLOCKS)
_CLOCK_TURN = len(_SHORT_DAYS) + len(_DEADLINE_PARTS)
_PERIOD_TURN = _CLOCK_TURN + 2 * (_N_CLOCKS - len(_STAPLE_CLOCKS))


class _At:
    """A session clock and the recipes at it.

    ``recipe(j)`` builds phrase ``j`` of its section of a :class:`_Layout` as ``(text, (start, end))``,
    or gives None where that phrase does not exist on this date.
    """

    __slots__ = ("now", "today", "monday", "_short")

    def __init__(self, now: datetime) -> None:
        self.now, self.today = now, now.date()
        self.monday = self.today - timedelta(days=self.today.weekday())
        self._short: list[tuple[str, date] | None] = [None] * len(_SHORT_DAYS)

    def day_word(self, spec: tuple[str, str, int]) -> tuple[str, date] | None:
        """A day word from :func:`_day_words` as (word, the date it names), or None where it is not offered."""
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
            return f"{_cn(m)}月{_cn(d)}号".replace("两", "二"), target
        return (f"{target.year}年{m}月{d}日" if word == "year" else f"{m}月{d}{word}"), target

    def short_day(self, index: int) -> tuple[str, date]:
        found = self._short[index]
        if found is None:
            found = self._short[index] = self.day_word(_SHORT_DAYS[index])
        assert found is not None  # every short day word is offered on every date
        return found

    def day(self, j: int) -> _Found:
        found = self.day_word(_ALL_DAYS[j])
        return None if found is None else (found[0], _day(found[1]))

    def near_part(self, j: int) -> _Found:
        word, offset, part = _NEAR_PARTS[j]
        return word, _part(self.today + timedelta(days=offset), part)

    def dated_part(self, j: int) -> _Found:
        word, d = self.short_day(j // len(_PARTS))
        part = _PARTS[j % len(_PARTS)]
        return word + part, _part(d, part)

    def clock_at(self, j: int, turn: int) -> tuple[str, _Window]:
        """Clock phrase ``j``: staples, then today's and tomorrow's (今晚8点, 下午3点), then one per day word."""
        if j < len(_STAPLE_CLOCKS):
            text, offset, hour, minute, names_minute = _STAPLE_CLOCKS[j]
            return text, _clock_window(self.today + timedelta(days=offset), hour, minute, names_minute)
        j -= len(_STAPLE_CLOCKS)
        if j < len(_NEAR_CLOCKS):
            word, offset, spoken, hour = _NEAR_CLOCKS[j]
            d = self.today + timedelta(days=offset)
        else:
            j -= len(_NEAR_CLOCKS)
            word, d = self.short_day(j // len(_CLOCKS))
            part, spoken, hour = _CLOCKS[j % len(_CLOCKS)]
            word += part
        text, minute, names_minute = _clock_text(spoken, turn)
        return word + text, _clock_window(d, hour, minute, names_minute)

    def clock(self, j: int) -> _Found:
        return self.clock_at(j, j - len(_STAPLE_CLOCKS) + 1)

    def day_deadline(self, j: int) -> _Found:
        found = self.day_word(_ALL_DAYS[j])
        return None if found is None else (found[0] + "前", (self.now, _day(found[1])[1]))

    def short_day_deadline(self, j: int) -> _Found:
        word, d = self.short_day(j)
        return word + _BEFORE[1 + (j + 1) % 2], (self.now, _day(d)[1])

    def part_deadline(self, j: int) -> _Found:
        word, offset, part = _DEADLINE_PARTS[j]
        turn = len(_SHORT_DAYS) + j + 1
        return word + _BEFORE[turn % 3], (self.now, _part(self.today + timedelta(days=offset), part)[1])

    def clock_deadline(self, j: int) -> _Found:
        turn = _CLOCK_TURN + 2 * (j - len(_STAPLE_CLOCKS)) + 1
        text, (start, _) = self.clock_at(j, turn)
        return text + ("前" if j < len(_STAPLE_CLOCKS) else _BEFORE[(turn + 1) % 3]), (self.now, start)

    def period_deadline(self, j: int) -> _Found:
        word, span, suffixes = _PERIODS[j // 2]
        first, last = _span(self.today, span)
        suffix = suffixes[1 + (_PERIOD_TURN + j // 2 + 1) % 2] if j % 2 else suffixes[0]
        return word + suffix, (self.now if suffixes is _BEFORE else _day(first)[0], _day(last)[1])

    def weekend_deadline(self, j: int) -> _Found:
        word, weeks = _WEEKENDS[j]
        return word + "前", (self.now, _day(self.monday + timedelta(days=6 + 7 * weeks))[1])

    def within_deadline(self, j: int) -> _Found:
        if j < len(_WITHIN_DAYS):
            text, days = _WITHIN_DAYS[j]
            return text, (self.now, _day(self.today + timedelta(days=days))[1])
        text, minutes = _WITHIN_MINUTES[j - len(_WITHIN_DAYS)]
        return text, (self.now, self.now + timedelta(minutes=minutes))

    def weekend(self, j: int) -> _Found:
        word, weeks = _WEEKENDS[j]
        saturday = self.monday + timedelta(days=5 + 7 * weeks)
        return word, (_day(saturday)[0], _day(saturday + timedelta(days=1))[1])

    def relative(self, j: int) -> _Found:
        if j >= len(_AFTER_MINUTES):
            text, days = _AFTER_DAYS[j - len(_AFTER_MINUTES)]
            return text, _day(self.today + timedelta(days=days))
        text, minutes = _AFTER_MINUTES[j]
        start = (self.now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
        return text, (start, start + timedelta(minutes=1) - _SECOND)


def _span(today: date, span: str) -> tuple[date, date]:
    """The first and last day of a period named in :data:`_PERIODS`."""
    monday = today - timedelta(days=today.weekday())
    first_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    month_end = first_next - timedelta(days=1)
    if span == "next month end":
        month_end = (first_next.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return {"today": (today, today), "week": (monday, monday + timedelta(days=6)),
            "next week": (monday + timedelta(days=7), monday + timedelta(days=13)),
            "month": (today.replace(day=1), month_end), "month end": (month_end, month_end),
            "next month end": (month_end, month_end), "year end": (date(today.year, 12, 31),) * 2}[span]


class _Layout:
    """A kind's phrases as numbered recipes, section after section, in the order the pool lists them."""

    def __init__(self, kind: str, *sections: tuple[int, Callable[[_At, int], _Found]]) -> None:
        self.kind, self.sections = kind, sections
        *self.starts, self.size = accumulate((count for count, _ in sections), initial=0)

    def _phrase(self, at: _At, found: _Found) -> TimePhrase | None:
        if found is None or found[1][1] < at.now:
            return None
        text, (start, end) = found
        return TimePhrase(text, TimeWindow(max(start, at.now), end), self.kind)

    def raw(self, at: _At, index: int) -> tuple[str, datetime, datetime] | None:
        """Phrase ``index`` at the clock as (text, start, end), or None when it does not exist or
        is wholly past (what :meth:`phrase` gives, before it is made a TimePhrase)."""
        section = bisect_right(self.starts, index) - 1
        found = self.sections[section][1](at, index - self.starts[section])
        if found is None or found[1][1] < at.now:
            return None
        text, (start, end) = found
        return text, max(start, at.now), end

    def phrase(self, at: _At, index: int) -> TimePhrase | None:
        """Phrase ``index`` at the clock, or None when it does not exist or is wholly past."""
        found = self.raw(at, index)
        return None if found is None else TimePhrase(found[0], TimeWindow(found[1], found[2]), self.kind)

    def every(self, at: _At) -> Iterator[TimePhrase]:
        for count, recipe in self.sections:
            for j in range(count):
                found = self._phrase(at, recipe(at, j))
                if found is not None:
                    yield found


_LAYOUTS = {layout.kind: layout for layout in (
    _Layout("day", (len(_ALL_DAYS), _At.day)),
    _Layout("part_of_day", (len(_NEAR_PARTS), _At.near_part), (len(_SHORT_DAYS) * len(_PARTS), _At.dated_part)),
    _Layout("clock", (_N_CLOCKS, _At.clock)),
    _Layout("deadline", (len(_ALL_DAYS), _At.day_deadline), (len(_SHORT_DAYS), _At.short_day_deadline),
            (len(_DEADLINE_PARTS), _At.part_deadline), (_N_CLOCKS, _At.clock_deadline),
            (2 * len(_PERIODS), _At.period_deadline), (len(_WEEKENDS), _At.weekend_deadline),
            (len(_WITHIN_DAYS) + len(_WITHIN_MINUTES), _At.within_deadline)),
    _Layout("weekend", (len(_WEEKENDS), _At.weekend)),
    _Layout("relative", (len(_AFTER_MINUTES) + len(_AFTER_DAYS), _At.relative)),
)}
_TRIES = 50
"""Recipes :func:`sample` draws for a kind before it lists the kind's whole pool instead."""


def _check_kinds(kinds: Collection[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):
        kinds = (kinds,)
    key = tuple(kinds)
    checked = _CHECKED.get(key)
    if checked is None:
        checked = _CHECKED[key] = _checked_kinds(key)
    return checked


#: kinds as asked -> as checked (a unit asks the same few lists again and again)
_CHECKED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _checked_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ComposerError(f"unknown time-phrase kind {unknown[0]!r} (known: {', '.join(KINDS)})")
    return tuple(kind for kind in KINDS if kind in kinds)


@lru_cache(maxsize=256)
def _build(now: datetime, kind: str) -> tuple[TimePhrase, ...]:
    return tuple(_LAYOUTS[kind].every(_At(now)))


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
    """One phrase of ``phrases(now, kinds)`` drawn with ``rng``, without listing the pool.

    The distribution: a kind uniformly among the given ones that have a phrase at ``now``, then
    a phrase uniformly among that kind's phrases at ``now`` — the same distribution as
    ``rng.choice(phrases(now, [kind]))``. It is drawn by rejection: a recipe of the kind's fixed
    layout is picked uniformly and only that phrase is built; one that is wholly past or does not
    exist on this date is drawn again. Every recipe has the same chance and no two give the same
    text, so each phrase is equally likely, and surface forms keep the shares they have in the
    pool. At any clock at least 84% of each kind's recipes give a phrase, so a draw costs about one
    recipe; after :data:`_TRIES` misses in a row the kind's whole pool is listed and one phrase is
    chosen from it uniformly, and a kind with no phrase at ``now`` is passed over.

    The same ``rng`` state, clock and kinds always give the same phrase. Raises
    :class:`ComposerError` for an unknown kind, or when no phrase of the kinds is possible at ``now``.
    """
    text, start, end, kind = _draw(_At(now), _check_kinds(kinds), rng)
    return TimePhrase(text, TimeWindow(start, end), kind)


def sample_where(now: datetime, rng: random.Random, kinds: Collection[str] | None,
                 fits: Callable[[datetime], bool], tries: int) -> TimePhrase | None:
    """The first of up to ``tries`` phrases drawn as :func:`sample` draws them whose window start
    ``fits``, or None: what calling :func:`sample` again until one fits gives (the same phrase
    for the same ``rng`` state), without making the phrases turned down."""
    at, checked = _At(now), _check_kinds(kinds)
    for _ in range(tries):
        text, start, end, kind = _draw(at, checked, rng)
        if fits(start):
            return TimePhrase(text, TimeWindow(start, end), kind)
    return None


def _draw(at: _At, checked: tuple[str, ...], rng: random.Random) -> tuple[str, datetime, datetime, str]:
    """(text, start, end, kind) of one phrase, drawn as :func:`sample` describes."""
    candidates = list(checked)
    while candidates:
        kind = rng.choice(candidates)
        layout = _LAYOUTS[kind]
        for _ in range(_TRIES):
            found = layout.raw(at, rng.randrange(layout.size))
            if found is not None:
                return (*found, kind)
        pool = _build(at.now, kind)
        if pool:
            phrase = rng.choice(pool)
            return phrase.text, phrase.window.start, phrase.window.end, kind
        candidates.remove(kind)
    raise ComposerError(f"no time phrase of kinds {', '.join(checked)} is possible at {at.now}")
