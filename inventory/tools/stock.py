"""Stock as the tools read it: with SQL on every call, or from memory on a frozen connection.

Stock is not static (see :mod:`.static`): a user's script or a future tool may write it, so on
an ordinary connection every read is a query. Reading ~11 warehouse rows per product that way
costs 7–8 µs a product, several times per composed session, while a compose run never writes
stock at all: it composes on a private in-memory snapshot of the world
(:func:`twinchat.composer.store.snapshot.world_snapshot`). :func:`freeze_stock` makes that explicit on such
a connection: temporary triggers make every INSERT, UPDATE or DELETE of ``stock`` fail (so the
promise is enforced, not assumed), and the table is read once into memory. Tools on a frozen
connection read stock from there; on any other connection, from the database.
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
    """A frozen connection's stock: its rows, each product's total, and — asked for as calls
    come — the warehouses holding at least a quantity of a product (never changed once made)."""

    __slots__ = ("rows", "totals", "_holding")

    def __init__(self, rows: Rows) -> None:
        self.rows = rows
        self.totals = {pid: sum(q for _, q in items if q is not None) for pid, items in rows.items()}
        self._holding: dict[tuple[str, int], frozenset[str]] = {}

    def holding(self, pid: str, quantity: int) -> frozenset[str]:
        key = (pid, quantity)
        found = self._holding.get(key)
        if found is None:
            found = self._holding[key] = frozenset(
                w for w, q in self.rows.get(pid, ()) if q is not None and q >= quantity)
        return found


def _frozen_stock(conn: sqlite3.Connection) -> _Frozen:
    """Make ``stock`` read-only on ``conn`` and read it (run once, by :func:`freeze_stock`)."""
    for event in ("INSERT", "UPDATE", "DELETE"):
        conn.execute(f"CREATE TEMP TRIGGER IF NOT EXISTS twinchat_frozen_stock_{event.lower()} "
                     f"BEFORE {event} ON main.stock BEGIN SELECT RAISE(ABORT, '{FROZEN_MESSAGE}'); END")
    rows: dict[str, list[tuple[str, int | None]]] = {}
    for pid, warehouse, qty in conn.execute("SELECT product_id, warehouse, qty FROM stock "
                                            "ORDER BY product_id, warehouse"):
        rows.setdefault(pid, []).append((warehouse, qty))
    return _Frozen({pid: tuple(items) for pid, items in rows.items()})


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
        totals = frozen.totals
        return {pid: totals.get(pid, 0) for pid in ids}
    rows = _rows(conn, ids)
    return {pid: sum(q for _, q in rows.get(pid, ()) if q is not None) for pid in ids}


def warehouses_with(conn: sqlite3.Connection, ids: Sequence[str], quantity: int) -> dict[str, frozenset[str]]:
    """Per product id, the warehouses holding at least ``quantity`` of it."""
    frozen = cached_static_data(conn, _frozen_stock)
    if frozen is not None:
        return {pid: frozen.holding(pid, quantity) for pid in ids}
    rows = _rows(conn, ids)
    return {pid: frozenset(w for w, q in rows.get(pid, ()) if q is not None and q >= quantity) for pid in ids}
