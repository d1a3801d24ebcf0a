"""A tool result edited to another shape is reported, not raised (merge into tests/composer/test_compose.py)."""

from __future__ import annotations

import copy

from twinchat.composer.engine.compose import SessionComposer


def test_result_of_another_shape_is_a_mismatch_not_an_error(world):
    composer = SessionComposer(world, seed=0)
    session = next(s for s in (composer.compose("memory_upgrade", i) for i in range(20))
                   if any(t["role"] == "tool" and "count" in t["content"] for t in s["turns"]))
    edited = copy.deepcopy(session)
    n, tool = next((n, t) for n, t in enumerate(edited["turns"], 1) if t["role"] == "tool" and "count" in t["content"])
    tool["content"]["count"] = "three"  # `result.count > 0` cannot be decided on it
    reasons = composer.verify(edited)
    assert f"turn {n}: tool_mismatch" in reasons
    assert composer.verify(session) == []


def test_a_call_of_another_tool_than_the_units_is_unexpected(world):
    """The unit that asked says which tool its turn calls; a session whose call names another (or
    a turn whose unit calls no tool) fails on that call's turn."""
    composer = SessionComposer(world, seed=0)
    session = composer.compose("memory_upgrade", 3)
    n, call = next((n, t) for n, t in enumerate(session["turns"], 1) if t.get("tool_calls"))
    renamed = copy.deepcopy(session)
    renamed["turns"][n - 1]["tool_calls"][0]["name"] = "check_delivery" if call["tool_calls"][0]["name"] != \
        "check_delivery" else "search_products"
    assert f"turn {n}: unexpected_tool_call" in composer.verify(renamed)
    user = next(i for i, t in enumerate(session["turns"]) if t["role"] == "user" and i < n - 1)
    toolless = next(u for u, src in composer.units.items() if src.unit.tool is None and src.unit.templates)
    moved = copy.deepcopy(session)
    moved["turns"][n - 2 if session["turns"][n - 2]["role"] == "user" else user]["unit"] = toolless
    assert f"turn {n}: unexpected_tool_call" in composer.verify(moved)
    assert composer.verify(session) == []
