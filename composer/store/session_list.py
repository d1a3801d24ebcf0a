"""The session list a curator browses: filters, sorts, pages, and search in user and assistant text.

Reads never hold more than a page: the browser asks for ``limit`` rows at an offset, or after the
sort key of the last row it has (keyset paging, for scrolling on from a page already read).
Text search reads ``session_text``: per session its user text and its assistant text (the replies
one per line), a narrow table no session's turns are read for. The session store writes it with
each batch, the text made in Python from the turns it already holds (:func:`add_texts`); any other
writer is kept in step by triggers. A store composed before the store wrote it has the table built
on its first search (or its next compose). These are module functions: the browser calls them
from worker threads, each on its own connection.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from typing import Any

import orjson

from twinchat.composer.errors import ComposerError

__all__ = ["Filters", "ListRow", "SORTS", "count_sessions", "list_page", "session_ids", "has_text_index",
           "build_text_index", "check_sort", "transaction", "table_exists", "bot_text", "add_texts",
           "stored_bot_text"]

#: Sort name → the SQL expressions ordering the list (each ends with the unique flow, seed, idx).
SORTS: dict[str, tuple[str, ...]] = {
    "id": ("flow", "seed", "idx"),
    "turns": ("n_turns", "flow", "seed", "idx"),
    "outcome": ("ifnull(outcome, '')", "flow", "seed", "idx"),
    "status": ("status", "flow", "seed", "idx"),
    "problems": ("json_array_length(reasons)", "flow", "seed", "idx"),
}

#: a damaged row (turns not JSON) has no assistant text: it is written, and listed as damaged, not refused
_BOT_TEXT = ("CASE WHEN json_valid({0}.turns) THEN ifnull((SELECT group_concat(json_extract(j.value, '$.content'), "
             "char(10)) FROM json_each({0}.turns) j WHERE json_extract(j.value, '$.role') = 'assistant' "
             "AND json_extract(j.value, '$.content') != ''), '') ELSE '' END")
#: a row the store wrote with its session (see add_texts) is not made again by SQL
_GUARD = "WHEN NOT EXISTS (SELECT 1 FROM session_text t WHERE t.id = new.id)"
_TRIGGERS = (
    f"CREATE TRIGGER IF NOT EXISTS session_text_insert AFTER INSERT ON sessions {_GUARD} BEGIN "
    "INSERT OR REPLACE INTO session_text (id, user_text, bot_text) "
    f"VALUES (new.id, new.user_text, {_BOT_TEXT.format('new')}); END",
    "CREATE TRIGGER IF NOT EXISTS session_text_update AFTER UPDATE OF id, turns, user_text ON sessions BEGIN "
    "DELETE FROM session_text WHERE id = old.id; "
    "INSERT OR REPLACE INTO session_text (id, user_text, bot_text) "
    f"VALUES (new.id, new.user_text, {_BOT_TEXT.format('new')}); END",
    "CREATE TRIGGER IF NOT EXISTS session_text_delete AFTER DELETE ON sessions BEGIN "
    "DELETE FROM session_text WHERE id = old.id; END",
)


@dataclass(frozen=True)
class Filters:
    """What the list shows: every filter set must hold (None = any)."""

    #: the session's flow
    flow: str | None = None
    #: a unit the session plays
    unit: str | None = None
    #: the session's final outcome
    outcome: str | None = None
    #: the verdict: ``ok`` or ``failed``
    status: str | None = None
    #: a ``unit:template`` one of its user turns uses
    template: str | None = None
    #: a string in its user or assistant text (ASCII letters in any case)
    text: str | None = None

    def active(self) -> dict[str, str]:
        """The filters set, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "")}

    def describe(self) -> str:
        """``flow=memory_upgrade status=failed text="今晚"`` (or ``all sessions``)."""
        parts = [f'{k}="{v}"' if k == "text" else f"{k}={v}" for k, v in self.active().items()]
        return " ".join(parts) or "all sessions"


