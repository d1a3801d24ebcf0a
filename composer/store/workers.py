"""Composing batches of sessions, in this process or in worker processes.

With ``workers > 1`` the batches are composed by worker processes (each opens the world, builds
its composer and opens the store once). They take the batches in order from one queue, and a
worker writes a batch when the batch before it is committed (a shared turn counter), so batches
are committed in batch order and the store is byte-identical whatever ``workers`` is.

A worker whose batch is not yet due does not sit idle: it composes ahead, keeping up to
:data:`AHEAD` finished batches in memory, and writes each as soon as its turn has come (checked
between batches). An interrupted run leaves what it always did: the batches committed, in
order; the batches a worker held die with it. The rows never travel between processes: a
worker tells the parent what each committed batch held (:func:`counted`), and the parent counts
them in batch order.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.connection import wait
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.gcpause import resume
from twinchat.composer.store.sessions import COLUMNS, SessionStore, session_row
from twinchat.composer.store.snapshot import snapshot_composer

__all__ = ["AHEAD", "compose_rows", "counted", "start_pool", "in_order"]

_OUTCOME, _STATUS, _REASONS = (COLUMNS.index(c) for c in ("outcome", "status", "reasons"))

#: Finished batches a worker holds in memory while earlier batches are not yet committed.
AHEAD = 4
#: A worker's message about its start-up, before any batch (sent only when start-up failed).
_START = -1


def compose_rows(composer: Any, flow: str, batch: int, indexes: Sequence[int]) -> list[tuple[Any, ...]]:
    """Compose and verify sessions ``indexes`` of ``flow``: the store rows of batch ``batch``."""
    rows = []
    for i in indexes:
        session = composer.compose(flow, i)
        rows.append(session_row(session, composer.verify(session, shaped=True), batch, text=False))  # written only
    return rows


def counted(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """What a run's report counts of a row: (outcome, status, reasons)."""
    return row[_OUTCOME], row[_STATUS], row[_REASONS]


# -- in a worker process -----------------------------------------------------------------------
#: the units and flows the parent loaded, inherited by forked workers (spawned ones load their own)
_CONTENT: Any = None


class _Turn:
    """Whose turn it is to commit: the number of the next batch to write (shared by the workers),
    and the process that started the workers (a worker whose parent is gone stops)."""

    def __init__(self, value: Any, cond: Any) -> None:
        self.value, self.cond, self.parent = value, cond, os.getppid()

    def due(self, seq: int) -> bool:
        """Whether batch ``seq`` may be written now (only its holder moves the turn onto the next)."""
        return self.value.value == seq

    def wait_for(self, seq: int) -> None:
        """Wait, holding ``cond``, until batch ``seq`` may commit."""
        while self.value.value != seq:
            self.cond.wait(1.0)
            self.check_parent()

    def check_parent(self) -> None:
        if os.getppid() != self.parent:  # the parent died: nobody will ever take the earlier batch
            raise SystemExit(1)


class _Worker:
    """One worker: takes batches from ``tasks``, composes up to :data:`AHEAD` of them ahead of
    their turn, writes each in its turn and tells the parent through ``out`` — ``(seq, counts)``
    once batch ``seq`` is committed, ``(seq, error)`` when it could not be composed or written
    (in its turn: every batch before it is committed, none after it will be)."""

    def __init__(self, composer: Any, store: SessionStore, turn: _Turn, tasks: Any, out: Any) -> None:
        self.composer, self.store, self.turn, self.tasks, self.out = composer, store, turn, tasks, out
        self.held: deque[tuple[int, Any]] = deque()  # (seq, rows or the error composing them raised)

    def serve(self) -> None:
        """Work until the parent's end mark, with every batch taken written or reported."""
        held, taking = self.held, True
        while taking or held:
            while held and self.turn.due(held[0][0]):
                if not self._write(*held.popleft()):
                    return
            if taking and len(held) < AHEAD:
                task = self._take(block=not held)
                if task is None:
                    taking = False
                    continue
                if task is not _NONE_YET:
                    held.append(self._composed(task))
                    continue
            if held:  # nothing more to compose now: wait for the oldest held batch's turn
                with self.turn.cond:
                    self.turn.wait_for(held[0][0])
                if not self._write(*held.popleft()):
                    return

    def _take(self, block: bool) -> Any:
        """The next task, ``None`` (the end mark), or :data:`_NONE_YET` when ``block`` is false and
        none is queued."""
        while True:
            try:
                return self.tasks.get(timeout=1.0) if block else self.tasks.get_nowait()
            except queue.Empty:
                if not block:
                    return _NONE_YET
                self.turn.check_parent()

    def _composed(self, task: tuple[Any, ...]) -> tuple[int, Any]:
        seq, *batch = task
        try:
            return seq, compose_rows(self.composer, *batch)
        except Exception as exc:  # reported in its turn, after the batches before it are committed
            return seq, exc

    def _write(self, seq: int, rows: Any) -> bool:
        """Write batch ``seq`` (its turn has come), move the turn on and tell the parent; false
        (the worker stops, the turn stays) when it failed."""
        if isinstance(rows, BaseException):
            return self._failed(seq, rows)
        try:
            self.store.add_rows(rows)  # a failed write stops the run: no later batch is written
        except Exception as exc:
            return self._failed(seq, exc)
        with self.turn.cond:
            self.turn.value.value = seq + 1
            self.turn.cond.notify_all()
        self.out.send((seq, [counted(row) for row in rows]))
        return True

    def _failed(self, seq: int, exc: BaseException) -> bool:
        _send_error(self.out, seq, exc)
        return False


