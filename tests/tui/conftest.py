"""Fixtures of the TUI tests: a small seeded store and an app factory with a fixed clock."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest



@pytest.fixture(scope="session")
def seeded_store(world_path, tmp_path_factory) -> Path:
    """30 sessions (20 memory_upgrade, 10 repair_ticket, seed 0) in a copy of the test world."""
    from twinchat.composer.store.batches import compose_run

    db = tmp_path_factory.mktemp("tui") / "store.db"
    shutil.copyfile(world_path, db)
    compose_run(db, flow="memory_upgrade", n=20, seed=0)
    compose_run(db, flow="repair_ticket", n=10, seed=0)
    _break(db, "repair_ticket/0/3")
    return db


def _break(db: Path, session_id: str) -> None:
    """Store one session with its first customer turn's phone mistyped, as a failed session."""
    from twinchat.composer.engine.compose import SessionComposer
    from twinchat.composer.store.sessions import COLUMNS, SessionStore, session_row
    from twinchat.inventory import open_world

    conn = open_world(db)
    try:
        session = SessionStore(conn).get(session_id).session
        turn = next(t for t in session["turns"] if t["role"] == "user" and t["label"].get("phone"))
        turn["content"] = turn["content"].replace(turn["label"]["phone"], turn["label"]["phone"][:-1] + "0")
        reasons = SessionComposer(conn).verify(session)
        assert reasons, "the tampered session must fail"
        row = session_row(session, reasons, 0)
        with conn:
            conn.execute(f"UPDATE sessions SET {', '.join(f'{c} = ?' for c in COLUMNS[1:])} WHERE id = ?",
                         (*row[1:], row[0]))
    finally:
        conn.close()


@pytest.fixture()
def db(seeded_store, tmp_path) -> Path:
    """A private copy of the seeded store for one test."""
    path = tmp_path / "store.db"
    shutil.copyfile(seeded_store, path)
    return path


@dataclass(frozen=True)
class Delivery:
    """A session asking whether items arrive by a time phrase, and how to change that phrase."""

    id: str
    #: its position in the list (id order), its turn asking, that turn's bubble
    row: int
    turn: int
    bubble: int
    text: str
    phrase: str
    new_phrase: str
    #: the deadline the new phrase gives (the window's end at the session clock)
    new_deadline: str


@pytest.fixture(scope="session")
def delivery(seeded_store) -> Delivery:
    """The first session whose delivery question has one time phrase, repeated in the reply, that
    下周五 (or 下下周五) would change."""
    from datetime import datetime

    from twinchat.composer.store.sessions import SessionStore
    from twinchat.composer.time.resolve import find, resolve
    from twinchat.inventory import open_world
    from twinchat.tui.widgets.turn import group_turns

    conn = open_world(seeded_store)
    try:
        for row, stored in enumerate(SessionStore(conn).iter_sessions()):
            session = stored.session
            now = datetime.fromisoformat(session["now"])
            turns = session["turns"]
            for n, turn in enumerate(turns, 1):
                if turn["role"] != "user" or turn.get("unit") != "shop_delivery_of_options":
                    continue
                spans = find(turn["content"], now)
                if len(spans) != 1 or n + 3 > len(turns) or spans[0].text not in turns[n + 2]["content"]:
                    continue
                new = "下下周五" if "下周五" in turn["content"] else "下周五"
                if resolve(new, now).end.strftime("%Y-%m-%d %H:%M:%S") == turn["label"]["deadline"]:
                    continue  # the new phrase would mean the same deadline: no problem to show
                if not turn["label"]["deadline"].endswith(":59"):
                    continue  # the label tests edit a day's end (…23:59:59), not a clock time
                bubble = next(i for i, (_, numbers) in enumerate(group_turns(turns)) if n in numbers)
                return Delivery(stored.id, row, n, bubble, turn["content"], spans[0].text, new,
                                resolve(new, now).end.strftime("%Y-%m-%d %H:%M:%S"))
    finally:
        conn.close()
    raise AssertionError("no delivery question in the seeded store")
