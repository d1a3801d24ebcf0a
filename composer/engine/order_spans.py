"""The interval index of the order book (:mod:`.orderbook`): the intervals of one order state, sorted
by their start, so a draw bisects to those that may hold at a clock and never passes over every order."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime

__all__ = ["SpanIndex"]


class SpanIndex:
    """Intervals of one state, sorted by start: a bisect bounds those that may hold at ``now``."""

    def __init__(self, spans: list[tuple[datetime, datetime | None, int]]) -> None:
        spans.sort(key=lambda s: (s[0], s[2]))
        self.starts = [s for s, _, _ in spans]
        self.ends = [e for _, e, _ in spans]
        self.orders = [i for _, _, i in spans]
        finite = [e - s for s, e, _ in spans if e is not None]
        #: the longest interval, when every interval ends: none started before now - longest holds now
        self.longest = max(finite) if finite and len(finite) == len(spans) else None

    def window(self, now: datetime, since: datetime | None) -> tuple[int, int]:
        """Positions [lo, hi) of the intervals that may hold at ``now`` and started at or after
        ``since`` (an order's states all start at or after it was placed)."""
        hi = bisect_right(self.starts, now)
        low = since
        if self.longest is not None:
            low = now - self.longest if low is None else max(low, now - self.longest)
        return (0 if low is None else bisect_left(self.starts, low, 0, hi)), hi

    def holds(self, pos: int, now: datetime) -> bool:
        end = self.ends[pos]
        return self.starts[pos] <= now and (end is None or end > now)
