"""Whether a technician's slot is booked elsewhere, as the service tools ask it: a function of its
arguments (:func:`~twinchat.inventory.servicedesk.is_booked_elsewhere`), kept per connection within a
bound the run sets.

Dependency rule: this module imports nothing of twinchat's but the tools' own modules and the
service desk's data.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from twinchat.inventory.servicedesk import is_booked_elsewhere
from twinchat.inventory.tools.memo import cache_bound
from twinchat.inventory.tools.static import static_data

__all__ = ["BookedSlots", "KEEP_BOOKED", "SESSION_KEEP_BOOKED", "booked"]

#: the slots whether a technician is booked elsewhere is kept for, per connection (see :func:`booked`)
KEEP_BOOKED = 8192
#: the bound in a run of sessions (``compose``, see :func:`~twinchat.inventory.tools.memo.keep_cache`
#: with :class:`BookedSlots`): 20,000 sessions of the built-in mix asked about 0.6 slots each, half of
#: them asked before; held to 8,192, the slots kept grew until 42,000 sessions on one worker (a
#: megabyte), where 1,024 still answer a quarter of those repeats
SESSION_KEEP_BOOKED = 1024


class BookedSlots(dict):  # type: ignore[type-arg]
    """(technician, day, start) -> whether the slot is booked elsewhere: kept per connection (static
    data), at most :attr:`keep` (the connection's bound when made, or last started over)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__()
        self.keep = cache_bound(conn, BookedSlots, KEEP_BOOKED)

    def forget(self) -> None:
        self.clear()


def booked(conn: sqlite3.Connection, technician: str, day: dt.date, start: str) -> bool:
    """:func:`is_booked_elsewhere`, kept per connection for up to :data:`KEEP_BOOKED` slots, or as
    many as the run that opened ``conn`` keeps (:data:`SESSION_KEEP_BOOKED`): a function of its
    arguments; sessions on nearby clocks ask about the same days."""
    kept = static_data(conn, BookedSlots)
    key = (technician, day, start)
    found = kept.get(key)
    if found is None:
        if len(kept) >= kept.keep:
            kept.clear()
            kept.keep = cache_bound(conn, BookedSlots, KEEP_BOOKED)
        found = kept[key] = is_booked_elsewhere(technician, day, start)
    return found
