"""Tool answers remembered per world state, on a connection whose writes are tracked.

Dependency rule: this module imports nothing of twinchat's but the tools' own modules.

A tool's answer is a function of its arguments, the session clock and the world's tables. On a
private connection — the composer's in-memory snapshot, which no one else writes — the state of
those tables can be named: after :func:`track_writes`, a *version* text kept in a temporary table
steps on every tool call that wrote (``conn.total_changes`` moved), to the SHA-256 of (version,
tool, arguments, clock). A tool's writes are a function of exactly those, so the same calls from
the same state give the same version; a write made outside a tool call steps it to a version
never seen before. A rollback puts the old version back with the old rows (the temporary table
is part of the transaction), so one version always means one state of the tables. A tool then
remembers its answers keyed by (version, clock, arguments) in a bounded :class:`Memo`: verifying
a session re-runs each call against the state it first ran in and is answered from memory, while
a writing tool still makes its write (see :func:`replayed`).

On any other connection (a world file others may write, a plain ``sqlite3.Connection``)
:func:`memo` gives None and tools run their queries every time, with the same results.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
from collections.abc import Callable
from typing import Any, Literal

from twinchat.inventory.tools.static import cached_static_data, keeps_static_data, static_data

__all__ = ["track_writes", "is_tracked", "world_version", "tracked_call", "recalled", "undone_call", "memo", "Memo",
           "keep_answers", "fresh", "answer", "replayed", "shared", "settle", "Writes"]

_TABLE = "temp.twinchat_world_version"


#: what a memo holds, and so which of the connection's bounds it takes (see :func:`keep_answers`)
Kind = Literal["answers", "facts"]

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
        #: (``conn.total_changes``, the version) as last read outside a transaction (see :meth:`_current`)
        self._held: tuple[int, str] | None = None

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
            return func(ctx, args)
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
        back) or outside a call they are made at once."""
        running = self._call
        if running is None or not self.conn.in_transaction:
            _execute(self.conn, writes)
        else:
            running[5] = [*(running[5] or ()), *writes]

    def settle(self) -> str:
        """Make the writes owed, if any: every read of the tables by a tool comes after this.
        The version (which named these writes already) is read with the debt and given back."""
        version, owed = self._read(self._settle_sql).fetchone()
        if owed is not None:
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
    tracker: _Tracker | None = cached_static_data(conn, _Tracker)
    if tracker is None or tracker.undone:
        return run()
    tracker.undone = True
    try:
        return run()
    finally:
        tracker.undone = False


def world_version(conn: sqlite3.Connection) -> str | None:
    """The version of ``conn``'s tables (see the module docstring), or None if untracked."""
    tracker = cached_static_data(conn, _Tracker)
    return None if tracker is None else tracker.version()


class Memo:
    """Answers of one tool by (world version, key); at most :attr:`keep` before it starts over."""

    #: answers (up to a few kB each) a tool's memo holds before it starts over, unless the run that
    #: opened the connection bounds it (:func:`keep_answers`): an exhaustive run of ``generate`` asks
    #: for a request's answer again once per instruction, a whole pass over the requests later: at
    #: 256, a five-field tool's pairs cost a quarter more (a real call per pair)
    KEEP = 4096
    #: the bound in a run of sessions (``compose``): a session asks for its answers again a few
    #: calls later (in 20,000 sessions of the built-in mix, every repeat but two came within 16
    #: answers), and an earlier session's answers are rarely asked for again; held to 4,096, the
    #: memos grew with the sessions run on one worker
    SESSION_KEEP = 256
    #: facts (:func:`shared`: an order's row, lines, checkpoints) a memo holds before it starts over,
    #: unless the run bounds it: more than a world's orders (6,000 in a default world) and those
    #: sessions add
    FACTS_KEEP = 16384
    #: the facts bound in a run of sessions: a session reads its order's facts again and again,
    #: but its writes name new world states, and facts read in one of them are never asked for
    #: after the session; held to 16,384, they kept growing past 40,000 sessions on one worker
    SESSION_FACTS_KEEP = 1024

    __slots__ = ("tracker", "_answers", "keep", "kind")

    def __init__(self, tracker: _Tracker, keep: int = KEEP, kind: Kind | None = None) -> None:
        self.tracker = tracker
        self._answers: dict[Any, Any] = {}
        self.keep = keep
        #: the run's bound the memo takes ("answers" or "facts", see :func:`keep_answers`), or None
        #: if its tool asked for ``keep`` itself
        self.kind = kind

    def key(self, *parts: Any) -> tuple[Any, ...]:
        """``parts`` with the current world version in front: the key of an answer now."""
        return (self.tracker.version(), *parts)

    def get(self, key: tuple[Any, ...]) -> Any:
        return self._answers.get(key)

    def put(self, key: tuple[Any, ...], answer: Any) -> Any:
        if len(self._answers) >= self.keep:
            self._answers.clear()
        self._answers[key] = answer
        return answer

    def __len__(self) -> int:
        return len(self._answers)


