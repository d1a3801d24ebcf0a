"""The compose runner and the session store: batches, resume, workers, re-verification, stats."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from twinchat.composer.errors import ComposerError
from twinchat.composer.store.batches import ComposeInterrupted, compose_run
from twinchat.composer.store.reverify import verify_run
from twinchat.composer.store.sessions import COLUMNS, SessionStore
from twinchat.inventory import open_world
from twinchat.units.loader import load_content

_BATCH = COLUMNS.index("batch")

#: The built-in flows, in the order compose walks them (sorted).
FLOWS = sorted(load_content()[1])


def _rows(path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT {', '.join(COLUMNS[:-1])} FROM sessions ORDER BY flow, seed, idx").fetchall()
    finally:
        conn.close()


def test_compose_stores_every_session_verified(db):
    per_flow = 5
    n = per_flow * len(FLOWS)
    report = compose_run(db, n=n, seed=3, batch_size=2)
    assert report.composed == n and report.failed == 0
    assert report.asked == {f: per_flow for f in FLOWS}
    assert report.batches == 3 * len(FLOWS)  # ceil(5 / 2) batches per flow
    rows = _rows(db)
    assert {r[0] for r in rows} == {f"{f}/3/{i}" for f in FLOWS for i in range(per_flow)}
    store = SessionStore(open_world(db))
    assert store.count(status="ok") == n
    assert store.runs() == [{"flow": f, "seed": 3, "n": per_flow, "world_seed": 0, "stored": per_flow} for f in FLOWS]


def test_two_workers_store_the_same_bytes_as_one(db, tmp_path):
    other = tmp_path / "two.db"
    shutil.copy(db, other)
    compose_run(db, n=30, seed=5, workers=1, batch_size=4)
    compose_run(other, n=30, seed=5, workers=2, batch_size=4)
    assert _rows(db) == _rows(other)


def test_spawned_workers_store_the_same_bytes_as_one(db, tmp_path, monkeypatch):
    """Where processes cannot be forked, the workers are spawned: each loads the units itself and
    reopens the turn counter and the task queue the parent keeps for them."""
    import multiprocessing

    other = tmp_path / "spawned.db"
    shutil.copy(db, other)
    compose_run(db, flow="repair_ticket", n=12, seed=5, workers=1, batch_size=2)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    compose_run(other, flow="repair_ticket", n=12, seed=5, workers=2, batch_size=2)
    assert _rows(db) == _rows(other)


def test_interrupted_run_keeps_whole_batches_and_resumes_to_the_same_sessions(db, tmp_path):
    clean = tmp_path / "clean.db"
    shutil.copy(db, clean)
    compose_run(clean, flow="memory_upgrade", n=25, seed=9, batch_size=5)

    calls = []

    def stop_after_two_batches(done: int, total: int) -> None:
        calls.append(done)
        if done >= 10:
            raise KeyboardInterrupt

    with pytest.raises(ComposeInterrupted, match=r"10 new sessions committed .* run the same command again"):
        compose_run(db, flow="memory_upgrade", n=25, seed=9, batch_size=5, progress=stop_after_two_batches)
    assert len(_rows(db)) == 10
    store = SessionStore(open_world(db))
    assert store.stats().incomplete == [{"flow": "memory_upgrade", "seed": 9, "n": 25, "world_seed": 0, "stored": 10}]

    report = compose_run(db, flow="memory_upgrade", n=25, seed=9, batch_size=5)
    assert report.skipped == {"memory_upgrade": 10} and report.composed == 15
    assert _rows(db) == _rows(clean)


def test_interrupted_run_with_workers_leaves_a_consistent_store(db):
    def stop(done: int, total: int) -> None:
        if done >= 8:
            raise KeyboardInterrupt

    with pytest.raises(ComposeInterrupted):
        compose_run(db, flow="repair_ticket", n=40, seed=2, workers=2, batch_size=4, progress=stop)
    kept = _rows(db)
    assert len(kept) % 4 == 0 and 8 <= len(kept) < 40
    compose_run(db, flow="repair_ticket", n=40, seed=2, workers=2, batch_size=4)
    assert len(_rows(db)) == 40


def test_a_worker_batch_that_fails_stops_the_run_before_any_later_batch_is_written(db, tmp_path, monkeypatch):
    """Workers commit in batch order: when batch 3 cannot be composed, batches 0-2 are stored,
    nothing after them, and the same command then completes to one worker's bytes."""
    import twinchat.composer.store.workers as run

    clean = tmp_path / "clean.db"
    shutil.copy(db, clean)
    compose_run(clean, flow="memory_upgrade", n=32, seed=4, batch_size=4)
    rows = run.compose_rows

    def failing(composer, flow, batch, indexes):
        if batch == 3:
            raise ComposerError("batch 3 breaks")
        return rows(composer, flow, batch, indexes)

    monkeypatch.setattr(run, "compose_rows", failing)  # forked workers inherit it
    with pytest.raises(ComposerError, match="batch 3 breaks"):
        compose_run(db, flow="memory_upgrade", n=32, seed=4, workers=2, batch_size=4)
    assert sorted(r[3] for r in _rows(db)) == list(range(12))
    monkeypatch.setattr(run, "compose_rows", rows)
    compose_run(db, flow="memory_upgrade", n=32, seed=4, workers=2, batch_size=4)
    assert _rows(db) == _rows(clean)


