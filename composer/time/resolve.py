"""Colloquial Chinese time phrases resolved against a session clock.

``resolve("后天下午2点前", now)`` gives the window ``[now, <day after tomorrow> 14:00:00]``;
``find(sentence, now)`` locates such phrases inside a user sentence. Windows are naive datetimes
with an inclusive end, at seconds resolution (a day ends at 23:59:59).

Who does what
-------------
* Our own grammar (:mod:`twinchat.composer.time.grammar`) handles every Chinese form: relative days
  (今天 … 大后天), 今早/今晚/明早/明晚, weekdays with 这/本/下/下下/上 and 周/星期/礼拜, dates
  (12月1号, 十二月一日, 2026年12月1日, 今年/明年…, 这个月/下个月25号, a bare 25号, 2026-12-01),
  parts of day, clock times (9点, 九点钟, 9点半, 9点15分, 9点一刻, 9:30, 14时, ranges 2点到4点), the
  suffixes 前/之前/以前, 内/之内/以内, 后/之后/以后, 左右, periods (这周末, 下周, 这个月, 月底,
  年底) and quantities (3天内, 两小时后, 一个半小时后, 一周内), the colloquial day words 今儿,
  明儿(个), 后儿, holidays and shopping days by name (双十一, 618, 春节, 圣诞 …; lunar dates from
  :mod:`twinchat.composer.time.holidays_data`), the work-day words 上班/下班/午休 and a hedge said
  before a phrase (最晚, 最迟, 不晚于, 最好). Chinese, Arabic and full-width digits are all
  accepted. ``find`` uses this grammar only.
* dateparser handles what is not Chinese, and only when the whole text holds no Chinese character:
  numeric dates such as ``12/1`` and English phrases such as ``tomorrow 3pm`` or ``next friday``
  (``RELATIVE_BASE=now``, ``PREFER_DATES_FROM='future'``, naive results). It is never asked about
  Chinese text: it leaves most colloquial phrases unparsed and misdates others.

Conventions
-----------
凌晨 00:00–05:59:59, 早上/早 06:00–09:59:59, 上午 08:00–11:59:59, 中午 11:00–13:59:59,
下午 13:00–17:59:59, 傍晚 17:00–18:59:59, 晚上/晚 18:00–23:59:59. A window never starts before
``now``. X前/X之前/X以前: start = now; end = X for a clock time (今晚8点前 ends 20:00:00), the end
of X for a day or a period (周五前 ends Friday 23:59:59). N天内 = now … end of day today+N.
周末 = Saturday 00:00 – Sunday 23:59:59 of the current week. A clock names its hour (9点 =
09:00–09:59:59) or its minute (9点半 = 09:30–09:30:59). A bare weekday is the next one, today
included; 下周五 is Friday of the next calendar week (weeks start on Monday). A window wholly in
the past is an error, never moved to another day.

Further decisions
-----------------
* No day word means today: 下午, 晚上8点, 3点前 are today's, and an error once they have passed.
* A clock with a part of day reads the hour on that part's dial: 下午2点 = 14:00, 晚上8点 = 20:00,
  中午1点 = 13:00, 傍晚6点 = 18:00, 晚上12点 = 24:00 (midnight ending that day, i.e. 00:00 the
  next day); an hour outside the part (上午3点) is unresolvable.
* A clock without a part of day: 0 and 12–24 as said; 1–6点 is the afternoon (13–18, never 凌晨);
  7–11点 is the morning unless that reading has passed, then the evening (7点 asked at 10:00 is
  19:00). A zero-padded hour (08:30) is taken as written.
* A colon clock (8:30, 8:00) names its minute; 8点整 names its minute too.
* 这周末 and 周末 are always the current week's: asked on Sunday 22:00 they are Sunday
  22:00–23:59:59; 下周末 is the next week's.
* 12月1号 without a year is the next 1 December, today included (asked on 5 December: next
  year); 2月29日 is the next one that exists. A bare 25号 is the next 25th, today included.
  The day is chosen before the part of day, so 周五上午 asked on Friday afternoon is an error,
  not next Friday.
* 月底/月末 = the last day of the month (a whole day); 年底 = 31 December; 这个月/本月 = the
  month; 这周/本周 = Monday–Sunday of this week; 下周/下个月 = the whole next week/month.
  X前 of any of them ends at the end of X (下周前 ends next Sunday 23:59:59).
* X内 after a day or a period is X itself (今天之内 = today); X左右 / X前后 = X.
* A clock followed by 后/以后/之后 runs from that time to the end of its day (下午3点以后 =
  15:00–23:59:59); after a day or a period it is open-ended and unresolvable.
* A range 下午2点到4点 runs from the first time to the second (14:00:00–16:00:00).
* N小时后 / N分钟后 / 半小时后 name the minute they point at: now+Δ rounded down to the minute,
  …:59 (asked at 10:20:30, 两小时后 = 12:20:00–12:20:59); N天后 and N周后 name a whole day
  (today+N, today+7N); N小时内 = now … now+Δ; N周内 = now … end of day today+7N.
* ``find`` returns only phrases that resolve at ``now``: a past phrase (昨天) or an open-ended one
  (周五以后) is skipped whole, never shortened. In running text a bare 25号 counts only before a
  word that fits a date (not 3号楼, 5号线), and a bare Chinese hour (两点, 一点) only with a
  minute, 钟, a range or a suffix (快一点 and 有两点要求 hold no time).
* ``resolve`` ignores a leading 在/于 (在11月25日之前); ``find`` leaves it out of the span.

The colloquial families
-----------------------
* 今儿/今儿个/今个儿 = 今天, 明儿/明儿个 = 明天, 后儿/后儿个 = 后天, 大后儿 = 大后天 (昨儿, 前儿
  are past).
* 最晚/最迟/不晚于/不迟于 X = X前 (最晚明天下午三点 = now … 15:00:00, 最晚月底 = now … the month's
  last day 23:59:59); 最好 X = X (最好周五之前 = 周五之前, 最好明天 = 明天); a 在/于/是 after the
  hedge is ignored; a suffix said with it stays (最晚周五以后 is still open-ended). ``find``
  includes the hedge in the span.
* 上班 = 09:00 and 下班 = 18:00, each a clock naming its hour (下班前 = now … 18:00:00, 下班后 =
  18:00–23:59:59, 下班的时候 = 18:00–18:59:59); 午休 = 12:00–13:29:59 (午休前 ends at 12:00:00,
  午休后 starts at 13:30:00). Without a day word they are today's; in running text they count
  only with a day word or a suffix (我在上班 holds no time).
* A holiday is a day: bare, the next one, today included; with 今年/明年/2028年, that year's;
  X前 ends at the end of that day, as for any date. Fixed: 元旦 1-1, 情人节 2-14, 五一/劳动节 5-1,
  618 6-18, 国庆 10-1, 双十一/双11 11-11, 双十二 12-12, 平安夜 12-24, 圣诞 12-25. Lunar (and 清明)
  from the holiday table, 2024–2030: 春节/过年 (2027: 6 February), 除夕/大年三十 (the day before),
  元宵, 清明, 端午, 七夕, 中秋; a year outside the table is unresolvable. In running text a
  holiday counts, like a bare 25号, only before a word that fits a date (not 圣诞树, 五一广场).
* An hour or minute count said bare is a 内 (一个半小时 = now … now+90 minutes); 一刻钟 = 15
  minutes; a day count said bare (3天) is unresolvable, and no bare count counts in running text.
* A range may say 点 once (下午三到五点 = 15:00:00–17:00:00, 2-4点 = 14:00:00–16:00:00); 之间
  after it changes nothing.
* After 以后/之后/后, a 7–11点 without a part of day reads the hour not yet begun (十点以后 asked at
  15:00 = 22:00–23:59:59; asked at 07:40 = 10:00–23:59:59).
* 凌晨 without a day word, said once today's small hours are over (from 06:00), is the coming
  night: 凌晨两点前 at 21:30 = now … 02:00:00 tomorrow; said before 06:00 it is today's.
* ``appointment=True`` (a visit, a call-back): a clock said on its own or with 左右 keeps its named
  time. One already begun (周三下午两点 said on Wednesday at 14:47) is an error to ask back about,
  never 14:47; a 7–11点 whose morning has begun is the evening one. Parts of day, ranges and
  deadlines are windows and still start at ``now``.

Not covered: vague spans (这两天, 过几天, 最近, 月初, 下旬), a date followed by a clock with only a
space between them, recurring times (每周五), holiday periods (国庆期间, 春节假期) and work days
(3个工作日内).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from twinchat.composer.errors import TimeExpressionError
from twinchat.composer.time.grammar import (
    FULLWIDTH, PHRASE, SMALL_HOURS_END, Begun, Plan, Unresolvable, WhollyPast, has_core, interpret, place, plan,
)
from twinchat.composer.time.pattern import HAS_FULLWIDTH, HEDGE, HEDGE_BEFORE, HEDGE_LAST, PHRASE_CHARS, core_in
from twinchat.composer.time.windows import TimeSpan, TimeWindow
from twinchat.inventory.timefmt import format_time

__all__ = ["TimeSpan", "TimeWindow", "find", "names", "resolve", "windows"]

_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_LEADING = re.compile("^[在于](?=.)")
_HAS_TIME = re.compile(r"\d\s*(?:a\.?m\.?|p\.?m\.?)|\d:\d\d|\bnoon\b|\bmidnight\b|o'?clock", re.IGNORECASE)


def _check_clock(now: datetime) -> None:
    if not isinstance(now, datetime) or now.tzinfo is not None:
        raise TypeError(f"the session clock must be a naive datetime, not {now!r}")


def _clock_text(now: datetime) -> str:
    """The clock as an error message shows it: to the minute, or to the second when it has seconds."""
    text = format_time(now)
    return text if now.second or now.microsecond else text[:-3]


def resolve(text: str, now: datetime, *, appointment: bool = False) -> TimeWindow:
    """The window that the time phrase ``text`` names when asked at ``now``.

    ``text`` is the phrase alone (surrounding spaces and a leading 在/于 are ignored); use
    :func:`find` for a phrase inside a sentence. Raises :class:`TimeExpressionError` naming the
    phrase when it cannot be resolved or when its window lies wholly in the past. With
    ``appointment`` (a visit, a call-back) a clock keeps the time it names: one that has already
    begun (下午两点 said at 14:47) is an error to ask back about, never a window from ``now``.
    """
    _check_clock(now)
    phrase = _LEADING.sub("", text.strip().translate(FULLWIDTH))
    hedge = HEDGE.match(phrase)
    if hedge is not None:
        phrase = phrase[hedge.end():]
    try:
        match = PHRASE.fullmatch(phrase)
        if match is not None and has_core(match):
            start, end = interpret(match, now, in_sentence=False, appointment=appointment,
                                   hedge=hedge and hedge["word"])
        elif phrase and not _CJK.search(phrase):
            start, end = _dateparser_window(phrase, now)
        else:
            raise Unresolvable("not a time phrase the grammar knows")
    except Unresolvable as exc:
        raise TimeExpressionError(f"cannot resolve time phrase {text!r}: {exc}") from exc
    except WhollyPast as exc:
        raise TimeExpressionError(f"time phrase {text!r} lies wholly in the past at {_clock_text(now)}") from exc
    except Begun as exc:
        raise TimeExpressionError(f"time phrase {text!r} names a time already begun at {_clock_text(now)} "
                                  f"({_clock_text(exc.start)}): ask which time is meant") from exc
    return TimeWindow(start, end)


def find(sentence: str, now: datetime, *, appointment: bool = False) -> list[TimeSpan]:
    """The time phrases in ``sentence`` that resolve at ``now``, left to right, longest first.

    Offsets index the sentence as given (full-width digits included); a phrase that is past or
    does not resolve is left out whole, and so, with ``appointment``, is a clock already begun.
    A hedge said just before a phrase (最晚明天) belongs to its span.
    """
    return _found(sentence, now, appointment, True)


def windows(sentence: str, now: datetime, *, appointment: bool = False) -> list[TimeWindow]:
    """The windows of the phrases :func:`find` finds in ``sentence``, in the same order, for a caller
    that asks only which times a sentence names (no span is built)."""
    return _found(sentence, now, appointment, False)


def names(sentence: str, now: datetime, moment: datetime, *, appointment: bool = False) -> bool:
    """Whether a phrase :func:`windows` finds in ``sentence`` names a window that starts or ends at
    ``moment``. The phrases are looked at until one does, those from the run of phrase characters
    holding the sentence's last clock or day word first (:func:`_resync`; where a phrase usually
    is), then those before it: the search covers only what it must of the sentence (most of the
    cost of :func:`windows`), and the answer is the same as looking at every phrase."""
    text = sentence.translate(FULLWIDTH) if HAS_FULLWIDTH.search(sentence) else sentence
    start = _resync(text)
    if start and _found(sentence, now, appointment, False, moment, text, start):
        return True
    return bool(_found(sentence, now, appointment, False, moment, text, 0, start or None))


#: characters a time phrase usually ends with or turns on: the search of :func:`names` starts near the last
_ANCHOR = re.compile("(?s:.*)[点时:午晚早天]")


def _resync(text: str) -> int:
    """Where a search of ``text`` may start to find exactly the phrases :func:`find` finds from there
    on: the start of the run of phrase characters (:data:`PHRASE_CHARS`) holding the last anchor
    (:data:`_ANCHOR`); 0 when there is none. No phrase holds the character before that run, so none
    found from the start of the text reaches into it, and a search from it sees what one from the
    start sees there (lookbehinds read the text before it)."""
    anchor = _ANCHOR.match(text)
    if anchor is None:
        return 0
    at = anchor.end() - 1
    while at and text[at - 1] in PHRASE_CHARS:
        at -= 1
    return at


def _found(sentence: str, now: datetime, appointment: bool, spans: bool, moment: datetime | None = None,
           text: str | None = None, pos: int = 0, stop: int | None = None) -> list[Any]:
    """The :class:`TimeSpan` (with ``spans``) or else the window of each phrase :func:`find` finds;
    with ``moment``, only the first window that starts or ends at it (the search stops there). With
    ``pos`` and ``stop``, only the phrases that start from ``pos`` (a point :func:`_resync` gives)
    and before ``stop``; ``text`` is ``sentence`` with its full-width digits made ASCII, if known."""
    if type(now) is not datetime or now.tzinfo is not None:  # the check, past its common case
        _check_clock(now)
    found = []
    if text is None:
        text = sentence.translate(FULLWIDTH) if HAS_FULLWIDTH.search(sentence) else sentence
    for match in PHRASE.finditer(text, pos):
        first, last = match.span()
        if last == first:
            continue
        if stop is not None and first >= stop:
            break
        groups = match.groups()
        if not core_in(groups):
            continue
        hedge = None
        if first and sentence[first - 1] in HEDGE_LAST:   # 最晚明天: the hedge is searched for only then
            hedge = HEDGE_BEFORE.search(sentence, max(0, first - 4), first)
        window = _window(match, groups, now, appointment, hedge and hedge["word"])
        if window is None:
            continue
        if moment is not None:
            if window.start == moment or window.end == moment:
                return [window]
            continue
        if spans:
            first = first if hedge is None else hedge.start()
            found.append(TimeSpan(first, last, sentence[first:last], window))
        else:
            found.append(window)
    return found


#: the windows :func:`find` gave at the clock it was last asked at (see :func:`_window`); at most _KEEP
_WINDOWS: dict[tuple[Any, ...], TimeWindow | None] = {}
_KEEP = 4096
_CLOCK: list[datetime | None] = [None]
_UNSEEN = object()


def _window(match: re.Match[str], groups: tuple[str | None, ...], now: datetime, appointment: bool,
            hedge: str | None) -> TimeWindow | None:
    """The window a phrase ``match`` (its ``groups()``) found in a sentence names at ``now`` (None
    when it resolves to none). Samples made together share a clock and say the same few phrases (a
    pool's times, in every instruction of a request), and interpreting one costs more than its
    search: the windows are remembered per clock, by what decides them — :func:`interpret` reads
    nothing of a match but its groups — from the second phrase asked at that clock on (a session
    composed at a clock of its own asks about one or two, which are not worth the keeping)."""
    if now != _CLOCK[0]:
        _CLOCK[0] = now
        _WINDOWS.clear()
        return _interpreted(match, groups, now, appointment, hedge)
    key = (groups, appointment, hedge)
    window = _WINDOWS.get(key, _UNSEEN)
    if window is _UNSEEN:
        window = _interpreted(match, groups, now, appointment, hedge)
        if len(_WINDOWS) >= _KEEP:
            _WINDOWS.clear()
        _WINDOWS[key] = window
    return window  # type: ignore[return-value]


#: the plans (:func:`~twinchat.composer.time.grammar.plan`) of phrases found, by what decides them and
#: the day (None: the phrase names nothing that day); at most _KEEP
_PLANS: dict[tuple[Any, ...], Plan | None] = {}
_QUANTITY = PHRASE.groupindex["qunit"] - 1


def forget() -> None:
    """Drop the windows and plans kept (a run of sessions does, with its other caches, every so
    many sessions: see :meth:`~twinchat.composer.engine.compose.SessionComposer.forget`)."""
    _WINDOWS.clear()
    _CLOCK[0] = None
    _PLANS.clear()


def _interpreted(match: re.Match[str], groups: tuple[str | None, ...], now: datetime, appointment: bool,
                 hedge: str | None) -> TimeWindow | None:
    """:func:`interpret` of a phrase found, None when it names no window. Most of its work is the
    phrase's plan, which depends on the day but not on the time of the clock: plans are kept across
    clocks (every sample of a run has a clock of its own, and its few days' phrases recur), and only
    a quantity (两小时后), counted from the clock itself, is interpreted whole every time."""
    try:
        if groups[_QUANTITY] is not None:
            return TimeWindow(*interpret(match, now, in_sentence=True, appointment=appointment, hedge=hedge))
        today, late = now.date(), now.hour >= SMALL_HOURS_END
        key = (groups, appointment, hedge, today, late)
        planned = _PLANS.get(key, _UNSEEN)
        if planned is _UNSEEN:
            try:
                planned = plan(match, today, late, in_sentence=True, appointment=appointment, hedge=hedge)
            except Unresolvable:
                planned = None
            if len(_PLANS) >= _KEEP:
                _PLANS.clear()
            _PLANS[key] = planned
        return None if planned is None else TimeWindow(*place(planned, now))  # type: ignore[arg-type]
    except (Unresolvable, WhollyPast, Begun):
        return None


def _dateparser_window(text: str, now: datetime) -> tuple[datetime, datetime]:
    """Numeric and English phrases, through dateparser, mapped onto the same conventions."""
    from dateparser.date import DateDataParser

    settings = {"RELATIVE_BASE": now, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False,
                "RETURN_TIME_AS_PERIOD": True}
    data = DateDataParser(languages=["en"], settings=settings).get_date_data(text)
    if data.date_obj is None:
        raise Unresolvable("neither the grammar nor dateparser reads it as a time")
    at = data.date_obj.replace(tzinfo=None, microsecond=0)
    day = at.replace(hour=0, minute=0, second=0)
    if _HAS_TIME.search(text) or data.period == "time":
        if _HAS_TIME.search(text) and not (at.minute or at.second or ":" in text):
            start, end = at, at + timedelta(minutes=59, seconds=59)       # 3pm names its hour
        else:
            start = at.replace(second=0)                                  # 3:30pm, in 2 hours: a minute
            end = start + timedelta(seconds=59)
    elif data.period == "week":
        start = day - timedelta(days=day.weekday())
        end = start + timedelta(days=6, hours=23, minutes=59, seconds=59)
    elif data.period == "month":
        start = day.replace(day=1)
        following = (start.replace(year=start.year + 1, month=1) if start.month == 12
                     else start.replace(month=start.month + 1))
        end = following - timedelta(seconds=1)
    elif data.period == "year":
        start = day.replace(month=1, day=1)
        end = start.replace(year=start.year + 1) - timedelta(seconds=1)
    else:
        start, end = day, day + timedelta(hours=23, minutes=59, seconds=59)
    if end < now:
        raise WhollyPast()
    return max(start, now), end
