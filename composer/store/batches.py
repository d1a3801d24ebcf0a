"""``twinchat compose``: sessions composed, verified and stored in batches.

A run asks for ``n`` sessions of one flow, or — without a flow — ``n`` sessions spread
round-robin over every flow known (the built-ins and those from ``--units``, in id order: flow
*k* of *F* gets the indexes ``0 … ceil((n - k) / F) - 1``). Session *i* of a flow depends only on
(seed, flow, i) and the world, so the work is cut into batches of indexes and a batch is the
same wherever it is composed:

* batch *b* of a flow holds the indexes ``b·B … (b+1)·B - 1`` not stored yet (B = ``batch_size``);
* each batch is composed, verified and written in one transaction, in batch order, so an
  interrupted run keeps every committed batch and the next run with the same arguments composes
  only what is missing — ending with exactly the store an uninterrupted run gives;
* with ``workers > 1`` the batches are composed by worker processes (each opens the world,
  builds its composer and opens the store once); a worker writes a batch when the batch before
  it is committed (a shared turn counter), composing the next ones meanwhile, so batches are
  committed in batch order and the store is byte-identical whatever ``workers`` is. The rows
  never travel between processes: this process only counts what each batch held.

Sessions are composed on a private in-memory copy of the world (:mod:`.snapshot`), here or by
worker processes (:mod:`.workers`); ``twinchat verify`` is :mod:`.reverify`.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.gcpause import resume
from twinchat.composer.store.lock import compose_lock
from twinchat.composer.store.sessions import SessionStore, reason_key
from twinchat.composer.store.snapshot import snapshot_composer
from twinchat.composer.store.workers import compose_rows, counted, in_order, start_pool
from twinchat.inventory import open_world, world_seed

__all__ = ["ComposeInterrupted", "ComposeReport", "compose_run", "DEFAULT_BATCH"]

#: Sessions per batch (and per transaction).
DEFAULT_BATCH = 200

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


# -- compose -----------------------------------------------------------------------------------
def _shares(flows: Sequence[str], n: int, weights: Mapping[str, float] | None = None) -> dict[str, int]:
    """``n`` sessions round-robin over ``flows``: flow k gets ceil((n - k) / F); with ``weights``, each
    flow its share of ``n`` by weight (largest remainders get the sessions left, ties in flow order)."""
    if weights:
        total = sum(weights[f] for f in flows)
        exact = {f: n * weights[f] / total for f in flows}
        out = {f: int(exact[f]) for f in flows}
        for f in sorted(flows, key=lambda f: (-(exact[f] - out[f]), flows.index(f)))[:n - sum(out.values())]:
            out[f] += 1
        return out
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
    mix: Mapping[str, float] | None = None,
    clock: Callable[[random.Random], datetime] | None = None,
    noise: float | None = None,
) -> ComposeReport:
    """Compose, verify and store ``n`` sessions of ``flow`` (or of every flow, round-robin).

    Indexes already stored for (flow, seed) are skipped, so running the same command again
    after an interruption resumes it. ``progress(done, total)`` is called after each batch is
    committed. Without ``flow``, ``mix`` (flow -> weight) splits ``n`` by weight over its flows;
    ``clock`` draws session clocks (a project's calendar). ``noise`` sets the rate of surface noise on
    every flow's user texts (in place of the flows' and units' own). Ctrl-C raises
    :class:`ComposeInterrupted` once the pool is stopped. The run holds
    the database's compose lock (:mod:`.lock`), and fails if the database is replaced meanwhile.
    """
    _check_sizes(n, workers, batch_size)
    started = time.perf_counter()
    content, flows = _flows(units_dirs, flow, mix, noise)
    report = ComposeReport(db=Path(db), seed=seed, workers=workers)
    shares = _shares(flows, n, None if flow is not None else mix)
    with compose_lock(db):
        _run(report, db, content, shares, units_dirs, batch_size, progress, note, started, clock)
    report.seconds = time.perf_counter() - started
    return report


def _run(report: ComposeReport, db: str | os.PathLike[str], content: Any, shares: dict[str, int],
         units_dirs: Sequence[str], batch_size: int, progress: Progress | None, note: Callable[[str], None] | None,
         started: float, clock: Any) -> None:
    from twinchat.composer.engine.sample_files import ensure_world

    seed, workers = report.seed, report.workers
    conn = ensure_world(db, note=note)
    identity = _identity(db)
    composer = pool = None
    try:
        store = SessionStore(conn)
        seed_of_world = world_seed(conn)
        _ask(report, store, shares, seed_of_world)
        if workers > 1:  # the workers compose and write, each batch in its turn; this process counts
            conn.close()  # no open connection crosses the fork (as SQLite asks); reopened below
            pool = start_pool(workers, str(db), seed, tuple(units_dirs), content, clock)
            conn = open_world(db)
            store = SessionStore(conn)
        else:
            composer = snapshot_composer(db, seed, units_dirs, content, clock)
        _check_same_world(db, identity, conn)  # replaced while the composers started: say so, plainly
        resume()  # start-up is over: the garbage collector runs again (see twinchat.composer.gcpause)
        for f, k in report.asked.items():  # what is stored already is skipped
            report.skipped[f] = len(store.done(f, seed, below=k))
            store.record_run(f, seed, k, seed_of_world)
        tasks = _tasks(store, report.asked, seed, batch_size)
        if workers == 1:
            results: Iterator[list[tuple[Any, ...]]] = (_written(store, compose_rows(composer, *t)) for t in tasks)
        else:
            results = in_order(pool, ((seq, *t) for seq, t in enumerate(tasks)))
        _count(report, results, progress, lambda: _check_same_world(db, identity, store.conn))
        if pool is not None:
            pool.close()
            pool.join()
    except KeyboardInterrupt as exc:
        raise _interrupted(report, db, conn, pool, started) from exc
    except sqlite3.OperationalError as exc:
        if not _disk_error(exc):
            _check_same_world(db, identity, conn)  # replaced under the run before a batch was counted: say so
            raise
        raise ComposerError(f"{db}: cannot write sessions ({exc}); is the disk full? The batches committed "
                            "before are kept: free some space and run the same command again") from exc
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        if composer is not None:
            composer.conn.close()
        conn.close()


def _disk_error(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite failed to write a batch for want of a (sound) disk: SQLITE_FULL or SQLITE_IOERR."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (10, 13)


def _identity(db: str | os.PathLike[str]) -> tuple[int, int]:
    st = os.stat(db)
    return st.st_dev, st.st_ino


def _check_same_world(db: str | os.PathLike[str], identity: tuple[int, int], conn: sqlite3.Connection) -> None:
    """Fail if ``db`` is no longer the file the run opened, or its sessions table is gone: what the
    run wrote is not where the user will look for it."""
    try:
        same = _identity(db) == identity
    except OSError:
        same = False
    if not same or conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'"
                                ).fetchone() is None:
        raise ComposerError(f"{db}: the database was replaced (or its sessions table dropped) while composing; "
                            "the sessions of this run are not in it: run the same command again")


def _check_sizes(n: int, workers: int, batch_size: int) -> None:
    if n < 1:
        raise ComposerError(f"-n must be at least 1 (got {n})")
    if workers < 1:
        raise ComposerError(f"--workers must be at least 1 (got {workers})")
    if batch_size < 1:
        raise ComposerError(f"batch size must be at least 1 (got {batch_size})")


def _flows(units_dirs: Sequence[str], flow: str | None, mix: Mapping[str, float] | None = None,
           noise: float | None = None) -> tuple[Any, list[str]]:
    """The units and flows of ``units_dirs`` (every flow checked, its noise rate set to ``noise``
    when given), and the flows to compose (``flow``, else those of ``mix``, else all)."""
    from twinchat.composer.engine.compose import check_flow, find_flow
    from twinchat.units.loader import load_content

    content = load_content(units_dirs)
    for src in content[1].values():  # a broken flow is reported here, before any work starts
        check_flow(src, content[0], content[1])
    if flow is not None:  # unknown flow: a message listing the known ones, before a world is built for nothing
        find_flow(content[1], flow)
    for f in (mix or {}) if flow is None else ():
        find_flow(content[1], f)
    if noise is not None:  # the workers get the flows as changed here
        content = (content[0], {fid: _with_noise(src, noise) for fid, src in content[1].items()})
    flows = [flow] if flow is not None else sorted(mix or content[1])
    if not flows:
        raise ComposerError("no flows to compose (add flow files with --units)")
    return content, flows


def _ask(report: ComposeReport, store: SessionStore, shares: dict[str, int], seed_of_world: int) -> None:
    """The sessions asked for per flow (none for a flow whose share is 0), each flow's world seed checked."""
    report.asked = {f: k for f, k in shares.items() if k}
    for f in report.asked:
        _check_world_seed(store, f, report.seed, seed_of_world)


def _count(report: ComposeReport, results: Iterator[list[tuple[Any, ...]]], progress: Progress | None,
           check: Callable[[], None]) -> None:
    """Count each committed batch of ``results`` into ``report``, telling ``progress``; ``check``
    after each batch and at the end."""
    total = report.planned
    if progress:
        progress(0, total)
    for batch in results:
        check()
        _tally(report, batch)
        if progress:
            progress(report.composed, total)
    check()


def _interrupted(report: ComposeReport, db: str | os.PathLike[str], conn: sqlite3.Connection, pool: Any,
                 started: float) -> ComposeInterrupted:
    """Stop the pool, roll back the batch being written, and say what the store keeps."""
    if pool is not None:
        pool.terminate()
        pool.join()
    fresh = None
    try:
        if conn.in_transaction:
            conn.rollback()
    except sqlite3.ProgrammingError:  # interrupted while the pool started: the connection was closed for the fork
        conn = fresh = sqlite3.connect(db)
    report.seconds = time.perf_counter() - started
    try:
        stored = _stored(conn, report.asked, report.seed)
    finally:
        if fresh is not None:
            fresh.close()
    kept = stored - sum(report.skipped.values())
    return ComposeInterrupted(
        f"interrupted: {kept:,} new sessions committed to {db} ({stored:,} of {sum(report.asked.values()):,} "
        f"stored); run the same command again to resume", report)


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


def _written(store: SessionStore, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Write a batch's rows in one transaction; what the report counts of them."""
    store.add_rows(rows)
    return [counted(row) for row in rows]


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


def _with_noise(src: Any, rate: float) -> Any:
    """The flow of ``src`` with surface noise of ``rate`` (its kinds kept, when it names some)."""
    from twinchat.units.spec import Noise

    kinds = src.flow.noise.kinds if src.flow.noise is not None else Noise(rate=rate).kinds
    flow = src.flow.model_copy(update={"noise": Noise(rate=rate, kinds=kinds)})
    return replace(src, flow=flow)
