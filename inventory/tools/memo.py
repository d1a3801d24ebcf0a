"""Tool answers remembered per world state, on a connection whose writes are tracked.

Dependency rule: this module imports nothing of twinchat's but the tools' own modules.

A tool's answer is a function of its arguments, the session clock and the world's tables. On a
private connection — the composer's in-memory snapshot, which no one else writes — the state of
those tables is named by a *version* (:mod:`.tracking`, re-exported here): after
:func:`track_writes`, every tool call that wrote steps it, and one version always means one state
of the tables. A tool then remembers its answers keyed by (version, clock, arguments) in a bounded
:class:`Memo`: verifying a session re-runs each call against the state it first ran in and is
answered from memory, while a writing tool still makes its write (see :func:`replayed`).

On any other connection (a world file others may write, a plain ``sqlite3.Connection``)
:func:`memo` gives None and tools run their queries every time, with the same results.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable
from typing import Any, Literal

from twinchat.inventory.tools.static import cached_static_data, static_data
from twinchat.inventory.tools.tracking import (
    Writes,
    _execute,
    _Tracker,
    compared_call,
    fresh,
    is_tracked,
    recalled,
    settle,
    track_writes,
    tracked_call,
    undone_call,
    world_version,
)

__all__ = ["track_writes", "is_tracked", "world_version", "tracked_call", "recalled", "undone_call", "compared_call",
           "memo", "Memo",
           "keep_answers", "keep_cache", "cache_bound", "fresh", "answer", "replayed", "shared", "one_copy",
           "KEEP_TEXTS", "SESSION_KEEP_TEXTS", "settle", "Writes", "forget_kept"]


#: what a memo holds, and so which of the connection's bounds it takes (see :func:`keep_answers`)
Kind = Literal["answers", "facts"]


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
    #: after the session; held to 16,384, they kept growing past 40,000 sessions on one worker,
    #: and held to 1,024 still past 40,000 (after 10,000 sessions of the built-in mix the order
    #: rows' memo held 473, the lines' 335, the checkpoints' 150, each less than 128 a little earlier)
    SESSION_FACTS_KEEP = 128

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

    def forget(self) -> None:
        """Hold no answer (see :func:`forget_kept`)."""
        self._answers.clear()


class _Bounds:
    """How many answers, and how many facts, a memo on one connection holds (see :func:`keep_answers`),
    and the bounds of the connection's other caches (see :func:`keep_cache`)."""

    __slots__ = ("answers", "facts", "caches")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.answers = Memo.KEEP
        self.facts = Memo.FACTS_KEEP
        #: cache owner -> the most the cache holds for this connection (see :func:`keep_cache`)
        self.caches: dict[Hashable, int] = {}


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


def keep_cache(conn: sqlite3.Connection, owner: Hashable, keep: int) -> None:
    """Bound the cache that ``owner`` (the class that keeps it) keeps for ``conn`` to ``keep``
    entries, as :func:`keep_answers` bounds the memos: the run that opens a connection knows how far
    back it asks again (``generate`` asks for a request's answer a whole pass over its requests later,
    a run of sessions a few calls later), and each cache keeps its own larger bound unless told. The
    cache takes the bound the next time it adds an entry (see :func:`cache_bound`). Only what is
    remembered changes, never what is answered."""
    if keep < 1:
        raise ValueError(f"a cache keeps at least one entry, not {keep}")
    static_data(conn, _Bounds).caches[owner] = keep


def forget_kept(conn: sqlite3.Connection) -> None:
    """Empty at once every cache kept for ``conn`` that remembers what calls asked for: each part of
    its static data with a ``forget`` method (the tools' memos, their facts, the places and slots
    they looked up…). A run of sessions calls it every so many sessions, so that its caches fill
    and empty together, on one schedule, rather than each when it reaches its own bound: what
    they hold at most is then reached within the first few thousand sessions, however many
    follow. Only what is remembered changes, never what is answered."""
    for part in list(getattr(conn, "static", {}).values()):
        forget = getattr(part, "forget", None)
        if forget is not None:
            forget()


def cache_bound(conn: sqlite3.Connection, owner: Hashable, default: int) -> int:
    """The bound :func:`keep_cache` set on ``conn`` for the cache ``owner`` keeps, else ``default``."""
    bounds: _Bounds | None = cached_static_data(conn, _Bounds)
    return default if bounds is None else bounds.caches.get(owner, default)


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