#: what :meth:`_Worker._take` returns when no task is queued yet
_NONE_YET = object()


def _send_error(out: Any, seq: int, exc: BaseException) -> None:
    try:
        out.send((seq, exc))
    except Exception:  # an error that cannot be pickled: its message still reaches the parent
        out.send((seq, ComposerError(f"{type(exc).__name__}: {exc}")))


def _run_worker(db: str, seed: int, units_dirs: tuple[str, ...], value: Any, cond: Any, clock: Any,
                tasks: Any, out: Any) -> None:
    """A worker process: ignore Ctrl-C (the parent stops the workers), let SIGTERM (how the parent
    stops them) end it, build the composer and open the store once, then serve."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        from twinchat.composer.tools.declare import install_tools
        from twinchat.inventory import open_world

        install_tools(units_dirs, db)  # the parent's tool files (already there when forked)
        worker = _Worker(snapshot_composer(db, seed, units_dirs, _CONTENT, clock), SessionStore(open_world(db)),
                         _Turn(value, cond), tasks, out)
        resume()  # a forked worker starts with the collector its parent paused (twinchat.composer.gcpause)
    except BaseException as exc:
        _send_error(out, _START, exc)
        return
    worker.serve()


# -- in the parent -----------------------------------------------------------------------------
class Workers:
    """The worker processes of a run, the queue of their tasks and the ends their messages come from."""

    def __init__(self, procs: list[Any], tasks: Any, ends: list[Any], turn: tuple[Any, ...]) -> None:
        self.procs, self.tasks, self.ends = procs, tasks, ends
        self.turn = turn  # kept while the workers run: a spawned worker reopens them as it starts

    def received(self) -> Iterator[tuple[int, Any]]:
        """The messages that came within a second; an error if a worker died meanwhile (or every
        worker has ended with batches still to answer for)."""
        running = [p for p in self.procs if p.exitcode is None]
        ready = wait(self.ends + [p.sentinel for p in running], 1.0)
        for end in [e for e in self.ends if e in ready]:
            try:
                yield end.recv()
            except EOFError:  # its worker has ended (whether it died is told below)
                self.ends.remove(end)
        if any(p.exitcode not in (None, 0) for p in self.procs) or not self.ends:
            raise ComposerError("a worker process died (out of memory?); the committed batches are kept: "
                                "run the same command again to resume")

    def close(self) -> None:
        """Nothing more will be asked (the end marks are queued)."""
        self.tasks.close()

    def join(self) -> None:
        for p in self.procs:
            p.join()
        self.tasks.close()
        self.tasks.join_thread()

    def terminate(self) -> None:
        """Stop every worker at once: a batch being written is rolled back by SQLite, the batches
        a worker held are dropped."""
        for p in self.procs:
            if p.exitcode is None:
                p.terminate()
        for p in self.procs:
            p.join()
        self.tasks.cancel_join_thread()  # what is left queued is not wanted
        self.tasks.close()
        for end in self.ends:
            end.close()


def start_pool(workers: int, db: str, seed: int, units_dirs: tuple[str, ...], content: Any,
               clock: Any = None) -> Workers:
    """``workers`` processes, each with its own composer.

    Forked where the platform can (the workers inherit the modules imported here and the units
    and flows already loaded instead of reading them again: about 0.7 s each), spawned
    elsewhere; each worker opens its own copy of the world.
    """
    global _CONTENT
    import twinchat.composer.engine.compose  # noqa: F401 - imported once, before the fork

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    _CONTENT = content if method == "fork" else None
    context = multiprocessing.get_context(method)
    value, cond, tasks = context.Value("q", 0, lock=False), context.Condition(), context.Queue()
    pool = Workers([], tasks, [], (value, cond))
    try:
        for _ in range(workers):
            end, out = context.Pipe(duplex=False)
            proc = context.Process(target=_run_worker, daemon=True,
                                   args=(db, seed, units_dirs, value, cond, clock, tasks, out))
            proc.start()
            out.close()  # the parent keeps only the reading end: EOF once the worker is gone
            pool.procs.append(proc)
            pool.ends.append(end)
    except BaseException:  # Ctrl-C while starting them: none is left behind
        pool.terminate()
        raise
    finally:
        _CONTENT = None
    return pool


def in_order(pool: Workers, tasks: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    """What each batch of ``tasks`` (``(seq, …)``, numbered from 0) held, in batch order, each once
    it is committed. The batches asked for beyond the last one counted are bounded: enough for
    every worker to hold :data:`AHEAD`, compose one more and find the next one queued."""
    feed = _Feed(pool, tasks)
    for _ in range(len(pool.procs) * (AHEAD + 2)):
        feed.ask()
    came: dict[int, Any] = {}
    seq = 0
    while seq < feed.asked:
        for done, what in pool.received():
            if done == _START:
                raise what
            came[done] = what
        while seq in came:
            what = came.pop(seq)
            if isinstance(what, BaseException):
                raise what
            seq += 1
            yield what
            feed.ask()


class _Feed:
    """Puts the tasks on the workers' queue one by one, then one end mark per worker."""

    def __init__(self, pool: Workers, tasks: Iterator[tuple[Any, ...]]) -> None:
        self.pool, self.tasks, self.asked, self.over = pool, tasks, 0, False

    def ask(self) -> None:
        if self.over:
            return
        task = next(self.tasks, None)
        if task is None:
            self.over = True
            for _ in self.pool.procs:
                self.pool.tasks.put(None)
            return
        self.pool.tasks.put(task)
        self.asked += 1
