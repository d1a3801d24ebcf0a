"""The interval index of the order book (:mod:`.orderbook`): the intervals of one order state, sorted
by their start, so a draw bisects to those that may hold at a clock and never passes over every order."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

__all__ = ["SpanIndex", "spans_of"]

_SECOND = timedelta(seconds=1)
_BY_START = itemgetter(0, 2)


def spans_of(order: Any) -> dict[str, tuple[datetime, datetime | None]]:
    """What ``order.intervals()`` gives (each state the order passes through → [start, end), in the
    same order; a test compares the two), made with fewer calls: the book makes it for every order."""
    created, paid, shipped, delivered, cancelled = order.created, order.paid, order.shipped, order.delivered, order.cancelled
    out = {}
    # _first(a, cancelled): the earlier of the two that are known
    end = paid if cancelled is None else cancelled if paid is None else min(paid, cancelled)
    if end is None or created < end:
        out["pending_payment"] = (created, end)
    # the end of being on the way (delayed, in transit): delivered or cancelled, the earlier
    arrived = delivered if cancelled is None else cancelled if delivered is None else min(delivered, cancelled)
    if paid is not None:
        end = shipped if cancelled is None else cancelled if shipped is None else min(shipped, cancelled)
        if end is None or paid < end:
            out["awaiting_shipment"] = (paid, end)
        if order.eta is not None:
            start = max(paid, order.eta + _SECOND)
            if arrived is None or start < arrived:
                out["delayed"] = (start, arrived)
    if shipped is not None and (arrived is None or shipped < arrived):
        out["in_transit"] = (shipped, arrived)
    if delivered is not None and (cancelled is None or delivered < cancelled):
        out["delivered"] = (delivered, cancelled)
    if cancelled is not None:
        out["cancelled"] = (cancelled, None)
    out["any"] = (created, None)
    return out


class SpanIndex:
    """Intervals of one state, sorted by start: a bisect bounds those that may hold at ``now``."""

    def __init__(self, spans: list[tuple[datetime, datetime | None, int]]) -> None:
        spans.sort(key=_BY_START)  # by start, then order index
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
