"""How the world writes a moment: the one time format of its tables, tool results and session clocks.

Every stored or returned datetime is naive local time as ``2026-11-20 21:00:00``
(:data:`TIME_FORMAT`). :func:`format_time` and :func:`parse_time` write and read it; both take a
fast path (``isoformat`` / ``fromisoformat``) where it gives exactly what ``strftime`` /
``strptime`` give, and leave everything else to those, so odd input is refused as before.
"""

from __future__ import annotations

import re
from datetime import datetime

__all__ = ["TIME_FORMAT", "format_time", "parse_time"]

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
"""The format of every datetime the world stores, tools return and sessions carry."""

_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


#: texts of naive datetimes written lately (a session's clock is written many times): at most this many
_KEEP_TEXTS = 1024
_texts: dict[datetime, str] = {}


def format_time(moment: datetime) -> str:
    """``moment`` in :data:`TIME_FORMAT` (``isoformat`` writes the same text for a naive datetime, faster);
    a plain naive datetime's text is remembered (among the last :data:`_KEEP_TEXTS`)."""
    if type(moment) is datetime and moment.tzinfo is None:  # equal naive datetimes write the same text
        text = _texts.get(moment)
        if text is None:
            if len(_texts) >= _KEEP_TEXTS:
                _texts.clear()
            text = _texts[moment] = moment.isoformat(" ", "seconds") if moment.year >= 1000 \
                else moment.strftime(TIME_FORMAT)
        return text
    if moment.tzinfo is None and moment.year >= 1000:
        return moment.isoformat(" ", "seconds")
    return moment.strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    """A :data:`TIME_FORMAT` text as a naive datetime (``fromisoformat`` reads that exact shape as
    ``strptime`` does, many times faster; anything else is ``strptime``'s to read or refuse)."""
    if _STAMP.fullmatch(text):
        return datetime.fromisoformat(text)
    return datetime.strptime(text, TIME_FORMAT)
