"""Editing composed sessions: what verification flags after an edit, and the fixes that undo it."""

from __future__ import annotations

import copy
import re
from datetime import datetime

import pytest

from twinchat.composer.store import edit
from twinchat.composer.engine.compose import SessionComposer
from twinchat.composer.errors import ComposerError
from twinchat.composer.time.resolve import find, resolve

N = 24


@pytest.fixture(scope="module")
def sessions(composer):
    return [composer.compose(flow, i) for flow in ("memory_upgrade", "repair_ticket") for i in range(N)]


def _user_turns(sessions, unit):
    """(session, turn number) of every user turn of ``unit``."""
    return [(s, n) for s in sessions for n, t in enumerate(s["turns"], 1) if t["role"] == "user" and t["unit"] == unit]


def _other_day(text: str, now: datetime) -> tuple[str, str] | None:
    """The text with its one time phrase replaced by 下周五 (or 下下周五), and the new phrase; None
    when there is not one phrase or the new one would mean the same time."""
    spans = find(text, now)
    if len(spans) != 1:
        return None
    new = "下下周五" if "下周五" in text else "下周五"
    if resolve(new, now).end == spans[0].window.end:
        return None  # the new phrase would mean the same time (下个礼拜五 → 下周五): nothing to flag
    return text.replace(spans[0].text, new), new


def test_replies_render_again_unchanged_or_say_why_not(composer):
    """The slots recovered from a stored session render (almost) every reply exactly as composed;
    a reply that needs what the session does not keep is left as it is, with the reason."""
    same, kept = 0, []
    for s in [composer.compose(flow, i) for flow in sorted(composer.flows) for i in range(12)]:
        for n, turn in enumerate(s["turns"], 1):
            if turn["role"] == "assistant" and not turn.get("tool_calls") and "outcome" in turn:
                fix = edit.rerender(composer, s, n)
                assert fix.changed == [] and fix.session == s, (s["id"], n, fix.changed)
                if fix.notes:
                    kept += fix.notes
                else:
                    same += 1
    assert same > 80 and len(kept) <= same // 10
    said = (r"turn \d+: no reply template of outcome '\w+' renders from what the session keeps "
            r"\(the session does not keep \w+(\.\w+)?\); edit the text \(e\)",
            r"turn \d+: outcome '\w+' cannot be re-decided from what the session keeps; '\w+' is kept")
    for note in kept:
        assert any(re.fullmatch(pattern, note) for pattern in said), note


def test_reextract_and_rerun_leave_an_unedited_session_as_it_is(composer, sessions):
    for s in sessions[:10]:
        for n, turn in enumerate(s["turns"], 1):
            if turn["role"] == "user":
                assert edit.reextract(composer, s, n).changed == []
        assert edit.rerun_tools(composer, s).changed == []


def test_a_new_time_phrase_is_flagged_then_fixed_turn_by_turn(composer, sessions):
    fixed = 0
    for s, n in _user_turns(sessions, "shop_delivery_of_options"):
        now = datetime.fromisoformat(s["now"])
        changed = _other_day(s["turns"][n - 1]["content"], now)
        if changed is None:
            continue
        text, phrase = changed
        edited = edit.set_text(s, n, text)
        assert s["turns"][n - 1]["content"] != text  # the input is not modified
        assert composer.verify(edited) == [f"turn {n}: grounding:deadline"]
        fix = edit.reextract(composer, edited, n)
        assert fix.changed == [f"turn {n} label.deadline"]
        deadline = resolve(phrase, now).end.strftime("%Y-%m-%d %H:%M:%S")
        assert fix.session["turns"][n - 1]["label"]["deadline"] == deadline
        assert composer.verify(fix.session) == [f"turn {n + 1}: argument_mismatch:deadline"]
        rerun = edit.rerun_tools(composer, fix.session)
        assert rerun.changed[:2] == [f"turn {n + 1} arguments", f"turn {n + 2} result"]
        whole = edit.fix_all(composer, edited, s)
        assert composer.verify(whole.session) == []
        if s["turns"][n - 1]["content"] != text and find(s["turns"][n + 2]["content"], now):
            assert phrase in whole.session["turns"][n + 2]["content"]
        fixed += 1
    assert fixed >= 3


def test_a_changed_phone_is_read_back_into_the_label(composer, sessions):
    s, n = _user_turns(sessions, "shop_order")[0]
    turn = s["turns"][n - 1]
    phone = turn["label"]["phone"]
    other = phone[:3] + "00000000"
    edited = edit.set_text(s, n, turn["content"].replace(phone, other))
    assert f"turn {n}: grounding:phone" in composer.verify(edited)
    fix = edit.reextract(composer, edited, n)
    assert fix.changed == [f"turn {n} label.phone"] and fix.session["turns"][n - 1]["label"]["phone"] == other
    assert f"turn {n}: grounding:phone" not in composer.verify(fix.session)


def test_what_cannot_be_read_back_is_reported(composer, sessions):
    s, n = _user_turns(sessions, "shop_order")[0]
    turn = s["turns"][n - 1]
    edited = edit.set_text(s, n, turn["content"].replace(turn["label"]["name"], "某某"))
    fix = edit.reextract(composer, edited, n)
    assert fix.changed == []
    assert fix.notes == [f"turn {n}: name: {turn['label']['name']!r} is not in the text and cannot be read back; "
                         f"edit the label (l)"]


def test_set_label_and_the_changes_it_makes(composer, sessions):
    s, n = _user_turns(sessions, "shop_order")[0]
    label = dict(s["turns"][n - 1]["label"], address="西藏自治区拉萨市城关区")
    edited = edit.set_label(s, n, label)
    assert f"turn {n}: grounding:address" in composer.verify(edited)
    assert edit.changes(s, edited) == [f"turn {n} label"]
    assert edit.summarize(s, edited) == f"turn {n} label"
    assert edit.summarize(s, s) == "no change"
    reply = next(i for i, t in enumerate(s["turns"], 1) if t["role"] == "assistant")
    tool = next(i for i, t in enumerate(s["turns"], 1) if t["role"] == "tool")
    with pytest.raises(ComposerError, match=f"session {s['id']}: turn {reply} is not a user turn; only user turns "
                                            f"have a"):
        edit.set_label(s, reply, {})
    with pytest.raises(ComposerError, match=f"session {s['id']}: turn {tool} is a tool result; re-run the tools "
                                            f"instead"):
        edit.set_text(s, tool, "x")
    with pytest.raises(ComposerError, match=f"session {s['id']}: no turn 99 \\(it has {len(s['turns'])}\\)"):
        edit.set_text(s, 99, "x")


def test_turn_problems_groups_reasons_by_turn():
    assert edit.turn_problems(["turn 5: grounding:deadline", "turn 6: tool_mismatch", "schema",
                               "turn 5: type:phone"]) == {5: ["grounding:deadline", "type:phone"],
                                                          6: ["tool_mismatch"], 0: ["schema"]}


def test_regenerate_keeps_the_id_and_says_where_the_content_comes_from(world_path, sessions):
    from twinchat.inventory import open_world

    conn = open_world(world_path)
    try:
        other = SessionComposer(conn, seed=7)
        original = sessions[0]
        fresh = edit.regenerate(other, copy.deepcopy(original))
        assert (fresh["id"], fresh["seed"], fresh["index"]) == (original["id"], 0, 0)
        assert fresh["regenerated"] == {"seed": 7, "as": "memory_upgrade/7/0"}
        assert fresh["turns"] != original["turns"]
        assert other.verify(fresh) == []
    finally:
        conn.close()
