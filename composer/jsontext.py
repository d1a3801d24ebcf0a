"""Compact JSON text of session data, as the store writes it and verification reads it.

Written by orjson, about three times as fast as the standard library on session turns, and the
same text as ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` for what sessions
hold (strings, integers, prices, booleans, None, lists, dicts with string keys). What orjson
writes differently or refuses — datetimes and dataclasses (which the standard library refuses
too), str/int/dict subclasses, integers past 64 bits, non-string keys — is passed through to the
standard library, so a value gives one text wherever it is written, or the same TypeError.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "dumps_utf8"]

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def dumps(value: Any) -> str:
    """``value`` as compact JSON text (UTF-8 characters kept, no spaces)."""
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps_utf8(value: Any, *, text: bool = True) -> tuple[str | None, bytes | None]:
    """``dumps(value)`` and its UTF-8 bytes as orjson wrote them (None where the standard library
    wrote the text), for a writer that hands SQLite the bytes instead of encoding the text again;
    without ``text``, None in place of the text where there are bytes (decoding them costs about
    as much as writing them)."""
    try:
        data = orjson.dumps(value, option=_OPTIONS)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")), None
    return data.decode() if text else None, data