#: the texts :func:`one_copy` holds per connection before it starts over: more than the texts that
#: repeat across a default world's order facts (5,601 distinct checkpoint texts, its customers,
#: carriers and products)
KEEP_TEXTS = 16384
#: the bound in a run of sessions (``compose``, see :func:`keep_cache` with :func:`one_copy`): its
#: memos hold 128 facts at most (:attr:`Memo.SESSION_FACTS_KEEP`), its order facts 1,024
SESSION_KEEP_TEXTS = 1024


class _Texts(dict):  # type: ignore[type-arg]
    """text -> the copy of it remembered facts hold: kept per connection (static data), at most
    :attr:`keep` (and one fact's texts more)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__()
        self.keep = cache_bound(conn, one_copy, KEEP_TEXTS)

    def forget(self) -> None:
        self.clear()


def one_copy(conn: sqlite3.Connection) -> Callable[[str, str], str]:
    """What gives the one copy of a text the facts remembered on ``conn`` hold (see :func:`shared`):
    ``one_copy(conn)(text, text)``. Texts that repeat across facts (a customer's orders, a route's
    checkpoints) are held once, as :func:`sys.intern` would hold them, but without growing the
    interpreter's table of interned strings, which never shrinks: facts are forgotten and read
    again, and each text interned anew took a slot of it (a megabyte more past 20,000 sessions on
    one worker). It holds the last :data:`KEEP_TEXTS` texts, or as many as the run that opened
    ``conn`` keeps (its bound when the table was made, or last started over), and those of one
    fact more: ask for it once per fact."""
    kept = static_data(conn, _Texts)
    if len(kept) >= kept.keep:
        kept.clear()
        kept.keep = cache_bound(conn, one_copy, KEEP_TEXTS)
    return kept.setdefault


def answer(conn: sqlite3.Connection, name: str, parts: tuple[Any, ...], compute: Callable[[], Any],
           as_is: bool = False) -> Any:
    """``compute()``, remembered as tool ``name``'s answer for ``parts`` (and the clock and
    arguments they hold) in the current world state; a fresh copy every time — but in a call that
    is only compared (:func:`compared_call`) when ``as_is``: the tool's answer is what this gives,
    unchanged. For tools that never write: the version is read once, and the facts ``compute``
    remembers (:func:`shared`) are keyed by it."""
    remembered = _memo(conn, name)
    if remembered is None:
        return compute()
    tracker = remembered.tracker
    key = (tracker.version(), *parts)
    found = remembered._answers.get(key)
    if found is None:
        tracker.pinned = key[0]
        try:
            found = remembered.put(key, compute())
        finally:
            tracker.pinned = None
    return found if as_is and tracker.compared else fresh(found)


def replayed(conn: sqlite3.Connection, name: str, parts: tuple[Any, ...],
             compute: Callable[[], tuple[Any, tuple[str, tuple[Any, ...]] | Writes | None]],
             written: bool = True, as_is: bool = False) -> Any:
    """A writing tool's :func:`answer`: ``compute()`` gives (answer, its writes — one (SQL, parameters),
    or :data:`Writes` — or None), having made them unless not ``written``; remembered, they are
    owed again (see :meth:`_Tracker.owe`) and the answer copied (unless ``as_is`` in a call that is
    only compared, as :func:`answer`)."""
    remembered = _memo(conn, name)
    if remembered is None:
        answer, writes = compute()
        if not written and writes:
            _execute(conn, _as_writes(writes))
        return answer
    key = (remembered.tracker.version(), *parts)
    found = remembered._answers.get(key)
    if found is None:
        found = remembered.put(key, compute())
        if not written and found[1]:
            remembered.tracker.owe(_as_writes(found[1]))
    elif found[1]:
        remembered.tracker.owe(_as_writes(found[1]))
    return found[0] if as_is and remembered.tracker.compared else fresh(found[0])


def _memo(conn: sqlite3.Connection, name: str) -> Memo | None:
    """:func:`memo` of tool ``name`` on ``conn`` (its bound the connection's for answers), looked up
    inline when it is made already: once per tool call."""
    static = getattr(conn, "static", None)
    tracker: _Tracker | None = None if static is None else static.get(_Tracker)
    if tracker is None:
        return None
    found = tracker.memos.get(name)
    return memo(conn, name) if found is None else found


def _as_writes(writes: tuple[str, tuple[Any, ...]] | Writes) -> Writes:
    return [(writes[0], [writes[1]])] if type(writes) is tuple else writes  # type: ignore[list-item]
