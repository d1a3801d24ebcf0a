"""An order's facts (its row, lines and checkpoints) as the order tools read them: once per run
while the order tables are as they were, else once per world state.

Dependency rule: this module imports nothing of twinchat's but the tools' own modules.

On a tracked connection (:func:`.memo.track_writes`: a private in-memory snapshot) the tools
remember an order's facts per world state (:func:`.memo.shared`). A session's writing call (a
return, a ticket) names a new state, so every session read its orders' rows again, though
hardly any session writes ``orders`` or ``order_items``. Here, as with frozen stock
(:mod:`.stock`), the connection is told when those two tables change: temporary triggers set a
flag in a temporary table on any INSERT, UPDATE or DELETE of them. The flag is part of the
transaction, so a rollback that takes a write back takes the flag back too, and while it is
clear the tables hold exactly the rows they held when the triggers were made: facts read then
are the same in every such state, and are kept by order number (a bounded memory) across
sessions. While it is set (a session cancelled an order or changed its address, or placed one)
the facts are read per world state as before.

The flag is read with SQL only when the connection wrote since it was last read clear: a state
whose flag is clear can only be left by a write (a rollback from it goes back to a state before
it, when no write to the order tables had happened either).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from twinchat.inventory.tools.memo import cache_bound, is_tracked, shared

__all__ = ["order_fact", "BaseFacts", "KEEP_FACTS", "SESSION_KEEP_FACTS", "whole_tables", "SESSION_WHOLE_ORDERS",
           "WHOLE_AFTER"]

#: facts of each kind (rows, lines, checkpoints) kept by order number before the memory starts
#: over, unless the run bounds it (:func:`.memo.keep_cache` for :class:`BaseFacts`): more than a
#: default world's 6,000 orders
KEEP_FACTS = 8192
#: the bound in a run of sessions (``compose``): all of a default world's orders read hold about
#: 14 MB, which a run of sessions filled over its first hundred thousand sessions; it asks again
#: for an order a few calls later, rarely for an earlier session's
SESSION_KEEP_FACTS = 1024

#: a run of sessions reads every order's row and lines at once, in one pass over each table, when
#: the world has at most this many orders (a default world's 6,000 hold about 4 MB): its sessions
#: ask for any order, and one read at a time costs ten times as much an order; kept while the order
#: tables are unwritten, the same from then to the last session
SESSION_WHOLE_ORDERS = 8192

#: ... once it has read (1 + this many) times as many orders one at a time as it keeps (1,024 in a
#: run of sessions: after about 2,600 sessions of the built-in mix): a whole read costs as much as
#: about 7,000 reads of one order, which a short run never makes
WHOLE_AFTER = 0

_FLAG = "twinchat_orders_written"
#: the tables whose rows an order's facts are made of (the other tables they join are static)
_TABLES = ("orders", "order_items")


class BaseFacts:
    """The order tables' write flag on one tracked connection, and the facts read while it is clear."""

    __slots__ = ("conn", "armed", "_held", "_read", "_facts", "_whole", "_reads")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.armed = False
        #: ``conn.total_changes`` when the flag was last read clear (None: not since it was set)
        self._held: int | None = None
        self._read = conn.execute
        self._facts: dict[str, dict[str, Any]] = {}
        self._whole: set[str] = set()  # the kinds read for every order at once (see :meth:`_full`)
        self._reads: dict[str, int] = {}  # how many facts of each kind were read one order at a time

    def arm(self) -> bool:
        """Make the flag and its triggers (outside a transaction only: a rollback would take them
        back); whether they are made."""
        if self.armed:
            return True
        conn = self.conn
        if conn.in_transaction:
            return False
        # made without a row written (so without a transaction, and unseen by the tracking of
        # writes): a table made from a SELECT, and triggers
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_FLAG} AS SELECT 0 AS written")
        for table in _TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS {_FLAG}_{table}_{event.lower()} "
                             f"AFTER {event} ON main.{table} BEGIN UPDATE {_FLAG} SET written = 1; END")
        self.armed = True
        return True

    def clear(self) -> bool:
        """Whether the order tables hold the rows they held when the triggers were made."""
        changes = self.conn.total_changes
        if self._held == changes:
            return True
        if self._read(f"SELECT written FROM temp.{_FLAG}").fetchone()[0]:
            self._held = None
            return False
        self._held = changes
        return True

    def forget(self) -> None:
        """Empty the facts kept one order at a time (every order's, read whole, stay: they are as
        many as the world's orders, read once)."""
        for kind, facts in self._facts.items():
            if kind not in self._whole:
                facts.clear()

    def get(self, kind: str, order_no: str, compute: Callable[[], Any], read_all: ReadAll | None = None) -> Any:
        facts = self._facts.get(kind)
        if facts is None:
            facts = self._facts[kind] = {}
        if order_no in facts:
            return facts[order_no]
        value = compute()
        if kind in self._whole:  # not among every order's: no such order (or none of its lines), not kept
            return value
        bound = cache_bound(self.conn, BaseFacts, KEEP_FACTS)
        read = self._reads[kind] = self._reads.get(kind, 0) + 1
        if read == bound * (WHOLE_AFTER + 1) and self._full(kind, read_all):
            return value
        if len(facts) >= bound:
            facts.clear()
        facts[order_no] = value
        return value

    def _full(self, kind: str, read_all: ReadAll | None) -> bool:
        """Read the facts of ``kind`` of every order at once, when the run reads them whole
        (:func:`whole_tables`) and ``read_all`` reads them within its bound; whether it did."""
        limit = whole_tables(self.conn)
        found = read_all(self.conn, limit) if read_all is not None and limit else None
        if found is None:
            return False
        self._facts[kind] = found
        self._whole.add(kind)
        return True

