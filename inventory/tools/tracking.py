"""The version of a world's tables, stepped by every tool call that writes, on a private connection.

Dependency rule: this module imports nothing of twinchat's but the tools' own modules.

On a private connection — the composer's in-memory snapshot, which no one else writes — the state
of the tables can be named: after :func:`track_writes`, a *version* text kept in a temporary table
steps on every tool call that wrote (``conn.total_changes`` moved), to the SHA-256 of (version,
tool, arguments, clock). A tool's writes are a function of exactly those, so the same calls from
the same state give the same version; a write made outside a tool call steps it to a version
never seen before. A rollback puts the old version back with the old rows (the temporary table is
part of the transaction), so one version always means one state of the tables. The memos of
:mod:`.memo` key the tools' answers by it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twinchat.inventory.tools.static import cached_static_data, keeps_static_data, static_data

if TYPE_CHECKING:
    from twinchat.inventory.tools.memo import Memo

__all__ = ["track_writes", "is_tracked", "world_version", "tracked_call", "recalled", "undone_call", "settle",
           "compared_call", "unwritten_call", "fresh", "Writes"]

_TABLE = "temp.twinchat_world_version"

#: a writing tool's writes, in order: (SQL, the rows of parameters it is executed with)
Writes = list[tuple[str, list[tuple[Any, ...]]]]


def _step(*parts: Any) -> str:
    """The version after writes: ``parts`` = (version before, what was written…)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class _Tracker:
    """The per-connection tracking (made once, by :func:`track_writes`): the version, kept in a
    temporary table so that a rollback puts the old one back, and the memos by name."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_TABLE.split('.')[1]} (v TEXT NOT NULL, owed BLOB)")
        with conn:
            conn.execute(f"DELETE FROM {_TABLE}")
            conn.execute(f"INSERT INTO {_TABLE} (v) VALUES ('')")
        self.conn = conn
        self.memos: dict[str, Memo] = {}
        self._read = conn.execute  # bound once: a version is read on every remembered call
        self._sql = f"SELECT v FROM {_TABLE}"
        self._settle_sql = f"SELECT v, owed FROM {_TABLE}"
        #: the version while a tool that never writes runs (see :func:`answer`): read once per call
        self.pinned: str | None = None
        #: ``conn.total_changes`` when the version last accounted for every write
        self.seen = conn.total_changes
        self._outside = 0  # writes made outside a tool call, each a version never seen before
        #: whether a write may be owed (then each call settles first): ``owed`` in the table holds the
        #: writes not yet made (see :meth:`owe`), so a rollback that takes the version back takes the
        #: debt back too, and nothing outside the table has to be kept for a state it may bring back
        self._owing = False
        #: the tool call running: (name, arguments, clock, the version before it or None unread,
        #: total_changes before it, the writes it owes)
        self._call: list[Any] | None = None
        #: whether the calls running now are undone right after they return (see :func:`undone_call`)
        self.undone = False
        #: whether the call running now is only compared (see :func:`compared_call`): an answer
        #: remembered ``as_is`` is then handed out without a copy
        self.compared = False
        #: (``conn.total_changes``, the version) as last read outside a transaction (see :meth:`_current`):
        #: at first the one just committed, so that calls that write nothing (every one of ``generate``,
        #: whose writes are undone) never read it from the table
        self._held: tuple[int, str] | None = (conn.total_changes, "")

    def forget(self) -> None:
        """Every memo forgets its answers (see :func:`~twinchat.inventory.tools.memo.forget_kept`)."""
        for remembered in self.memos.values():
            remembered.forget()

    def version(self) -> str:
        pinned = self.pinned
        if pinned is not None:
            return pinned
        call = self._call
        if call is not None and self.conn.total_changes == call[4]:
            # nothing written since the call began: the version it began in, read once per call
            if call[3] is None:
                call[3] = self._current()
            return call[3]
        if self.conn.total_changes != self.seen:
            call = self._call
            if call is None:
                self._outside += 1
                self._set(self._current(), "outside", self._outside)
            else:  # a version asked for during a call, after its first writes
                if call[3] is None:
                    call[3] = self._current()
                self._set(call[3], call[0], repr(call[1]), repr(call[2]), "within", self.conn.total_changes - call[4])
        return self._current()

    def _current(self) -> str:
        """The version the table holds now. One read outside a transaction is held, with
        ``conn.total_changes`` then, and stands while that count has not moved: every row written
        since — the version's own updates included, and those a rollback takes back — moves it,
        and a rollback can take the table back only to a state after the read (everything before
        it was committed), which holds the same version when nothing was written since. A read
        inside a transaction is not held: a rollback may take back writes counted before it."""
        conn = self.conn
        changes = conn.total_changes
        held = self._held
        if held is not None and held[0] == changes:
            return held[1]
        version: str = self._read(self._sql).fetchone()[0]
        if not conn.in_transaction:
            self._held = (changes, version)
        return version

    def recall(self, name: str, parts: tuple[Any, ...]) -> Any:
        """What :func:`answer` for tool ``name`` and ``parts`` gives from memory when its call would
        start with nothing to settle and no call running — the re-run of a call that verification
        makes — without the call's bookkeeping (a remembered answer writes nothing); else None."""
        if self._call is not None or self._owing or self.pinned is not None or self.conn.total_changes != self.seen:
            return None
        remembered = self.memos.get(name)
        if remembered is None:
            return None
        found = remembered._answers.get((self._current(), *parts))
        return None if found is None else fresh(found)

    def _set(self, *step: Any) -> None:
        """The version after ``step`` (the version before, then what was written); a transaction
        the update opens is committed."""
        conn = self.conn
        began = not conn.in_transaction
        conn.execute(f"UPDATE {_TABLE} SET v = ?", (_step(*step),))
        if began and conn.in_transaction:
            conn.commit()
        self.seen = conn.total_changes

    def run(self, name: str, arguments: Any, now: Any, func: Callable[[Any, Any], Any], ctx: Any, args: Any) -> Any:
        """``func(ctx, args)``, tool ``name``'s call with ``arguments`` at ``now``. If it wrote, the version
        after it is the step (version before, tool, arguments, clock): a tool's writes are a function
        of exactly those, so the same call from the same state gives the same version, whether
        its answer was computed or remembered (versions read during the call do not count)."""
        if self._call is not None:  # a tool calling a tool: the outer call names the writes
            if not self.compared:
                return func(ctx, args)
            self.compared = False  # what the outer tool is given may be changed: a copy
            try:
                return func(ctx, args)
            finally:
                self.compared = True
        start = self.settle() if self._owing else None
        if self.conn.total_changes != self.seen:
            self.version()  # writes made since, outside a tool call
            start = None
        before = self.seen
        self._call = running = [name, arguments, now, start, before, None]
        try:
            return func(ctx, args)
        finally:
            self._call = None
            owed = running[5]
            if self.conn.total_changes != before or (owed and not self.undone):
                import pickle  # only when a tool call wrote or owes writes

                start = running[3] if running[3] is not None else self._current()
                version = _step(start, name, repr(arguments), repr(now))
                self.conn.execute(f"UPDATE {_TABLE} SET v = ?, owed = ?",
                                  (version, pickle.dumps(owed, pickle.HIGHEST_PROTOCOL) if owed else None))
                self.seen = self.conn.total_changes
                if owed:
                    self._owing = True

    def owe(self, writes: Writes) -> None:
        """Make ``writes`` — the running call's, which the version after it names — when the next
        tool call starts (:meth:`settle`), not now: a session's last writes are rolled back with
        nothing reading them, and are then never made. Outside a transaction (nothing to roll
        back) or outside a call they are made at once, unless the call is undone (see
        :func:`undone_call`: its debt is dropped when it returns)."""
        running = self._call
        if running is None or not (self.conn.in_transaction or self.undone):
            _execute(self.conn, writes)
        else:
            running[5] = [*(running[5] or ()), *writes]

    def settle(self) -> str:
        """Make the writes owed, if any: every read of the tables by a tool comes after this.
        The version (which named these writes already) is read with the debt and given back."""
        version, owed = self._read(self._settle_sql).fetchone()
        if owed is not None:
            import pickle

            _execute(self.conn, pickle.loads(owed))  # written by run() into this private table
            self.conn.execute(f"UPDATE {_TABLE} SET owed = NULL")
            self.seen = self.conn.total_changes  # the version named these writes already
        elif not self.conn.in_transaction:  # none owed, and no rollback can bring a debt back
            self._owing = False
        return version  # type: ignore[no-any-return]


