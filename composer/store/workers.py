"""Composing batches of sessions, in this process or in a pool of worker processes.

With ``workers > 1`` the batches are composed by a process pool (each worker opens the world,
builds its composer and opens the store once); a worker writes its batch when the batch before
it is committed (a shared turn counter), so batches are committed in batch order and the store
is byte-identical whatever ``workers`` is. The writing is done by a thread of the worker
(:class:`_Writer`), so a worker whose batch must wait for an earlier, slower one composes its next
task meanwhile (at most ``_BACKLOG`` composed batches wait); the parent counts a batch once the
turn counter shows it committed, and a failed write reaches it through an error queue. The rows
never travel between processes: the parent only counts what each batch held (:func:`counted`).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.gcpause import resume
from twinchat.composer.store.sessions import COLUMNS, SessionStore, session_row
from twinchat.composer.store.snapshot import snapshot_composer

__all__ = ["compose_rows", "counted", "start_pool", "in_order", "WorkerPool"]

#: composed batches a worker keeps waiting for their turn before it stops composing
_BACKLOG = 2

_OUTCOME, _STATUS, _REASONS = (COLUMNS.index(c) for c in ("outcome", "status", "reasons"))


def compose_rows(composer: Any, flow: str, batch: int, indexes: Sequence[int]) -> list[tuple[Any, ...]]:
    """Compose and verify sessions ``indexes`` of ``flow``: the store rows of batch ``batch``."""
    rows = []
    for i in indexes:
        session = composer.compose(flow, i)
        rows.append(session_row(session, composer.verify(session, shaped=True), batch, text=False))  # written only
    return rows


# -- worker processes ------------------------------------------------------------------------
_WORKER: Any = None
#: the units and flows the parent loaded, inherited by forked workers (spawned ones load their own)
_CONTENT: Any = None


class _ParentGone(Exception):
    """The process that started the pool is gone: nobody will ever take the earlier batch."""


class _Turn:
    """Whose turn it is to commit: the number of the next task to write (shared by the workers),
    and the process that started the pool (a worker whose parent is gone stops waiting)."""

    def __init__(self, value: Any, cond: Any) -> None:
        self.value, self.cond, self.parent = value, cond, os.getppid()

    def wait_for(self, seq: int) -> None:
        """Wait, holding ``cond``, until task ``seq`` may commit."""
        while self.value.value != seq:
            self.cond.wait(1.0)
            if os.getppid() != self.parent:
                raise _ParentGone


class _Writer:
    """A worker's writing thread: writes each batch its worker composed when its turn comes, in
    one transaction, while the worker composes on. After a failed write it writes nothing more
    (the turn stays, so no later batch of any worker is written) and the error goes to the parent."""

    def __init__(self, db: str, turn: _Turn, errors: Any) -> None:
        self.turn, self.errors, self.error = turn, errors, None
        self.queue: queue.Queue[tuple[int, list[tuple[Any, ...]]]] = queue.Queue(maxsize=_BACKLOG)
        threading.Thread(target=self._run, args=(db,), daemon=True).start()

    def put(self, seq: int, rows: list[tuple[Any, ...]]) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((seq, rows))

    def _run(self, db: str) -> None:
        from twinchat.inventory import open_world

        store = None
        try:
            store = SessionStore(open_world(db))  # opened here: a connection stays in its thread
        except BaseException as exc:
            self._fail(exc)
        while True:
            seq, rows = self.queue.get()
            if store is not None and self.error is None:  # after a failure the queue is only drained, so the worker never blocks
                try:
                    self._write(store, seq, rows)
                except _ParentGone:
                    os._exit(1)  # the lock is released (the with block is left) before the process ends
                except BaseException as exc:
                    self._fail(exc)

    def _write(self, store: SessionStore, seq: int, rows: list[tuple[Any, ...]]) -> None:
        with self.turn.cond:
            self.turn.wait_for(seq)
            store.add_rows(rows)
            self.turn.value.value = seq + 1
            self.turn.cond.notify_all()

    def _fail(self, exc: BaseException) -> None:
        self.error = exc
        try:
            self.errors.put(exc)
        except Exception:  # an error that cannot be pickled: its message
            self.errors.put(ComposerError(str(exc)))


def _init_worker(db: str, seed: int, units_dirs: tuple[str, ...], value: Any, cond: Any, errors: Any,
                 clock: Any = None) -> None:
    """Pool initializer: ignore Ctrl-C (the parent stops the pool), let SIGTERM (how the parent
    stops it) end the process, build the composer and start the writer once."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        from twinchat.composer.tools.declare import install_tools

        install_tools(units_dirs, db)  # the parent's tool files (already there when forked)
        _WORKER = (snapshot_composer(db, seed, units_dirs, _CONTENT, clock), _Writer(db, _Turn(value, cond), errors))
        resume()  # a forked worker starts with the collector its parent paused (twinchat.composer.gcpause)
    except BaseException as exc:  # reported by the first task: a failing initializer would respawn forever
        _WORKER = exc