#: reads a kind of fact for every order at once: (connection, at most this many orders) -> the
#: facts by order number, or None when there are more orders
ReadAll = Callable[[sqlite3.Connection, int], "dict[str, Any] | None"]


def whole_tables(conn: sqlite3.Connection) -> int:
    """How many orders a world may have for the order facts to be read whole on ``conn`` (0: one
    order at a time, the default; a run of sessions sets :data:`SESSION_WHOLE_ORDERS` with
    :func:`~.memo.keep_cache` for this function)."""
    return cache_bound(conn, whole_tables, 0)


def _base_facts(conn: sqlite3.Connection) -> BaseFacts | None:
    """The connection's flag and base facts, armed; None on an untracked connection, or before the
    triggers can be made (inside the first transaction)."""
    static: dict[Any, Any] | None = getattr(conn, "static", None)
    if static is None:
        return None
    found: BaseFacts | None = static.get(BaseFacts)
    if found is None:
        if not is_tracked(conn):
            return None
        found = static[BaseFacts] = BaseFacts(conn)
    return found if found.armed or found.arm() else None


def order_fact(conn: sqlite3.Connection, kind: str, order_no: str, compute: Callable[[], Any],
               read_all: ReadAll | None = None) -> Any:
    """``compute()``, a fact of order ``order_no`` (its ``kind``: "order_row", "order_items",
    "order_checkpoints") made of the order tables' rows, given out as is (callers must not change
    it): kept by order number while those tables are unwritten, else per world state
    (:func:`.memo.shared`), else (an untracked connection) computed every time. ``read_all``
    reads the kind for every order at once, where the run asks for that (:func:`whole_tables`)."""
    static: dict[Any, Any] | None = getattr(conn, "static", None)
    base = None if static is None else static.get(BaseFacts)
    if base is None or not base.armed:
        base = _base_facts(conn)
    if base is not None and base.clear():
        return base.get(kind, order_no, compute, read_all)
    return shared(conn, kind, (order_no,), compute)
