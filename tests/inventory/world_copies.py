"""A private in-memory copy of a test world, as the composer makes one (tracked or not)."""

from __future__ import annotations

import sqlite3

from twinchat.inventory.connection import WorldConnection
from twinchat.inventory.tools.memo import track_writes


def private_copy(world_path, tracked: bool) -> WorldConnection:
    """The world at ``world_path`` copied into memory; its writes tracked when ``tracked``."""
    mem = sqlite3.connect(":memory:", factory=WorldConnection)
    src = sqlite3.connect(world_path)
    src.backup(mem)
    src.close()
    if tracked:
        track_writes(mem)
    return mem
