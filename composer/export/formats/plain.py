"""``plain``: ``{"text"}``, the dialogue as ``human:`` / ``bot:`` lines (tool traffic left out).

The rule checked: ``human:`` and ``bot:`` turns alternate, human first, bot last.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from twinchat.composer.export.formats.base import Converter, Record, RuleViolation, annotate, fail, gold_item, \
    session_templates
from twinchat.composer.export.formats.chatml import render_plain
from twinchat.composer.export.formats.registry import Format

__all__ = ["FORMAT", "PlainConverter", "check_plain"]

_SPEAKER = re.compile(r"^(human|bot): ", re.MULTILINE)


class PlainConverter(Converter):
    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = annotate(turns)
        lines: list[str] = []
        gold = []
        for i, t in enumerate(turns):
            role = t.get("role")
            if role == "user":
                lines.append(f"human: {t.get('content')}")
            elif role == "assistant" and not t.get("tool_calls"):
                gold.append(gold_item("reply", meta[i], "\n".join([*lines, "bot: "]), t.get("content")))
                lines.append(f"bot: {t.get('content')}")
            elif role not in ("assistant", "tool"):
                raise RuleViolation("unknown role", f"{session['id']}: turn {i}: unknown role {role!r}")
        text = "\n".join(lines)
        return [Record({"text": text}, session["id"], text, session_templates(turns), gold)]


def check_plain(record: Mapping[str, Any]) -> None:
    """``human:`` / ``bot:`` turns alternating, human first and bot last."""
    text = record.get("text")
    if not isinstance(text, str) or not text.startswith("human: "):
        fail("bad text", "text does not start with 'human: '")
    speakers = _SPEAKER.findall(text)
    for k, who in enumerate(speakers):
        if who != ("human" if k % 2 == 0 else "bot"):
            fail("roles do not alternate", f"turn {k + 1}: {who}: out of turn")
    if speakers[-1] != "bot":
        fail("not ending with assistant", "the last turn is not the bot's")


FORMAT = Format(
    name="plain", converter=PlainConverter, check=check_plain, calls=False,
    loading="Any trainer that takes a `text` column: each line holds one dialogue as `human:` / `bot:` turns.",
    render=render_plain)
