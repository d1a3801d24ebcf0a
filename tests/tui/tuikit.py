"""Helpers of the TUI tests (a module of its own: test files import it by name, which a
``conftest`` cannot be reliably, as every test folder has one)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["CLOCK", "make_app", "query", "settle"]

#: The time stamped on drafts and history entries in tests (snapshots show it).
CLOCK = "2026-01-05 09:30:00"


def make_app(db: Path):
    """The app on ``db`` with the test clock (what snapshot tests render)."""
    from twinchat.tui import TwinchatApp

    return TwinchatApp(db, clock=lambda: CLOCK)


def query(db: Path, sql: str, *params):
    """Rows of ``sql`` read on a fresh connection (what another process would see)."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


async def settle(pilot) -> None:
    """Let workers finish and the messages they post be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
