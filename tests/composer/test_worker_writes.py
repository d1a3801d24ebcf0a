"""Workers write their own batches, in batch order: a failed write in a worker stops the run with
the batches before it committed and nothing after them, and the error reaches the caller."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from twinchat.composer.errors import ComposerError
from twinchat.composer.store.batches import compose_run
from twinchat.composer.store.sessions import COLUMNS, SessionStore

_BATCH = COLUMNS.index("batch")


@pytest.fixture()
def db(world_path, tmp_path):
    path = tmp_path / "twinchat.db"
    shutil.copy(world_path, path)
    return path


def _indexes(path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in conn.execute("SELECT idx FROM sessions"))
    finally:
        conn.close()


def _rows(path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT {', '.join(COLUMNS[:-1])} FROM sessions ORDER BY flow, seed, idx").fetchall()
    finally:
        conn.close()


def test_a_full_disk_in_a_worker_stops_the_run_with_the_earlier_batches_kept(db, tmp_path, monkeypatch):
    clean = tmp_path / "clean.db"
    shutil.copy(db, clean)
    compose_run(clean, flow="memory_upgrade", n=40, seed=4, batch_size=4)
    add_rows = SessionStore.add_rows

    def full(self, rows):
        if rows[0][_BATCH] == 5:
            exc = sqlite3.OperationalError("database or disk is full")
            exc.sqlite_errorcode = 13  # SQLITE_FULL
            raise exc
        return add_rows(self, rows)

    monkeypatch.setattr(SessionStore, "add_rows", full)  # forked workers inherit it
    with pytest.raises(ComposerError, match=r"cannot write sessions \(database or disk is full\); is the disk full"):
        compose_run(db, flow="memory_upgrade", n=40, seed=4, workers=2, batch_size=4)
    assert _indexes(db) == list(range(20))  # batches 0-4; nothing after the failed one
    monkeypatch.setattr(SessionStore, "add_rows", add_rows)
    compose_run(db, flow="memory_upgrade", n=40, seed=4, workers=2, batch_size=4)
    assert _rows(db) == _rows(clean)


def test_a_write_refused_by_the_store_reaches_the_caller(db, monkeypatch):
    add_rows = SessionStore.add_rows

    def refused(self, rows):
        if rows[0][_BATCH] == 2:
            raise ComposerError("session memory_upgrade/1/8 is already stored")
        return add_rows(self, rows)

    monkeypatch.setattr(SessionStore, "add_rows", refused)
    with pytest.raises(ComposerError, match=r"session memory_upgrade/1/8 is already stored"):
        compose_run(db, flow="memory_upgrade", n=24, seed=1, workers=2, batch_size=4)
    assert _indexes(db) == list(range(8))
