"""A stored session whose shape is wrong: the list says why it cannot be shown, and it can be deleted."""

from __future__ import annotations

import json
import sqlite3

from tuikit import make_app, query, settle

from twinchat.tui.screens.browse import BrowseScreen
from twinchat.tui.widgets.chat import SessionHeader
from twinchat.tui.widgets.session_list import SessionList

SID = "memory_upgrade/0/1"
PROBLEM = f"session {SID}: turns.0.mood: extra inputs are not permitted"


def _break(db) -> None:
    conn = sqlite3.connect(db)
    turns = json.loads(conn.execute("SELECT turns FROM sessions WHERE id = ?", (SID,)).fetchone()[0])
    turns[0]["mood"] = "happy"
    with conn:
        conn.execute("UPDATE sessions SET turns = ? WHERE id = ?", (json.dumps(turns, ensure_ascii=False), SID))
    conn.close()


async def test_a_malformed_session_is_named_not_opened_and_can_be_deleted(db):
    _break(db)
    app = make_app(db)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.press("j")
        await settle(pilot)
        assert app.screen.query_one(SessionList).highlighted.id == SID
        assert app.screen.has_class("-wide")  # the preview beside the list says what is wrong
        assert str(app.screen.query_one("#preview-header", SessionHeader).render()) == PROBLEM
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, BrowseScreen)
        assert [n.message for n in app._notifications] == [PROBLEM]
        await pilot.press("d")
        await settle(pilot)
    assert query(db, "SELECT count(*) FROM sessions WHERE id = ?", SID) == [(0,)]
    assert [r[0] for r in query(db, "SELECT action FROM session_edits")] == ["delete"]