def test_a_worker_that_dies_stops_the_run_with_a_message_instead_of_hanging(db, monkeypatch):
    import os

    import twinchat.composer.store.workers as run

    rows = run.compose_rows

    def dying(composer, flow, batch, indexes):
        if batch == 1:
            os._exit(3)  # as the kernel's OOM killer would end it
        return rows(composer, flow, batch, indexes)

    monkeypatch.setattr(run, "compose_rows", dying)
    with pytest.raises(ComposerError, match=r"a worker process died .* run the same command again to resume"):
        compose_run(db, flow="repair_ticket", n=12, seed=1, workers=2, batch_size=2)
    assert sorted(r[3] for r in _rows(db)) in ([], [0, 1])  # at most batch 0: nothing after the lost batch


def test_a_larger_n_extends_a_run_and_a_smaller_one_adds_nothing(db):
    compose_run(db, flow="repair_ticket", n=6, seed=1)
    assert compose_run(db, flow="repair_ticket", n=4, seed=1).composed == 0
    report = compose_run(db, flow="repair_ticket", n=9, seed=1)
    assert report.composed == 3 and report.skipped == {"repair_ticket": 6}


def test_bad_arguments_are_reported(db):
    with pytest.raises(ComposerError, match=r"unknown flow 'memory_upgrad'.*did you mean 'memory_upgrade'"):
        compose_run(db, flow="memory_upgrad", n=1)
    with pytest.raises(ComposerError, match=r"-n must be at least 1 \(got 0\)"):
        compose_run(db, n=0)
    with pytest.raises(ComposerError, match=r"--workers must be at least 1"):
        compose_run(db, n=1, workers=0)


def _tamper(db, session_id: str, edit) -> None:
    conn = sqlite3.connect(db)
    turns = json.loads(conn.execute("SELECT turns FROM sessions WHERE id = ?", (session_id,)).fetchone()[0])
    edit(turns)
    with conn:
        conn.execute("UPDATE sessions SET turns = ? WHERE id = ?", (json.dumps(turns, ensure_ascii=False), session_id))
    conn.close()


