"""Curating stored sessions: drafts of unsaved edits, and an edit history a curator can read and revert.

Additive to :mod:`twinchat.composer.store.sessions`: new tables next to ``sessions``, never a change to it.

``session_text``
    the assistant text of each session, for search (see :mod:`.session_list`, which reads the
    list a curator browses).
``session_edits``
    one row per saved change: the session id, the time, the action (``edit``, ``regenerate``,
    ``delete``, ``restore``, ``revert``), a one-line summary of what changed, and the session
    with its verdict before and after (JSON; null before a restore, null after a delete).
``session_drafts``
    unsaved edits: the whole edited session (JSON) and when it was last written, one per session.

Every write is one transaction: a save updates the row, appends its history entry and drops the
draft together, so an interrupted save leaves either the old session (and its draft) or the new.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.store.session_list import (SORTS, Filters, ListRow, build_text_index, check_sort,
                                                  count_sessions, has_text_index, list_page, session_ids)
from twinchat.composer.store.session_list import transaction as _transaction
from twinchat.composer.store.sessions import COLUMNS, SessionStore, StoredSession, session_row
from twinchat.inventory.timefmt import format_time

__all__ = ["Curation", "Filters", "ListRow", "Edit", "Draft", "SORTS", "CURATE_TABLES", "count_sessions",
           "list_page", "session_ids", "has_text_index", "build_text_index"]

#: The tables curation adds to a world file.
CURATE_TABLES = ("session_text", "session_edits", "session_drafts")

_SORT_INDEX = "CREATE INDEX IF NOT EXISTS idx_sessions_sort_{name} ON sessions ({exprs})"


@dataclass(frozen=True)
class Edit:
    """One entry of a session's edit history."""

    id: int
    session_id: str
    at: str
    action: str
    summary: str
    #: the session and its verdict before the change ({"session", "status", "reasons", "batch"})
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class Draft:
    """Unsaved edits of one session."""

    session_id: str
    at: str
    session: dict[str, Any]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _state(stored: StoredSession) -> dict[str, Any]:
    return {"session": stored.session, "status": stored.status, "reasons": stored.reasons, "batch": stored.batch}