class _Bounds:
    """How many answers, and how many facts, a memo on one connection holds (see :func:`keep_answers`)."""

    __slots__ = ("answers", "facts")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.answers = Memo.KEEP
        self.facts = Memo.FACTS_KEEP


def keep_answers(conn: sqlite3.Connection, answers: int, facts: int) -> None:
    """Bound each tool's memo on ``conn`` to ``answers`` answers, and each memo of facts
    (:func:`shared`) to ``facts``; a memo whose tool asked for a bound of its own keeps it. The run
    that opens a connection knows how far back it asks for an answer again (:attr:`Memo.KEEP` for
    ``generate``, :attr:`Memo.SESSION_KEEP` for sessions). Memos made already are bounded too: one
    holding more starts over."""
    if answers < 1 or facts < 1:
        raise ValueError(f"a memo keeps at least one answer, not {min(answers, facts)}")
    bounds = static_data(conn, _Bounds)
    bounds.answers, bounds.facts = answers, facts
    tracker: _Tracker | None = cached_static_data(conn, _Tracker)
    for found in () if tracker is None else tracker.memos.values():
        if found.kind is not None:
            found.keep = answers if found.kind == "answers" else facts
            if len(found._answers) > found.keep:
                found._answers.clear()


def memo(conn: sqlite3.Connection, name: str, keep: int | None = None, kind: Kind = "answers") -> Memo | None:
    """Tool ``name``'s memo on ``conn``, as made the first time: holding at most ``keep`` answers, or
    if None the connection's bound for its ``kind`` ("answers" or "facts", see :func:`keep_answers`).
    None when ``conn``'s writes are not tracked."""
    tracker: _Tracker | None = cached_static_data(conn, _Tracker)
    if tracker is None:
        return None
    found = tracker.memos.get(name)
    if found is None:
        if keep is None:
            bounds = cached_static_data(conn, _Bounds)
            if bounds is None:
                keep = Memo.FACTS_KEEP if kind == "facts" else Memo.KEEP
            else:
                keep = bounds.facts if kind == "facts" else bounds.answers
            found = Memo(tracker, keep, kind)
        else:
            found = Memo(tracker, keep)
        tracker.memos[name] = found
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


def shared(conn: sqlite3.Connection, name: str, parts: tuple[Any, ...], compute: Callable[[], Any],
           keep: int | None = None) -> Any:
    """``compute()``, remembered for ``parts`` in the current world state and given out as is:
    a fact several answers are made from (callers must not change it); at most ``keep`` facts
    (None: the connection's bound for facts, see :func:`keep_answers`)."""
    remembered = memo(conn, name, keep, "facts")
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
             compute: Callable[[], tuple[Any, tuple[str, tuple[Any, ...]] | Writes | None]],
             written: bool = True) -> Any:
    """A writing tool's :func:`answer`: ``compute()`` gives (answer, its writes — one (SQL, parameters),
    or :data:`Writes` — or None), having made them unless not ``written``; remembered, they are
    owed again (see :meth:`_Tracker.owe`) and the answer copied."""
    remembered = memo(conn, name)
    if remembered is None:
        answer, writes = compute()
        if not written and writes:
            _execute(conn, _as_writes(writes))
        return answer
    key = remembered.key(*parts)
    found = remembered.get(key)
    if found is None:
        found = remembered.put(key, compute())
        if not written and found[1]:
            remembered.tracker.owe(_as_writes(found[1]))
    elif found[1]:
        remembered.tracker.owe(_as_writes(found[1]))
    return fresh(found[0])


def _as_writes(writes: tuple[str, tuple[Any, ...]] | Writes) -> Writes:
    return [(writes[0], [writes[1]])] if type(writes) is tuple else writes  # type: ignore[list-item]


def _execute(conn: sqlite3.Connection, writes: Writes) -> None:
    for sql, rows in writes:
        conn.executemany(sql, rows)
