"""Twinchat's template filters: surface variation of numbers, prices, phones and times.

=================  =========================================================
``fullwidth``      ASCII digits and letters → full-width (13800138000 → １３８…)
``cn_number``      an integer → Chinese numerals (12 → 十二, 2 → 二)
``cn_digits``      each digit → its Chinese numeral (2024 → 二〇二四)
``price``          a price in yuan → "399元" / "1,299元"
``spaced``         insert spaces between groups of digits (138 0013 8000)
``nospace``        remove all whitespace
``cn_time``        "2026-11-20 21:00:00" (or a datetime) → "11月20日21:00"
``when``           a moment as an agent writes it, relative to the session clock
                   (``{{ eta|when(now) }}`` → 明天18:00, 今天9:30 / 12月3日18:00; ``'day'`` → 明天;
                   ``'spoken'`` → 今晚8点, 明天下午6点半)
``times_said``     every ``2026-12-03 23:59:59`` / ``2026-12-03`` in a text said with ``when``
=================  =========================================================

Replies never show a stamp the way tools write it (no year unless it differs from the clock's,
no seconds): ``when`` names the day relative to ``now`` (前天, 昨天, 今天, 明天, 后天, else
12月3日) and the time as ``18:00`` or, spoken, with its part of day (凌晨2点, 早上8点半, 今晚8点);
end of day (23:59) is 晚上12点 when spoken.

Jinja2's filters that make text of a size a number decides (``center``, ``indent``,
``wordwrap``, ``format``, ``replace``) are replaced by :data:`BOUNDED`: the same filters, refusing
(:class:`~.limits.LimitBreak`) what would make more than ``MAX_TEXT`` characters.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from twinchat.composer.engine import limits
from twinchat.composer.engine.limits import FILTER_PROBLEMS
from twinchat.inventory.timefmt import parse_time

__all__ = ["BOUNDED", "FILTERS", "bounded", "cn_number", "cn_time", "fullwidth", "price", "said_when", "times_said", "when"]

_FULL = {i: i + 0xFEE0 for i in range(0x21, 0x7F)}
_DIGITS = "〇一二三四五六七八九"


def fullwidth(value: Any) -> str:
    """Half-width ASCII → full-width forms (spaces stay)."""
    return str(value).translate(_FULL)


def cn_number(value: Any) -> str:
    """An integer 0–9999 in Chinese numerals (十二, 一百零五, 两千)."""
    n = int(value)
    if n < 0 or n > 9999:
        return str(n)
    if n < 10:
        return "零一二三四五六七八九"[n]
    if n < 20:
        return "十" + ("" if n == 10 else _DIGITS[n - 10])
    out, zero = [], False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        d, n = divmod(n, size)
        if d:
            if zero:
                out.append("零")
                zero = False
            out.append(_DIGITS[d] + unit)
        elif out:
            zero = True
        if n == 0:
            break
    return "".join(out)


def cn_digits(value: Any) -> str:
    """Each ASCII digit → its Chinese numeral, other characters unchanged."""
    return "".join(_DIGITS[int(c)] if c.isdigit() and c.isascii() else c for c in str(value))


def price(value: Any) -> str:
    """399.0 → 399元; 1299.0 → 1,299元; 19.9 → 19.9元."""
    v = float(value)
    return (f"{int(v):,}" if v == int(v) else f"{v:,.2f}".rstrip("0")) + "元"


_RUN = re.compile(r"\d+")


def spaced(value: Any) -> str:
    """An 11-digit mobile as 3-4-4 with spaces; other digit runs unchanged."""
    return _RUN.sub(lambda m: f"{m[0][:3]} {m[0][3:7]} {m[0][7:]}" if len(m[0]) == 11 else m[0], str(value))


def nospace(value: Any) -> str:
    """Remove all whitespace."""
    return "".join(str(value).split())


def cn_time(value: Any) -> str:
    """A tool-result time as a reply says it: 11月20日21:00."""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = parse_time(str(value))
    return f"{moment.month}月{moment.day}日{moment.hour:02d}:{moment.minute:02d}"


#: day words by how many days a date is from the clock's date
_DAY_WORDS = {-2: "前天", -1: "昨天", 0: "今天", 1: "明天", 2: "后天"}
#: (first hour, part of day) in order: an hour is said with the last part it reaches
_PARTS = ((0, "凌晨"), (6, "早上"), (9, "上午"), (12, "中午"), (13, "下午"), (18, "晚上"))
#: a day word and a part of day said as one word (今天晚上 → 今晚)
_FUSED = {("今天", "晚上"): "今晚", ("明天", "晚上"): "明晚", ("今天", "早上"): "今早", ("明天", "早上"): "明早"}
_WHEN_FORMS = ("moment", "day", "spoken")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STAMP_OR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: [0-9]{2}:[0-9]{2}:[0-9]{2})?")


def _moment(value: Any) -> tuple[datetime, bool]:
    """(the moment, whether it has a time of day) of a datetime, a world stamp or a date."""
    if isinstance(value, datetime):
        return value, True
    return _read_moment(str(value).strip())


@functools.lru_cache(maxsize=1024)
def _read_moment(text: str) -> tuple[datetime, bool]:
    """A stamp or a date read once: a session says its clock and its few stamps again and again."""
    if _DATE.fullmatch(text):
        return datetime.fromisoformat(text), False
    return parse_time(text), True


def _day(moment: datetime, now: datetime) -> str:
    days = (moment.date() - now.date()).days
    if days in _DAY_WORDS:
        return _DAY_WORDS[days]
    year = f"{moment.year}年" if moment.year != now.year else ""
    return f"{year}{moment.month}月{moment.day}日"


#: hour (0–23) → the part of day it is said with
_PART_OF_HOUR = tuple(next(word for first, word in reversed(_PARTS) if hour >= first) for hour in range(24))


def _spoken_clock(day: str, hour: int, minute: int) -> str:
    """明天下午6点半, 今晚8点, 12月3日凌晨2点; 23:59 (the end of a day) is 晚上12点."""
    if hour == 23 and minute == 59:
        hour, minute = 24, 0
    part = _PART_OF_HOUR[min(hour, 23)]
    twelve = hour - 12 if hour > 12 else hour
    clock = f"{twelve}点" + ("" if minute == 0 else "半" if minute == 30 else f"{minute:02d}分")
    return _FUSED.get((day, part), day + part) + clock


def when(value: Any, now: Any, form: str = "moment") -> str:
    """A moment (a datetime, a world stamp ``2026-12-03 18:00:00`` or a date ``2026-12-03``) as a
    reply writes it at the clock ``now``: ``moment`` 明天18:00 / 12月3日18:00 (a date alone: its
    day), ``day`` 明天 / 12月3日, ``spoken`` 明天下午6点 / 今晚8点半. Never seconds, and the year
    only when it is not the clock's."""
    if form not in _WHEN_FORMS:
        raise ValueError(f"when: unknown form {form!r} (forms: {', '.join(_WHEN_FORMS)})")
    moment, timed = _moment(value)
    day = _day(moment, _moment(now)[0])
    if not timed or form == "day":
        return day
    if form == "spoken":
        return _spoken_clock(day, moment.hour, moment.minute)
    return f"{day}{moment.hour}:{moment.minute:02d}"


