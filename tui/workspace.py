"""What the app works on: the database file, its curation tables, and composers on its world.

The app's own connection is used on the UI thread only. Work done in a worker thread (counting a
search over 100,000 sessions, an export) opens its own connection with :meth:`Workspace.connect`.
Composers read an in-memory copy of the world (as ``twinchat compose`` does), built on first use,
so opening the app never waits for them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from twinchat.composer.store.curate import Curation
from twinchat.units.errors import TwinchatError

__all__ = ["Workspace", "TuiError", "check_db"]


class TuiError(TwinchatError):
    """The app cannot open what it was given (a missing file, a database without sessions)."""


def check_db(db: str | Path) -> Path:
    """``db`` if it is a world with a session store; otherwise a TuiError saying what to run."""
    path = Path(db)
    if not path.exists():
        raise TuiError(f"{path}: no such database; compose sessions first: twinchat compose --db {path}")
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise TuiError(f"{path}: not a twinchat database ({exc})") from exc
    if found is None:
        raise TuiError(f"{path}: no sessions table; compose sessions first: twinchat compose --db {path}")
    return path


class Workspace:
    """The database at ``db`` opened for curation; ``clock()`` stamps drafts and history."""

    def __init__(self, db: str | Path, units_dirs: Sequence[str] = (), *,
                 clock: Callable[[], str] | None = None) -> None:
        from twinchat.inventory import open_world

        self.db = check_db(db)
        self.units_dirs = tuple(units_dirs)
        self.conn = open_world(self.db)
        self.curation = Curation(self.conn, clock=clock)
        self._world: sqlite3.Connection | None = None
        self._composers: dict[int, Any] = {}
        self._broken: TwinchatError | None = None
        #: history ids of the deletions made in this run, newest last (what Undo restores)
        self.deleted: list[int] = []

    def connect(self) -> sqlite3.Connection:
        """A new connection to the database, for one worker thread."""
        return sqlite3.connect(self.db, timeout=30)

    def composer(self, seed: int = 0, *, retry: bool = False) -> Any:
        """A :class:`~twinchat.composer.engine.compose.SessionComposer` with ``seed`` (built once per seed).

        If the units cannot be loaded (a broken unit file), the error is raised again on every
        call without reloading them, until ``retry``.
        """
        from twinchat.composer.engine.compose import SessionComposer
        from twinchat.composer.store.snapshot import world_snapshot

        found = self._composers.get(seed)
        if found is None:
            if self._broken is not None and not retry:
                raise self._broken
            try:
                if self._world is None:
                    self._world = world_snapshot(self.db)
                found = self._composers[seed] = SessionComposer(self._world, seed=seed, units_dirs=self.units_dirs)
            except TwinchatError as exc:
                self._broken = exc
                raise
            self._broken = None
        return found

    def free_seed(self, flow: str) -> int:
        """A seed no stored session of ``flow`` was composed with (to regenerate without duplicates)."""
        row = self.conn.execute("SELECT max(seed) FROM sessions WHERE flow = ?", (flow,)).fetchone()
        return (row[0] if row and row[0] is not None else 0) + 1

    def close(self) -> None:
        if self._world is not None:
            self._world.close()
        self.conn.close()
