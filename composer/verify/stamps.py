"""Replies in an agent's voice: a reply never shows a time the way a tool writes it.

Tool results carry moments as ``2026-12-03 23:59:59``; an agent writes 12月3日23:59, 明天18:00 or
今晚8点 (the ``when`` filter). :func:`stamp_problem` finds what a reply must not hold: an ISO date
(``2026-12-03``, also inside ``2026-12-03T18:00``) or a clock time with a seconds field
(``23:59:59``). Sessions and samples are checked with it (reason ``reply_stamp:<text>``).
"""

from __future__ import annotations

import re

__all__ = ["REASON", "stamp_problem"]

#: the reason code a reply with a stamp fails with
REASON = "reply_stamp"

#: an ISO date or a clock time with seconds, not inside a longer number. Written to start with the
#: first digit (then "no digit before it"), not with the lookbehind, so that a search skips to the
#: next digit at once instead of trying the pattern at every character; the same matches as
#: (?<![0-9])(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}:[0-9]{2}:[0-9]{2})(?![0-9])
_STAMP = re.compile(r"[0-9](?<![0-9]{2})(?:[0-9]{3}-[0-9]{1,2}-[0-9]{1,2}|[0-9]?:[0-9]{2}:[0-9]{2})(?![0-9])")


def stamp_problem(reply: str) -> str | None:
    """``reply_stamp:<the first stamp>`` when the reply holds an ISO date or a seconds field, else None."""
    if "-" not in reply and reply.count(":") < 2:
        return None  # a stamp holds a dash (a date) or two colons (a time with seconds): skip the scan
    found = _STAMP.search(reply)
    return None if found is None else f"{REASON}:{found[0]}"
