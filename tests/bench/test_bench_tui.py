"""Benchmark: the session browser on 100,000 sessions, beside the same app on 1,000.

Run with ``pytest tests/bench/test_bench_tui.py --bench -s``. It prints numbers and ratios; it
never asserts a timing. Both stores are made in this process from the same 200 composed
sessions, copied under new seeds by SQL (real rows, ~5 KB each), and driven the same way:

* first paint — from starting the app to the list showing its first rows (best of 3);
* cursor — one key press moving the cursor, end to end through Pilot (median of 40 presses of
  ↓, then Page Down and End, which reads a page by offset far into the store);
* search — Enter on a text search in user and assistant text until the count and the first page
  are shown (the first search also builds the search table, so it is timed on its own).
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import statistics
import time
from pathlib import Path

import pytest
from targets import target

from twinchat.composer.store.sessions import COLUMNS

BASE = 200


def _store(base: Path, path: Path, copies: int) -> Path:
    """``base`` with its sessions copied ``copies`` times under new seeds (so ``copies × BASE`` sessions)."""
    shutil.copyfile(base, path)
    conn = sqlite3.connect(path)
    cols = ", ".join(COLUMNS)
    shifted = ", ".join("flow || '/' || (seed + :k) || '/' || idx" if c == "id" else "seed + :k" if c == "seed"
                        else c for c in COLUMNS)
    with conn:
        for k in range(1, copies):
            conn.execute(f"INSERT INTO sessions ({cols}) SELECT {shifted} FROM sessions WHERE seed = 0", {"k": k})
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


async def _measure(db: Path) -> dict[str, float]:
    from twinchat.tui import TwinchatApp
    from twinchat.tui.widgets.session_list import SessionList

    out: dict[str, float] = {}
    paints = []
    for _ in range(3):
        started = time.perf_counter()
        app = TwinchatApp(db)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.screen.query_one(SessionList).rows.total > 0
            paints.append(time.perf_counter() - started)
    out["first paint"] = min(paints)
    app = TwinchatApp(db)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        sessions = app.screen.query_one(SessionList)
        out["sessions"] = sessions.rows.total
        for key, times in (("down", 40), ("pagedown", 20), ("end", 1)):
            laps = []
            for _ in range(times):
                started = time.perf_counter()
                await pilot.press(key)
                laps.append(time.perf_counter() - started)
            out[f"cursor {key}"] = statistics.median(laps)
        assert sessions.cursor == sessions.rows.total - 1
        for label in ("search (first, builds the index)", "search"):
            await pilot.press("slash", "ctrl+u", *"为您找到")
            started = time.perf_counter()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            out[label] = time.perf_counter() - started
            out["matches"] = sessions.rows.total
    return out


@pytest.mark.bench
def test_bench_tui_first_paint_and_cursor(world_path, tmp_path):
    from twinchat.composer.store.batches import compose_run

    base = tmp_path / "base.db"
    shutil.copyfile(world_path, base)
    compose_run(base, flow="memory_upgrade", n=BASE // 2, seed=0)
    compose_run(base, flow="repair_ticket", n=BASE // 2, seed=0)
    started = time.perf_counter()
    large = _store(base, tmp_path / "large.db", 500)
    built = time.perf_counter() - started
    small = _store(base, tmp_path / "small.db", 5)
    results = {name: asyncio.run(_measure(db)) for name, db in (("1,000", small), ("100,000", large))}
    a, b = results["1,000"], results["100,000"]
    print(f"\nsession browser, {int(a['sessions']):,} vs {int(b['sessions']):,} sessions "
          f"(large store built in {built:.1f}s, {large.stat().st_size / 1e6:,.0f} MB)")
    print(f"  {'':<36}{'1,000':>12}{'100,000':>12}{'ratio':>9}")
    for key in ("first paint", "cursor down", "cursor pagedown", "cursor end", "search (first, builds the index)",
                "search"):
        print(f"  {key:<36}{a[key] * 1000:>10.1f}ms{b[key] * 1000:>10.1f}ms{b[key] / a[key]:>8.2f}x")
    print(f"  search matches                      {int(a['matches']):>12,}{int(b['matches']):>12,}")
    target("first search on 100,000 sessions", b["search (first, builds the index)"], 1.0, "s", at_least=False)
