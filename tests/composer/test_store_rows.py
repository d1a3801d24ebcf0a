"""Rows as the store writes them: a session's row carries its search text, made from the turns at
hand; a row made some other way (a plain tuple) gets the same text from its turns' JSON."""

from __future__ import annotations

import shutil
import sqlite3

from twinchat.composer.store.batches import compose_run
from twinchat.composer.store.session_list import _BOT_TEXT, bot_text
from twinchat.composer.store.sessions import COLUMNS, SessionRow, SessionStore, session_row
from twinchat.inventory import open_world


def test_a_row_is_a_tuple_in_column_order_with_its_search_text(world_path, tmp_path):
    db = tmp_path / "w.db"
    shutil.copyfile(world_path, db)
    compose_run(db, n=3, seed=4)
    conn = open_world(db)
    store = SessionStore(conn)
    stored = next(store.iter_sessions())
    row = session_row(stored.session, ["turn 2: reply_fact:12"], 5)
    assert isinstance(row, SessionRow) and len(row) == len(COLUMNS)
    assert dict(zip(COLUMNS, row))["reasons"] == '["turn 2: reply_fact:12"]'
    assert session_row(stored.session, [], 5)[COLUMNS.index("reasons")] == "[]"
    assert row.bot_text == bot_text(stored.session["turns"]) and row.bot_text
    conn.close()


def test_plain_tuple_rows_and_session_rows_write_the_same_search_text(world_path, tmp_path):
    db = tmp_path / "w.db"
    shutil.copyfile(world_path, db)
    compose_run(db, n=4, seed=2)
    conn = open_world(db)
    store = SessionStore(conn)
    sessions = [s.session for s in store.iter_sessions()]
    moved = [{**s, "seed": 3, "id": f"{s['flow']}/3/{s['index']}"} for s in sessions]
    store.add_rows([session_row(s, [], 1) for s in moved[:2]] + [tuple(session_row(s, [], 1)) for s in moved[2:]])
    texts = conn.execute("SELECT id, user_text, bot_text FROM session_text ORDER BY id").fetchall()
    made = conn.execute(f"SELECT s.id, s.user_text, {_BOT_TEXT.format('s')} FROM sessions s ORDER BY s.id").fetchall()
    assert len(texts) == 8 and [tuple(t) for t in texts] == [tuple(m) for m in made]
    assert sqlite3.connect(db).execute("SELECT count(*) FROM sessions WHERE seed = 3").fetchone() == (4,)
    conn.close()
