"""Curation tables: paged and sorted reads, search in user and assistant text, drafts, saves,
deletions and the edit history — on a real store composed into a copy of the test world."""

from __future__ import annotations

import copy
import json
import shutil
import sqlite3

import pytest

from twinchat.composer.store.curate import SORTS, Curation, Filters, build_text_index, count_sessions, list_page
from twinchat.composer.errors import ComposerError


@pytest.fixture(scope="module")
def store_path(world_path, tmp_path_factory):
    from twinchat.composer.store.batches import compose_run

    db = tmp_path_factory.mktemp("curate") / "store.db"
    shutil.copyfile(world_path, db)
    compose_run(db, flow="memory_upgrade", n=14, seed=0)
    compose_run(db, flow="repair_ticket", n=6, seed=0)
    return db


@pytest.fixture()
def curation(store_path, tmp_path):
    from twinchat.inventory import open_world

    db = tmp_path / "store.db"
    shutil.copyfile(store_path, db)
    conn = open_world(db)
    yield Curation(conn, clock=lambda: "2026-01-05 09:30:00")
    conn.close()


def _row(curation, session_id):
    return curation.conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()


def _ids(rows):
    return [r.id for r in rows]


def test_pages_follow_each_sort_by_offset_and_by_keyset(curation):
    for sort, exprs in SORTS.items():
        for descending in (False, True):
            order = ", ".join(e + (" DESC" if descending else "") for e in exprs)
            expected = [r[0] for r in curation.conn.execute(f"SELECT id FROM sessions ORDER BY {order}")]
            first = curation.page(sort=sort, descending=descending, limit=7)
            by_offset = curation.page(sort=sort, descending=descending, offset=7, limit=7)
            by_keyset = curation.page(sort=sort, descending=descending, after=first[-1].key, limit=7)
            assert _ids(first) == expected[:7]
            assert _ids(by_offset) == _ids(by_keyset) == expected[7:14], (sort, descending)


def test_filters_combine_and_count_agrees(curation):
    conn = curation.conn
    assert curation.count() == 20
    assert curation.count(Filters(flow="repair_ticket")) == 6
    some_unit = conn.execute("SELECT units FROM sessions WHERE flow = 'repair_ticket'").fetchone()[0].split()[-1]
    with_unit = [r[0] for r in conn.execute("SELECT id FROM sessions WHERE ' ' || units || ' ' LIKE ? "
                                            "ORDER BY flow, seed, idx", (f"% {some_unit} %",))]
    assert _ids(curation.page(Filters(unit=some_unit), limit=50)) == with_unit
    template = conn.execute("SELECT templates FROM sessions LIMIT 1").fetchone()[0].split()[0]
    rows = curation.page(Filters(template=template, flow="memory_upgrade"), limit=50)
    assert rows and all(template in r[0].split() for r in conn.execute(
        f"SELECT templates FROM sessions WHERE id IN ({', '.join('?' * len(rows))})", _ids(rows)))
    assert curation.count(Filters(status="failed")) == 0
    with pytest.raises(ComposerError, match="unknown status 'broken' \\(ok or failed\\)"):
        curation.count(Filters(status="broken"))
    with pytest.raises(ComposerError, match="unknown sort 'length' \\(one of id, turns, outcome, status, problems\\)"):
        curation.page(sort="length")


def test_text_search_covers_assistant_text_and_follows_writes(curation):
    conn = curation.conn
    said_by_bot = [r[0] for r in conn.execute(
        "SELECT id FROM sessions WHERE turns LIKE '%为您找到%' ORDER BY flow, seed, idx")]
    assert said_by_bot and curation.count(Filters(text="为您找到")) == len(said_by_bot)
    assert _ids(curation.page(Filters(text="为您找到"), limit=50)) == said_by_bot
    assert build_text_index(conn) is False  # built once, by the first search
    # a save changes the assistant text the search sees (trigger on UPDATE OF turns)
    session = curation.get(said_by_bot[0]).session
    for turn in session["turns"]:
        if turn["role"] == "assistant" and "为您找到" in (turn.get("content") or ""):
            turn["content"] = turn["content"].replace("为您找到", "改写后的回答")
    curation.save(session, ["turn 2: reply_fact:x"])
    assert curation.count(Filters(text="为您找到")) == len(said_by_bot) - 1
    assert curation.count(Filters(text="改写后的回答")) == 1
    # a deletion drops its text; a restore brings it back
    edit = curation.delete(said_by_bot[1])
    assert curation.count(Filters(text="为您找到")) == len(said_by_bot) - 2
    curation.restore(edit.id)
    assert curation.count(Filters(text="为您找到")) == len(said_by_bot) - 1


def test_reads_work_on_a_plain_connection_of_another_thread(curation):
    conn = sqlite3.connect(curation.conn.execute("PRAGMA database_list").fetchone()[2])
    try:
        assert count_sessions(conn, Filters(flow="memory_upgrade")) == 14
        assert _ids(list_page(conn, Filters(flow="memory_upgrade"), limit=2)) == ["memory_upgrade/0/0",
                                                                                   "memory_upgrade/0/1"]
    finally:
        conn.close()


