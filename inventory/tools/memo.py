"""Tool answers remembered per world state, on a connection whose writes are tracked.

Dependency rule: this module imports nothing of twinchat's but the tools' own modules.

A tool's answer is a function of its arguments, the session clock and the world's tables. On a
private connection — the composer's in-memory snapshot, which no one else writes — the state of
those tables can be named: :func:`track_writes` makes temporary triggers on every table fold each
written row into a *version* text kept in a temporary table, ``step(version, table, row)``
(a SHA-256). The same writes from the same state give the same version, and a rollback puts the
old version back with the old rows (the temporary table is part of the transaction), so one
version always means one state of the tables. A tool then remembers its answers keyed by
(version, clock, arguments) in a bounded :class:`Memo`: verifying a session re-runs each call
against the state it first ran in and is answered from memory, while a writing tool still makes
its write (see :meth:`Memo.replay`).

On any other connection (a world file others may write, a plain ``sqlite3.Connection``)
:func:`memo` gives None and tools run their queries every time, with the same results.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from typing import Any

from twinchat.inventory.tools.static import cached_static_data, keeps_static_data, static_data

__all__ = ["track_writes", "is_tracked", "world_version", "memo", "Memo", "fresh", "answer", "replayed", "shared"]

_TABLE = "temp.twinchat_world_version"
_STEP = "twinchat_world_step"


def _step(*parts: Any) -> str:
    """The version after a row was written: ``parts`` = (version, table, what, values…)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _triggers(conn: sqlite3.Connection, table: str) -> list[str]:
    """The three triggers folding ``table``'s written rows into the version."""
    cols = [_quote(r[1]) for r in conn.execute(f"PRAGMA main.table_info({_quote(table)})")]
    rowid = not conn.execute("SELECT 1 FROM main.sqlite_master WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'",
                             (table,)).fetchone()
    def values(side: str) -> str:  # in folds of 100 columns: a function takes only so many arguments
        names = ([f"{side}.rowid"] if rowid else []) + [f"{side}.{c}" for c in cols]
        return ", ".join(f"{_STEP}({', '.join(names[i:i + 100])})" for i in range(0, len(names), 100))
    head = f"UPDATE {_TABLE.split('.')[1]} SET v = {_STEP}(v, '{table.replace(chr(39), chr(39) * 2)}'"
    quoted = _quote(f"twinchat_track_{table}")[:-1]
    return [
        f'CREATE TEMP TRIGGER IF NOT EXISTS {quoted}_insert" AFTER INSERT ON main.{_quote(table)} '
        f"BEGIN {head}, 'insert', {values('NEW')}); END",
        f'CREATE TEMP TRIGGER IF NOT EXISTS {quoted}_update" AFTER UPDATE ON main.{_quote(table)} '
        f"BEGIN {head}, 'update', {values('OLD')}, {values('NEW')}); END",
        f'CREATE TEMP TRIGGER IF NOT EXISTS {quoted}_delete" AFTER DELETE ON main.{_quote(table)} '
        f"BEGIN {head}, 'delete', {values('OLD')}); END",
    ]


class _Tracker:
    """The per-connection tracking (made once, by :func:`track_writes`): the memos by name."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.create_function(_STEP, -1, _step, deterministic=True)
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_TABLE.split('.')[1]} (v TEXT NOT NULL)")
        with conn:
            conn.execute(f"DELETE FROM {_TABLE}")
            conn.execute(f"INSERT INTO {_TABLE} (v) VALUES ('')")
        for (table,) in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table' "
                                     "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall():
            for sql in _triggers(conn, table):
                conn.execute(sql)
        self.memos: dict[str, Memo] = {}
        self._read = conn.execute  # bound once: a version is read on every remembered call
        self._sql = f"SELECT v FROM {_TABLE}"
        #: the version while a tool that never writes runs (see :func:`answer`): read once per call
        self.pinned: str | None = None

    def version(self) -> str:
        pinned = self.pinned
        return pinned if pinned is not None else self._read(self._sql).fetchone()[0]


def track_writes(conn: sqlite3.Connection) -> None:
    """Track every write to ``conn``'s tables so tools may remember answers per world state.

    Call it outside any transaction, on a connection no one else writes (an in-memory copy) that
    keeps static data (a ``WorldConnection``); tables made later are not tracked, so make them first.
    """
    if conn.in_transaction:
        raise sqlite3.ProgrammingError("track_writes must be called outside a transaction")
    if not keeps_static_data(conn):
        raise sqlite3.ProgrammingError("track_writes needs a connection that keeps what tools read "
                                       "(sqlite3.connect(..., factory=WorldConnection))")
    if conn.execute("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL%'").fetchone():
        return  # a virtual table takes no trigger, so its writes could not be tracked: tools remember nothing
    static_data(conn, _Tracker)


def is_tracked(conn: sqlite3.Connection) -> bool:
    """Whether :func:`track_writes` was called on ``conn``."""
    return cached_static_data(conn, _Tracker) is not None


def world_version(conn: sqlite3.Connection) -> str | None:
    """The version of ``conn``'s tables (see the module docstring), or None if untracked."""
    tracker = cached_static_data(conn, _Tracker)
    return None if tracker is None else tracker.version()