def said_when(value: Any, now: Any) -> tuple[str, str]:
    """``when(value, now)`` and ``when(value, now, 'spoken')`` together, each moment read once."""
    moment, timed = _moment(value)
    day = _day(moment, _moment(now)[0])
    if not timed:
        return day, day
    return f"{day}{moment.hour}:{moment.minute:02d}", _spoken_clock(day, moment.hour, moment.minute)


def times_said(value: Any, now: Any, form: str = "moment") -> str:
    """``value`` as text with every world stamp or date in it said with :func:`when`."""
    return _STAMP_OR_DATE.sub(lambda m: when(m[0], now, form), str(value))


FILTERS = {
    "cn_time": cn_time,
    "when": when,
    "times_said": times_said,
    "fullwidth": fullwidth,
    "cn_number": cn_number,
    "cn_digits": cn_digits,
    "price": price,
    "spaced": spaced,
    "nospace": nospace,
}


# -- Jinja2's filters whose output size a number decides, bounded ------------------------------

def _bounded(name: str, problem: Callable[..., str | None]) -> Callable[..., Any]:
    """Jinja2's filter ``name``, refusing what ``problem`` finds (after the environment or
    context Jinja2 passes first, if it does)."""
    import jinja2.filters

    original = jinja2.filters.FILTERS[name]
    skip = 1 if hasattr(original, "jinja_pass_arg") else 0

    def checked(*args: Any, **kwargs: Any) -> Any:
        why = problem(*args[skip:], **kwargs)
        if why:
            raise limits.LimitBreak(f"the template {why}")
        return original(*args, **kwargs)
    return functools.wraps(original)(checked)  # keeps Jinja2's pass_environment / pass_eval_context


@functools.lru_cache(maxsize=1)
def bounded() -> dict[str, Callable[..., Any]]:
    """The bounded filters, by the names templates use (made with the first sandbox: they wrap
    Jinja2's own)."""
    return {name: _bounded(name, problem) for name, problem in FILTER_PROBLEMS.items()}


def __getattr__(name: str) -> Any:
    """``BOUNDED``: :func:`bounded`'s filters."""
    if name == "BOUNDED":
        return bounded()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
