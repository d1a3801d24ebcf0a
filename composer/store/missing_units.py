"""Stored sessions that play a unit the command did not load: an error, never a verdict.

A session's units are stored with it; a unit whose file was not given (``--units``, or the
project's ``units:``) cannot be verified or exported, and saying so beats storing "failed".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Container

from twinchat.composer.errors import ComposerError

__all__ = ["MissingUnitError", "require_units"]


class MissingUnitError(ComposerError):
    """A stored session plays a unit that is not loaded."""


def require_units(conn: sqlite3.Connection, units: Container[str]) -> None:
    """Raise :class:`MissingUnitError` naming the first unit (in session id order) that stored sessions
    play and ``units`` lacks."""
    rows = conn.execute("SELECT units, min(id) FROM sessions GROUP BY units ORDER BY min(id)").fetchall()
    for played, first in rows:
        for unit in (played or "").split():
            if unit not in units:
                raise MissingUnitError(
                    f"session {first!r} plays unit {unit!r}, which is not loaded: pass the folder of its file "
                    f"with --units DIR, or list that folder under `units:` in twinchat.yaml")
