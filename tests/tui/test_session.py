"""The session screen, driven by keys: edit in place, problems live, fixes, save, history, drafts."""

from __future__ import annotations

import json

from tuikit import CLOCK, make_app, query, settle

from twinchat.tui.screens.choice import ChoiceScreen
from twinchat.tui.screens.history import HistoryScreen
from twinchat.tui.screens.prompt import PromptScreen
from twinchat.tui.screens.session import SessionScreen
from twinchat.tui.widgets.chat import ChatView
from twinchat.tui.widgets.turn import TurnEditor

#: The first row of the list (sessions in id order).
FIRST = "memory_upgrade/0/0"


def stored_turns(db, session_id=FIRST):
    return json.loads(query(db, "SELECT turns FROM sessions WHERE id = ?", session_id)[0][0])


async def open_session(pilot, row: int = 0, bubble: int = 0) -> SessionScreen:
    """Open the session on ``row`` of the list and move to its ``bubble``."""
    await pilot.press(*["j"] * row, "enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, SessionScreen)
    await pilot.press(*["j"] * bubble)
    return screen


async def retype(pilot, text: str) -> None:
    """Replace the open editor's text, key by key."""
    await pilot.press("f7", *text)
    await pilot.pause()


async def replace(pilot, line: str, old: str, new: str) -> None:
    """In the open editor, on a one-line text ``line``, type ``new`` over ``old`` (cursor keys, backspaces)."""
    after = len(line) - line.index(old) - len(old)
    await pilot.press("end", *["left"] * after, *["backspace"] * len(old), *new)
    await pilot.pause()


async def change_phrase(pilot, d) -> SessionScreen:
    """Open the delivery session and say another time in its question (editor closed after)."""
    screen = await open_session(pilot, d.row, d.bubble)
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(pilot.app.focused, TurnEditor)
    await replace(pilot, d.text, d.phrase, d.new_phrase)
    return screen


async def test_edit_text_shows_the_problem_on_its_turn_and_keeps_a_draft(db, delivery):
    d = delivery
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        screen = await change_phrase(pilot, d)
        view = screen.query_one(ChatView).views[d.bubble]
        assert view.problems == ["grounding:deadline"]
        assert screen.problems == [f"turn {d.turn}: grounding:deadline"]
        assert screen.dirty
        # the draft is in the database while the editor is still open; the session itself is not
        draft = json.loads(query(db, "SELECT session FROM session_drafts WHERE session_id = ?", d.id)[0][0])
        assert d.new_phrase in draft["turns"][d.turn - 1]["content"]
        assert stored_turns(db, d.id)[d.turn - 1]["content"] == d.text
        await pilot.press("escape")  # closes the editor, keeps the edit
        await pilot.pause()
        assert not screen.query(TurnEditor)
        assert d.new_phrase in view.query_one(".body").render().plain


async def test_edit_label_flags_it_and_bad_json_is_said(db, delivery):
    d = delivery
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        screen = await open_session(pilot, d.row, d.bubble)
        await pilot.press("l")
        await pilot.pause()
        label = stored_turns(db, d.id)[d.turn - 1]["label"]
        assert list(label) == ["products", "destination", "deadline"]  # one field per line in the editor
        view = screen.query_one(ChatView).views[d.bubble]
        await pilot.press("down", "down", "end", "backspace")  # drop the comma after "destination"
        await pilot.pause()
        assert view.problems[0].startswith("label: not JSON (line 4, column 2): Expecting ',' delimiter")
        await pilot.press(",", "down")
        await replace(pilot, f' "deadline": "{label["deadline"]}"', "59\"", "00\"")
        assert view.problems == ["grounding:deadline"]
        await pilot.press("escape", "ctrl+s")
        await pilot.pause()
    row = query(db, "SELECT status, reasons, turns FROM sessions WHERE id = ?", d.id)[0]
    assert row[0] == "failed" and json.loads(row[1]) == [f"turn {d.turn}: grounding:deadline",
                                                          f"turn {d.turn + 1}: argument_mismatch:deadline"]
    assert json.loads(row[2])[d.turn - 1]["label"]["deadline"] == label["deadline"][:-2] + "00"


async def test_fixes_bring_the_session_back_and_save_writes_it_with_history(db, delivery):
    d = delivery
    outcome_before = query(db, "SELECT outcome FROM sessions WHERE id = ?", d.id)[0][0]
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        screen = await change_phrase(pilot, d)
        await pilot.press("escape", "x")  # re-extract: the deadline follows the text
        await pilot.pause()
        assert screen.working["turns"][d.turn - 1]["label"]["deadline"] == d.new_deadline
        assert screen.problems == [f"turn {d.turn + 1}: argument_mismatch:deadline"]
        await pilot.press("t")  # re-run the tools with the new deadline
        await pilot.pause()
        assert screen.working["turns"][d.turn + 1]["content"]["deadline"] == d.new_deadline
        await pilot.press("j", "j", "r")  # the reply still names the old time: re-render it
        await pilot.pause()
        reply = screen.working["turns"][d.turn + 2]["content"]
        assert d.new_phrase in reply and d.phrase not in reply
        assert screen.problems == []
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not screen.dirty
    row = query(db, "SELECT status, turns FROM sessions WHERE id = ?", d.id)[0]
    assert row[0] == "ok"
    assert json.loads(row[1])[d.turn + 2]["content"] == reply
    edits = query(db, "SELECT session_id, at, action, summary FROM session_edits")
    assert len(edits) == 1 and edits[0][:3] == (d.id, CLOCK, "edit")
    # the session's own outcome is named first when the edited step was its last task step and its outcome changed
    outcome_after = query(db, "SELECT outcome FROM sessions WHERE id = ?", d.id)[0][0]
    head = "outcome; " if outcome_after != outcome_before else ""
    assert edits[0][3].startswith(f"{head}turn {d.turn} text, label; turn {d.turn + 1} arguments; "
                                  f"turn {d.turn + 2} result; turn {d.turn + 3} ")
    assert query(db, "SELECT count(*) FROM session_drafts") == [(0,)]


async def test_fix_all_and_reverify(db, delivery):
    d = delivery
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        screen = await change_phrase(pilot, d)
        await pilot.press("escape", "v")
        await pilot.pause()
        assert screen.problems == [f"turn {d.turn}: grounding:deadline"]
        await pilot.press("a")
        await pilot.pause()
        assert screen.problems == []
        assert d.new_phrase in screen.working["turns"][d.turn + 2]["content"]


async def test_revert_from_history_restores_the_saved_session(db):
    before = query(db, "SELECT * FROM sessions WHERE id = ?", FIRST)
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("e")
        await retype(pilot, "你好")
        await pilot.press("escape", "ctrl+s")
        await pilot.pause()
        assert query(db, "SELECT * FROM sessions WHERE id = ?", FIRST) != before
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HistoryScreen)
        await pilot.press("enter")  # revert the highlighted (newest) edit
        await pilot.pause()
        assert isinstance(pilot.app.screen, SessionScreen)
        assert screen.problems == []
    assert query(db, "SELECT * FROM sessions WHERE id = ?", FIRST) == before
    actions = query(db, "SELECT action, summary FROM session_edits ORDER BY id")
    assert actions == [("edit", "turn 1 text"), ("revert", "reverted #1 (turn 1 text)")]


