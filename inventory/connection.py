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

#: Files up to this size are checked with ``PRAGMA quick_check`` when opened (about 2 ms per MB).
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
    (also when the file is too large for the check to be cheap)."""
    if size > QUICK_CHECK_BYTES:
        return None
    try:
        found = conn.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    text = str(found[0]) if found else "no answer"
    return None if text == "ok" else " ".join(text.replace("*** in database main ***", "").split())


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