def track_writes(conn: sqlite3.Connection) -> None:
    """Track every write to ``conn``'s tables so tools may remember answers per world state.

    Call it outside any transaction, on a connection no one else writes (an in-memory copy) that
    keeps static data (a ``WorldConnection``).
    """
    if conn.in_transaction:
        raise sqlite3.ProgrammingError("track_writes must be called outside a transaction")
    if not keeps_static_data(conn):
        raise sqlite3.ProgrammingError("track_writes needs a connection that keeps what tools read "
                                       "(sqlite3.connect(..., factory=WorldConnection))")
    static_data(conn, _Tracker)


def is_tracked(conn: sqlite3.Connection) -> bool:
    """Whether :func:`track_writes` was called on ``conn``."""
    return cached_static_data(conn, _Tracker) is not None


def settle(conn: sqlite3.Connection) -> None:
    """Make the writes tool calls still owe on ``conn`` (see :meth:`_Tracker.owe`): call it before
    reading the tables yourself, not through a tool (tools settle by themselves)."""
    tracker: _Tracker | None = cached_static_data(conn, _Tracker)
    if tracker is not None and tracker._owing:
        tracker.settle()


def recalled(conn: sqlite3.Connection, name: str, parts: tuple[Any, ...]) -> Any:
    """Tool ``name``'s answer for ``parts`` from memory, as :func:`answer` gives it in a call that
    starts now (see :meth:`_Tracker.recall`), or None when the call has to run."""
    static = getattr(conn, "static", None)
    tracker: _Tracker | None = None if static is None else static.get(_Tracker)
    return None if tracker is None else tracker.recall(name, parts)


