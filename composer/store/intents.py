"""What the stored sessions are about: each intent's share, and how often sessions greet, close
and go on to a second task (``twinchat stats``).

An intent is a flow played in a session: the session's own flow, and the flow of its second
task when it has one (its steps are recorded as ``flow:step``), so a session with a second task
counts for both intents and the shares may add up to more than 100%.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from typing import Any

from twinchat.composer.store.sessions import _where

__all__ = ["intent_shares", "intent_lines"]


def intent_shares(conn: sqlite3.Connection, flow: str | None = None, status: str | None = None) -> dict[str, Any]:
    """``{"sessions", "intents": {flow: sessions}, "greeting", "closing", "second_task"}`` (counts)."""
    where, params = _where(flow=flow, status=status)
    intents: Counter[str] = Counter()
    asides: Counter[str] = Counter()
    total = 0
    for own, steps in conn.execute(f"SELECT flow, steps FROM sessions{where}", params):
        total += 1
        played = json.loads(steps)
        seconds = {step.split(":", 1)[0] for step in played if ":" in step}
        intents.update({own, *seconds})
        asides.update({"greeting": "greeting" in played, "closing": "closing" in played,
                       "second_task": bool(seconds)})
    ordered = dict(sorted(intents.items(), key=lambda kv: (-kv[1], kv[0])))
    return {"sessions": total, "intents": ordered,
            **{k: asides[k] for k in ("greeting", "closing", "second_task")}}


def intent_lines(shares: dict[str, Any]) -> list[str]:
    """The shares as ``twinchat stats`` prints them."""
    total = shares["sessions"]
    if not total:
        return []
    lines = ["intents (share of sessions; a session with a second task counts for both):"]
    width = max(len(k) for k in shares["intents"])
    for name, n in shares["intents"].items():
        lines.append(f"  {name:<{width}}  {n:>8,}  {100 * n / total:5.1f}%")
    lines.append("  " + ", ".join(f"{label} {100 * shares[key] / total:.1f}%" for key, label in
                                  (("greeting", "greeting"), ("closing", "closing"),
                                   ("second_task", "second task"))))
    return lines
