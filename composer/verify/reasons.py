"""Verdict reasons as verification writes them: ``turn N: reason`` for a turn, a bare reason for the
whole session. Light on purpose: the TUI reads them without loading the engine."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["FIXES", "turn_problems"]

_TURN = re.compile(r"^turn (\d+): (.*)$")

#: Reason code → the fix that usually applies (what the TUI offers next to a problem).
FIXES = {
    "grounding": "reextract", "type": "reextract", "missing_not_null": "reextract",
    "argument_mismatch": "rerun_tools", "tool_mismatch": "rerun_tools",
    "outcome_mismatch": "rerender", "reply_fact": "rerender", "unknown_outcome": "rerender",
    # cross-turn facts: a reply that leaves out what its result says is rendered again; the other
    # cross-turn reasons (a call joined to the wrong earlier fact) are fixed by hand or by regenerating
    "order_eta": "rerender", "arrival_silent": "rerender",
    "reply_stamp": "rerender",  # a reply that shows a tool's time stamp (2026-12-03 23:59:59)
}


def turn_problems(reasons: Sequence[str]) -> dict[int, list[str]]:
    """Reasons by turn number (1-based); reasons about the whole session under 0."""
    out: dict[int, list[str]] = {}
    for reason in reasons:
        m = _TURN.match(reason)
        n, text = (int(m[1]), m[2]) if m else (0, reason)
        out.setdefault(n, []).append(text)
    return out
