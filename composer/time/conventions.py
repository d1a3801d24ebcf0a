"""The parts of the day and how an hour is read on each: the one table the grammar and the pool share.

A part of the day is a span of whole hours, ``[first hour, end hour)``: 凌晨 00:00–05:59:59,
早上/早 06:00–09:59:59, 上午 08:00–11:59:59, 中午 11:00–13:59:59, 下午 13:00–17:59:59,
傍晚 17:00–18:59:59, 晚上/晚 18:00–23:59:59. The end hour is exclusive here; a window made from a
part (:func:`part_window`) is inclusive and ends one second before it, as every window does.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

__all__ = ["PARTS", "PART_ALIASES", "PART_HOURS", "part_name", "part_window"]

PARTS: dict[str, tuple[int, int]] = {
    "凌晨": (0, 6), "早上": (6, 10), "上午": (8, 12), "中午": (11, 14),
    "下午": (13, 18), "傍晚": (17, 19), "晚上": (18, 24),
}
"""Part of day → (first hour, end hour), the end exclusive: 晚上 is 18:00:00 up to midnight."""

PART_ALIASES: dict[str, str] = {"早晨": "早上", "早": "早上", "一早": "早上", "晚": "晚上"}
"""Other words for a part of the day → the part's name in :data:`PARTS`."""


def _dial(first: int, last: int, add: int = 0) -> dict[int, int]:
    return {h: h + add for h in range(first, last + 1)}


PART_HOURS: dict[str, dict[int, int]] = {
    "凌晨": _dial(0, 6),
    "早上": _dial(4, 11),
    "上午": _dial(5, 12),
    "中午": {**_dial(11, 14), **_dial(1, 2, 12)},
    "下午": {**_dial(1, 7, 12), **_dial(12, 19)},
    "傍晚": {**_dial(4, 8, 12), **_dial(16, 20)},
    "晚上": {**_dial(6, 12, 12), **_dial(18, 24)},
}
"""Part of day → {hour as spoken: hour on the 24-hour dial}; 晚上12点 is 24, midnight ending the day.

A clock may be said a little outside its part (早上5点, 傍晚8点), so these reach past :data:`PARTS`."""

_SECOND = timedelta(seconds=1)


def part_name(word: str | None) -> str | None:
    """The name in :data:`PARTS` of a part-of-day word (早 → 早上); None stays None."""
    return None if word is None else PART_ALIASES.get(word, word)


@lru_cache(maxsize=1024)
def part_window(day: date, part: str) -> tuple[datetime, datetime]:
    """The inclusive window of ``part`` on ``day``: its first hour to one second before its end hour
    (kept per day and part: the pool and the grammar ask for the same few days' parts again and again)."""
    first, end = PARTS[part]
    start = datetime.combine(day, time())
    return start + timedelta(hours=first), start + timedelta(hours=end) - _SECOND
