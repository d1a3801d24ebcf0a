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