@dataclass(frozen=True)
class ListRow:
    """One line of the session list."""

    id: str
    flow: str
    n_turns: int
    outcome: str | None
    status: str
    #: how many verification problems it has; None for a damaged row (its reasons are not a JSON list)
    problems: int | None
    #: whether unsaved edits of the session are kept as a draft
    draft: bool
    #: the values of the sort expressions (the keyset to read the next page after this row)
    key: tuple[Any, ...]


def has_text_index(conn: sqlite3.Connection) -> bool:
    """Whether the search table has been built (with the user text too: one read by every search)."""
    return table_exists(conn, "session_text") and _TEXT_COLUMNS in _table_sql(conn, "session_text")


def _table_sql(conn: sqlite3.Connection, name: str) -> str:
    found = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return found[0] if found else ""


def build_text_index(conn: sqlite3.Connection) -> bool:
    """Build ``session_text`` and its triggers if missing (one transaction); True if it was built."""
    if has_text_index(conn):
        return False
    with transaction(conn, "build the search index of assistant text"):
        if has_text_index(conn):  # built by another connection meanwhile
            return False
        _create_text_index(conn)
    return True


_TEXT_COLUMNS = "id TEXT PRIMARY KEY, user_text TEXT, bot_text TEXT NOT NULL"


def _create_text_index(conn: sqlite3.Connection) -> None:
    """``session_text`` over the stored sessions (one from before, without the user text, replaced)."""
    for trigger in ("insert", "update", "delete"):
        conn.execute(f"DROP TRIGGER IF EXISTS session_text_{trigger}")
    conn.execute("DROP TABLE IF EXISTS session_text")
    conn.execute(f"CREATE TABLE session_text ({_TEXT_COLUMNS})")
    conn.execute("INSERT INTO session_text (id, user_text, bot_text) "
                 f"SELECT s.id, s.user_text, {_BOT_TEXT.format('s')} FROM sessions s")
    for sql in _TRIGGERS:
        conn.execute(sql)


def bot_text(turns: Any) -> str | None:
    """What ``session_text`` holds for a session's (decoded) turns: the non-empty assistant texts,
    one per line; None for turns of another shape (then the triggers' SQL makes the row)."""
    if type(turns) is not list:
        return None
    texts = []
    for turn in turns:
        if type(turn) is not dict:
            return None
        if turn.get("role") == "assistant":
            content = turn.get("content")
            if type(content) is str:
                if content:
                    texts.append(content)
            elif content is not None:
                return None
    return "\n".join(texts)


def add_texts(conn: sqlite3.Connection, rows: Sequence[tuple[str, str, str | None]]) -> None:
    """Write the ``session_text`` rows of sessions about to be inserted, ``rows`` of (id, user text,
    :func:`bot_text` of its turns), inside the caller's transaction (the table made first if missing;
    an older store's trigger brought up to date), so inserting the sessions makes no text in SQL. A
    row whose text is None (turns of another shape) is left to the triggers."""
    if not has_text_index(conn):
        _create_text_index(conn)
    elif _GUARD not in _table_sql(conn, "session_text_insert"):
        conn.execute("DROP TRIGGER IF EXISTS session_text_insert")
        conn.execute(_TRIGGERS[0])
    conn.executemany("INSERT OR REPLACE INTO session_text (id, user_text, bot_text) VALUES (?, ?, ?)",
                     [row for row in rows if row[2] is not None])


def stored_bot_text(turns: str) -> str | None:
    """:func:`bot_text` of a session's turns as stored (JSON text); None when they are not JSON."""
    try:
        return bot_text(orjson.loads(turns))
    except orjson.JSONDecodeError:
        return None


_ASCII_LETTER = re.compile("[A-Za-z]")