def tracked_call(name: str, arguments: Any, func: Callable[[Any, Any], Any], ctx: Any, args: Any) -> Any:
    """``func(ctx, args)`` — tool ``name``'s call with ``arguments`` — with its writes, if any,
    stepping the version of ``ctx.conn``."""
    static = getattr(ctx.conn, "static", None)
    tracker: _Tracker | None = None if static is None else static.get(_Tracker)
    return func(ctx, args) if tracker is None else tracker.run(name, arguments, ctx.now, func, ctx, args)


def undone_call(conn: sqlite3.Connection, run: Callable[[], Any]) -> Any:
    """``run()``: a tool call on ``conn`` that the caller undoes as soon as it returns (a rollback
    to a transaction or savepoint begun right before it). Its owed writes are neither owed nor
    named by a new version: nothing reads the tables before they are undone, and the rollback
    would put the version back anyway. Writes it makes step the version as ever."""
    return _flagged(conn, "undone", run)


def unwritten_call(conn: sqlite3.Connection, run: Callable[[], Any]) -> tuple[bool, Any]:
    """(True, ``run()`` as :func:`undone_call` makes it) without a transaction or savepoint around it,
    when ``run`` calls a tool that makes none of its writes itself but owes them all (a writing
    tool's :func:`.memo.replayed` with ``written=False``) and ``conn`` is tracked, owes no earlier
    call's writes and has its version account for every write: the call then writes nothing — it
    settles no debt, steps no version, and its own debt is dropped as a rollback would drop it.
    (False, None) otherwise, without running it: the caller undoes the call itself. A call that
    wrote all the same is a programming error (ProgrammingError)."""
    tracker: _Tracker | None = cached_static_data(conn, _Tracker)
    changes = conn.total_changes
    if tracker is None or tracker._owing or changes != tracker.seen or tracker.undone:
        return False, None
    tracker.undone = True
    try:
        result = run()
    finally:
        tracker.undone = False
        if conn.total_changes != changes:
            raise sqlite3.ProgrammingError("a tool call made without a transaction wrote to the world")
    return True, result


def compared_call(conn: sqlite3.Connection, run: Callable[[], Any]) -> Any:
    """``run()``: a tool call whose answer the caller only compares with another, and neither changes
    nor keeps (verification re-running a session's calls). A tool whose remembered answer is its
    answer as it is (``as_is`` in :func:`.memo.answer`) then hands out the remembered one, not a copy."""
    return _flagged(conn, "compared", run)


def _flagged(conn: sqlite3.Connection, flag: str, run: Callable[[], Any]) -> Any:
    """``run()`` with the tracker's ``flag`` (``undone`` or ``compared``) set, unless it is set
    already (the outermost call clears it) or ``conn`` is untracked."""
    tracker: _Tracker | None = cached_static_data(conn, _Tracker)
    if tracker is None or getattr(tracker, flag):
        return run()
    setattr(tracker, flag, True)
    try:
        return run()
    finally:
        setattr(tracker, flag, False)


def world_version(conn: sqlite3.Connection) -> str | None:
    """The version of ``conn``'s tables (see the module docstring), or None if untracked."""
    tracker = cached_static_data(conn, _Tracker)
    return None if tracker is None else tracker.version()


def fresh(value: Any) -> Any:
    """A copy of a JSON-like answer (dicts and lists copied all the way down), so callers that
    change what a tool returned never change what is remembered. A dict is copied whole (in C),
    then its dicts and lists replaced by their copies: most of an answer's values are plain, and
    a third fewer instructions go to a copy than when each item is put into a new dict."""
    kind = type(value)
    if kind is dict:
        out = value.copy()
        for k, v in value.items():
            kind = type(v)
            if kind is dict or kind is list:
                out[k] = fresh(v)
        return out
    if kind is list:
        return [fresh(v) if type(v) in _NESTED else v for v in value]
    return value


_NESTED = (dict, list)


def _execute(conn: sqlite3.Connection, writes: Writes) -> None:
    for sql, rows in writes:
        conn.executemany(sql, rows)
