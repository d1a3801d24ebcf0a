"""Composing batches of sessions, in this process or in a pool of worker processes.

With ``workers > 1`` the batches are composed by a process pool (each worker opens the world,
builds its composer and opens the store once); a worker writes its batch when the batch before
it is committed (a shared turn counter), so batches are committed in batch order and the store
is byte-identical whatever ``workers`` is. The rows never travel between processes: the parent
only counts what each batch held (:func:`counted`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.gcpause import resume
from twinchat.composer.store.sessions import COLUMNS, SessionStore, session_row
from twinchat.composer.store.snapshot import snapshot_composer

__all__ = ["compose_rows", "counted", "start_pool", "in_order"]

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


def _init_worker(db: str, seed: int, units_dirs: tuple[str, ...], value: Any, cond: Any, clock: Any = None) -> None:
    """Pool initializer: ignore Ctrl-C (the parent stops the pool), let SIGTERM (how the parent
    stops it) end the process, build the composer and open the store once."""
    global _WORKER
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        from twinchat.composer.tools.declare import install_tools
        from twinchat.inventory import open_world

        install_tools(units_dirs, db)  # the parent's tool files (already there when forked)
        _WORKER = (snapshot_composer(db, seed, units_dirs, _CONTENT, clock), SessionStore(open_world(db)),
                   _Turn(value, cond))
        resume()  # a forked worker starts with the collector its parent paused (twinchat.composer.gcpause)
    except BaseException as exc:  # reported by the first task: a failing initializer would respawn forever
        _WORKER = exc


def start_pool(workers: int, db: str, seed: int, units_dirs: tuple[str, ...], content: Any, clock: Any = None) -> Any:
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
                            initargs=(db, seed, units_dirs, context.Value("q", 0, lock=False), context.Condition(), clock))
    finally:
        _CONTENT = None


def _work(task: tuple[int, str, int, list[int]]) -> list[tuple[Any, ...]]:
    """Compose task number ``seq``, wait for its turn, write it in one transaction, and return
    what the report counts of each row (outcome, status, reasons)."""
    if isinstance(_WORKER, BaseException):
        raise _WORKER
    composer, store, turn = _WORKER
    seq, *batch = task
    rows = compose_rows(composer, *batch)
    with turn.cond:
        turn.wait_for(seq)
        store.add_rows(rows)  # a failed write raises to the parent, which stops the pool: no later batch is written
        turn.value.value = seq + 1
        turn.cond.notify_all()
    return [counted(row) for row in rows]


def counted(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a run's report counts of a row: (outcome, status, reasons)."""
    return row[_OUTCOME], row[_STATUS], row[_REASONS]


def in_order(pool: Any, tasks: Iterator[tuple[Any, ...]], ahead: int) -> Iterator[list[tuple[Any, ...]]]:
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
