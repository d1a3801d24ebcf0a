"""A private in-memory copy of a world, and a session composer on it.

Composers read an in-memory copy of the world's tables (:func:`world_snapshot`): a tool that
writes (``create_ticket``) inside a session's savepoint then never takes the file's write lock,
so workers never wait on each other or on the writer. No tool writes stock, so the snapshot's
stock is frozen (:func:`twinchat.inventory.tools.stock.freeze_stock`) and read from memory, and
since no one else writes the copy, its writes are tracked (:func:`twinchat.inventory.tools.memo.track_writes`):
tools remember their answers per state of its tables, so verifying a session answers its re-run
calls from memory.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from typing import Any

from twinchat.composer.store.curate import CURATE_TABLES
from twinchat.composer.store.sessions import STORE_TABLES
from twinchat.inventory.connection import WorldConnection

__all__ = ["world_snapshot", "snapshot_composer"]


#: a store of at most this many sessions is copied with the world's pages and then dropped from
#: the copy (a few megabytes at most); a larger one makes the copy go table by table
PAGE_COPY_SESSIONS = 2000
#: nor is a file with more than this many bytes of free pages (sessions deleted without VACUUM):
#: the page copy would carry them into every composer's memory
PAGE_COPY_FREE_BYTES = 16 * 2**20


def world_snapshot(db: str | os.PathLike[str], sessions: bool = False) -> WorldConnection:
    """An in-memory copy of the world at ``db`` — its tables, indexes, views and triggers,
    without the session store — opened as :func:`twinchat.inventory.open_world` opens the file.
    Its tools' memos hold as many answers as ``generate`` asks for again (a whole pass over its
    requests later), or if ``sessions``, as many as a run of sessions does (a few calls later; see
    :class:`~twinchat.inventory.tools.memo.Memo`), and so do the other caches the tools and slot
    sources keep for it (see :func:`_keep_for_sessions`)."""
    from twinchat.inventory import open_world
    from twinchat.inventory.tools.memo import track_writes
    from twinchat.inventory.tools.stock import freeze_stock

    open_world(db).close()  # the same checks and messages as every other command
    mem = sqlite3.connect(":memory:", factory=WorldConnection)
    skip = STORE_TABLES + CURATE_TABLES  # sessions and their curation are not the world
    source = sqlite3.connect(db)
    try:
        # the copy reads the file through a memory map rather than a read call per page (a fifth
        # less time on a 72 MB world); SQLite's read lock keeps the file whole meanwhile
        source.execute(f"PRAGMA mmap_size = {os.path.getsize(db)}")
        if _small_store(source):
            _copy_pages(source, mem, skip)
        else:
            _copy_tables(mem, db, skip)
    finally:
        source.close()
    mem.row_factory = sqlite3.Row
    mem.execute("PRAGMA foreign_keys = ON")
    freeze_stock(mem)  # no session writes stock: tools read it from memory, and a write would fail
    track_writes(mem)  # no one else writes the copy: tools remember answers per state of its tables
    if sessions:
        _keep_for_sessions(mem)
    return mem


def _keep_for_sessions(mem: sqlite3.Connection) -> None:
    """Bound what the tools and the slot sources remember on ``mem`` for a run of sessions, which
    asks again for what it asked a few calls before, and rarely for an earlier session's: one
    worker's memory then stays flat however many sessions it composes, where ``generate`` keeps
    larger bounds to answer a whole pass over its requests from memory. Bounds change only what is
    remembered, never a session."""
    from twinchat.composer.engine.sources.place import SESSION_KEEP_SAID, Said
    from twinchat.inventory.addresses import SESSION_KEEP_PLACES, AddressGenerator
    from twinchat.inventory.regions import SESSION_FOUND_KEEP, PlaceIndex
    from twinchat.inventory.tools.base import SESSION_KEEP_VALIDATED, Tool
    from twinchat.inventory.tools.desk import SESSION_KEEP_OPENINGS, Desk
    from twinchat.inventory.tools.memo import SESSION_KEEP_TEXTS, Memo, keep_answers, keep_cache, one_copy
    from twinchat.inventory.tools.order_facts import SESSION_KEEP_FACTS, SESSION_WHOLE_ORDERS, BaseFacts, whole_tables
    from twinchat.inventory.tools.places import SESSION_KEEP_ADDRESSES, resolve_address
    from twinchat.inventory.tools.service import SESSION_KEEP_BOOKED, BookedSlots
    from twinchat.inventory.tools.static import static_data

    keep_answers(mem, Memo.SESSION_KEEP, Memo.SESSION_FACTS_KEEP)
    keep_cache(mem, Tool, SESSION_KEEP_VALIDATED)
    keep_cache(mem, resolve_address, SESSION_KEEP_ADDRESSES)
    keep_cache(mem, Said, SESSION_KEEP_SAID)
    keep_cache(mem, AddressGenerator, SESSION_KEEP_PLACES)
    keep_cache(mem, BookedSlots, SESSION_KEEP_BOOKED)
    keep_cache(mem, one_copy, SESSION_KEEP_TEXTS)
    keep_cache(mem, BaseFacts, SESSION_KEEP_FACTS)
    keep_cache(mem, whole_tables, SESSION_WHOLE_ORDERS)
    keep_cache(mem, Desk, SESSION_KEEP_OPENINGS)
    static_data(mem, PlaceIndex).found_keep = SESSION_FOUND_KEEP


def _small_store(source: sqlite3.Connection) -> bool:
    """Whether the store in the world file holds at most :data:`PAGE_COPY_SESSIONS` sessions and
    the file at most :data:`PAGE_COPY_FREE_BYTES` of free pages."""
    free = source.execute("PRAGMA freelist_count").fetchone()[0]
    if free * source.execute("PRAGMA page_size").fetchone()[0] > PAGE_COPY_FREE_BYTES:
        return False
    if not source.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").fetchone():
        return True
    last = source.execute("SELECT max(rowid) FROM sessions").fetchone()[0]
    return (last or 0) <= PAGE_COPY_SESSIONS


def _copy_pages(source: sqlite3.Connection, mem: sqlite3.Connection, skip: tuple[str, ...]) -> None:
    """Copy the whole file page by page (SQLite's backup: a 100,000-product catalog with a million
    stock rows in a tenth of a second, where table by table takes seconds), then drop from the
    copy what :func:`_copy_tables` leaves out: the store, and the planner's statistics."""
    source.backup(mem)
    with mem:
        for name in (*skip, "sqlite_stat1", "sqlite_stat4"):
            mem.execute(f'DROP TABLE IF EXISTS main."{name}"')


def _copy_tables(mem: sqlite3.Connection, db: str | os.PathLike[str], skip: tuple[str, ...]) -> None:
    """Copy the world's tables, then its indexes, views and triggers, one by one."""
    mem.execute("ATTACH DATABASE ? AS world", (str(db),))
    try:
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


def snapshot_composer(db: str | os.PathLike[str], seed: int, units_dirs: Sequence[str], content: Any = None,
                      clock: Any = None) -> Any:
    """A session composer on a :func:`world_snapshot` of ``db`` (``clock``: a project's session calendar),
    whose tools' memos are bounded for sessions: they stay the same size however many sessions the
    composer makes."""
    from twinchat.composer.engine.compose import SessionComposer

    return SessionComposer(world_snapshot(db, sessions=True), seed=seed, units_dirs=units_dirs,
                           content=content, clock=clock)
