"""Twinchat's template filters: surface variation of numbers, prices, phones and times.

=================  =========================================================
``fullwidth``      ASCII digits and letters → full-width (13800138000 → １３８…)
``cn_number``      an integer → Chinese numerals (12 → 十二, 2 → 二)
``cn_digits``      each digit → its Chinese numeral (2024 → 二〇二四)
``price``          a price in yuan → "399元" / "1,299元"
``spaced``         insert spaces between groups of digits (138 0013 8000)
``nospace``        remove all whitespace
``cn_time``        "2026-11-20 21:00:00" (or a datetime) → "11月20日21:00"
=================  =========================================================

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

import jinja2.filters

from twinchat.composer.engine.limits import FILTER_PROBLEMS, LimitBreak
from twinchat.inventory.timefmt import parse_time

__all__ = ["BOUNDED", "FILTERS", "cn_number", "cn_time", "fullwidth", "price"]

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


FILTERS = {
    "cn_time": cn_time,
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
    original = jinja2.filters.FILTERS[name]
    skip = 1 if hasattr(original, "jinja_pass_arg") else 0

    def checked(*args: Any, **kwargs: Any) -> Any:
        why = problem(*args[skip:], **kwargs)
        if why:
            raise LimitBreak(f"the template {why}")
        return original(*args, **kwargs)
    return functools.wraps(original)(checked)  # keeps Jinja2's pass_environment / pass_eval_context


#: the bounded filters, by the names templates use
BOUNDED = {name: _bounded(name, problem) for name, problem in FILTER_PROBLEMS.items()}
