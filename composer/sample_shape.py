"""A quick exact check of a line of a ``twinchat generate`` file, without the :class:`Sample` model.

Building the model's validator takes a process millions of instructions (and makes pydantic read
every installed distribution's entry points), so generate ``--force``, which checks the first
line of the file it replaces, and an export of samples files, which checks every line, ask
:func:`plainly_a_sample` first and the model only when it does not say yes.
:mod:`twinchat.composer.sample_models` holds the model; a test keeps the two in step.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["plainly_a_sample"]

#: the fields of a Sample by what they hold (a test keeps them equal to the model's fields)
_TEXT_FIELDS = ("unit", "template", "text")
_OPTIONAL_TEXT_FIELDS = ("case", "outcome", "reply")
_OPTIONAL_DICT_FIELDS = ("label", "result")
_REQUIRED = frozenset({*_TEXT_FIELDS, *_OPTIONAL_TEXT_FIELDS, *_OPTIONAL_DICT_FIELDS, "index", "now", "tool_call"})
_FIELDS = _REQUIRED | {"refs"}
#: the Clock's pattern, whole
_CLOCK = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def plainly_a_sample(value: Any) -> bool:
    """Whether ``value`` (a dict, as read from JSON) is certainly a valid ``Sample``: every
    field there, of exactly the type strict validation takes, and nothing else. Decided without the
    model, whose validator takes a process millions of instructions to build; False says nothing
    (the model decides and words the problem)."""
    if type(value) is not dict or not _REQUIRED <= value.keys() <= _FIELDS:
        return False
    if type(value["index"]) is not int or type(value["now"]) is not str or _CLOCK.fullmatch(value["now"]) is None:
        return False
    if any(type(value[f]) is not str for f in _TEXT_FIELDS) \
            or any(value[f] is not None and type(value[f]) is not str for f in _OPTIONAL_TEXT_FIELDS) \
            or any(value[f] is not None and not _str_keyed(value[f]) for f in _OPTIONAL_DICT_FIELDS):
        return False
    call = value["tool_call"]
    if call is not None and not (type(call) is dict and call.keys() == {"name", "arguments"}
                                 and type(call["name"]) is str and _str_keyed(call["arguments"])):
        return False
    refs = value.get("refs")
    return refs is None or (_str_keyed(refs) and all(
        type(items) is list and all(_str_keyed(item) for item in items) for items in refs.values()))


def _str_keyed(value: Any) -> bool:
    return type(value) is dict and all(type(k) is str for k in value)
