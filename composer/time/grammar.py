"""The grammar of colloquial Chinese time phrases: one precompiled pattern and its interpretation.

Internal to :mod:`twinchat.composer.time.resolve`, whose docstring states the conventions (the parts of the
day are tabled in :mod:`twinchat.composer.time.conventions`). This module
knows the surface forms (numerals, 周/星期/礼拜, 点/点半/:30, 号/日, 前/之前/以前 …) and turns one
match of :data:`PHRASE` into a raw window ``(start, end)`` at a clock ``now``. It raises
:class:`Unresolvable` for a match that names nothing real (2月30日, 25点, 周五以后) and
:class:`WhollyPast` for a window that ends before ``now``; the caller turns both into messages.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, time, timedelta

from twinchat.composer.time.conventions import PART_HOURS, part_name, part_window

__all__ = ["FULLWIDTH", "PHRASE", "Unresolvable", "WhollyPast", "has_core", "interpret"]


class Unresolvable(ValueError):
    """The matched words do not name a time this grammar can place (the message says why)."""


class WhollyPast(ValueError):
    """The phrase names a window that ends before ``now``."""


# --- words --------------------------------------------------------------------------------------

_REL_DAYS = {"大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "今天": 0, "今日": 0,
             "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_FUSED = {"今早": (0, "早上"), "今晚": (0, "晚上"), "明早": (1, "早上"), "明晚": (1, "晚上"), "昨晚": (-1, "晚上")}
_SHIFT = {None: 0, "这": 0, "这个": 0, "本": 0, "下": 1, "下个": 1, "下下": 2, "上": -1, "上个": -1, "上上": -2}
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_BEFORE = frozenset({"前", "之前", "以前"})
_WITHIN = frozenset({"内", "之内", "以内"})
_AFTER = frozenset({"后", "之后", "以后"})
_AROUND = frozenset({"左右", "前后"})

FULLWIDTH = str.maketrans("０１２３４５６７８９：～－", "0123456789:~-")
"""Full-width digits and separators → ASCII, one character for one (offsets are kept)."""

# --- the pattern ---------------------------------------------------------------------------------

_C1 = "一二三四五六七八九"
_TENS = f"[{_C1}]?十[{_C1}]?"
_CN = f"(?:{_TENS}|零[{_C1}]|[零〇两{_C1}])"
# A number never starts right after a digit, a Latin letter, another numeral, 第 or 每
# (13800138000, DDR5, 第3点, 每3天 hold no time).
_NB = f"(?<![0-9A-Za-z.第每几零〇两十{_C1}])"


def _num(name: str, width: int = 2) -> str:
    return f"{_NB}(?P<{name}>[0-9]{{1,{width}}}(?![0-9])|{_CN})"


_PART2 = "凌晨|早上(?!好)|早晨|一早|上午|中午|下午|傍晚|晚上(?!好)"
_SUFFIX = "前后|之前|以前|前(?![天台面端])|之内|以内|内(?![容部存])|以后|之后|后(?![天台面端])|左右"


def _clock(s: str) -> str:
    """An hour with its minutes; group names end in ``s`` so that the pattern can hold two clocks."""
    minute = f"(?P<mi{s}>[0-5]?[0-9](?![0-9])|{_TENS}|零[{_C1}]|[{_C1}两](?=分))(?:分钟|分)?"
    return (
        f"{_num('h' + s)}(?:(?P<colon{s}>:)(?P<cm{s}>[0-5][0-9])(?![0-9:])"
        f"|(?P<unit{s}>点钟|点(?![击赞评])|时(?![间候段区长刻]))"
        f"(?:(?P<half{s}>半)|(?P<qtr{s}>一刻|三刻)|{minute}|(?P<exact{s}>整))?)"
    )


_WMOD = "下下|下|这|本|上上|上"
# A bare day of month (25号) is taken only before words that fit a date: 3号楼, 5号线, 1日游 are not days.
_DOM_NEXT = ("(?=$|[\\s,.!?;:，。！？；：、~)）]"
             "|[前之以内左上下早晚中凌傍能可送到发在给要去来就吧或和跟的那当再也还哪有])")
_DAY = (
    f"(?P<rel>大后天|后天|明天|明日|今天|今日|大前天|前天|昨天|昨日)"
    f"|(?P<fused>今早|今晚|明早|明晚|昨晚)"
    f"|(?<![每个])(?:(?P<wmod>{_WMOD})个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])"
    f"|(?:(?P<yr>{_NB}[0-9]{{4}}|今|明)年)?{_num('mon')}月{_num('md')}[号日]"
    f"|(?P<mmod>这个|这|本|下个|下|上个|上)月{_num('md2')}[号日]"
    f"|{_NB}(?P<iy>[0-9]{{4}})(?P<isep>[-/.])(?P<im>[0-9]{{1,2}})(?P=isep)(?P<id>[0-9]{{1,2}})(?![0-9])"
    f"|{_num('dom')}[号日]{_DOM_NEXT}"
)
_CORE = (
    f"(?:(?P<day>{_DAY})(?:(?P<dpart>{_PART2})|(?P<dpart1>[早晚])(?![点些了一饭餐到安班上]))?"
    f"|(?P<part>{_PART2}))?"
    f"(?P<clock>{_clock('')}(?:(?P<rsep>到|至|~|-|—)(?P<rpart>{_PART2})?{_clock('2')})?)?"
    f"(?P<suf>{_SUFFIX})?"
)
_PERIOD = (
    f"(?:(?P<we>(?<!每)(?:(?P<wemod>下下|下|这|本|上)个?)?周末)"
    f"|(?P<wk>(?P<wkmod>{_WMOD})个?(?:周|星期|礼拜)(?![{_C1}日天末]))"
    f"|(?P<mo>(?P<mmod2>这个|这|本|下个|下|上个|上)月(?P<mend>底|末)?(?![0-9零〇两十{_C1}]))"
    f"|(?P<me>月底|月末)|(?P<ye>(?:今年)?(?:年底|年末)))"
    f"(?P<psuf>{_SUFFIX})?"
)
_QTY = (
    f"(?:{_NB}(?P<qn>[0-9]{{1,3}}(?![0-9])|{_CN})个?(?P<qhalf>半)?|(?P<qh>半)个?)"
    f"(?P<qunit>小时|钟头|分钟|天|周|星期|礼拜)"
    f"(?P<qsuf>以后|之后|后(?![天台面端])|以内|之内|内(?![容部存]))"
)
# Every phrase starts with one of these characters; the lookahead lets a search skip the rest fast.
_FIRST = f"(?=[0-9零〇两十{_C1}半今明后大昨前周星礼这本下上凌早中傍晚月年])"
PHRASE = re.compile(f"{_FIRST}(?:{_PERIOD}|{_QTY}|{_CORE})")
"""One time phrase; periods and quantities are tried before days, parts of day and clocks."""

_CORE_GROUPS = ("day", "part", "clock", "we", "wk", "mo", "me", "ye", "qunit")


def has_core(m: re.Match[str]) -> bool:
    """Whether the match holds a time at all (the pattern also matches the empty string or a bare 前)."""
    return any(m.group(name) is not None for name in _CORE_GROUPS)


# --- interpretation ------------------------------------------------------------------------------

def _int(text: str) -> int:
    if text.isascii():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)
    return _CN_DIGIT[text[-1]] if text[0] == "零" else _CN_DIGIT[text]


def _start(d: date) -> datetime:
    return datetime.combine(d, time())


def _end(d: date) -> datetime:
    return datetime.combine(d, time(23, 59, 59))


def _add_months(d: date, months: int) -> tuple[int, int]:
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
        year, month = _add_months(today, months)
        if day <= monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
    raise Unresolvable(f"{day}号 is not a day of the month")  # not reached: 13 months hold every day 1–31


def _day(g: dict[str, str | None], today: date) -> tuple[date | None, str | None]:
    """The date a phrase names (None when it names none) and the part of day it carries."""
    part = part_name(g["dpart"] or g["dpart1"] or g["part"])
    if g["day"] is None:
        return None, part
    if g["rel"]:
        return today + timedelta(days=_REL_DAYS[g["rel"]]), part
    if g["fused"]:
        if part is not None:
            raise Unresolvable(f"{g['fused']} already names a part of the day")
        offset, fused_part = _FUSED[g["fused"]]
        return today + timedelta(days=offset), fused_part
    if g["wd"]:
        weekday = _WEEKDAY[g["wd"]]
        if g["wmod"] is None:
            return today + timedelta(days=(weekday - today.weekday()) % 7), part
        monday = today - timedelta(days=today.weekday())
        return monday + timedelta(days=7 * _SHIFT[g["wmod"]] + weekday), part
    if g["mon"]:
        month, day = _int(g["mon"]), _int(g["md"])
        if g["yr"] is None:
            return _next_month_day(today, month, day), part
        year = {"今": today.year, "明": today.year + 1}.get(g["yr"]) or int(g["yr"])
        if not 1 <= month <= 12:
            raise Unresolvable(f"there is no month {month}")
        return _date(year, month, day), part
    if g["mmod"]:
        year, month = _add_months(today, _SHIFT[g["mmod"]])
        return _date(year, month, _int(g["md2"])), part
    if g["iy"]:
        month = int(g["im"])
        if not 1 <= month <= 12:
            raise Unresolvable(f"there is no month {month}")
        return _date(int(g["iy"]), month, int(g["id"])), part
    return _next_day_of_month(today, _int(g["dom"])), part


def _minute(g: dict[str, str | None], s: str) -> tuple[int, bool]:
    """(minute, whether the phrase names the minute rather than the hour)."""
    if g["colon" + s]:
        return int(g["cm" + s]), True
    if g["half" + s]:
        return 30, True
    if g["qtr" + s]:
        return (15 if g["qtr" + s] == "一刻" else 45), True
    if g["mi" + s]:
        return _int(g["mi" + s]), True
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


def _clock_windows(g: dict[str, str | None], d: date, part: str | None) -> list[tuple[datetime, datetime]]:
    spoken = _int(g["h"])
    minute, names_minute = _minute(g, "")
    base = _start(d)
    windows = []
    for hour in _hours(part, spoken, g["h"].startswith("0") and len(g["h"]) == 2):
        at = base + timedelta(hours=hour, minutes=minute)
        if g["rsep"]:
            windows.append((at, _range_end(g, base, at, part_name(g["rpart"]) or part)))
        else:
            windows.append((at, at + (timedelta(seconds=59) if names_minute else timedelta(minutes=59, seconds=59))))
    return windows


def _range_end(g: dict[str, str | None], base: datetime, first: datetime, part: str | None) -> datetime:
    minute, _ = _minute(g, "2")
    spoken = _int(g["h2"])
    for hour in _hours(part, spoken, g["h2"].startswith("0") and len(g["h2"]) == 2):
        end = base + timedelta(hours=hour, minutes=minute)
        if end > first:
            return end
    raise Unresolvable("the range ends before it starts")


def _finish(window: tuple[datetime, datetime], suffix: str | None, *, point: bool, now: datetime,
            ) -> tuple[datetime, datetime]:
    """Apply 前/内/后 and clip to ``now``; ``point`` says the phrase names an instant (a clock)."""
    start, end = window
    if suffix in _BEFORE:
        start, end = now, (start if point else end)
    elif suffix in _WITHIN and point:
        raise Unresolvable(f"'{suffix}' does not follow a clock time")
    elif suffix in _AFTER:
        if not point:
            raise Unresolvable(f"'{suffix}' after a day or a period leaves the window open")
        end = _end(start.date())
    if end < now:
        raise WhollyPast()
    return max(start, now), end


def _quantity(g: dict[str, str | None], now: datetime) -> tuple[datetime, datetime]:
    half = g["qh"] is not None or g["qhalf"] is not None
    count = 0 if g["qh"] else _int(g["qn"])
    unit, after = g["qunit"], g["qsuf"] in _AFTER
    if unit in ("天", "周", "星期", "礼拜"):
        if half:
            raise Unresolvable(f"half a {unit} is not a window")
        day = now.date() + timedelta(days=count * (1 if unit == "天" else 7))
        if count == 0:
            raise Unresolvable(f"0{unit} is not a window")
        return (_start(day), _end(day)) if after else (now, _end(day))
    if unit == "分钟" and half:
        raise Unresolvable("half a minute is not a window")
    minutes = count * (1 if unit == "分钟" else 60) + (30 if half else 0)
    if minutes == 0:
        raise Unresolvable(f"0{unit} is not a window")
    if not after:
        return now, now + timedelta(minutes=minutes)
    at = (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    return at, at + timedelta(seconds=59)


def _period(g: dict[str, str | None], today: date) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday())
    if g["we"]:
        saturday = monday + timedelta(days=7 * _SHIFT[g["wemod"]] + 5)
        return saturday, saturday + timedelta(days=1)
    if g["wk"]:
        first = monday + timedelta(days=7 * _SHIFT[g["wkmod"]])
        return first, first + timedelta(days=6)
    if g["ye"]:
        return date(today.year, 12, 31), date(today.year, 12, 31)
    year, month = _add_months(today, _SHIFT[g["mmod2"]] if g["mo"] else 0)
    last = date(year, month, monthrange(year, month)[1])
    return (last, last) if (g["me"] or g["mend"]) else (date(year, month, 1), last)


def interpret(m: re.Match[str], now: datetime, *, in_sentence: bool) -> tuple[datetime, datetime]:
    """The window ``(start, end)`` that match ``m`` of :data:`PHRASE` names at ``now``.

    ``in_sentence`` applies the stricter reading used when searching running text: a bare
    Chinese-numeral hour (两点, 一点) is a time only with a minute, 钟, a range or a suffix,
    since 快一点 and 有两点要求 hold no time.
    """
    g = m.groupdict()
    today = now.date()
    if g["qunit"]:
        return _quantity(g, now)   # always ahead of now
    if g["we"] or g["wk"] or g["mo"] or g["me"] or g["ye"]:
        first, last = _period(g, today)
        return _finish((_start(first), _end(last)), g["psuf"], point=False, now=now)
    d, part = _day(g, today)
    suffix = g["suf"]
    if g["clock"] is None:
        if d is None and part is None:
            raise Unresolvable("no day, part of day or clock")
        day = d or today
        window = part_window(day, part) if part else (_start(day), _end(day))
        return _finish(window, suffix, point=False, now=now)
    if (in_sentence and d is None and part is None and not g["h"].isascii() and g["unit"] == "点"
            and (suffix is None or suffix in _AROUND) and not (g["half"] or g["qtr"] or g["mi"] or g["exact"] or g["rsep"])):
        raise Unresolvable(f"bare {g['clock']} in running text is not read as a time")
    if g["rsep"] and not (suffix is None or suffix in _AROUND):
        raise Unresolvable(f"'{suffix}' does not follow a range of times")
    for window in _clock_windows(g, d or today, part):
        try:
            return _finish(window, suffix, point=not g["rsep"], now=now)
        except WhollyPast:
            continue
    raise WhollyPast()
