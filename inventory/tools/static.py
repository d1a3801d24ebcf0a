"""A world's static reference data, read once per connection and kept by the connection.

Every tool call runs against the database, and what can change in a world is read with SQL on
every call: stock, orders and their items, customers, returns, tickets (which book technicians'
slots; stock is read from memory only on a connection that made it read-only, see :mod:`.stock`).
Some tables, though, are facts of the world, written once when it is built and never after — no
tool, session or command writes them: regions, categories, device models and their aliases, the
catalog (products, their features, compatibility), warehouses and lanes, the knowledge base,
technicians and their weekly plan (:mod:`.desk`).
Tools that look those up on every call read them once per connection with :func:`static_data`
and look them up in memory, with results identical to the queries they replace.

What is read is kept by the connection itself (:class:`~twinchat.inventory.connection.WorldConnection`,
which :func:`~twinchat.inventory.open_world` and the composer's world snapshot open): it lives
and dies with the connection, and is never served for another. On a plain ``sqlite3.Connection``
(which can hold no attributes and cannot be weakly referenced) nothing is kept: every call reads
the tables again, with the same results.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["static_data", "cached_static_data", "keeps_static_data"]

T = TypeVar("T")


def static_data(conn: sqlite3.Connection, build: Callable[[sqlite3.Connection], T]) -> T:
    """What ``build(conn)`` returns, built on the first call for ``conn`` and kept with it.

    ``build`` must read only static tables (see the module docstring) and its result must not
    be changed by callers.
    """
    try:
        parts: dict[Any, Any] = conn.static  # type: ignore[attr-defined]
    except AttributeError:  # a plain sqlite3.Connection keeps nothing
        return build(conn)
    try:
        return parts[build]
    except KeyError:
        value = parts[build] = build(conn)
        return value


def cached_static_data(conn: sqlite3.Connection, build: Callable[[sqlite3.Connection], T]) -> T | None:
    """What :func:`static_data` keeps for ``conn`` and ``build``, or None if it keeps nothing: never builds."""
    parts: dict[Any, Any] | None = getattr(conn, "static", None)
    return None if parts is None else parts.get(build)


def keeps_static_data(conn: sqlite3.Connection) -> bool:
    """Whether ``conn`` keeps what :func:`static_data` reads from it (a ``WorldConnection``)."""
    return isinstance(getattr(conn, "static", None), dict)
