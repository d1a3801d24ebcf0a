"""The everyday after-sales flows: each composes sessions that verify, reaches every outcome its
unit defines (tool errors of a kind the world makes included), and states the tool's facts."""

from __future__ import annotations

import pytest

N = 300
#: flow → its unit and the outcomes composing reaches (``tool_error``: any other tool error, which
#: only malformed arguments give — never the built-in templates)
FLOWS = {
    "urge_shipment": ("aftersales_urge", {"urged", "overdue", "shipped", "delivered", "cancelled", "not_found"}),
    "cancel_order": ("aftersales_cancel", {"cancelled", "partial", "shipped", "delivered", "already_cancelled",
                                           "not_found"}),
    "invoice_request": ("aftersales_invoice", {"issued", "pending", "cancelled", "not_found"}),
    "price_protection": ("aftersales_price", {"difference", "no_drop", "expired", "not_eligible", "not_found"}),
    "human_agent": ("aftersales_human", {"transferred", "offline"}),
    "complaint": ("aftersales_complaint", {"filed", "urgent", "not_found"}),
    "change_address": ("aftersales_address", {"changed", "shipped", "delivered", "cancelled", "bad_address",
                                              "not_found"}),
    "coupon_question": ("coupon_ask", {"applies", "short", "none"}),
}


@pytest.fixture(scope="module")
def everyday(composer):
    return {flow: [composer.compose(flow, i) for i in range(N)] for flow in FLOWS}


def _replies(session, unit):
    """(user turn, tool result, reply turn) of each exchange of ``unit`` in the session."""
    out, user, result = [], None, None
    for turn in session["turns"]:
        if turn["role"] == "user":
            user, result = turn, None
        elif turn["role"] == "tool":
            result = turn["content"]
        elif turn["role"] == "assistant" and turn.get("content") and user and user["unit"] == unit:
            out.append((user, result, turn))
    return out


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_every_session_verifies_and_every_outcome_is_reached(composer, everyday, flow):
    unit, reached = FLOWS[flow]
    sessions = everyday[flow]
    assert [s["id"] for s in sessions if composer.verify(s)] == []
    seen = {reply["outcome"] for s in sessions for _, _, reply in _replies(s, unit)}
    assert seen == reached
    defined = {o.id for o in composer.units[unit].unit.outcomes}
    assert defined - seen == set(composer.units[unit].unit.unreached)


def test_a_cancelled_line_is_the_one_the_customer_named(everyday, world):
    partial = [(u, r, a) for s in everyday["cancel_order"] for u, r, a in _replies(s, "aftersales_cancel")
               if a["outcome"] == "partial"]
    assert len(partial) >= 10
    for user, result, reply in partial:
        named = result["cancelled"][0]
        assert named["product_id"] == user["label"]["product_id"] and named["short_name"] in user["content"]
        assert named["short_name"] in reply["content"]
        assert all(k["short_name"] in reply["content"] for k in result["kept"])


def test_urging_answers_from_the_order_state_at_the_clock(everyday, world):
    from twinchat.inventory.orders import status_at

    checked = 0
    for s in everyday["urge_shipment"]:
        for user, result, reply in _replies(s, "aftersales_urge"):
            if reply["outcome"] == "not_found":
                continue
            row = world.execute("SELECT created_at, paid_at, shipped_at, delivered_at, cancelled_at FROM orders "
                                "WHERE order_no = ?", (user["label"]["order_no"],)).fetchone()
            status = status_at(dict(zip(("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at"),
                                        row)), __import__("twinchat.inventory.timefmt", fromlist=["x"]).parse_time(s["now"]))
            assert result["status"] == status
            checked += 1
    assert checked >= 200


def test_a_complaint_apologises_and_escalates(everyday):
    for s in everyday["complaint"]:
        for _, result, reply in _replies(s, "aftersales_complaint"):
            assert any(w in reply["content"] for w in ("抱歉", "对不起", "理解"))
            if reply["outcome"] in ("filed", "urgent"):
                assert result["complaint_no"] in reply["content"]


def test_unreached_must_name_an_outcome_of_the_unit(tmp_path):
    from pathlib import Path

    from twinchat.units.errors import UnitError
    from twinchat.units.loader import load_file

    text = (Path(__file__).resolve().parents[2] / "units" / "builtin" / "aftersales_human.yaml").read_text(
        encoding="utf-8")
    bad = text.replace("unreached:\n  tool_error:", "unreached:\n  tool_eror:", 1)
    assert bad != text
    path = tmp_path / "aftersales_human.yaml"
    path.write_text(bad, encoding="utf-8")
    line = next(n for n, l in enumerate(bad.splitlines(), 1) if l.startswith("  tool_eror:"))
    with pytest.raises(UnitError) as caught:
        load_file(path)
    assert str(caught.value) == (f"{path}:{line}: unit 'aftersales_human', field unreached.tool_eror: unreached "
                                 "names unknown outcome 'tool_eror' (outcomes: ['offline', 'tool_error', 'transferred'])")
