"""Stock as the tools read it: with SQL on every call, or from memory on a frozen connection.

Stock is not static (see :mod:`.static`): a user's script or a future tool may write it, so on
an ordinary connection every read is a query. Reading ~11 warehouse rows per product that way
costs 7–8 µs a product, several times per composed session, while a compose run never writes
stock at all: it composes on a private in-memory snapshot of the world
(:func:`twinchat.composer.store.snapshot.world_snapshot`). :func:`freeze_stock` makes that explicit on such
a connection: temporary triggers make every INSERT, UPDATE or DELETE of ``stock`` fail (so the
promise is enforced, not assumed), and each product's rows are read once into memory, when a
call first asks for them (so freezing costs nothing, whatever the catalog's size). Tools on a
frozen connection read stock from there; on any other connection, from the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from twinchat.inventory.tools.static import cached_static_data, keeps_static_data, static_data

__all__ = ["freeze_stock", "is_frozen", "total_stock", "warehouses_with", "FROZEN_MESSAGE"]

#: Rows per product: product id -> ((warehouse, qty), …) in warehouse order.
Rows = dict[str, tuple[tuple[str, int | None], ...]]

FROZEN_MESSAGE = "stock is read-only on this connection (a snapshot whose stock is frozen)"


class _Frozen:
    """A frozen connection's stock, read from it one product at a time as calls ask (never changed
    once read): each product's rows and total, and the warehouses holding at least a quantity of
    it. Nothing is read up front, so freezing costs the same for 200 products or 100,000."""

    __slots__ = ("_execute", "_rows", "_totals", "_holding")

    def __init__(self, conn: sqlite3.Connection) -> None:
        cursor = conn.cursor()  # one cursor for every read, whose rows are plain tuples (unpacked, never
        cursor.row_factory = None  # read by name): no cursor and no sqlite3.Row made per product
        self._execute = cursor.execute
        self._rows: Rows = {}
        self._totals: dict[str, int] = {}
        self._holding: dict[tuple[str, int], frozenset[str]] = {}

    def rows(self, pid: str) -> tuple[tuple[str, int | None], ...]:
        """``((warehouse, qty), …)`` of one product, in warehouse order (empty for none)."""
        found = self._rows.get(pid)
        if found is None:
            found = self._rows[pid] = tuple(self._execute(  # plain tuples: (warehouse, qty)
                "SELECT warehouse, qty FROM stock WHERE product_id = ? ORDER BY warehouse", (pid,)))
        return found

    def total(self, pid: str) -> int:
        found = self._totals.get(pid)
        if found is None:
            found = self._totals[pid] = sum(q for _, q in self.rows(pid) if q is not None)
        return found

    def holding(self, pid: str, quantity: int) -> frozenset[str]:
        key = (pid, quantity)
        found = self._holding.get(key)
        if found is None:
            found = self._holding[key] = frozenset(
                w for w, q in self.rows(pid) if q is not None and q >= quantity)
        return found


def _frozen_stock(conn: sqlite3.Connection) -> _Frozen:
    """Make ``stock`` read-only on ``conn`` (run once, by :func:`freeze_stock`); its rows are read
    when first asked for, which the triggers make safe: they can never change."""
    for event in ("INSERT", "UPDATE", "DELETE"):
        conn.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS twinchat_frozen_stock_{event.lower()} "
                     f"BEFORE {event} ON main.stock BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}'); END")
    return _Frozen(conn)


def freeze_stock(conn: sqlite3.Connection) -> None:
    """Make ``stock`` read-only on ``conn`` (for this connection's life) and let tools read it from
    memory. Call it outside any transaction, on a connection no one else writes (an in-memory copy)."""
    if conn.in_transaction:
        raise sqlite3.ProgrammingError("freeze_stock must be called outside a transaction")
    if not keeps_static_data(conn):
        raise sqlite3.ProgrammingError("freeze_stock needs a connection that keeps what tools read "
                                       "(sqlite3.connect(..., factory=WorldConnection))")
    static_data(conn, _frozen_stock)


def is_frozen(conn: sqlite3.Connection) -> bool:
    """Whether tools read ``conn``'s stock from memory."""
    return cached_static_data(conn, _frozen_stock) is not None


def _rows(conn: sqlite3.Connection, ids: Sequence[str]) -> Rows:
    found: dict[str, list[tuple[str, int | None]]] = {pid: [] for pid in ids}
    if found:
        for pid, warehouse, qty in conn.execute(
                f"SELECT product_id, warehouse, qty FROM stock WHERE product_id IN ({','.join('?' * len(found))})",
                list(found)):
            found[pid].append((warehouse, qty))
    return {pid: tuple(items) for pid, items in found.items()}


def total_stock(conn: sqlite3.Connection, ids: Sequence[str]) -> dict[str, int]:
    """Units in stock over every warehouse, per product id (0 for none)."""
    frozen = cached_static_data(conn, _frozen_stock)
    if frozen is not None:
        return {pid: frozen.total(pid) for pid in ids}
    rows = _rows(conn, ids)
    return {pid: sum(q for _, q in rows.get(pid, ()) if q is not None) for pid in ids}


def warehouses_with(conn: sqlite3.Connection, ids: Sequence[str], quantity: int) -> dict[str, frozenset[str]]:
    """Per product id, the warehouses holding at least ``quantity`` of it."""
    frozen = cached_static_data(conn, _frozen_stock)
    if frozen is not None:
        return {pid: frozen.holding(pid, quantity) for pid in ids}
    rows = _rows(conn, ids)
    return {pid: frozenset(w for w, q in rows.get(pid, ()) if q is not None and q >= quantity) for pid in ids}