def test_verify_flags_tampered_sessions_and_clears_repaired_ones(db):
    compose_run(db, flow="memory_upgrade", n=5, seed=0)
    sid = "memory_upgrade/0/2"
    original = SessionStore(open_world(db)).get(sid).session["turns"]

    def edit_label(turns):
        user = next(t for t in turns if t["role"] == "user")
        key = next(iter(user["label"]))
        user["label"][key] = "篡改的值"

    _tamper(db, sid, edit_label)
    report = verify_run(db)
    assert (report.checked, report.failed, report.newly_failed, report.newly_ok) == (5, 1, 1, 0)
    stored = SessionStore(open_world(db)).get(sid)
    assert stored.status == "failed" and stored.reasons
    assert SessionStore(open_world(db)).stats().failures  # counted by reason

    _tamper(db, sid, lambda turns: turns.__setitem__(slice(None), original))
    report = verify_run(db)
    assert (report.failed, report.newly_ok) == (0, 1)
    assert SessionStore(open_world(db)).get(sid).status == "ok"


def test_store_refuses_a_session_twice_and_keeps_the_batch_out(db):
    compose_run(db, flow="repair_ticket", n=2, seed=0)
    store = SessionStore(open_world(db))
    session = store.get("repair_ticket/0/1").session
    fresh = dict(session, id="repair_ticket/0/7", index=7)
    with pytest.raises(ComposerError, match=r"session repair_ticket/0/1 is already stored"):
        store.add_batch([fresh, session], [[], []])
    assert store.get("repair_ticket/0/7") is None  # the whole batch was rolled back
    assert store.count() == 2


def test_store_filters_pages_and_stats(db):
    n = 6 * len(FLOWS)
    compose_run(db, n=n, seed=4, batch_size=5)
    store = SessionStore(open_world(db))
    every = list(store.iter_sessions())
    assert [s.id for s in every] == sorted((s.id for s in every), key=lambda i: (i.split("/")[0], int(i.split("/")[2])))
    assert len(every) == n
    shop = list(store.iter_sessions(flow="memory_upgrade"))
    assert len(shop) == 6 and all(s.session["flow"] == "memory_upgrade" for s in shop)
    assert len(list(store.iter_sessions(limit=7))) == 7
    report = store.stats()
    assert report.sessions == n and report.by_flow == {f: 6 for f in FLOWS}
    assert sum(report.by_outcome.values()) == n
    user_turns = sum(1 for s in every for t in s.session["turns"] if t["role"] == "user")
    assert sum(report.by_template.values()) == user_turns == sum(report.by_unit.values())
    turns = [len(s.session["turns"]) for s in every]
    assert (report.turns_min, report.turns_max) == (min(turns), max(turns))
    assert 0 < report.distinct_1 < report.distinct_2 <= 1
    unit = next(iter(report.by_unit))
    assert store.count(unit=unit) == sum(1 for s in every if any(t.get("unit") == unit for t in s.session["turns"]))
    word = every[0].session["turns"][0]["content"][:4]
    assert store.count(text=word) >= 1
    with pytest.raises(ComposerError, match=r"unknown status 'bad'"):
        store.count(status="bad")


def test_a_different_world_seed_is_refused(db, tmp_path):
    compose_run(db, flow="repair_ticket", n=1, seed=0)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE runs SET world_seed = 42")
    conn.close()
    with pytest.raises(ComposerError, match=r"composed on world seed 42, this world has seed 0"):
        compose_run(db, flow="repair_ticket", n=2, seed=0)


# -- workers write their own batches, in batch order: a failed write stops the run with the
# batches before it committed and nothing after them, and the error reaches the caller
def _indexes(path) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return sorted(r[0] for r in conn.execute("SELECT idx FROM sessions"))
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


