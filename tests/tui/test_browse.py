"""The session list, driven by keys: filter, search, sort, open, delete and undo, help, export."""

from __future__ import annotations

import io
import json

from tuikit import make_app, query, settle
from rich.console import Console
from textual.widgets import Static

from twinchat.tui.app import TwinchatApp
from twinchat.tui.screens.browse import BrowseScreen
from twinchat.tui.screens.export import ExportScreen
from twinchat.tui.screens.filters import FilterScreen
from twinchat.tui.screens.help import HelpScreen, sections
from twinchat.tui.screens.session import SessionScreen
from twinchat.tui.widgets.session_list import SessionList


def listed(app) -> list[str]:
    rows = app.screen.query_one(SessionList).rows
    return [rows.row(i).id for i in range(rows.total)]


def status(app) -> str:
    return str(app.screen.query_one("#status").render())


async def test_opens_on_every_session_in_id_order(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)
        ids = listed(app)
        assert ids[:3] == ["memory_upgrade/0/0", "memory_upgrade/0/1", "memory_upgrade/0/2"]
        assert len(ids) == 30 and ids[-1] == "repair_ticket/0/9"
        assert status(app) == "30 sessions · all sessions · sort id ↑"


async def test_filter_by_flow_and_status(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FilterScreen)
        # flow: the second option of the first select is repair_ticket
        await pilot.press("enter", "down", "down", "enter")
        await pilot.pause()
        await pilot.press("tab", "tab", "tab", "enter", "down", "down", "enter")  # status: failed
        await pilot.pause()
        await pilot.press("ctrl+a")
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)
        assert listed(app) == ["repair_ticket/0/3"]
        assert status(app) == "1 session · flow=repair_ticket status=failed · sort id ↑"
        await pilot.press("c")
        await pilot.pause()
        assert len(listed(app)) == 30


async def test_search_finds_user_and_assistant_text(db):
    # "为您找到" is said only by the assistant; the customer's device names only by the customer
    bot_only = query(db, "SELECT id FROM sessions WHERE turns LIKE '%为您找到%' ORDER BY flow, seed, idx")
    assert bot_only and not query(db, "SELECT id FROM sessions WHERE user_text LIKE '%为您找到%'")
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"为您找到", "enter")
        await settle(pilot)
        assert listed(app) == [r[0] for r in bot_only]
        assert status(app).startswith(f"{len(bot_only)} sessions · text=\"为您找到\"")
        assert isinstance(app.focused, SessionList)
        await pilot.press("slash", "ctrl+u", *"matebook", "enter")  # ASCII in any case: MateBook matches
        await settle(pilot)
        expected = [r[0] for r in query(db, "SELECT id FROM sessions WHERE instr(user_text, 'MateBook') "
                                            "ORDER BY flow, seed, idx")]
        assert expected and listed(app) == expected
    # the search table was built once and follows later writes (triggers)
    assert query(db, "SELECT count(*) FROM session_text") == [(30,)]


