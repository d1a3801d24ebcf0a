"""A connection to a world, which keeps what is read once from it.

Dependency rule: this module imports nothing of twinchat's.

:func:`twinchat.inventory.open_world` and the composer's in-memory snapshot of a world open a
:class:`WorldConnection`: an ordinary ``sqlite3.Connection`` that also holds the world's static
reference data once a tool has read it (:mod:`twinchat.inventory.tools.static`). The data lives
and dies with its connection — nothing else keeps it, and no connection keeps another's — and a
tool reaches it through the connection of its ``ToolContext``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["WorldConnection", "close_scratch", "damage", "open_scratch", "scratch"]

#: Files up to this size are checked when opened (:func:`damage`; a 72 MB world of 100,000 products in
#: about 35 ms of CPU).
QUICK_CHECK_BYTES = 256 * 2**20


class WorldConnection(sqlite3.Connection):
    """A ``sqlite3.Connection`` with a place for what tools read once from it.

    Open one with ``sqlite3.connect(path, factory=WorldConnection)``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: build function -> what it returned on this connection (see ``tools.static.static_data``)
        self.static: dict[Any, Any] = {}


def damage(conn: sqlite3.Connection, size: int) -> str | None:
    """The first problem ``PRAGMA quick_check`` finds in a database of ``size`` bytes, or None
    (also when the file is too large for the check to be cheap).

    The checks of :func:`_sound` run first: when they find nothing, the file is sound; when they
    find anything, the full ``quick_check`` runs and says what (its message, whichever check
    found the damage)."""
    if size > QUICK_CHECK_BYTES:
        return None
    try:
        if _sound(conn):
            return None
    except sqlite3.DatabaseError:
        pass  # the full check says what is wrong
    try:
        found = conn.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    text = str(found[0]) if found else "no answer"
    return None if text == "ok" else " ".join(text.replace("*** in database main ***", "").split())


#: The catalog's bulk tables: written once, when the world is built, and only read afterwards (a
#: compose run even freezes ``stock``), yet nine tenths of a large catalog's file (a million stock
#: rows for 100,000 products). :func:`_sound` reads every page of their b-trees instead of
#: checking every row: the check of a 72 MB world takes a fifth of the time. The region tables and
#: the delivery lanes between them are written once too, from the packaged region table, and are
#: the largest part of a small world (18,000 rows of a 6 MB file): checked the same way, they cost
#: every command that opens the built-in shop a third less (21 of 66 million instructions).
BULK_TABLES = frozenset(("stock", "product_features", "products", "regions", "region_towns", "lanes"))


def _sound(conn: sqlite3.Connection) -> bool:
    """Whether the file on ``conn`` passes ``PRAGMA quick_check`` of its schema and free-page
    list, and of each table but the :data:`BULK_TABLES` (and of its indexes), and every page of
    each bulk table's b-trees — the table's and each index's — reads with its header and cells in
    place (SQLite's ``cell_size_check``): the damage a disk or a copy does to a page (zeroed or
    foreign bytes) fails the page's header or cell checks, wherever the page is. (Not looked
    for: a page no b-tree or free list holds, which nothing reads.)"""
    if conn.execute("PRAGMA quick_check(sqlite_master)").fetchone()[0] != "ok":  # with the free-page list
        return False
    objects = conn.execute("SELECT type, name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index') "
                           "AND rootpage > 0 ORDER BY rowid").fetchall()
    for kind, name, table in objects:
        if kind == "table" and table not in BULK_TABLES:
            if conn.execute(f"PRAGMA quick_check({_quoted(name)})").fetchone()[0] != "ok":
                return False
    cell_check = conn.execute("PRAGMA cell_size_check").fetchone()[0]
    conn.execute("PRAGMA cell_size_check = ON")
    try:
        for kind, name, table in objects:
            if table in BULK_TABLES:
                _read_pages(conn, table, None if kind == "table" else name)
    finally:
        conn.execute(f"PRAGMA cell_size_check = {int(cell_check)}")
    return True


def _read_pages(conn: sqlite3.Connection, table: str, index: str | None) -> None:
    """Read every page of ``table``'s b-tree, or of its ``index``'s: a count of the b-tree's
    entries, which visits each of its pages without decoding a row where SQLite can (it counts
    a table by its smallest index, whatever the query names), else a scan of the index."""
    if index is None:
        conn.execute(f"SELECT count(*) FROM {_quoted(table)} NOT INDEXED").fetchone()
        return
    plan = conn.execute(f"EXPLAIN QUERY PLAN SELECT count(*) FROM {_quoted(table)}").fetchone()[3]
    if plan == f"SCAN {table} USING COVERING INDEX {index}":
        conn.execute(f"SELECT count(*) FROM {_quoted(table)}").fetchone()
    else:
        conn.execute(f"SELECT count(*) FROM {_quoted(table)} INDEXED BY {_quoted(index)} WHERE 1").fetchone()


def _quoted(name: str) -> str:
    """``name`` (read from the file's schema, so possibly any text) as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def open_scratch(conn: sqlite3.Connection, name: str) -> bool:
    """Start undoable writes (see :func:`scratch`); True when a transaction was begun, False when
    a savepoint ``name`` was set inside the transaction already open. Pass it to
    :func:`close_scratch`."""
    if conn.in_transaction:
        conn.execute(f"SAVEPOINT {name}")
        return False
    conn.execute("BEGIN")
    return True


def close_scratch(conn: sqlite3.Connection, name: str, began: bool) -> None:
    """Undo every write since :func:`open_scratch` returned ``began``, committing nothing."""
    if began:
        conn.rollback()
    else:
        conn.execute(f"ROLLBACK TO {name}")
        conn.execute(f"RELEASE {name}")


@contextmanager
def scratch(conn: sqlite3.Connection, name: str) -> Iterator[None]:
    """Run the block's writes in a transaction that is always undone.

    Outside a transaction this is ``BEGIN`` … ``ROLLBACK``: nothing is committed, so a writing
    tool costs no disk sync. (A savepoint rolled back and then released would commit a write
    transaction, and with it an ``fdatasync`` of the write-ahead log.) Inside a transaction —
    a session's writes that last until the session ends — it is a savepoint ``name``.
    """
    began = open_scratch(conn, name)
    try:
        yield
    finally:
        close_scratch(conn, name, began)