# -- a worker whose batch is not due yet composes ahead (at most AHEAD batches held), and writes
# them in their turn: the store is the same, commits stay in batch order, an interruption drops
# what was held and keeps the committed batches
def _logging_workers(monkeypatch, log, slow: int, held: int, seconds: float) -> None:
    """Workers that note each batch composed and written (``pid composed|written batch``) in ``log``;
    batch ``slow`` is composed once ``held`` batches after it are (or ``seconds`` have passed), and
    ``seconds / 10`` later."""
    import os
    import time

    import twinchat.composer.store.workers as run

    rows, add_rows = run.compose_rows, SessionStore.add_rows

    def note(what: str, batch: int) -> None:
        with open(log, "a") as f:
            f.write(f"{os.getpid()} {what} {batch}\n")

    def composing(composer, flow, batch, indexes):
        if batch == slow:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and _composed_after(log, slow) < held:
                time.sleep(0.02)
            time.sleep(seconds / 10)  # time enough for a worker to compose more than it may hold
        out = rows(composer, flow, batch, indexes)
        note("composed", batch)
        return out

    def writing(self, batch_rows):
        out = add_rows(self, batch_rows)
        note("written", batch_rows[0][_BATCH])
        return out

    monkeypatch.setattr(run, "compose_rows", composing)  # forked workers inherit both
    monkeypatch.setattr(SessionStore, "add_rows", writing)


def _events(log) -> list[tuple[int, str, int]]:
    if not log.exists():
        return []
    return [(int(p), what, int(b)) for p, what, b in (line.split() for line in log.read_text().splitlines())]


def _composed_after(log, batch: int) -> int:
    return sum(what == "composed" and b > batch for _, what, b in _events(log))


def test_a_worker_composes_ahead_of_a_slow_batch_and_commits_in_order(db, tmp_path, monkeypatch):
    from twinchat.composer.store.workers import AHEAD

    clean, log = tmp_path / "clean.db", tmp_path / "events.log"
    shutil.copy(db, clean)
    compose_run(clean, flow="memory_upgrade", n=24, seed=6, batch_size=2)
    _logging_workers(monkeypatch, log, slow=0, held=AHEAD, seconds=5)
    compose_run(db, flow="memory_upgrade", n=24, seed=6, workers=2, batch_size=2)
    assert _rows(db) == _rows(clean)
    events = _events(log)
    assert [b for _, what, b in events if what == "written"] == list(range(12))
    first_write = events.index(next(e for e in events if e[1] == "written"))
    ahead = sorted(b for _, what, b in events[:first_write] if what == "composed")
    assert ahead == list(range(AHEAD + 1))  # the slow batch 0, and AHEAD batches held by the other worker
    held: dict[int, int] = {}
    for pid, what, _ in events:  # never more than AHEAD batches held by one worker
        held[pid] = held.get(pid, 0) + (1 if what == "composed" else -1)
        assert held[pid] <= AHEAD


def test_an_interruption_drops_the_held_batches_and_keeps_the_committed_ones(db, tmp_path, monkeypatch):
    import time

    clean, log = tmp_path / "clean.db", tmp_path / "events.log"
    shutil.copy(db, clean)
    compose_run(clean, flow="memory_upgrade", n=24, seed=6, batch_size=2)
    _logging_workers(monkeypatch, log, slow=1, held=99, seconds=60)  # batch 1 is not composed before the end

    def stop_once_batches_are_held(done: int, total: int) -> None:
        if done == 2:  # batch 0 committed: wait until the other worker holds two batches after batch 1
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and _composed_after(log, 1) < 2:
                time.sleep(0.02)
            raise KeyboardInterrupt

    with pytest.raises(ComposeInterrupted, match=r"interrupted: 2 new sessions committed .* \(2 of 24 stored\)"):
        compose_run(db, flow="memory_upgrade", n=24, seed=6, workers=2, batch_size=2, progress=stop_once_batches_are_held)
    assert _composed_after(log, 1) >= 2  # batches were held when it stopped
    assert _indexes(db) == [0, 1]  # batch 0 only: the held batches died with their worker
    monkeypatch.undo()
    compose_run(db, flow="memory_upgrade", n=24, seed=6, workers=2, batch_size=2)
    assert _rows(db) == _rows(clean)
