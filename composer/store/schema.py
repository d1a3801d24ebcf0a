"""The session store's tables, and the version of its format, kept in the ``meta`` table as ``session_schema``.

A store this twinchat writes has version :data:`SESSION_SCHEMA`. A store written before the
version was recorded has none: when its ``sessions`` table has the columns of version 1, it is
version 1, and the version is recorded. A store of a newer version is refused with a message
that says so, before anything is read or written.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from twinchat.composer.errors import ComposerError

__all__ = ["SESSION_SCHEMA", "StoreSchemaError", "store_version", "check_version", "record_version", "create_tables"]

#: The version of the store's tables and of the session JSON in them.
SESSION_SCHEMA = 1

_KEY = "session_schema"


class StoreSchemaError(ComposerError):
    """The session store is of a version this twinchat cannot read; the message names the file."""


def store_name(conn: sqlite3.Connection) -> str:
    """The database file of ``conn`` as messages name it (relative to the working directory when inside it)."""
    row = next((r for r in conn.execute("PRAGMA database_list") if r[1] == "main"), None)
    file = row[2] if row is not None else ""
    if not file:
        return "the session store"
    path = Path(file)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def store_version(conn: sqlite3.Connection) -> str | None:
    """The recorded ``session_schema`` (its text), or None when none is recorded."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
        return None
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (_KEY,)).fetchone()
    return None if row is None else str(row[0])


def check_version(conn: sqlite3.Connection) -> bool:
    """Raise StoreSchemaError unless this twinchat reads the store; True when its version is recorded."""
    found = store_version(conn)
    if found is None:
        return False
    try:
        version = int(found)
    except ValueError:
        version = 0
    if version > SESSION_SCHEMA:
        raise StoreSchemaError(f"{store_name(conn)}: session store schema {version} is newer than this twinchat "
                               f"({SESSION_SCHEMA}); upgrade twinchat")
    if version != SESSION_SCHEMA:
        raise StoreSchemaError(f"{store_name(conn)}: session store schema {found!r} is not one twinchat has "
                               f"written (this twinchat writes {SESSION_SCHEMA})")
    return True


def record_version(conn: sqlite3.Connection, columns: Sequence[str]) -> None:
    """Record :data:`SESSION_SCHEMA` for a store without a version, once its ``sessions`` columns are checked.

    Called inside the store's transaction, after its tables exist.
    """
    have = tuple(r[1] for r in conn.execute("PRAGMA table_info(sessions)"))
    if have != tuple(columns):
        raise StoreSchemaError(f"{store_name(conn)}: the sessions table has columns {', '.join(have)}, not those of "
                               f"session store schema {SESSION_SCHEMA} ({', '.join(columns)})")
    conn.execute("CREATE TABLE IF NOT EXISTS meta ([key] TEXT PRIMARY KEY, [value] TEXT)")
    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (_KEY, str(SESSION_SCHEMA)))


def create_tables(conn: sqlite3.Connection, columns: Sequence[str]) -> None:
    """Create the store's tables that are missing: ``sessions`` (with ``columns`` in that order) and
    ``runs``. sqlite-utils is imported only here: with pandas installed it imports pandas (about
    0.4 s), which opening a store that exists does not need."""
    import sqlite_utils

    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    sessions = db.table("sessions")
    if not sessions.exists():
        sessions.create(
            {"id": str, "flow": str, "seed": int, "idx": int, "world_seed": int, "now": str,
             "customer": str, "turns": str, "steps": str, "extra": str, "n_turns": int, "outcome": str,
             "units": str, "templates": str, "user_text": str, "status": str, "reasons": str,
             "batch": int},
            pk="id", column_order=list(columns),
            not_null=["flow", "seed", "idx", "world_seed", "now", "customer", "turns", "steps",
                      "n_turns", "units", "templates", "user_text", "status", "reasons", "batch"],
        )
        sessions.create_index(["flow", "seed", "idx"], index_name="idx_sessions_flow_seed_idx", unique=True)
        sessions.create_index(["flow"], index_name="idx_sessions_flow")
        sessions.create_index(["outcome"], index_name="idx_sessions_outcome")
        sessions.create_index(["status"], index_name="idx_sessions_status")
    runs = db.table("runs")
    if not runs.exists():
        runs.create({"flow": str, "seed": int, "n": int, "world_seed": int}, pk=("flow", "seed"),
                    not_null=["n", "world_seed"])