class Memo:
    """Answers of one tool by (world version, key); at most :attr:`KEEP` before it starts over."""

    KEEP = 4096  # answers (up to a few kB each) before the memo starts over

    __slots__ = ("tracker", "_answers")

    def __init__(self, tracker: _Tracker) -> None:
        self.tracker = tracker
        self._answers: dict[Any, Any] = {}

    def key(self, *parts: Any) -> tuple[Any, ...]:
        """``parts`` with the current world version in front: the key of an answer now."""
        return (self.tracker.version(), *parts)

    def get(self, key: tuple[Any, ...]) -> Any:
        return self._answers.get(key)

    def put(self, key: tuple[Any, ...], answer: Any) -> Any:
        if len(self._answers) >= self.KEEP:
            self._answers.clear()
        self._answers[key] = answer
        return answer


def memo(conn: sqlite3.Connection, name: str) -> Memo | None:
    """Tool ``name``'s memo on ``conn``, or None when ``conn``'s writes are not tracked."""
    tracker: _Tracker | None = cached_static_data(conn, _Tracker)
    if tracker is None:
        return None
    found = tracker.memos.get(name)
    if found is None:
        found = tracker.memos[name] = Memo(tracker)
    return found


def fresh(value: Any) -> Any:
    """A copy of a JSON-like answer (dicts and lists copied all the way down), so callers that
    change what a tool returned never change what is remembered."""
    if type(value) is dict:
        return {k: fresh(v) if type(v) in _NESTED else v for k, v in value.items()}
    if type(value) is list:
        return [fresh(v) if type(v) in _NESTED else v for v in value]
    return value


_NESTED = (dict, list)


_NONE = object()  # a remembered None


def shared(conn: sqlite3.Connection, name: str, parts: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered for ``parts`` in the current world state and given out as is:
    a fact several answers are made from (callers must not change it)."""
    remembered = memo(conn, name)
    if remembered is None:
        return compute()
    key = remembered.key(*parts)
    found = remembered.get(key)
    if found is None:
        value = compute()
        found = remembered.put(key, _NONE if value is None else value)
    return None if found is _NONE else found


def answer(conn: sqlite3.Connection, name: str, parts: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    """``compute()``, remembered as tool ``name``'s answer for ``parts`` (and the clock and
    arguments they hold) in the current world state; a fresh copy every time. For tools that
    never write: the version is read once, and the facts ``compute`` remembers (:func:`shared`)
    are keyed by it."""
    remembered = memo(conn, name)
    if remembered is None:
        return compute()
    tracker = remembered.tracker
    key = remembered.key(*parts)
    found = remembered.get(key)
    if found is None:
        tracker.pinned = key[0]
        try:
            found = remembered.put(key, compute())
        finally:
            tracker.pinned = None
    return fresh(found)


def replayed(conn: sqlite3.Connection, name: str, parts: tuple[Any, ...],
             compute: Callable[[], tuple[Any, tuple[str, tuple[Any, ...]] | None]]) -> Any:
    """A writing tool's :func:`answer`: ``compute()`` gives (answer, its write as (SQL, parameters)
    or None) having made the write; remembered, the write is made again and the answer copied."""
    remembered = memo(conn, name)
    if remembered is None:
        return compute()[0]
    key = remembered.key(*parts)
    found = remembered.get(key)
    if found is None:
        found = remembered.put(key, compute())
    elif found[1] is not None:
        conn.execute(*found[1])
    return fresh(found[0])
