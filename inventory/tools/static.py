"""A world's static reference data, read once per connection.

Every tool call runs against the database, and what can change in a world is read with SQL on
every call: stock, orders and their items, customers, returns, technicians' schedules, tickets
(stock is read from memory only on a connection that made it read-only, see :mod:`.stock`).
Some tables, though, are facts of the world, written once when it is built and never after — no
tool, session or command writes them: regions, categories, device models and their aliases, the
catalog (products, their features, compatibility), warehouses and lanes, the knowledge base.
Tools that look those up on every call read them once per connection with :func:`static_data`
and look them up in memory, with results identical to the queries they replace.

A ``sqlite3.Connection`` cannot be weakly referenced, so the cache keeps the connections it
serves — the last :data:`KEEP`, the least recently served dropped first, and the one served
last: while a connection is kept, its ``id`` cannot be taken by another, so data read from one
connection is never served for another.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["static_data", "cached_static_data", "KEEP"]

T = TypeVar("T")

#: Connections whose static data is kept (each is a few MB at most).
KEEP = 4

#: id(conn) -> (conn, {build function: what it returned}), least recently served first
_CACHE: dict[int, tuple[sqlite3.Connection, dict[Any, Any]]] = {}
#: the connection served last and its data (the common case: one connection, many calls)
_last: tuple[sqlite3.Connection | None, dict[Any, Any]] = (None, {})


def static_data(conn: sqlite3.Connection, build: Callable[[sqlite3.Connection], T]) -> T:
    """What ``build(conn)`` returns, built on the first call for ``conn`` and kept with it.

    ``build`` must read only static tables (see the module docstring) and its result must not
    be changed by callers.
    """
    global _last
    last_conn, parts = _last
    if last_conn is not conn:
        parts = _parts(conn)
        _last = (conn, parts)
    try:
        return parts[build]
    except KeyError:
        value = parts[build] = build(conn)
        return value


def _parts(conn: sqlite3.Connection) -> dict[Any, Any]:
    entry = _CACHE.pop(id(conn), None)
    if entry is None or entry[0] is not conn:
        entry = (conn, {})
        while len(_CACHE) >= KEEP:
            del _CACHE[next(iter(_CACHE))]
    _CACHE[id(conn)] = entry  # now the most recently served
    return entry[1]


def cached_static_data(conn: sqlite3.Connection, build: Callable[[sqlite3.Connection], T]) -> T | None:
    """What :func:`static_data` keeps for ``conn`` and ``build``, or None if it keeps nothing
    (never built, or the connection was dropped from the cache): never builds."""
    last_conn, parts = _last
    if last_conn is conn:
        return parts.get(build)
    entry = _CACHE.get(id(conn))
    return entry[1].get(build) if entry is not None and entry[0] is conn else None
