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

__all__ = ["WorldConnection"]


class WorldConnection(sqlite3.Connection):
    """A ``sqlite3.Connection`` with a place for what tools read once from it.

    Open one with ``sqlite3.connect(path, factory=WorldConnection)``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: build function -> what it returned on this connection (see ``tools.static.static_data``)
        self.static: dict[Any, Any] = {}