def _where(filters: Filters) -> tuple[str, list[Any]]:
    if filters.status not in (None, "", "ok", "failed"):
        raise ComposerError(f"unknown status {filters.status!r} (ok or failed)")
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("flow", "status", "outcome"):
        value = getattr(filters, column)
        if value:
            clauses.append(f"s.{column} = ?")
            params.append(value)
    for column, value in (("units", filters.unit), ("templates", filters.template)):
        if value:
            clauses.append(f"instr(' ' || s.{column} || ' ', ?) > 0")
            params.append(f" {value} ")
    if filters.text:
        needle = filters.text.lower()
        # SQLite's lower() folds A-Z alone: a needle without them matches the texts as stored, and
        # not folding each one makes the scan cheaper (the narrow table: no session's turns are read)
        fold = "lower" if _ASCII_LETTER.search(needle) else ""
        clauses.append(f"s.id IN (SELECT t.id FROM session_text t WHERE instr({fold}(t.user_text), ?) > 0 "
                       f"OR instr({fold}(t.bot_text), ?) > 0)")
        params += [needle, needle]
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def check_sort(sort: str) -> tuple[str, ...]:
    try:
        return SORTS[sort]
    except KeyError:
        raise ComposerError(f"unknown sort {sort!r} (one of {', '.join(SORTS)})") from None


def count_sessions(conn: sqlite3.Connection, filters: Filters = Filters()) -> int:
    """How many sessions the filters select (builds the text index first if a text filter needs it)."""
    if filters.text:
        build_text_index(conn)
    where, params = _where(filters)
    return conn.execute(f"SELECT count(*) FROM sessions s{where}", params).fetchone()[0]


#: a row's count of problems: NULL where its reasons are damaged (not a JSON list), not an error for the whole page
_PROBLEMS = "CASE WHEN json_valid(s.reasons) AND json_type(s.reasons) = 'array' THEN json_array_length(s.reasons) END"


def list_page(conn: sqlite3.Connection, filters: Filters = Filters(), sort: str = "id", descending: bool = False,
              *, offset: int = 0, after: Sequence[Any] | None = None, limit: int = 100) -> list[ListRow]:
    """``limit`` rows of the list: from ``offset``, or (keyset) right after the row whose key is ``after``."""
    exprs = check_sort(sort)
    if filters.text:
        build_text_index(conn)
    where, params = _where(filters)
    if after is not None:
        marks = ", ".join("?" * len(exprs))
        where += (" AND " if where else " WHERE ") + f"({', '.join(exprs)}) {'<' if descending else '>'} ({marks})"
        params = [*params, *after]
        offset = 0
    order = ", ".join(e + (" DESC" if descending else "") for e in exprs)
    has_drafts = table_exists(conn, "session_drafts")
    draft = "EXISTS (SELECT 1 FROM session_drafts d WHERE d.session_id = s.id)" if has_drafts else "0"
    sql = (f"SELECT s.id, s.flow, s.n_turns, s.outcome, s.status, {_PROBLEMS}, {draft}, "
           f"{', '.join(exprs)} FROM sessions s{where} ORDER BY {order} LIMIT ? OFFSET ?")
    rows = conn.execute(sql, [*params, limit, offset]).fetchall()
    return [ListRow(id=r[0], flow=r[1], n_turns=r[2], outcome=r[3], status=r[4], problems=r[5], draft=bool(r[6]),
                    key=tuple(r[7:])) for r in rows]


def session_ids(conn: sqlite3.Connection, filters: Filters = Filters(), *, page: int = 1000) -> Iterator[str]:
    """The ids of every session the list shows for ``filters`` (in id order), read ``page`` rows at a time."""
    after: Sequence[Any] | None = None
    while True:
        rows = list_page(conn, filters, after=after, limit=page)
        yield from (r.id for r in rows)
        if len(rows) < page:
            return
        after = rows[-1].key


def table_exists(conn: sqlite3.Connection, table: str) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    return found is not None


@contextmanager
def transaction(conn: sqlite3.Connection, what: str = "") -> Iterator[None]:
    """One transaction, rolled back if the block raises; a database error names ``what`` failed."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    except sqlite3.Error as exc:
        if not what:
            raise
        raise ComposerError(f"cannot {what}: {exc}") from exc
