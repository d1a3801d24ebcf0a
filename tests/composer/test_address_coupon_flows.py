"""What the change_address and coupon_question flows state comes from their tools: the address
written and the arrival computed for it (a confirmation that leaves either out, or says another
time, fails the cross-turn check ``address_change``), the coupon and the price after it. Shopping
confirmations say their times relative to the clock (明天18:00)."""

from __future__ import annotations

import copy
import re

import pytest

from twinchat.composer.engine.filters import when

N = 200


@pytest.fixture(scope="module")
def changes(composer):
    return [composer.compose("change_address", i) for i in range(N)]


def _changed(sessions):
    """(session, reply turn number, tool result) of each address changed."""
    out = []
    for s in sessions:
        result = None
        for n, turn in enumerate(s["turns"], 1):
            if turn["role"] == "tool" and turn["name"] == "change_address":
                result = turn["content"]
            elif turn["role"] == "assistant" and turn.get("outcome") == "changed":
                out.append((s, n, result))
    return out


def test_a_confirmation_states_the_address_written_and_its_arrival(changes):
    changed = _changed(changes)
    assert len(changed) > N / 3
    for s, n, result in changed:
        reply = s["turns"][n - 1]["content"]
        assert result["address"]["text"] in reply
        assert re.search(r"[0-9]:[0-9]{2}", reply) is None or when(result["estimated_delivery"], s["now"]) in reply


def test_a_confirmation_without_the_address_or_with_another_time_is_caught(composer, changes):
    s, n, result = next((s, n, r) for s, n, r in _changed(changes) if when(r["estimated_delivery"], s["now"])
                        in s["turns"][n - 1]["content"])
    assert composer.verify(s) == []
    dropped = copy.deepcopy(s)
    dropped["turns"][n - 1]["content"] = dropped["turns"][n - 1]["content"].replace(result["address"]["text"], "新地址")
    assert f"turn {n}: address_change" in composer.verify(dropped)
    later = copy.deepcopy(s)
    said = when(result["estimated_delivery"], s["now"])
    later["turns"][n - 1]["content"] = later["turns"][n - 1]["content"].replace(said, said.replace(":", ":1", 1)[:-1])
    assert f"turn {n}: address_change" in composer.verify(later)


def test_a_coupon_reply_states_the_coupon_and_the_price_after_it(composer):
    from twinchat.composer.engine.filters import price

    seen = set()
    for i in range(N):
        s = composer.compose("coupon_question", i)
        assert composer.verify(s) == [], s["id"]
        result = next(t["content"] for t in s["turns"] if t["role"] == "tool")
        reply = next(t for t in s["turns"] if t["role"] == "assistant" and t.get("outcome") and t["step"] == "ask")
        seen.add(reply["outcome"])
        if reply["outcome"] == "applies":
            assert result["best"]["name"] in reply["content"] and price(result["pay"]) in reply["content"]
        elif reply["outcome"] == "short":
            assert price(result["nearest"]["short_by"]) in reply["content"]
        else:
            assert result["coupons"] == [] and price(result["lines"][0]["price_now"]) in reply["content"] \
                or price(result["subtotal"]) in reply["content"]
    assert seen == {"applies", "short", "none"}


def test_shopping_confirmations_say_the_arrival_relative_to_the_clock(composer):
    confirmed = 0
    for i in range(300):
        s = composer.compose("memory_upgrade", i)
        for n, turn in enumerate(s["turns"]):
            if turn["role"] == "tool" and turn["name"] == "place_order" and "error" not in turn["content"]:
                reply = s["turns"][n + 1]["content"]
                assert when(turn["content"]["eta"], s["now"]) in reply, reply
                confirmed += 1
    assert confirmed > 10
