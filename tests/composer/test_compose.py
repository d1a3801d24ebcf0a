"""Sessions: each flow, its negative branches, carry-over, verification catching tampering."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import datetime

import pytest

from twinchat.composer.engine.compose import SessionComposer
from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.references import resolve
from twinchat.composer.time.resolve import find

N = 120


@pytest.fixture(scope="module")
def shopping(composer):
    return [composer.compose("memory_upgrade", i) for i in range(N)]


@pytest.fixture(scope="module")
def repairs(composer):
    return [composer.compose("repair_ticket", i) for i in range(N)]


def _roles_ok(turns):
    """user, then (assistant tool call, tool result)?, then assistant reply — per step."""
    i = 0
    while i < len(turns):
        assert turns[i]["role"] == "user"
        i += 1
        if i < len(turns) and turns[i].get("tool_calls"):
            assert turns[i + 1]["role"] == "tool"
            assert turns[i + 1]["tool_call_id"] == turns[i]["tool_calls"][0]["id"]
            i += 2
        assert turns[i]["role"] == "assistant" and turns[i]["content"]
        i += 1


@pytest.mark.parametrize("flow", ["memory_upgrade", "repair_ticket"])
def test_every_session_verifies(composer, flow, shopping, repairs):
    sessions = shopping if flow == "memory_upgrade" else repairs
    for s in sessions:
        _roles_ok(s["turns"])
        assert composer.verify(s) == [], (s["id"], composer.verify(s))


def test_sessions_are_deterministic_and_leave_the_world_unchanged(composer, shopping, repairs):
    assert composer.compose("memory_upgrade", 7) == shopping[7]
    assert composer.compose("repair_ticket", 7) == repairs[7]
    other = SessionComposer(composer.conn, seed=1)
    assert other.compose("memory_upgrade", 7) != shopping[7]
    assert composer.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


def test_only_sessions_whose_tools_write_open_a_savepoint_and_writes_are_undone(composer, shopping, repairs):
    """Undoing writes costs statements: a session opens a savepoint (its verification, outside a
    transaction, a BEGIN … ROLLBACK that commits nothing) before its first writing tool
    (create_ticket, place_order), never otherwise, and whatever was written is rolled back."""
    reading = [s["index"] for s in shopping if "order" not in s["steps"]][:5]
    assert len(reading) == 5
    statements: list[str] = []
    composer.conn.set_trace_callback(statements.append)
    try:
        for i in reading:
            assert composer.verify(composer.compose("memory_upgrade", i)) == []
        assert not [s for s in statements if "SAVEPOINT" in s or s == "BEGIN"]
        repair = composer.compose("repair_ticket", 3)
        assert any(t.get("tool_calls", [{}])[0].get("name") == "create_ticket" for t in repair["turns"]
                   if t.get("tool_calls"))
        assert composer.verify(repair) == []
    finally:
        composer.conn.set_trace_callback(None)
    # composing and verifying each undo their writes as BEGIN … ROLLBACK: nothing is ever committed
    assert statements.count("BEGIN") == statements.count("ROLLBACK") == 2
    assert statements.index("ROLLBACK") > statements.index("BEGIN")
    assert not [s for s in statements if s.startswith(("RELEASE", "COMMIT"))]
    assert not composer.conn.in_transaction
    assert composer.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


def test_shopping_branches_are_all_reached(shopping):
    paths = Counter(tuple(s["steps"]) for s in shopping)
    steps = {step for path in paths for step in path}
    assert steps == {"ask_part", "give_device", "ask_delivery", "correct", "order", "vague_time", "clarify_time",
                     "other_product", "greeting", "closing",  # the flow's greeting and closing
                     "change_address:change"}  # the second task: the order placed sent elsewhere
    outcomes = Counter(t.get("outcome") for s in shopping for t in s["turns"] if t.get("outcome"))
    for needed in ("found", "ask_device", "not_upgradeable", "some_arrive", "none_arrive", "confirm"):
        assert outcomes[needed] > 0, needed


def test_device_clarification(shopping):
    s = next(s for s in shopping if s["steps"][:2] == ["ask_part", "give_device"])
    first, reply, second = s["turns"][0], s["turns"][1], s["turns"][2]
    assert first["label"]["device"] is None and "tool_calls" not in reply
    assert "型号" in reply["content"]
    assert second["label"]["category"] == first["label"]["category"]          # carried over
    assert second["label"]["device"] in second["content"]


def test_references_resolve_to_the_listed_options(shopping):
    checked = 0
    for s in shopping:
        listed = None
        for t in s["turns"]:
            if t["role"] == "tool" and t["name"] == "search_products" and "products" in t["content"]:
                listed = t["content"]["products"]
            if t["role"] == "user" and t.get("unit") == "shop_delivery_of_options":
                ids = t["label"]["products"]
                assert resolve(t["content"], listed) == ids
                assert set(ids) <= {p["id"] for p in listed}
                checked += 1
    assert checked > 20


def test_the_answer_is_computed_from_the_deadline_and_etas(shopping):
    seen = 0
    for s in shopping:
        now = datetime.fromisoformat(s["now"])
        for i, t in enumerate(s["turns"]):
            if t["role"] == "user" and t.get("unit") == "shop_delivery_of_options":
                spans = find(t["content"], now)
                assert any(sp.window.end.strftime("%Y-%m-%d %H:%M:%S") == t["label"]["deadline"] for sp in spans)
                result = s["turns"][i + 2]["content"]
                if "results" not in result:
                    continue
                reply = s["turns"][i + 3]
                arriving = [r for r in result["results"] if r["eta"] and r["eta"] <= t["label"]["deadline"]]
                assert (reply["outcome"] == "some_arrive") == bool(arriving)
                for r in arriving:
                    assert r["short_name"] in reply["content"]
                seen += 1
    assert seen > 20


def test_correction_keeps_products_and_deadline(shopping):
    s = next(s for s in shopping
             if "correct" in s["steps"] and s["steps"][s["steps"].index("correct") - 1] == "ask_delivery")
    users = [t for t in s["turns"] if t["role"] == "user"]
    asked = next(t for t in users if t["unit"] == "shop_delivery_of_options")
    fixed = next(t for t in users if t["unit"] == "shop_correct_district")
    assert fixed["label"]["products"] == asked["label"]["products"]
    assert fixed["label"]["deadline"] == asked["label"]["deadline"]
    assert fixed["label"]["destination"] in fixed["content"]


def test_order_uses_the_customer_and_an_arriving_option(shopping):
    """The order is the customer's (name, phone), shipped to the place just checked: their own
    address when that was their home district, else an address at that place."""
    kinds = set()
    for s in (s for s in shopping if s["steps"][-1] == "order"):
        order = next(t for t in s["turns"] if t.get("unit") == "shop_order")
        checked = [t["content"] for t in s["turns"] if t.get("name") == "check_delivery"][-1]["destination"]
        assert order["label"]["name"] == s["customer"]["name"]
        assert order["label"]["phone"] == s["customer"]["phone"]
        home = checked["adcode"] == s["customer"]["adcode"]
        kinds.add(home)
        assert order["label"]["address"] == (s["customer"]["address"] if home else
                                             checked["name"] + s["customer"]["detail"])
    assert kinds == {True, False}


def test_repair_is_react_and_books_a_listed_slot(repairs):
    booked = [s for s in repairs if s["steps"] == ["report", "slots", "book"] and s["outcome"] == "created"]
    assert booked
    for s in booked:
        calls = [t for t in s["turns"] if t.get("tool_calls")]
        assert [c["tool_calls"][0]["name"] for c in calls] == ["search_solution", "query_technician_slots",
                                                                "create_ticket"]
        assert all(c["thought"] for c in calls)
        listed = s["turns"][6]["content"]["slots"]                    # the slots the assistant listed
        booking = s["turns"][9]["tool_calls"][0]["arguments"]
        assert (booking["serve_time"], booking["technician_id"]) in [(x["start"], x["technician_id"]) for x in listed]
        assert booking["user_name"] == s["customer"]["name"] and booking["phone"] == s["customer"]["phone"]
        ticket = s["turns"][10]["content"]
        assert ticket["ticket_no"].startswith("TK") and ticket["ticket_no"] in s["turns"][11]["content"]


def _first_with(sessions, unit):
    return next(s for s in sessions if any(t.get("unit") == unit for t in s["turns"]))


def test_tampered_label_is_caught(composer, shopping):
    s = copy.deepcopy(_first_with(shopping, "shop_delivery_of_options"))
    turn = next(t for t in s["turns"] if t.get("unit") == "shop_delivery_of_options")
    turn["label"]["deadline"] = "2027-01-01 23:59:59"
    reasons = composer.verify(s)
    assert any("grounding:deadline" in r for r in reasons)
    assert any("argument_mismatch:deadline" in r for r in reasons)


def test_tampered_tool_result_is_caught(composer, shopping):
    s = copy.deepcopy(_first_with(shopping, "shop_delivery_of_options"))
    i = next(i for i, t in enumerate(s["turns"]) if t["role"] == "tool" and t["name"] == "check_delivery")
    s["turns"][i]["content"]["destination"]["name"] = "火星"
    assert f"turn {i + 1}: tool_mismatch" in composer.verify(s)


def test_tampered_reply_is_caught(composer, repairs):
    s = copy.deepcopy(next(s for s in repairs if s["outcome"] == "created"))
    ticket_no = s["turns"][-2]["content"]["ticket_no"]
    s["turns"][-1]["content"] = s["turns"][-1]["content"].replace(ticket_no, "TK20990101000000")
    assert any("reply_fact:TK20990101000000" in r for r in composer.verify(s))


def test_tampered_outcome_is_caught(composer, shopping):
    s = copy.deepcopy(_first_with(shopping, "shop_delivery_of_options"))
    i = next(i for i, t in enumerate(s["turns"]) if t.get("outcome") in ("some_arrive", "none_arrive"))
    s["turns"][i]["outcome"] = "none_arrive" if s["turns"][i]["outcome"] == "some_arrive" else "some_arrive"
    assert f"turn {i + 1}: outcome_mismatch" in composer.verify(s)


@pytest.mark.parametrize("now", [None, 20261120, "2026-11-20T09:05:00", "2026-11-20 09:05", "2026-02-30 09:00:00"])
def test_a_malformed_clock_fails_the_schema(composer, shopping, now):
    s = copy.deepcopy(shopping[0])
    s["now"] = now
    verdict = composer.verify(s)
    if now == "2026-02-30 09:00:00":  # the right shape, but no such day: the clock cannot be read
        assert verdict == ["schema"]
    elif isinstance(now, str):  # the Session model names the field and the shape it wants
        assert verdict == ["schema: now: string should match pattern "
                           "'^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$'"]
    else:
        assert verdict == ["schema: now: input should be a valid string"]


def test_unknown_flow(composer):
    with pytest.raises(ComposerError, match=r"unknown flow 'memory_upgrad' \(did you mean 'memory_upgrade'\?\)"):
        composer.compose("memory_upgrad", 0)
