"""Rows as the store writes them: a session's row carries its search text, made from the turns at
hand; a row made some other way (a plain tuple) gets the same text from its turns' JSON."""

from __future__ import annotations

import sqlite3

from twinchat.composer.store.session_list import _BOT_TEXT, bot_text
from twinchat.composer.store.sessions import COLUMNS, SessionRow, SessionStore, session_row
from twinchat.inventory import open_world


def test_a_row_is_a_tuple_in_column_order_with_its_search_text(composed_db):
    db = composed_db(3, seed=4)
    conn = open_world(db)
    store = SessionStore(conn)
    stored = next(store.iter_sessions())
    row = session_row(stored.session, ["turn 2: reply_fact:12"], 5)
    assert isinstance(row, SessionRow) and len(row) == len(COLUMNS)
    assert dict(zip(COLUMNS, row))["reasons"] == '["turn 2: reply_fact:12"]'
    assert session_row(stored.session, [], 5)[COLUMNS.index("reasons")] == "[]"
    assert row.bot_text == bot_text(stored.session["turns"]) and row.bot_text
    conn.close()


def test_plain_tuple_rows_and_session_rows_write_the_same_search_text(composed_db):
    db = composed_db(4, seed=2)
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


def test_turns_are_stored_as_text_whether_bound_as_bytes_or_as_text(composed_db):
    """A batch whose turns orjson wrote binds their UTF-8 bytes; one with turns only the standard
    library writes (an integer key) binds text: both are stored as the same JSON text."""
    db = composed_db(2, seed=2)
    conn = open_world(db)
    store = SessionStore(conn)
    session = next(store.iter_sessions()).session
    plain = {**session, "seed": 5, "id": f"{session['flow']}/5/{session['index']}"}
    odd = {**session, "seed": 6, "id": f"{session['flow']}/6/{session['index']}",
           "turns": [{**session["turns"][0], "label": {1: "一"}}, *session["turns"][1:]]}
    rows = [session_row(plain, [], 1), session_row(odd, [], 2)]
    assert rows[0].turns_utf8 == rows[0][COLUMNS.index("turns")].encode() and rows[1].turns_utf8 is None
    store.add_rows(rows[:1])
    store.add_rows(rows[1:])
    stored = conn.execute("SELECT typeof(turns), turns FROM sessions WHERE seed IN (5, 6) ORDER BY seed").fetchall()
    assert [tuple(r) for r in stored] == [("text", row[COLUMNS.index("turns")]) for row in rows]
    assert '"label":{"1":"一"}' in stored[1][1]
    conn.close()
