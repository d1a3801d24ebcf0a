"""The session store: composed sessions, with their verdicts, in the world's own SQLite file.

Two tables, created on first use:

``sessions``
    one row per session: its id (``flow/seed/index``), the flow, composition seed and index, the
    seed of the world it was grounded on, the clock, the customer, the turns and steps (JSON), and
    columns derived for the TUI's filters and for statistics — the number of turns, the final
    outcome, ``units`` (the units played, space-separated), ``templates`` (``unit:template`` per
    user turn, space-separated), ``user_text`` (the user turns, one per line), the verdict
    (``status`` ``ok`` or ``failed`` with its ``reasons``) and the ``batch`` that wrote it.
``runs``
    one row per (flow, seed) composed: the most sessions asked for and the world's seed.

The store's version is ``session_schema`` in the world's ``meta`` table
(:mod:`~twinchat.composer.store.schema`). Every session read back is checked against
:class:`~twinchat.composer.session_models.Session`: a malformed one is an error naming the session
and the field, or, read ``lenient``, comes with its problems.

Every batch is written in one transaction, so an interrupted run leaves whole batches only.
Nothing here holds more than one page of sessions in memory: reads are keyset-paged, statistics
are streamed.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from twinchat.composer.errors import ComposerError
from twinchat.composer.jsontext import dumps as _dumps
from twinchat.composer.store.schema import check_version, create_tables, record_version
from twinchat.composer.store.counts import NGrams, sorted_counts
from twinchat.composer.store.rows import COLUMNS, SessionRow, bound_rows, session_row
from twinchat.composer.store.session_list import add_texts, stored_bot_text

__all__ = ["SessionStore", "SessionRow", "StoredSession", "StoreStats", "session_row", "reason_key", "STORE_TABLES"]

#: The tables the store adds to a world file.
STORE_TABLES = ("sessions", "runs")

_PAGE = 500
_TURNS, _USER_TEXT = COLUMNS.index("turns"), COLUMNS.index("user_text")
_TURN_PREFIX = re.compile(r"^turn \d+: ")


# The Session model is imported when a stored session is first read, not with the store: building its
# pydantic models takes about 0.07 s, which a compose run (it writes sessions shaped as they are
# made) never pays. Each name below rebinds itself to the model module's function on its first call.
def session_problems(session: Any) -> Any:
    global session_problems
    from twinchat.composer.session_models import session_problems
    return session_problems(session)


def schema_error(what: str, problems: Any) -> Any:
    global schema_error
    from twinchat.composer.session_models import schema_error
    return schema_error(what, problems)


def reason_key(reason: str) -> str:
    """A verification reason without its ``turn N:`` prefix, for counting failures by reason."""
    return _TURN_PREFIX.sub("", reason)


@dataclass(frozen=True)
class StoredSession:
    """A session read back from the store, with its verdict and what is wrong with its shape."""

    session: dict[str, Any]
    status: str
    reasons: list[str]
    batch: int
    #: ``path: message`` for each field of the session not as :class:`Session` says (read ``lenient`` only)
    problems: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.session["id"]


@dataclass
class StoreStats:
    """What ``twinchat stats`` reports (all counts over the sessions selected)."""

    sessions: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_flow: dict[str, int] = field(default_factory=dict)
    by_outcome: dict[str, int] = field(default_factory=dict)
    #: user turns per unit, and per ``unit:template``
    by_unit: dict[str, int] = field(default_factory=dict)
    by_template: dict[str, int] = field(default_factory=dict)
    #: turns per session (all roles)
    turns_mean: float = 0.0
    turns_min: int = 0
    turns_max: int = 0
    #: distinct character n-grams / all character n-grams of the user turns (whitespace ignored)
    distinct_1: float = 0.0
    distinct_2: float = 0.0
    #: failed sessions per reason (the ``turn N:`` prefix dropped; a reason counts once per session)
    failures: dict[str, int] = field(default_factory=dict)
    #: (flow, seed) runs whose stored sessions fall short of what was asked for
    incomplete: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class SessionStore:
    """Sessions and their verdicts in the tables ``sessions`` and ``runs`` of ``conn``'s database.

    The tables are created on first use. ``conn`` is usually the world's connection
    (:func:`twinchat.inventory.open_world`); the store never touches the world's tables.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        if conn.in_transaction:
            raise ComposerError("the session store needs a connection outside a transaction")
        conn.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL never corrupts the file; a crash loses at most the last commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        self._create()

    def _create(self) -> None:
        with self._transaction():
            versioned = check_version(self.conn)
            have = {name for (name,) in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('sessions', 'runs')")}
            if have != {"sessions", "runs"}:
                create_tables(self.conn, COLUMNS)
            if not versioned:
                record_version(self.conn, COLUMNS)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One explicit transaction: committed when the block ends, rolled back if it raises."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    # -- writing -----------------------------------------------------------------------------
    def add_batch(self, sessions: Sequence[dict[str, Any]], verdicts: Sequence[Sequence[str]],
                  batch: int = 0) -> int:
        """Store sessions with their verdicts (reasons; empty = passed) in one transaction."""
        if len(sessions) != len(verdicts):
            raise ComposerError(f"{len(sessions)} sessions but {len(verdicts)} verdicts")
        return self.add_rows([session_row(s, v, batch) for s, v in zip(sessions, verdicts)])

    def add_rows(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert rows made by :func:`session_row`, all in one transaction; return how many."""
        try:
            with self._transaction():
                add_texts(self.conn, [  # the search table, kept in step
                    (row[0], row[_USER_TEXT], row.bot_text if type(row) is SessionRow else stored_bot_text(row[_TURNS]))
                    for row in rows])
                self.conn.executemany(*bound_rows(rows))
        except sqlite3.IntegrityError as exc:
            stored = self._first_stored(rows)
            if stored is None:
                raise ComposerError(f"cannot store sessions: {exc}") from exc
            raise ComposerError(f"session {stored} is already stored (is another compose writing to "
                                f"this database?)") from exc
        return len(rows)

    def _first_stored(self, rows: Sequence[tuple[Any, ...]]) -> str | None:
        for row in rows:
            if self.conn.execute("SELECT 1 FROM sessions WHERE id = ?", (row[0],)).fetchone():
                return row[0]
        return None

    def record_run(self, flow: str, seed: int, n: int, world_seed: int) -> None:
        """Remember that ``n`` sessions of ``flow`` with ``seed`` were asked for (the largest n wins)."""
        with self._transaction():
            self.conn.execute(
                "INSERT INTO runs (flow, seed, n, world_seed) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (flow, seed) DO UPDATE SET n = max(n, excluded.n), world_seed = excluded.world_seed",
                (flow, seed, n, world_seed))

    def set_verdicts(self, verdicts: Iterable[tuple[str, Sequence[str]]]) -> int:
        """Replace the verdicts of stored sessions (id, reasons) in one transaction; return how many."""
        rows = [("failed" if reasons else "ok", _dumps(list(reasons)), sid) for sid, reasons in verdicts]
        with self._transaction():
            self.conn.executemany("UPDATE sessions SET status = ?, reasons = ? WHERE id = ?", rows)
        return len(rows)

    # -- reading -----------------------------------------------------------------------------
    def done(self, flow: str, seed: int, below: int | None = None) -> set[int]:
        """Indexes of ``flow`` with ``seed`` already stored (those below ``below`` if given)."""
        sql = "SELECT idx FROM sessions WHERE flow = ? AND seed = ?"
        params: list[Any] = [flow, seed]
        if below is not None:
            sql += " AND idx < ?"
            params.append(below)
        return {row[0] for row in self.conn.execute(sql, params)}

    def missing(self, flow: str, seed: int, start: int, stop: int) -> list[int]:
        """Indexes in ``range(start, stop)`` of ``flow`` with ``seed`` not stored yet, in order."""
        have = {row[0] for row in self.conn.execute(
            "SELECT idx FROM sessions WHERE flow = ? AND seed = ? AND idx >= ? AND idx < ?",
            (flow, seed, start, stop))}
        return [i for i in range(start, stop) if i not in have]

    def runs(self) -> list[dict[str, Any]]:
        """The runs asked for, with how many of their sessions are stored."""
        rows = self.conn.execute(
            "SELECT r.flow, r.seed, r.n, r.world_seed, "
            "(SELECT count(*) FROM sessions s WHERE s.flow = r.flow AND s.seed = r.seed AND s.idx < r.n) "
            "FROM runs r ORDER BY r.flow, r.seed").fetchall()
        return [{"flow": f, "seed": s, "n": n, "world_seed": w, "stored": k} for f, s, n, w, k in rows]

    def get(self, session_id: str, *, lenient: bool = False) -> StoredSession | None:
        """One stored session by id, or None; a malformed one raises SessionSchemaError unless ``lenient``."""
        try:
            row = self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM sessions WHERE id = ?", (session_id,)).fetchone()
        except sqlite3.OperationalError as exc:  # bytes that are not UTF-8 where text was stored
            if not str(exc).startswith("Could not decode"):
                raise
            raise schema_error(f"session {session_id}", [f"damaged row: {exc}"]) from exc
        return _stored(tuple(row), lenient) if row is not None else None

    def count(self, **filters: Any) -> int:
        """How many sessions match the filters of :meth:`iter_sessions`."""
        where, params = _where(**filters)
        return self.conn.execute(f"SELECT count(*) FROM sessions{where}", params).fetchone()[0]

    def iter_sessions(
        self,
        flow: str | None = None,
        status: str | None = None,
        *,
        seed: int | None = None,
        outcome: str | None = None,
        unit: str | None = None,
        template: str | None = None,
        text: str | None = None,
        limit: int | None = None,
        lenient: bool = False,
    ) -> Iterator[StoredSession]:
        """Stored sessions in (flow, seed, index) order, read a page at a time.

        Filters combine with AND: ``unit`` matches a session that plays the unit, ``template``
        one that uses ``unit:template``, ``text`` one whose user turns contain the string. No
        statement stays open between pages, so the caller may write to the store meanwhile. A
        malformed session raises SessionSchemaError, or with ``lenient`` comes with its problems.
        """
        where, params = _where(flow=flow, status=status, seed=seed, outcome=outcome, unit=unit,
                               template=template, text=text)
        after: tuple[str, int, int] | None = None
        left = limit
        while left is None or left > 0:
            page = _PAGE if left is None else min(_PAGE, left)
            keyset = "(flow, seed, idx) > (?, ?, ?)" if after else ""
            clause = where + ((" AND " if where else " WHERE ") + keyset if keyset else "")
            rows = self.conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM sessions{clause} ORDER BY flow, seed, idx LIMIT ?",
                [*params, *(after or ()), page]).fetchall()
            for row in rows:
                yield _stored(tuple(row), lenient)
            if len(rows) < page:
                return
            last = rows[-1]
            after = (last[1], last[2], last[3])
            if left is not None:
                left -= len(rows)

    def stats(self, flow: str | None = None, status: str | None = None) -> StoreStats:
        """Counts and diversity of the stored sessions (optionally of one flow / one status)."""
        where, params = _where(flow=flow, status=status)
        out = StoreStats()
        q = self.conn.execute
        out.sessions, mean, low, high = q(
            f"SELECT count(*), avg(n_turns), min(n_turns), max(n_turns) FROM sessions{where}", params).fetchone()
        out.turns_mean, out.turns_min, out.turns_max = round(mean or 0.0, 3), low or 0, high or 0
        for column, target in (("status", out.by_status), ("flow", out.by_flow), ("outcome", out.by_outcome)):
            for value, n in q(f"SELECT coalesce({column}, '-'), count(*) FROM sessions{where} "
                              f"GROUP BY 1 ORDER BY 2 DESC, 1", params):
                target[value] = n
        units: Counter[str] = Counter()
        templates: Counter[str] = Counter()
        failures: Counter[str] = Counter()
        grams = [NGrams(1), NGrams(2)]
        for tpl, user_text, status_, reasons in q(
                f"SELECT templates, user_text, status, reasons FROM sessions{where}", params):
            for item in tpl.split():
                templates[item] += 1
                units[item.split(":", 1)[0]] += 1
            for line in user_text.split("\n"):
                chars = "".join(line.split())
                for g in grams:
                    g.add(chars)
            if status_ == "failed":
                failures.update({reason_key(r) for r in json.loads(reasons)})
        out.by_unit = sorted_counts(units)
        out.by_template = sorted_counts(templates)
        out.failures = sorted_counts(failures)
        out.distinct_1, out.distinct_2 = (round(g.ratio, 4) for g in grams)
        out.incomplete = [r for r in self.runs() if r["stored"] < r["n"] and (flow is None or r["flow"] == flow)]
        return out


def _where(*, flow: str | None = None, status: str | None = None, seed: int | None = None,
           outcome: str | None = None, unit: str | None = None, template: str | None = None,
           text: str | None = None) -> tuple[str, list[Any]]:
    if status is not None and status not in ("ok", "failed"):
        raise ComposerError(f"unknown status {status!r} (ok or failed)")
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (("flow", flow), ("status", status), ("seed", seed), ("outcome", outcome)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    for column, value in (("units", unit), ("templates", template)):
        if value is not None:
            clauses.append(f"instr(' ' || {column} || ' ', ?) > 0")
            params.append(f" {value} ")
    if text is not None:
        clauses.append("instr(user_text, ?) > 0")
        params.append(text)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _stored(row: tuple[Any, ...], lenient: bool) -> StoredSession:
    r = dict(zip(COLUMNS, row))
    try:
        session = {"id": r["id"], "flow": r["flow"], "seed": r["seed"], "index": r["idx"],
                   "world_seed": r["world_seed"], "now": r["now"], "customer": _loads(r, "customer"),
                   "turns": _loads(r, "turns"), "steps": _loads(r, "steps"), "outcome": r["outcome"]}
        if r["extra"]:
            session.update(_loads(r, "extra"))
        reasons = _loads(r, "reasons")
        if not isinstance(reasons, list):
            raise ValueError("reasons is not a JSON list")
    except (TypeError, ValueError) as exc:  # a damaged row: its JSON columns are not JSON (or extra not an object)
        raise schema_error(f"session {r['id']}", [f"damaged row: {exc}"]) from exc
    problems = tuple(session_problems(session))
    if problems and not lenient:
        raise schema_error(f"session {r['id']}", problems)
    return StoredSession(session=session, status=r["status"], reasons=reasons, batch=r["batch"], problems=problems)


def _loads(row: dict[str, Any], column: str) -> Any:
    """A JSON column of a row; ValueError naming the column if it is not JSON.

    Read by orjson (the same values as ``json.loads`` for the JSON the store writes, several times
    faster); what orjson refuses (NaN, integers past 64 bits, a damaged column) is the standard
    library's to read or refuse, with its message."""
    try:
        return orjson.loads(row[column])
    except (orjson.JSONDecodeError, TypeError):
        pass
    try:
        return json.loads(row[column])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{column} is not JSON ({exc})") from exc
