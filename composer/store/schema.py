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


#: the ``sessions`` columns' types, and those that may not be NULL
_TYPES = {"id": "TEXT", "flow": "TEXT", "seed": "INTEGER", "idx": "INTEGER", "world_seed": "INTEGER", "now": "TEXT",
          "customer": "TEXT", "turns": "TEXT", "steps": "TEXT", "extra": "TEXT", "n_turns": "INTEGER",
          "outcome": "TEXT", "units": "TEXT", "templates": "TEXT", "user_text": "TEXT", "status": "TEXT",
          "reasons": "TEXT", "batch": "INTEGER"}
_NOT_NULL = {"flow", "seed", "idx", "world_seed", "now", "customer", "turns", "steps", "n_turns", "units",
             "templates", "user_text", "status", "reasons", "batch"}
#: (name, columns, unique) of the indexes on ``sessions``
_INDEXES = (("idx_sessions_flow_seed_idx", ("flow", "seed", "idx"), True), ("idx_sessions_flow", ("flow",), False),
            ("idx_sessions_outcome", ("outcome",), False), ("idx_sessions_status", ("status",), False))


def create_tables(conn: sqlite3.Connection, columns: Sequence[str]) -> None:
    """Create the store's tables that are missing: ``sessions`` (with ``columns`` in that order) and
    ``runs``, in the very SQL that sqlite-utils wrote for them in earlier versions (importing it
    imports pandas where that is installed, about a second a process)."""
    have = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "sessions" not in have:
        body = ",\n".join(f'   "{c}" {_TYPES[c]}{" PRIMARY KEY" if c == "id" else ""}'
                          f'{" NOT NULL" if c in _NOT_NULL else ""}' for c in columns)
        conn.execute(f'CREATE TABLE "sessions" (\n{body}\n)')
        for name, cols, unique in _INDEXES:
            listed = ", ".join(f'"{c}"' for c in cols)
            conn.execute(f'CREATE {"UNIQUE " if unique else ""}INDEX "{name}"\n    ON "sessions" ({listed})')
    if "runs" not in have:
        conn.execute('CREATE TABLE "runs" (\n   "flow" TEXT,\n   "seed" INTEGER,\n   "n" INTEGER NOT NULL,\n'
                     '   "world_seed" INTEGER NOT NULL,\n   PRIMARY KEY ("flow", "seed")\n)')
