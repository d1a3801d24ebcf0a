"""The shopping flow's corner cases: a delivery time said without its day (asked back, then
clarified), and a product that is sold out everywhere (then, sometimes, a district correction).

Sessions are composed once per module on the seed-0 world; every expectation is computed from
the session clock, the time grammar, the world's tables or the flow file, not copied from a run.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from datetime import datetime, timedelta

import pytest

from twinchat.composer.engine.compose import SessionComposer
from twinchat.composer.errors import TimeExpressionError
from twinchat.composer.engine.references import resolve as resolve_reference
from twinchat.composer.time.resolve import find, resolve
from twinchat.composer.engine.slot_values import Record

N = 400
FMT = "%Y-%m-%d %H:%M:%S"

#: The last second of each part of day (DESIGN.md "Time expressions").
PART_ENDS = {"凌晨": "05:59:59", "早上": "09:59:59", "上午": "11:59:59", "中午": "13:59:59",
             "下午": "17:59:59", "傍晚": "18:59:59", "晚上": "23:59:59"}
#: How today's and tomorrow's 晚上 and 早上 are said (others: 今天/明天 + the part).
SAID = {"晚上": ("今晚", "明晚"), "早上": ("今早", "明早")}


@pytest.fixture(scope="module")
def sessions(composer):
    return [composer.compose("memory_upgrade", i) for i in range(N)]


def _clock(session) -> datetime:
    return datetime.strptime(session["now"], FMT)


def _user_turns(sessions, unit):
    """(session, index of the user turn) for every user turn of ``unit``."""
    return [(s, i) for s in sessions for i, t in enumerate(s["turns"])
            if t["role"] == "user" and t.get("unit") == unit]


def _after(session, i, role="user"):
    """The index of the first turn after ``i`` with ``role``."""
    return next(j for j in range(i + 1, len(session["turns"])) if session["turns"][j]["role"] == role)


def _listed(session, before):
    """The products the last search before turn ``before`` listed."""
    found = [t["content"]["products"] for t in session["turns"][:before]
             if t["role"] == "tool" and t["name"] == "search_products"]
    return found[-1]


# -- every session ---------------------------------------------------------------------------

def test_every_session_verifies(composer, sessions):
    for s in sessions:
        assert composer.verify(s) == [], (s["id"], composer.verify(s))


def test_each_branch_is_reached(sessions):
    steps = Counter(step for s in sessions for step in s["steps"])
    outcomes = Counter((t["step"], t["outcome"]) for s in sessions for t in s["turns"] if t.get("outcome"))
    assert steps["vague_time"] >= 10 and steps["other_product"] >= 10, steps
    assert outcomes[("vague_time", "ask_time")] == steps["vague_time"] == steps["clarify_time"]
    assert outcomes[("other_product", "out_of_stock")] == steps["other_product"]
    assert outcomes[("correct", "out_of_stock")] >= 1, outcomes
    asked = [s["turns"][i]["label"] for s, i in _user_turns(sessions, "shop_delivery_vague_time")]
    assert {a["deadline_issue"] for a in asked} == {"ambiguous", "past"}
    assert len({a["deadline_phrase"] for a in asked}) >= 4


@pytest.mark.parametrize(("now", "phrase", "asked"), [
    ("2026-11-18 20:30:00", "晚上", ("今晚", "明晚")),          # a Wednesday evening
    ("2026-11-22 22:10:00", "周末", ("这个周末", "下个周末")),  # a Sunday night
])
def test_evening_and_weekend_are_asked_back(composer, sessions, now, phrase, asked):
    s, i = _user_turns(sessions, "shop_delivery_vague_time")[0]
    context = {"options": _listed(s, i), "customer": Record("customer", s["customer"], s["customer"]["name"])}
    gen, clock = composer.generator("shop_delivery_vague_time"), datetime.strptime(now, FMT)
    said = [gen.session_sample(f"corner/{k}", clock, context, composer._call) for k in range(60)]
    said = [x for x in said if x.label["deadline_phrase"] == phrase]
    assert len(said) >= 3
    for x in said:
        assert x.label["deadline"] is None and x.label["deadline_issue"] == "ambiguous" and phrase in x.text
        assert resolve(phrase, clock).start == clock         # the grammar alone would take what is left of today
        assert x.outcome == "ask_time" and x.tool_call is None and all(word in x.reply for word in asked), x.reply
        meant = x.slots["meant"]
        assert meant.text != phrase and resolve(meant.text, clock).end == meant.end


def test_branch_shares_follow_the_flow_weights(composer, sessions):
    flow = composer.flow("memory_upgrade")
    branches = flow.step("ask_part").next["found"]
    assert flow.step("give_device").next["found"] == branches
    total = sum(b.weight for b in branches)
    taken = Counter()
    for s in sessions:
        for step, following in zip(s["steps"], s["steps"][1:] + ["end"]):
            if step in ("ask_part", "give_device"):
                turn = next(t for t in s["turns"] if t.get("step") == step and t.get("outcome"))
                if turn["outcome"] == "found":
                    taken[following] += 1
    n = sum(taken.values())
    for b in branches:
        p = b.weight / total
        assert abs(taken[b.step] / n - p) <= 4 * math.sqrt(p * (1 - p) / n), (b.step, taken)


def test_a_flow_of_my_own_sets_the_rates(world_path, tmp_path):
    from twinchat.inventory import open_world

    (tmp_path / "corner.yaml").write_text(
        "kind: flow\nid: corner_cases\ntitle: 只走异常分支\nstart: ask_part\nsteps:\n"
        "  - id: ask_part\n    unit: shop_ask_part\n"
        "    remember: {options: \"result.products if result and 'products' in result else []\", part: part}\n"
        "    next: {found: [{step: vague_time, weight: 1}, {step: other_product, weight: 1}]}\n"
        "  - id: vague_time\n    unit: shop_delivery_vague_time\n"
        "    remember: {vague_delivery: \"{'products': label.products, 'destination': label.destination}\","
        " meant_time: meant}\n    next: {ask_time: clarify_time}\n"
        "  - id: clarify_time\n    unit: shop_clarify_time\n"
        "  - id: other_product\n    unit: shop_ask_other_product\n", encoding="utf-8")
    conn = open_world(world_path)
    try:
        mine = SessionComposer(conn, seed=3, units_dirs=[str(tmp_path)])
        runs = [mine.compose("corner_cases", i) for i in range(30)]
        paths = Counter(tuple(s["steps"]) for s in runs)
        found = [s for s in runs if any(t.get("outcome") == "found" for t in s["turns"])]
        assert found and all(len(s["steps"]) > 1 for s in found), paths
        assert set(paths) <= {("ask_part",), ("ask_part", "vague_time", "clarify_time"), ("ask_part", "other_product")}
        assert ("ask_part", "vague_time", "clarify_time") in paths and ("ask_part", "other_product") in paths
        assert all(mine.verify(s) == [] for s in runs)
    finally:
        conn.close()


# -- the ambiguous time, asked back ------------------------------------------------------------

def test_the_ambiguous_turn_leaves_the_deadline_null_and_says_why(sessions):
    for s, i in _user_turns(sessions, "shop_delivery_vague_time"):
        turn, now = s["turns"][i], _clock(s)
        label, phrase = turn["label"], turn["label"]["deadline_phrase"]
        assert label["deadline"] is None and phrase in turn["content"]
        assert resolve_reference(turn["content"], _listed(s, i)) == label["products"]
        assert label["destination"] in turn["content"]
        if label["deadline_issue"] == "past":       # today's part of day is over: the grammar refuses it
            assert phrase in PART_ENDS
            with pytest.raises(TimeExpressionError, match="lies wholly in the past"):
                resolve(phrase, now)
        else:                                       # going on now: today's rest, or another day
            assert label["deadline_issue"] == "ambiguous"
            assert resolve(phrase, now).start == now, (phrase, s["now"])
            if phrase == "周末":
                assert now.weekday() >= 5


def test_the_assistant_asks_which_day_without_calling_a_tool(sessions):
    for s, i in _user_turns(sessions, "shop_delivery_vague_time"):
        reply = s["turns"][i + 1]
        assert reply["role"] == "assistant" and "tool_calls" not in reply and reply["outcome"] == "ask_time"
        label, text = s["turns"][i]["label"], reply["content"]
        phrase = label["deadline_phrase"]
        assert "?" in text, text
        if phrase == "周末":
            assert "这个周末" in text and "下个周末" in text, text
            continue
        today, tomorrow = SAID.get(phrase, ("今天" + phrase, "明天" + phrase))
        assert tomorrow in text, text
        if label["deadline_issue"] == "past":
            assert f"今天{phrase}" in text and "已经过了" in text and today not in text.replace("今天" + phrase, ""), text
        else:
            assert today in text, text


def test_the_clarified_turn_holds_the_resolved_deadline(sessions):
    checked = 0
    for s, i in _user_turns(sessions, "shop_delivery_vague_time"):
        asked, now = s["turns"][i]["label"], _clock(s)
        j = _after(s, i)
        turn = s["turns"][j]
        assert turn["unit"] == "shop_clarify_time"
        label = turn["label"]
        assert (label["products"], label["destination"]) == (asked["products"], asked["destination"])
        deadline = datetime.strptime(label["deadline"], FMT)
        assert any(span.window.end == deadline for span in find(turn["content"], now)), (turn["content"], s["now"])
        phrase = asked["deadline_phrase"]
        if phrase == "周末":                                  # this Sunday or next Sunday, to the end
            assert deadline.weekday() == 6 and label["deadline"].endswith("23:59:59")
            assert (deadline.date() - now.date()).days in (6 - now.weekday(), 13 - now.weekday())
        else:                                                # the same part of day, today or tomorrow
            assert label["deadline"][11:] == PART_ENDS[phrase]
            days = (deadline.date() - now.date()).days
            assert days == 1 if asked["deadline_issue"] == "past" else days in (0, 1)
        checked += 1
    assert checked >= 10


def test_check_delivery_runs_with_the_resolved_deadline(sessions):
    for s, i in _user_turns(sessions, "shop_clarify_time"):
        label = s["turns"][i]["label"]
        call, result, reply = s["turns"][i + 1], s["turns"][i + 2], s["turns"][i + 3]
        assert call["tool_calls"][0]["name"] == "check_delivery"
        assert call["tool_calls"][0]["arguments"] == {k: label[k] for k in ("products", "destination", "deadline")}
        content = result["content"]
        if "error" in content:
            assert reply["outcome"] == "tool_error"
            continue
        assert content["deadline"] == label["deadline"]
        arriving = [r for r in content["results"] if r["eta"] and r["eta"] <= label["deadline"]]
        assert (reply["outcome"] == "some_arrive") == bool(arriving), (reply, content)
        for r in arriving:
            assert r["short_name"] in reply["content"]


def _first(sessions, unit):
    return copy.deepcopy(next(s for s, _ in _user_turns(sessions, unit)))


def test_a_tampered_clarified_deadline_is_caught(composer, sessions):
    s = _first(sessions, "shop_clarify_time")
    n, turn = next((n, t) for n, t in enumerate(s["turns"], 1) if t.get("unit") == "shop_clarify_time")
    wrong = (datetime.strptime(turn["label"]["deadline"], FMT) + timedelta(days=1)).strftime(FMT)
    turn["label"]["deadline"] = wrong
    reasons = composer.verify(s)
    assert f"turn {n}: grounding:deadline" in reasons and f"turn {n + 1}: argument_mismatch:deadline" in reasons
    s["turns"][n]["tool_calls"][0]["arguments"]["deadline"] = wrong      # the call agrees with the label now
    reasons = composer.verify(s)
    assert f"turn {n}: grounding:deadline" in reasons and f"turn {n + 2}: tool_mismatch" in reasons
    assert not any("argument_mismatch" in r for r in reasons)


def test_a_tampered_ambiguous_turn_is_caught(composer, sessions):
    s = _first(sessions, "shop_delivery_vague_time")
    n, turn = next((n, t) for n, t in enumerate(s["turns"], 1) if t.get("unit") == "shop_delivery_vague_time")
    clarified = next(t for t in s["turns"] if t.get("unit") == "shop_clarify_time")
    turn["label"]["deadline"] = clarified["label"]["deadline"]     # the ambiguous turn cannot know it yet
    assert composer.verify(s) == [f"turn {n}: missing_not_null:deadline"]
    turn["label"]["deadline"] = None
    turn["label"]["deadline_phrase"] = "明晚" if turn["label"]["deadline_phrase"] != "明晚" else "今晚"
    assert composer.verify(s) == [f"turn {n}: grounding:deadline_phrase"]


# -- the sold-out product ----------------------------------------------------------------------

def test_the_sold_out_product_is_out_of_stock_in_the_world(composer, sessions):
    conn = composer.conn
    for s, i in _user_turns(sessions, "shop_ask_other_product"):
        label = s["turns"][i]["label"]
        assert label["product"] in s["turns"][i]["content"]
        pid, total = conn.execute(
            "SELECT p.id, coalesce((SELECT sum(qty) FROM stock WHERE product_id = p.id), 0) FROM products p "
            "WHERE ? IN (p.model, p.short_name)", (label["product"],)).fetchone()
        assert label["products"] == [pid] and total == 0
        result, reply = s["turns"][i + 2]["content"], s["turns"][i + 3]
        if "error" in result:
            assert reply["outcome"] == "tool_error"
            continue
        assert [(r["product_id"], r["in_stock"], r["eta"]) for r in result["results"]] == [(pid, False, None)]
        assert reply["outcome"] == "out_of_stock" and result["results"][0]["short_name"] in reply["content"]
        offered = [p for p in _listed(s, i) if p["short_name"] + "有现货" in reply["content"]]
        assert all(p["in_stock"] for p in offered)


def test_a_correction_after_the_sold_out_product_is_still_out_of_stock(sessions):
    seen = 0
    for s in sessions:
        if s["steps"][-2:] != ["other_product", "correct"]:
            continue
        asked = next(t for t in s["turns"] if t.get("unit") == "shop_ask_other_product")["label"]
        fixed = next(t for t in s["turns"] if t.get("unit") == "shop_correct_district")
        assert (fixed["label"]["products"], fixed["label"]["deadline"]) == (asked["products"], asked["deadline"])
        reply = s["turns"][-1]
        if reply["outcome"] == "tool_error":
            continue
        assert reply["outcome"] == "out_of_stock" and "缺货" in reply["content"]
        seen += 1
    assert seen >= 1
