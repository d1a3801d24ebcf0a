"""``twinchat compose`` and ``twinchat verify``: sessions composed, verified and stored in batches.

A run asks for ``n`` sessions of one flow, or — without a flow — ``n`` sessions spread
round-robin over every flow known (the built-ins and those from ``--units``, in id order: flow
*k* of *F* gets the indexes ``0 … ceil((n - k) / F) - 1``). Session *i* of a flow depends only on
(seed, flow, i) and the world, so the work is cut into batches of indexes and a batch is the
same wherever it is composed:

* batch *b* of a flow holds the indexes ``b·B … (b+1)·B - 1`` not stored yet (B = ``batch_size``);
* each batch is composed, verified and written in one transaction, in batch order, so an
  interrupted run keeps every committed batch and the next run with the same arguments composes
  only what is missing — ending with exactly the store an uninterrupted run gives;
* with ``workers > 1`` the batches are composed by a process pool (each worker opens the world,
  builds its composer and opens the store once); a worker writes its batch when the batch
  before it is committed (a shared turn counter), so batches are committed in batch order and
  the store is byte-identical whatever ``workers`` is. The rows never travel between
  processes: this process only counts what each batch held.

Composers read an in-memory copy of the world's tables (:func:`world_snapshot`): a tool that
writes (``create_ticket``) inside a session's savepoint then never takes the file's write lock,
so workers never wait on each other or on the writer. No tool writes stock, so the snapshot's
stock is frozen (:func:`twinchat.inventory.tools.stock.freeze_stock`) and read from memory.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.store.curate import CURATE_TABLES
from twinchat.composer.store.sessions import COLUMNS, STORE_TABLES, SessionStore, reason_key, session_row

__all__ = ["ComposeInterrupted", "ComposeReport", "VerifyReport", "compose_run", "verify_run", "world_snapshot",
           "DEFAULT_BATCH"]

#: Sessions per batch (and per transaction).
DEFAULT_BATCH = 200

_OUTCOME, _STATUS, _REASONS = (COLUMNS.index(c) for c in ("outcome", "status", "reasons"))

Progress = Callable[[int, int], None]


class ComposeInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: the committed batches are kept; the same command resumes."""

    def __init__(self, message: str, report: ComposeReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class ComposeReport:
    """What a compose run did."""

    db: Path
    seed: int
    workers: int
    #: sessions asked for, per flow
    asked: dict[str, int] = field(default_factory=dict)
    #: sessions of those already stored when the run started (skipped), per flow
    skipped: dict[str, int] = field(default_factory=dict)
    composed: int = 0
    batches: int = 0
    failed: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    #: failed sessions per reason (the ``turn N:`` prefix dropped; once per session)
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def planned(self) -> int:
        return sum(self.asked.values()) - sum(self.skipped.values())

    @property
    def verified(self) -> int:
        return self.composed - self.failed


@dataclass
class VerifyReport:
    """What a re-verification did."""

    db: Path
    checked: int = 0
    failed: int = 0
    newly_failed: int = 0
    newly_ok: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    #: ``session ID: path: message`` for each session whose shape is wrong (its verdict: ``schema: path: message``)
    malformed: list[str] = field(default_factory=list)


def world_snapshot(db: str | os.PathLike[str]) -> sqlite3.Connection:
    """An in-memory copy of the world at ``db`` — its tables, indexes, views and triggers,
    without the session store — opened as :func:`twinchat.inventory.open_world` opens the file."""
    from twinchat.inventory import open_world
    from twinchat.inventory.tools.stock import freeze_stock

    open_world(db).close()  # the same checks and messages as every other command
    mem = sqlite3.connect(":memory:")
    mem.execute("ATTACH DATABASE ? AS world", (str(db),))
    try:
        skip = STORE_TABLES + CURATE_TABLES  # sessions and their curation are not the world
        marks = ", ".join("?" * len(skip))
        objects = mem.execute(
            "SELECT type, name, sql FROM world.sqlite_master WHERE sql IS NOT NULL "
            f"AND name NOT LIKE 'sqlite_%' AND tbl_name NOT IN ({marks}) ORDER BY rowid", skip).fetchall()
        with mem:
            for kind, name, sql in objects:
                if kind == "table":
                    mem.execute(sql)
                    mem.execute(f'INSERT INTO main."{name}" SELECT * FROM world."{name}"')
            if mem.execute("SELECT 1 FROM world.sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
                mem.execute("INSERT INTO main.sqlite_sequence SELECT * FROM world.sqlite_sequence")
            for kind, _name, sql in objects:
                if kind != "table":
                    mem.execute(sql)
    finally:
        mem.execute("DETACH DATABASE world")
    mem.row_factory = sqlite3.Row
    mem.execute("PRAGMA foreign_keys = ON")
    freeze_stock(mem)  # no session writes stock: tools read it from memory, and a write would fail
    return mem


def _composer(db: str | os.PathLike[str], seed: int, units_dirs: Sequence[str], content: Any = None) -> Any:
    from twinchat.composer.engine.compose import SessionComposer

    return SessionComposer(world_snapshot(db), seed=seed, units_dirs=units_dirs, content=content)


def _rows(composer: Any, flow: str, batch: int, indexes: Sequence[int]) -> list[tuple[Any, ...]]:
    rows = []
    for i in indexes:
        session = composer.compose(flow, i)
        rows.append(session_row(session, composer.verify(session), batch))
    return rows


# -- worker processes ------------------------------------------------------------------------
_WORKER: Any = None
#: the units and flows the parent loaded, inherited by forked workers (spawned ones load their own)
_CONTENT: Any = None


class _Turn:
    """Whose turn it is to commit: the number of the next task to write (shared by the workers),
    and the process that started the pool (a worker whose parent is gone stops waiting)."""

    def __init__(self, value: Any, cond: Any) -> None:
        self.value, self.cond, self.parent = value, cond, os.getppid()

    def wait_for(self, seq: int) -> None:
        """Wait, holding ``cond``, until task ``seq`` may commit."""
        while self.value.value != seq:
            self.cond.wait(1.0)
            if os.getppid() != self.parent:  # the parent died: nobody will ever take the earlier batch
                raise SystemExit(1)


def _init_worker(db: str, seed: int, units_dirs: tuple[str, ...], value: Any, cond: Any) -> None:
    """Pool initializer: ignore Ctrl-C (the parent stops the pool), build the composer and open
    the store once."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from twinchat.inventory import open_world

        _WORKER = (_composer(db, seed, units_dirs, _CONTENT), SessionStore(open_world(db)), _Turn(value, cond))
    except BaseException as exc:  # reported by the first task: a failing initializer would respawn forever
        _WORKER = exc


def _pool(workers: int, db: str, seed: int, units_dirs: tuple[str, ...], content: Any) -> Any:
    """A pool of ``workers`` processes, each with its own composer.

    Forked where the platform can (the workers inherit the modules imported here and the units
    and flows already loaded instead of reading them again: about 0.7 s each), spawned
    elsewhere; each worker opens its own copy of the world.
    """
    global _CONTENT
    import twinchat.composer.engine.compose  # noqa: F401 - imported once, before the fork

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    _CONTENT = content if method == "fork" else None
    context = multiprocessing.get_context(method)
    try:
        return context.Pool(workers, initializer=_init_worker,
                            initargs=(db, seed, units_dirs, context.Value("q", 0, lock=False), context.Condition()))
    finally:
        _CONTENT = None


def _work(task: tuple[int, str, int, list[int]]) -> list[tuple[Any, ...]]:
    """Compose task number ``seq``, wait for its turn, write it in one transaction, and return
    what the report counts of each row (outcome, status, reasons)."""
    if isinstance(_WORKER, BaseException):
        raise _WORKER
    composer, store, turn = _WORKER
    seq, *batch = task
    rows = _rows(composer, *batch)
    with turn.cond:
        turn.wait_for(seq)
        store.add_rows(rows)  # a failed write raises to the parent, which stops the pool: no later batch is written
        turn.value.value = seq + 1
        turn.cond.notify_all()
    return [_counted(row) for row in rows]


def _counted(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """What :func:`_tally` reads of a row."""
    return row[_OUTCOME], row[_STATUS], row[_REASONS]


# -- compose -----------------------------------------------------------------------------------
def _shares(flows: Sequence[str], n: int) -> dict[str, int]:
    """``n`` sessions round-robin over ``flows``: flow k gets ceil((n - k) / F)."""
    f = len(flows)
    return {flow: n // f + (1 if k < n % f else 0) for k, flow in enumerate(flows)}


def _tasks(store: SessionStore, asked: dict[str, int], seed: int, size: int) -> Iterator[tuple[str, int, list[int]]]:
    """(flow, batch, missing indexes) in batch order, flows interleaved."""
    batches = max((n + size - 1) // size for n in asked.values())
    for b in range(batches):
        for flow, n in asked.items():
            start = b * size
            if start < n:
                missing = store.missing(flow, seed, start, min(start + size, n))
                if missing:
                    yield flow, b, missing


def compose_run(
    db: str | os.PathLike[str],
    *,
    flow: str | None = None,
    n: int = 1000,
    seed: int = 0,
    workers: int = 1,
    units_dirs: Sequence[str] = (),
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    note: Callable[[str], None] | None = None,
) -> ComposeReport:
    """Compose, verify and store ``n`` sessions of ``flow`` (or of every flow, round-robin).

    Indexes already stored for (flow, seed) are skipped, so running the same command again
    after an interruption resumes it. ``progress(done, total)`` is called after each batch is
    committed. Ctrl-C raises :class:`ComposeInterrupted` once the pool is stopped.
    """
    from twinchat.composer.engine.sample_files import ensure_world

    if n < 1:
        raise ComposerError(f"-n must be at least 1 (got {n})")
    if workers < 1:
        raise ComposerError(f"--workers must be at least 1 (got {workers})")
    if batch_size < 1:
        raise ComposerError(f"batch size must be at least 1 (got {batch_size})")
    from twinchat.composer.engine.compose import check_flow, find_flow
    from twinchat.inventory import open_world, world_seed
    from twinchat.units.loader import load_content

    started = time.perf_counter()
    content = load_content(units_dirs)
    for src in content[1].values():  # a broken flow is reported here, before any work starts
        check_flow(src, content[0])
    if flow is not None:  # unknown flow: a message listing the known ones, before a world is built for nothing
        find_flow(content[1], flow)
    flows = [flow] if flow is not None else sorted(content[1])
    if not flows:
        raise ComposerError("no flows to compose (add flow files with --units)")
    report = ComposeReport(db=Path(db), seed=seed, workers=workers)
    conn = ensure_world(db, note=note)
    composer = pool = None
    try:
        store = SessionStore(conn)
        seed_of_world = world_seed(conn)
        report.asked = {f: k for f, k in _shares(flows, n).items() if k}
        for f in report.asked:
            _check_world_seed(store, f, seed, seed_of_world)
        if workers > 1:  # the workers compose and write, each batch in its turn; this process counts
            conn.close()  # no open connection crosses the fork (as SQLite asks); reopened below
            pool = _pool(workers, str(db), seed, tuple(units_dirs), content)
            conn = open_world(db)
            store = SessionStore(conn)
        else:
            composer = _composer(db, seed, units_dirs, content)
        for f, k in report.asked.items():
            report.skipped[f] = len(store.done(f, seed, below=k))
            store.record_run(f, seed, k, seed_of_world)
        total = report.planned
        if progress:
            progress(0, total)
        tasks = _tasks(store, report.asked, seed, batch_size)
        if workers == 1:
            results: Iterator[list[tuple[Any, ...]]] = (_written(store, _rows(composer, *t)) for t in tasks)
        else:
            results = _in_order(pool, ((seq, *t) for seq, t in enumerate(tasks)), ahead=2 * workers)
        for counted in results:
            _tally(report, counted)
            if progress:
                progress(report.composed, total)
        if pool is not None:
            pool.close()
            pool.join()
    except KeyboardInterrupt as exc:
        if pool is not None:
            pool.terminate()
            pool.join()
        if conn.in_transaction:
            conn.rollback()
        report.seconds = time.perf_counter() - started
        stored = _stored(conn, report.asked, seed)
        kept = stored - sum(report.skipped.values())
        raise ComposeInterrupted(
            f"interrupted: {kept:,} new sessions committed to {db} ({stored:,} of {sum(report.asked.values()):,} "
            f"stored); run the same command again to resume", report) from exc
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        if composer is not None:
            composer.conn.close()
        conn.close()
    report.seconds = time.perf_counter() - started
    return report


def _stored(conn: sqlite3.Connection, asked: dict[str, int], seed: int) -> int:
    """Sessions stored of those asked for (0 before the store exists)."""
    try:
        return sum(conn.execute("SELECT count(*) FROM sessions WHERE flow = ? AND seed = ? AND idx < ?",
                                (f, seed, k)).fetchone()[0] for f, k in asked.items())
    except sqlite3.OperationalError:
        return 0


def _check_world_seed(store: SessionStore, flow: str, seed: int, world_seed: int) -> None:
    row = store.conn.execute("SELECT world_seed FROM runs WHERE flow = ? AND seed = ?", (flow, seed)).fetchone()
    if row is not None and row[0] != world_seed:
        raise ComposerError(f"{flow} (seed {seed}) was composed on world seed {row[0]}, this world has seed "
                            f"{world_seed}; compose into a new database")


def _in_order(pool: Any, tasks: Iterator[tuple[Any, ...]], ahead: int) -> Iterator[list[tuple[Any, ...]]]:
    """Results of ``tasks`` in task order, with at most ``ahead`` tasks in flight."""
    pending: deque[Any] = deque()
    workers = _pids(pool)
    for task in tasks:
        pending.append(pool.apply_async(_work, (task,)))
        if len(pending) >= ahead:
            yield _get(pending.popleft(), pool, workers)
    while pending:
        yield _get(pending.popleft(), pool, workers)


def _pids(pool: Any) -> set[int]:
    return {p.pid for p in getattr(pool, "_pool", ())}


def _get(result: Any, pool: Any, workers: set[int]) -> Any:
    """A task's result; an error if a worker process died meanwhile (the pool would replace it
    and wait for its task forever)."""
    while not result.ready():
        result.wait(1.0)
        if _pids(pool) != workers:
            raise ComposerError("a worker process died (out of memory?); the committed batches are kept: "
                                "run the same command again to resume")
    return result.get()


def _written(store: SessionStore, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Write a batch's rows in one transaction; what the report counts of them."""
    store.add_rows(rows)
    return [_counted(row) for row in rows]


def _tally(report: ComposeReport, counted: Sequence[tuple[Any, ...]]) -> None:
    """Count a committed batch: (outcome, status, reasons) per session."""
    report.batches += 1
    report.composed += len(counted)
    for outcome, status, reasons in counted:
        report.outcomes[outcome or "-"] += 1
        if status == "failed":
            report.failed += 1
            report.failures.update(_reason_keys(json.loads(reasons)))


def _reason_keys(reasons: Sequence[str]) -> set[str]:
    return {reason_key(r) for r in reasons}


# -- verify ------------------------------------------------------------------------------------
def verify_run(
    db: str | os.PathLike[str],
    *,
    units_dirs: Sequence[str] = (),
    progress: Progress | None = None,
) -> VerifyReport:
    """Re-verify every stored session against the world and the current units; update verdicts."""
    from twinchat.inventory import open_world

    started = time.perf_counter()
    conn = open_world(db)
    report = VerifyReport(db=Path(db))
    try:
        store = SessionStore(conn)
        composer = _composer(db, 0, units_dirs)
        total = store.count()
        if progress:
            progress(0, total)
        changed: list[tuple[str, list[str]]] = []
        for stored in store.iter_sessions(lenient=True):
            reasons = [f"schema: {p}" for p in stored.problems] or composer.verify(stored.session)
            report.malformed += [f"session {stored.id}: {p}" for p in stored.problems[:1]]
            report.checked += 1
            if reasons:
                report.failed += 1
                report.failures.update(_reason_keys(reasons))
            if reasons != stored.reasons:
                changed.append((stored.id, reasons))
                if bool(reasons) != (stored.status == "failed"):
                    if reasons:
                        report.newly_failed += 1
                    else:
                        report.newly_ok += 1
            if len(changed) >= DEFAULT_BATCH:
                store.set_verdicts(changed)
                changed = []
            if progress and report.checked % DEFAULT_BATCH == 0:
                progress(report.checked, total)
        if changed:
            store.set_verdicts(changed)
        if progress:
            progress(report.checked, total)
    finally:
        conn.close()
    report.seconds = time.perf_counter() - started
    return report
