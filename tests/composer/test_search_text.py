"""The search table of assistant text is written with each stored batch, equal to what SQL makes
of the turns, and stays in step with later writes and with stores written before it existed."""

from __future__ import annotations

import shutil
import sqlite3

from twinchat.composer.store.batches import compose_run
from twinchat.composer.store.session_list import _BOT_TEXT, Filters, bot_text, build_text_index, count_sessions
from twinchat.composer.store.sessions import SessionStore, session_row


def _texts(db) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, user_text, bot_text FROM session_text ORDER BY id").fetchall()
    finally:
        conn.close()


def _sql_texts(db) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT s.id, s.user_text, {_BOT_TEXT.format('s')} FROM sessions s ORDER BY s.id").fetchall()
    finally:
        conn.close()


def test_compose_writes_the_search_table_sql_would_build(composed_db):
    db = composed_db(40, seed=2)
    texts = _texts(db)
    assert len(texts) == 40 and all(u for _, u, _ in texts) and any(t for _, _, t in texts)
    assert texts == _sql_texts(db)
    conn = sqlite3.connect(db)
    assert build_text_index(conn) is False  # nothing left to build at the first search
    assert count_sessions(conn, Filters(text="为您找到")) == sum("为您找到" in t for _, _, t in texts)


def test_a_store_from_before_gets_its_table_and_a_guarded_trigger(composed_db, world_path, tmp_path):
    old = tmp_path / "old.db"
    shutil.copyfile(world_path, old)
    compose_run(old, n=8, seed=2)
    conn = sqlite3.connect(old)
    with conn:  # a table of an older search: assistant text only
        conn.execute("DROP TABLE session_text")
        conn.execute("CREATE TABLE session_text (id TEXT PRIMARY KEY, bot_text TEXT NOT NULL)")
    assert count_sessions(conn, Filters(text="您")) == 8  # the search rebuilds it whole
    assert _texts(old) == _sql_texts(old)
    conn.close()
    db = composed_db(12, seed=2)
    conn = sqlite3.connect(db)
    with conn:  # as a store written before: no table, then one built by a search (bot text only, old trigger)
        conn.execute("DROP TABLE session_text")
        conn.execute("DROP TRIGGER session_text_insert")
        conn.execute("DROP TRIGGER session_text_update")
    compose_run(db, n=24, seed=2)  # builds the table over the 12 stored, and writes the 12 new
    assert _texts(db) == _sql_texts(db) and len(_texts(db)) == 24
    with conn:
        conn.execute("DROP TRIGGER session_text_insert")
        conn.execute("CREATE TRIGGER session_text_insert AFTER INSERT ON sessions BEGIN INSERT OR REPLACE INTO "
                     f"session_text (id, user_text, bot_text) VALUES (new.id, new.user_text, {_BOT_TEXT.format('new')}); "
                     "END")
    compose_run(db, n=36, seed=2)
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'session_text_insert'").fetchone()[0]
    assert "WHEN NOT EXISTS" in trigger
    assert _texts(db) == _sql_texts(db) and len(_texts(db)) == 36
    conn.close()


def test_turns_of_another_shape_are_left_to_sql(composed_db):
    assert bot_text([{"role": "assistant", "content": "a"}, {"role": "assistant", "content": ""},
                     {"role": "user", "content": "u"}, {"role": "assistant", "content": None},
                     {"role": "assistant", "content": "b"}]) == "a\nb"
    assert bot_text([{"role": "assistant", "content": 7}]) is None
    assert bot_text(["x"]) is None and bot_text({}) is None
    db = composed_db(4, seed=2)
    from twinchat.inventory import open_world

    conn = open_world(db)
    store = SessionStore(conn)
    session = store.get(conn.execute("SELECT id FROM sessions LIMIT 1").fetchone()[0]).session
    odd = {**session, "index": 99, "id": f"{session['flow']}/{session['seed']}/99",
           "turns": [*session["turns"], {"role": "assistant", "content": 7}]}
    store.add_rows([session_row(odd, [], 1)])
    assert _texts(db) == _sql_texts(db)
    assert {i: t for i, _, t in _texts(db)}[odd["id"]].endswith("\n7")
    conn.close()


def test_a_damaged_turns_column_is_written_with_no_assistant_text(composed_db):
    db = composed_db(4, seed=2)
    conn = sqlite3.connect(db)
    sid = conn.execute("SELECT id FROM sessions LIMIT 1").fetchone()[0]
    with conn:
        conn.execute("UPDATE sessions SET turns = '{\"ro' WHERE id = ?", (sid,))
    assert conn.execute("SELECT bot_text FROM session_text WHERE id = ?", (sid,)).fetchone() == ("",)
    conn.close()


def test_search_folds_ascii_case_and_reads_other_needles_as_stored(composed_db):
    """A needle with A-Z letters matches whatever their case; one without is matched as stored
    (the scan then folds no text): both count what a search of the texts in Python counts."""
    db = composed_db(40, seed=2)
    texts = _texts(db)
    conn = sqlite3.connect(db)
    for needle in ("为您", "DD", "dd", "Dd"):
        want = sum(needle.lower() in (u or "").lower() or needle.lower() in t.lower() for _, u, t in texts)
        assert count_sessions(conn, Filters(text=needle)) == want
    assert count_sessions(conn, Filters(text="为您")) > 0 and count_sessions(conn, Filters(text="DD")) > 0
