"""Strings that match a JSON Schema ``pattern``, drawn from the pattern itself.

A tool's schema often says a code's shape only as a regular expression (``^DD[0-9]{12}$``,
``^[0-9A-Z]{18}$``). :func:`pattern_values` parses it with Python's own regular-expression parser
and draws strings from the parse: literals as written, a class as one of its characters, a
repeat a drawn number of times (open repeats at most a few more than their minimum), one branch
of an alternation. Every string drawn is checked with ``re.search`` before it is kept, so a
construct the drawer reads too loosely (a lookahead, a back reference) gives no value rather than
a wrong one.
"""

from __future__ import annotations

import random
import re
import string
from typing import Any

try:  # Python 3.11+
    import re._parser as _parser  # type: ignore[import-not-found]
    from re._constants import MAXREPEAT  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _parser  # type: ignore[no-redef]
    from sre_constants import MAXREPEAT  # type: ignore[no-redef]

__all__ = ["pattern_values"]

#: how far past its minimum an open repeat (``+``, ``*``, ``{2,}``) goes
_OPEN_EXTRA = 4
_CATEGORIES = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_SPACE": " ",
}
#: what a class or ``.`` draws from when it is negated (printable ASCII, no space)
_PRINTABLE = string.ascii_letters + string.digits


class _Unsupported(Exception):
    """A construct the drawer does not draw (lookarounds, back references)."""


def _class(items: list[Any]) -> str:
    chars: list[str] = []
    negate = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            chars.append(chr(arg))
        elif name == "RANGE":
            chars += [chr(c) for c in range(arg[0], min(arg[1], arg[0] + 200) + 1)]
        elif name == "CATEGORY":
            chars += _CATEGORIES.get(str(arg), "")
        else:
            raise _Unsupported(name)
    if negate:
        return "".join(c for c in _PRINTABLE if c not in chars)
    return "".join(chars)


def _draw(parsed: Any, rng: random.Random) -> str:
    out: list[str] = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(rng.choice([c for c in _PRINTABLE if c != chr(arg)]))
        elif name == "ANY":
            out.append(rng.choice(_PRINTABLE))
        elif name == "IN":
            chars = _class(arg)
            if not chars:
                raise _Unsupported("empty class")
            out.append(rng.choice(chars))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, item = arg
            high = low + _OPEN_EXTRA if high == MAXREPEAT else high
            out += [_draw(item, rng) for _ in range(rng.randint(low, high))]
        elif name == "SUBPATTERN":
            out.append(_draw(arg[-1], rng))
        elif name == "BRANCH":
            out.append(_draw(rng.choice(arg[1]), rng))
        elif name == "AT":
            continue
        else:
            raise _Unsupported(name)
    return "".join(out)


def pattern_values(pattern: str, count: int, rng: random.Random) -> list[str]:
    """Up to ``count`` distinct strings that ``re.search(pattern, s)`` accepts, in the order drawn
    (fewer when the pattern allows fewer, or uses a construct the drawer does not draw)."""
    try:
        parsed = _parser.parse(pattern)
        compiled = re.compile(pattern)
    except re.error:
        return []
    seen: dict[str, None] = {}
    for _ in range(count * 20):
        try:
            value = _draw(parsed, rng)
        except _Unsupported:
            return []
        if value and compiled.search(value):
            seen.setdefault(value, None)
            if len(seen) == count:
                break
    return list(seen)
