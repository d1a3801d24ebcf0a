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


def test_a_row_made_only_to_be_written_stores_what_a_full_row_stores(composed_db):
    """``text=False`` leaves the turns' JSON text out of the row (their bytes are bound): stored
    alone, or in a batch with a row of text-only turns, it gives the same row and search text."""
    db = composed_db(2, seed=2)
    conn = open_world(db)
    store = SessionStore(conn)
    session = next(store.iter_sessions()).session
    made = {seed: {**session, "seed": seed, "id": f"{session['flow']}/{seed}/{session['index']}"}
            for seed in (7, 8, 9)}
    odd = {**made[9], "turns": [{**session["turns"][0], "label": {1: "一"}}, *session["turns"][1:]]}
    full, bare = session_row(made[7], ["turn 2: x"], 1), session_row(made[8], ["turn 2: x"], 1, text=False)
    assert bare[COLUMNS.index("turns")] is None and bare.turns_utf8 == full.turns_utf8
    assert bare.bot_text == full.bot_text == bot_text(session["turns"])
    store.add_rows([full])
    store.add_rows([bare, session_row(odd, [], 1, text=False)])  # bound as text: the bytes decoded
    rows = conn.execute("SELECT * FROM sessions WHERE seed IN (7, 8, 9) ORDER BY seed").fetchall()
    texts = conn.execute("SELECT user_text, bot_text FROM session_text WHERE id LIKE '%/7/%' OR id LIKE '%/8/%'"
                         ).fetchall()
    skip = {COLUMNS.index(c) for c in ("id", "seed")}
    assert [v for i, v in enumerate(rows[0]) if i not in skip] == [v for i, v in enumerate(rows[1]) if i not in skip]
    assert rows[0][COLUMNS.index("turns")] == full[COLUMNS.index("turns")] and len(texts) == 2
    assert tuple(texts[0]) == tuple(texts[1]) and '"label":{"1":"一"}' in rows[2][COLUMNS.index("turns")]
    conn.close()


def test_rows_bound_with_their_json_bytes_store_what_plain_rows_store(composed_db):
    """Rows bound the fast way (the customer's and the turns' JSON bytes as bytearrays, ``extra`` as
    text with '' for none) store every column with the same type and value as the same rows bound as
    plain tuples, with and without ``extra``; a batch with a customer only the standard library
    writes (an integer key) is bound as text, the other rows' bytes decoded."""
    db = composed_db(2, seed=2)
    conn = open_world(db)
    store = SessionStore(conn)
    session = next(store.iter_sessions()).session
    made = {seed: {**session, "seed": seed, "id": f"{session['flow']}/{seed}/{session['index']}"}
            for seed in (11, 12, 13, 14, 15, 16)}
    for seed in (13, 14):
        made[seed]["limit"] = "limit:turns"  # a key without a column: it goes to extra
    for seed in (15, 16):
        made[seed]["customer"] = {**session["customer"], 1: "一"}
    bare = session_row(made[13], ["turn 1: x"], 1, text=False)
    assert bare[COLUMNS.index("customer")] is None and bare.customer_utf8 is not None
    store.add_rows([session_row(made[11], [], 1), bare])
    store.add_rows([tuple(session_row(made[12], [], 1)), tuple(session_row(made[14], ["turn 1: x"], 1))])
    store.add_rows([session_row(made[15], [], 1, text=False)])
    store.add_rows([tuple(session_row(made[16], [], 1))])
    typed = ", ".join(f"typeof({c}), {c}" for c in COLUMNS if c not in ("id", "seed"))
    rows = [tuple(r) for r in conn.execute(f"SELECT {typed} FROM sessions WHERE seed > 10 ORDER BY seed")]
    extra, customer = (2 * (COLUMNS.index(c) - 2) for c in ("extra", "customer"))
    assert rows[0] == rows[1] and rows[2] == rows[3] and rows[4] == rows[5] and rows[0] != rows[2] != rows[4]
    assert rows[0][extra:extra + 2] == ("null", None) and rows[2][extra:extra + 2] == ("text", '{"limit":"limit:turns"}')
    assert rows[0][customer] == rows[4][customer] == "text" and '"1":"一"' in rows[4][customer + 1]
    assert {rows[0][2 * (COLUMNS.index("turns") - 2)]} == {"text"}
    conn.close()