def test_drafts_are_kept_listed_and_dropped(curation):
    session = curation.get("memory_upgrade/0/3").session
    session["turns"][0]["content"] = "草稿"
    curation.put_draft(session)
    draft = curation.draft("memory_upgrade/0/3")
    assert draft.at == "2026-01-05 09:30:00" and draft.session == session
    assert curation.drafts() == ["memory_upgrade/0/3"]
    assert [r.draft for r in curation.page(limit=5)] == [False, False, False, True, False]
    assert curation.drop_draft("memory_upgrade/0/3") and curation.draft("memory_upgrade/0/3") is None


def test_save_writes_row_history_and_drops_the_draft_together(curation):
    before = curation.get("memory_upgrade/0/2")
    edited = copy.deepcopy(before.session)
    edited["turns"][0]["content"] = "改过的话"
    curation.put_draft(edited)
    edit = curation.save(edited, ["turn 1: grounding:device"], summary="turn 1 text")
    after = curation.get("memory_upgrade/0/2")
    assert after.session == edited and after.status == "failed" and after.reasons == ["turn 1: grounding:device"]
    assert after.batch == before.batch
    assert curation.conn.execute("SELECT user_text FROM sessions WHERE id = 'memory_upgrade/0/2'").fetchone()[0] \
        .startswith("改过的话")
    assert curation.draft("memory_upgrade/0/2") is None
    [entry] = curation.history("memory_upgrade/0/2")
    assert (entry.id, entry.action, entry.summary, entry.at) == (edit.id, "edit", "turn 1 text", "2026-01-05 09:30:00")
    assert entry.before["session"] == before.session and entry.after["session"] == edited


def test_a_failing_save_changes_nothing(curation):
    """If the history row cannot be written, the session row is not changed and the draft stays."""
    before = _row(curation, "memory_upgrade/0/2")
    edited = curation.get("memory_upgrade/0/2").session
    edited["turns"][0]["content"] = "改过的话"
    curation.put_draft(edited)
    curation.conn.execute("CREATE TRIGGER no_history BEFORE INSERT ON session_edits "
                          "BEGIN SELECT RAISE(ABORT, 'history is read-only'); END")
    with pytest.raises(ComposerError, match="cannot save memory_upgrade/0/2: history is read-only"):
        curation.save(edited, [])
    assert _row(curation, "memory_upgrade/0/2") == before
    assert curation.draft("memory_upgrade/0/2").session == edited
    assert not curation.conn.in_transaction


def test_delete_restore_and_revert_give_back_the_exact_rows(curation):
    original = _row(curation, "memory_upgrade/0/5")
    deleted = curation.delete("memory_upgrade/0/5")
    assert _row(curation, "memory_upgrade/0/5") is None and curation.count() == 19
    curation.restore(deleted.id)
    assert _row(curation, "memory_upgrade/0/5") == original
    with pytest.raises(ComposerError, match="session memory_upgrade/0/5 is in the store already; nothing to restore"):
        curation.restore(deleted.id)
    edited = curation.get("memory_upgrade/0/5").session
    edited["customer"]["name"] = "改名"
    saved = curation.save(edited, [])
    assert _row(curation, "memory_upgrade/0/5") != original
    curation.revert(saved.id)
    assert _row(curation, "memory_upgrade/0/5") == original
    history = curation.history("memory_upgrade/0/5")
    assert [e.action for e in history] == ["revert", "edit", "restore", "delete"]
    assert history[0].summary == f"reverted #{saved.id} (edit)"
    with pytest.raises(ComposerError, match="edit #999 in the history"):
        curation.revert(999)
    with pytest.raises(ComposerError, match=f"edit #{saved.id} of memory_upgrade/0/5 is a edit, not a delete"):
        curation.restore(saved.id)


def test_revert_of_a_deletion_restores_it(curation):
    original = _row(curation, "repair_ticket/0/1")
    deleted = curation.delete("repair_ticket/0/1")
    curation.revert(deleted.id)
    assert _row(curation, "repair_ticket/0/1") == original


def test_options_list_what_the_filters_can_take(curation):
    options = curation.options()
    assert options["flow"] == ["memory_upgrade", "repair_ticket"]
    assert options["status"] == ["ok", "failed"]
    assert "shop_ask_part" in options["unit"] and all(":" in t for t in options["template"])
    assert set(options["outcome"]) == {r[0] for r in curation.conn.execute(
        "SELECT DISTINCT outcome FROM sessions WHERE outcome IS NOT NULL")}


def test_sort_index_is_made_once(curation):
    curation.ensure_sort_index("turns")
    curation.ensure_sort_index("turns")
    plan = " ".join(r[3] for r in curation.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM sessions s ORDER BY n_turns, flow, seed, idx LIMIT 5"))
    assert "idx_sessions_sort_turns" in plan and "TEMP B-TREE" not in plan
    assert json.loads(json.dumps(Filters(flow="x", text="今晚").active())) == {"flow": "x", "text": "今晚"}
    assert Filters(flow="x", text="今晚").describe() == 'flow=x text="今晚"'