async def test_undo_steps_back_through_edits(db):
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("e")
        await retype(pilot, "第一次改")
        await pilot.press("escape", "e")
        await retype(pilot, "第二次改")
        await pilot.press("escape", "u")
        await pilot.pause()
        assert screen.working["turns"][0]["content"] == "第一次改"
        await pilot.press("u")
        await pilot.pause()
        assert not screen.dirty and screen.problems == []
    assert query(db, "SELECT count(*) FROM session_drafts") == [(0,)]


async def test_regenerate_with_a_new_seed_keeps_the_id(db):
    old = stored_turns(db)
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        screen = await open_session(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PromptScreen)
        assert pilot.app.screen.query_one("#answer").value == "1"  # the first seed no stored session uses
        await pilot.press("enter")
        await pilot.pause()
        assert screen.working["regenerated"] == {"seed": 1, "as": "memory_upgrade/1/0"}
        await pilot.press("ctrl+s")
        await pilot.pause()
    row = query(db, "SELECT id, seed, idx, extra, turns FROM sessions WHERE id = ?", FIRST)[0]
    assert row[:3] == (FIRST, 0, 0)
    assert json.loads(row[3]) == {"regenerated": {"seed": 1, "as": "memory_upgrade/1/0"}}
    assert json.loads(row[4]) != old
    assert query(db, "SELECT action FROM session_edits") == [("regenerate",)]


async def test_quit_with_unsaved_edits_keeps_a_draft_that_is_offered_back(db):
    app = make_app(db)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_session(pilot)
        await pilot.press("e")
        await retype(pilot, "草稿里的话")
        await pilot.press("escape", "q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("k")
        await pilot.pause()
    assert app.return_code == 0
    assert stored_turns(db)[0]["content"] != "草稿里的话"
    assert query(db, "SELECT session_id, at FROM session_drafts") == [(FIRST, CLOCK)]
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChoiceScreen)  # resume or discard the draft
        await pilot.press("r")
        await pilot.pause()
        screen = pilot.app.screen
        assert screen.working["turns"][0]["content"] == "草稿里的话" and screen.dirty


async def test_discard_on_leaving_drops_the_draft_and_leaves_the_session(db):
    before = query(db, "SELECT * FROM sessions WHERE id = ?", FIRST)
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        await open_session(pilot)
        await pilot.press("e")
        await retype(pilot, "不要了")
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ChoiceScreen)
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, SessionScreen)
    assert query(db, "SELECT count(*) FROM session_drafts") == [(0,)]
    assert query(db, "SELECT * FROM sessions WHERE id = ?", FIRST) == before


async def test_delete_from_the_session_screen_and_undo_in_the_list(db):
    before = query(db, "SELECT * FROM sessions WHERE id = ?", FIRST)
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        await open_session(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert query(db, "SELECT count(*) FROM sessions WHERE id = ?", FIRST) == [(0,)]
        await pilot.press("u")
        await settle(pilot)
    assert query(db, "SELECT * FROM sessions WHERE id = ?", FIRST) == before


async def test_arrows_move_between_bubbles_and_o_unfolds_a_tool_call(db):
    async with make_app(db).run_test(size=(100, 40)) as pilot:
        screen = await open_session(pilot)
        chat = screen.query_one(ChatView)
        tool = next(i for i, view in enumerate(chat.views) if view.kind == "tool")
        await pilot.press(*["down"] * tool)
        await pilot.pause()
        view = chat.current_view
        assert chat.current == tool and view.kind == "tool" and view.has_class("-current")
        result = screen.working["turns"][view.numbers[-1] - 1]["content"]
        unfolded = json.dumps(result, ensure_ascii=False, indent=1)
        assert unfolded not in view.query_one(".body").render().plain
        await pilot.press("o")
        await pilot.pause()
        assert unfolded in view.query_one(".body").render().plain
        await pilot.press("up")
        assert chat.current == tool - 1