class Curation:
    """Drafts, saves, deletions and the edit history of the sessions in ``conn``'s database.

    ``clock()`` gives the time written to drafts and history (default: now, to the second).
    """

    def __init__(self, conn: sqlite3.Connection, *, clock: Callable[[], str] | None = None) -> None:
        self.store = SessionStore(conn)
        self.conn = conn
        self.clock = clock or (lambda: format_time(datetime.now()))
        with _transaction(conn, "create the curation tables"):
            conn.execute("CREATE TABLE IF NOT EXISTS session_edits (id INTEGER PRIMARY KEY, "
                         "session_id TEXT NOT NULL, at TEXT NOT NULL, action TEXT NOT NULL, summary TEXT NOT NULL, "
                         "before TEXT, after TEXT)")
            conn.execute("CREATE INDEX IF NOT EXISTS idx_session_edits_session ON session_edits (session_id, id)")
            conn.execute("CREATE TABLE IF NOT EXISTS session_drafts (session_id TEXT PRIMARY KEY, at TEXT NOT NULL, "
                         "session TEXT NOT NULL)")

    # -- reading ---------------------------------------------------------------------------
    def count(self, filters: Filters = Filters()) -> int:
        return count_sessions(self.conn, filters)

    def page(self, filters: Filters = Filters(), sort: str = "id", descending: bool = False, *, offset: int = 0,
             after: Sequence[Any] | None = None, limit: int = 100) -> list[ListRow]:
        return list_page(self.conn, filters, sort, descending, offset=offset, after=after, limit=limit)

    def ensure_sort_index(self, sort: str) -> None:
        """An index for ``sort`` (made once, so paging a large store in that order stays fast)."""
        exprs = check_sort(sort)
        if sort != "id":
            with _transaction(self.conn, f"index the sort by {sort}"):
                self.conn.execute(_SORT_INDEX.format(name=sort, exprs=", ".join(exprs)))

    def options(self) -> dict[str, list[str]]:
        """The values each filter can take in this store (flows, units, outcomes, statuses, templates)."""
        q = self.conn.execute
        units: set[str] = set()
        templates: set[str] = set()
        for us, ts in q("SELECT DISTINCT units, templates FROM sessions"):
            units.update(us.split())
            templates.update(ts.split())
        return {
            "flow": [r[0] for r in q("SELECT DISTINCT flow FROM sessions ORDER BY 1")],
            "unit": sorted(units - {"-"}),
            "outcome": [r[0] for r in q("SELECT DISTINCT outcome FROM sessions WHERE outcome IS NOT NULL ORDER BY 1")],
            "status": ["ok", "failed"],
            "template": sorted(templates),
        }

    def get(self, session_id: str, *, lenient: bool = False) -> StoredSession:
        stored = self.store.get(session_id, lenient=lenient)
        if stored is None:
            raise ComposerError(f"no session {session_id!r} in the store")
        return stored

    # -- drafts ----------------------------------------------------------------------------
    def draft(self, session_id: str) -> Draft | None:
        row = self.conn.execute("SELECT at, session FROM session_drafts WHERE session_id = ?", (session_id,)).fetchone()
        return Draft(session_id, row[0], json.loads(row[1])) if row else None

    def put_draft(self, session: dict[str, Any]) -> None:
        """Keep unsaved edits of ``session`` (replacing its previous draft), in one transaction."""
        with _transaction(self.conn, f"keep the draft of {session['id']}"):
            self.conn.execute("INSERT OR REPLACE INTO session_drafts (session_id, at, session) VALUES (?, ?, ?)",
                              (session["id"], self.clock(), _dumps(session)))

    def drop_draft(self, session_id: str) -> bool:
        with _transaction(self.conn, f"drop the draft of {session_id}"):
            return self.conn.execute("DELETE FROM session_drafts WHERE session_id = ?", (session_id,)).rowcount > 0

    def drafts(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT session_id FROM session_drafts ORDER BY session_id")]

    # -- writing ---------------------------------------------------------------------------
    def save(self, session: dict[str, Any], reasons: Sequence[str], *, action: str = "edit",
             summary: str = "") -> Edit:
        """Write the edited ``session`` with its verdict, its history entry, and drop its draft: one transaction."""
        before = self.get(session["id"], lenient=True)
        row = session_row(session, reasons, before.batch)
        after = {"session": session, "status": "failed" if reasons else "ok", "reasons": list(reasons),
                 "batch": before.batch}
        sets = ", ".join(f"{c} = ?" for c in COLUMNS[1:])
        with _transaction(self.conn, f"save {session['id']}"):
            self.conn.execute(f"UPDATE sessions SET {sets} WHERE id = ?", (*row[1:], row[0]))
            edit = self._log(session["id"], action, summary or action, _state(before), after)
            self.conn.execute("DELETE FROM session_drafts WHERE session_id = ?", (session["id"],))
        return edit

    def delete(self, session_id: str) -> Edit:
        """Delete a session (and its draft); the history keeps it, so :meth:`restore` can bring it back."""
        before = self.get(session_id, lenient=True)
        with _transaction(self.conn, f"delete {session_id}"):
            self.conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
            self.conn.execute("DELETE FROM session_drafts WHERE session_id = ?", (session_id,))
            return self._log(session_id, "delete", "deleted", _state(before), None)

    def restore(self, edit_id: int) -> Edit:
        """Undo a deletion: put back the session as it was before edit ``edit_id`` (a ``delete``)."""
        edit = self.edit(edit_id)
        if edit.action != "delete" or edit.before is None:
            raise ComposerError(f"edit #{edit_id} of {edit.session_id} is a {edit.action}, not a delete")
        if self.store.get(edit.session_id, lenient=True) is not None:
            raise ComposerError(f"session {edit.session_id} is in the store already; nothing to restore")
        state = edit.before
        with _transaction(self.conn, f"restore {edit.session_id}"):
            self._insert(state)
            return self._log(edit.session_id, "restore", f"restored (undid #{edit_id})", None, state)

    def revert(self, edit_id: int) -> Edit:
        """Put a session back as it was before edit ``edit_id`` (a new history entry, itself revertible)."""
        edit = self.edit(edit_id)
        if edit.action == "delete":
            return self.restore(edit_id)
        if edit.before is None:
            raise ComposerError(f"edit #{edit_id} of {edit.session_id} ({edit.action}) has no earlier state")
        current = self.store.get(edit.session_id, lenient=True)
        if current is None:
            raise ComposerError(f"session {edit.session_id} is deleted; restore it first")
        state = edit.before
        row = session_row(state["session"], state["reasons"], state["batch"])
        sets = ", ".join(f"{c} = ?" for c in COLUMNS[1:])
        with _transaction(self.conn, f"revert {edit.session_id}"):
            self.conn.execute(f"UPDATE sessions SET {sets} WHERE id = ?", (*row[1:], row[0]))
            self.conn.execute("DELETE FROM session_drafts WHERE session_id = ?", (edit.session_id,))
            return self._log(edit.session_id, "revert", f"reverted #{edit_id} ({edit.summary})", _state(current), state)

    def _insert(self, state: dict[str, Any]) -> None:
        row = session_row(state["session"], state["reasons"], state["batch"])
        try:
            self.conn.execute(f"INSERT INTO sessions ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                              row)
        except sqlite3.IntegrityError as exc:
            raise ComposerError(f"cannot restore {row[0]}: {exc}") from exc

    def _log(self, session_id: str, action: str, summary: str, before: dict[str, Any] | None,
             after: dict[str, Any] | None) -> Edit:
        at = self.clock()
        cur = self.conn.execute(
            "INSERT INTO session_edits (session_id, at, action, summary, before, after) VALUES (?, ?, ?, ?, ?, ?)",
            (session_id, at, action, summary, None if before is None else _dumps(before),
             None if after is None else _dumps(after)))
        return Edit(int(cur.lastrowid or 0), session_id, at, action, summary, before, after)

    # -- history ---------------------------------------------------------------------------
    def history(self, session_id: str) -> list[Edit]:
        """The session's edits, newest first."""
        rows = self.conn.execute("SELECT id, session_id, at, action, summary, before, after FROM session_edits "
                                 "WHERE session_id = ? ORDER BY id DESC", (session_id,)).fetchall()
        return [_edit(r) for r in rows]

    def edit(self, edit_id: int) -> Edit:
        row = self.conn.execute("SELECT id, session_id, at, action, summary, before, after FROM session_edits "
                                "WHERE id = ?", (edit_id,)).fetchone()
        if row is None:
            raise ComposerError(f"no edit #{edit_id} in the history")
        return _edit(row)


def _edit(row: Sequence[Any]) -> Edit:
    return Edit(id=row[0], session_id=row[1], at=row[2], action=row[3], summary=row[4],
                before=json.loads(row[5]) if row[5] else None, after=json.loads(row[6]) if row[6] else None)