class WorkerPool:
    """The pool, the turn counter its workers share, and the queue their write errors come back by."""

    def __init__(self, pool: Any, value: Any, errors: Any) -> None:
        self.pool, self.value, self.errors = pool, value, errors

    def close(self) -> None:
        self.pool.close()

    def join(self) -> None:
        self.pool.join()

    def terminate(self) -> None:
        self.pool.terminate()


def start_pool(workers: int, db: str, seed: int, units_dirs: tuple[str, ...], content: Any,
               clock: Any = None) -> WorkerPool:
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
    value, errors = context.Value("q", 0, lock=False), context.SimpleQueue()
    try:
        return WorkerPool(context.Pool(workers, initializer=_init_worker,
                                       initargs=(db, seed, units_dirs, value, context.Condition(), errors, clock)),
                          value, errors)
    finally:
        _CONTENT = None


def _work(task: tuple[int, str, int, list[int]]) -> list[tuple[Any, ...]]:
    """Compose task number ``seq`` and hand it to the worker's writer (which writes it in its turn,
    in one transaction); return what the report counts of each row (outcome, status, reasons)."""
    if isinstance(_WORKER, BaseException):
        raise _WORKER
    composer, writer = _WORKER
    seq, *batch = task
    rows = compose_rows(composer, *batch)
    writer.put(seq, rows)  # a failed write reaches the parent, which stops the pool: no later batch is written
    return [counted(row) for row in rows]


def counted(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a run's report counts of a row: (outcome, status, reasons)."""
    return row[_OUTCOME], row[_STATUS], row[_REASONS]


def in_order(workers: WorkerPool, tasks: Iterator[tuple[Any, ...]], ahead: int) -> Iterator[list[tuple[Any, ...]]]:
    """Results of ``tasks`` (numbered from 0) in task order, each once it is committed, with at
    most ``ahead`` tasks in flight."""
    pending: deque[Any] = deque()
    pids = _pids(workers.pool)
    seq = 0
    for task in tasks:
        pending.append(workers.pool.apply_async(_work, (task,)))
        if len(pending) >= ahead:
            yield _committed(workers, _get(pending.popleft(), workers.pool, pids), seq, pids)
            seq += 1
    while pending:
        yield _committed(workers, _get(pending.popleft(), workers.pool, pids), seq, pids)
        seq += 1


def _pids(pool: Any) -> set[int]:
    return {p.pid for p in getattr(pool, "_pool", ())}


def _get(result: Any, pool: Any, workers: set[int]) -> Any:
    """A task's result; an error if a worker process died meanwhile (the pool would replace it
    and wait for its task forever)."""
    while not result.ready():
        result.wait(1.0)
        _check_alive(pool, workers)
    return result.get()


def _committed(workers: WorkerPool, counts: Any, seq: int, pids: set[int]) -> Any:
    """``counts`` once task ``seq`` is committed; the error of a failed write, or of a dead worker."""
    while workers.value.value <= seq:
        if not workers.errors.empty():
            raise workers.errors.get()
        time.sleep(0.01)
        _check_alive(workers.pool, pids)
    return counts


def _check_alive(pool: Any, workers: set[int]) -> None:
    if _pids(pool) != workers:
        raise ComposerError("a worker process died (out of memory?); the committed batches are kept: "
                            "run the same command again to resume")
