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
from typing import Any

__all__ = ["WorldConnection", "damage"]

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
