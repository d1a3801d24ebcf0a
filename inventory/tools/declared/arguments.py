"""Checking a declared tool's arguments against its JSON Schema, at every call.

The validator is made once per tool (:func:`argument_checker`); a call whose arguments break the
schema gets a tool error naming the field, as a built-in tool's pydantic model gives one, so
dialogues can show a model what a wrong call looks like.

Formats are checked (``format`` is only an annotation to JSON Schema unless a checker asserts it):
``date-time`` is the world's own ``2026-11-20 21:00:00`` or an ISO 8601 / RFC 3339 moment,
``date`` is ``2026-11-20``; the other formats are those ``jsonschema`` checks without extra
packages (email, ipv4, ipv6, uuid, regex …).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from jsonschema import FormatChecker, exceptions, validators

from twinchat.inventory.tools.base import tool_error
from twinchat.inventory.tools.declared.fastcheck import fast_check

__all__ = ["argument_checker", "FORMATS"]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?([Zz]|[+-][0-9]{2}:[0-9]{2})?")


def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats apply to strings only; `type` says what else is allowed
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_moment(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _MOMENT.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


def _formats() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("date")(_is_date)
    checker.checks("date-time")(_is_moment)
    return checker


#: The format checker every declared tool's arguments are checked with.
FORMATS = _formats()


def _field(error: exceptions.ValidationError) -> str | None:
    """The argument at fault: the path of the failing value, and for ``required`` and
    ``additionalProperties`` the property missing or not allowed."""
    path = [str(p) for p in error.absolute_path]
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        missing = [p for p in error.validator_value if p not in instance]
        path += missing[:1]
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in known)
        path += extra[:1]
    return ".".join(path) or None


_relevance = exceptions.by_relevance()


def argument_checker(schema: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], dict[str, Any] | None]:
    """``check(arguments)``: None when ``arguments`` fit ``schema``, else a tool error naming the
    field. ``schema`` has been checked against its meta-schema already (when its file loaded)."""
    cls = validators.validator_for(schema, default=validators.Draft202012Validator)
    validator = cls(dict(schema), format_checker=FORMATS)
    is_valid = fast_check(schema, FORMATS) or validator.is_valid  # the compiled yes where it compiles

    def check(arguments: Mapping[str, Any]) -> dict[str, Any] | None:
        if is_valid(arguments):
            return None
        error = exceptions.best_match(validator.iter_errors(arguments), key=_relevance)
        if error is None:  # jsonschema, the reference, finds nothing wrong
            return None
        field = _field(error)
        return tool_error("invalid_arguments", f"参数 {field or '(整体)'} 无效: {error.message}", field)

    return check