async def test_sort_by_turns_and_reverse(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")  # id → turns
        await pilot.pause()
        by_turns = [r[0] for r in query(db, "SELECT id FROM sessions ORDER BY n_turns, flow, seed, idx")]
        assert listed(app) == by_turns
        await pilot.press("r")
        await pilot.pause()
        assert listed(app) == by_turns[::-1]
        assert status(app) == "30 sessions · all sessions · sort turns ↓"
        await pilot.press("s", "s", "s")  # outcome, status, problems: the failed session sorts first reversed
        await pilot.pause()
        assert listed(app)[0] == "repair_ticket/0/3"
    assert query(db, "SELECT name FROM sqlite_master WHERE name = 'idx_sessions_sort_turns'") == [
        ("idx_sessions_sort_turns",)]


async def test_cursor_moves_and_enter_opens_the_highlighted_session(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down", "end", "up")
        await pilot.pause()
        assert app.screen.query_one(SessionList).highlighted.id == "repair_ticket/0/8"
        await pilot.press("home", "pagedown")
        await pilot.pause()
        assert app.screen.query_one(SessionList).cursor > 10
        await pilot.press("home", "j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen) and app.screen.session_id == "memory_upgrade/0/1"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)
        assert app.screen.query_one(SessionList).highlighted.id == "memory_upgrade/0/1"


async def test_delete_and_undo_restore_the_exact_row(db):
    before = query(db, "SELECT * FROM sessions WHERE id = 'memory_upgrade/0/1'")
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j", "d")
        await pilot.pause()
        assert "memory_upgrade/0/1" not in listed(app) and len(listed(app)) == 29
        assert query(db, "SELECT count(*) FROM sessions") == [(29,)]
        deleted = query(db, "SELECT action, before FROM session_edits")
        assert deleted[0][0] == "delete" and json.loads(deleted[0][1])["session"]["id"] == "memory_upgrade/0/1"
        await pilot.press("u")
        await pilot.pause()
        assert len(listed(app)) == 30
        assert app.screen.query_one(SessionList).highlighted.id == "memory_upgrade/0/1"
        await pilot.press("u")  # nothing left to undo: a warning, no change
        await pilot.pause()
    assert query(db, "SELECT * FROM sessions WHERE id = 'memory_upgrade/0/1'") == before
    assert [r[0] for r in query(db, "SELECT action FROM session_edits ORDER BY id")] == ["delete", "restore"]


async def test_help_lists_every_binding(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=120, record=True, file=io.StringIO())
        for static in app.screen.query(Static):
            console.print(static.content)
        shown = console.export_text()
        descriptions = [b.description for _, bindings in sections(TwinchatApp) for b in bindings]
        assert len(descriptions) > 30
        for text in descriptions:
            assert text in shown, text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen)


async def test_every_binding_has_an_id_and_a_description():
    for title, bindings in sections(TwinchatApp):
        for b in bindings:
            assert b.id and b.description, (title, b)
    ids = [b.id for _, bindings in sections(TwinchatApp) for b in bindings]
    assert len(ids) == len(set(ids))


async def test_export_writes_the_current_filter(db, tmp_path):
    out = tmp_path / "out"
    app = make_app(db)
    async with app.run_test(size=(100, 40)) as pilot:
        app.screen.filters = app.screen.filters.__class__(flow="memory_upgrade")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#out").value = str(out)
        await pilot.press("ctrl+e")
        await settle(pilot)
        result = str(app.screen.query_one("#result").render())
    assert "exported" in result and "from 20 sessions" in result, result
    lines = (out / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines and all("messages" in json.loads(line) for line in lines)


def _manifest_ids(out) -> list[str]:
    lines = (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return sorted({json.loads(line)["source"] for line in lines})


async def test_export_after_a_search_writes_exactly_the_listed_sessions(db, tmp_path):
    # "为您找到" is said only by the assistant: a filter on user text would export nothing
    out = tmp_path / "found"
    app = make_app(db)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("slash", *"为您找到", "enter")
        await settle(pilot)
        shown = listed(app)
        assert shown and len(shown) < 30
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert not any("user text only" in str(w.render()) for w in app.screen.query(Static))
        field = app.screen.query_one("#out")
        field.focus()
        await pilot.press("ctrl+u", *str(out))  # typed, so the Input has focus when ctrl+e comes
        assert app.focused is field and field.value == str(out)
        await pilot.press("ctrl+e")
        await settle(pilot)
        result = str(app.screen.query_one("#result").render())
    assert f"from {len(shown)} sessions" in result, result
    assert _manifest_ids(out) == sorted(shown)


async def test_export_into_an_existing_folder_asks_for_the_replace_box(db, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    app = make_app(db)
    async with app.run_test(size=(100, 40)) as pilot:
        app.screen.filters = app.screen.filters.__class__(flow="repair_ticket", status="ok")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#out").value = str(out)
        await pilot.press("ctrl+e")
        await settle(pilot)
        result = app.screen.query_one("#result")
        assert str(result.render()) == f'{out}: already exists; tick "replace" to replace it'
        assert result.has_class("-error") and not (out / "manifest.jsonl").exists()
        await pilot.click("#force")
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert "from 9 sessions" in str(result.render())
    ok = [r[0] for r in query(db, "SELECT id FROM sessions WHERE flow = 'repair_ticket' AND status = 'ok'")]
    assert _manifest_ids(out) == sorted(ok) and len(ok) == 9


async def test_a_click_moves_the_cursor_and_a_double_click_opens(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click(SessionList, offset=(5, 3))  # line 0 is the header
        assert app.screen.query_one(SessionList).cursor == 2
        await pilot.click(SessionList, offset=(5, 3), times=2)
        await pilot.pause()
        assert isinstance(app.screen, SessionScreen) and app.screen.session_id == "memory_upgrade/0/2"


def test_row_cache_reads_on_by_keyset_and_jumps_by_offset(db):
    from twinchat.composer.store.curate import Curation
    from twinchat.inventory import open_world
    from twinchat.tui.widgets.session_list import RowCache

    conn = open_world(db)
    try:
        curation = Curation(conn)
        expected = [r.id for r in curation.page(sort="turns", limit=50)]

        def fetch(offset, after, limit):
            return curation.page(sort="turns", offset=offset, after=after, limit=limit)

        rows = RowCache(fetch, 30, page=7)
        assert rows.row(29).id == expected[29] and rows.reads == {"keyset": 0, "offset": 1}
        assert [rows.row(i).id for i in range(30)] == expected
        assert rows.reads == {"keyset": 3, "offset": 2}  # pages 1-3 follow page 0; page 4 was read first
        assert rows.row(30) is None and rows.index_of(expected[12]) == 12
    finally:
        conn.close()


async def test_export_with_an_unfinished_seed_says_so_and_writes_nothing(db, tmp_path):
    out = tmp_path / "never"
    app = make_app(db)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#out").value = str(out)
        app.screen.query_one("#seed").value = "-"
        await pilot.press("ctrl+e")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)  # still open, the app did not crash
        result = app.screen.query_one("#result")
        assert str(result.render()) == "seed must be a whole number (got '-')"
        assert result.has_class("-error")
    assert not out.exists()
