"""A compiled yes/no check of arguments for the common JSON Schemas, proven equal to ``jsonschema``.

Checking arguments with ``jsonschema`` costs tens of microseconds a call (it walks the schema and
makes a validator per property), about half of what a small declared tool does. Most tool schemas
are flat objects of strings, numbers, booleans and arrays with ``enum``, ``pattern``, lengths and
bounds: :func:`fast_check` compiles such a schema once into nested closures answering only
"valid or not"; an object's check remembers its properties' verdicts on the strings they were
asked about (a bounded table each). A schema using any other keyword (``anyOf``, ``$ref``,
``patternProperties`` …) is not compiled (None): ``jsonschema`` decides alone. When the closures
say "invalid", ``jsonschema`` still decides and says why (:mod:`.arguments`), so only the yes is
taken from here; tests check both agree on generated arguments.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["fast_check"]

Check = Callable[[Any], bool]

_ANNOTATIONS = {"description", "title", "default", "examples", "deprecated", "readOnly", "writeOnly", "$comment"}
_KEYWORDS = _ANNOTATIONS | {"type", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
                            "exclusiveMinimum", "exclusiveMaximum", "format", "items", "minItems", "maxItems",
                            "properties", "required", "additionalProperties"}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "number": _is_number,
    "integer": lambda v: _is_number(v) and (isinstance(v, int) or (math.isfinite(v) and v.is_integer())),
}


def _type(kinds: Any) -> Check | None:
    names = kinds if isinstance(kinds, list) else [kinds]
    if not names or any(n not in _TYPES for n in names):
        return None
    checks = [_TYPES[n] for n in names]
    return checks[0] if len(checks) == 1 else lambda v: any(c(v) for c in checks)


def _choices(values: list[Any]) -> Check | None:
    if not all(v is None or isinstance(v, str) for v in values):
        return None  # numbers and booleans compare by JSON's rules (1 is not true): jsonschema's to judge
    allowed = frozenset(values)
    return lambda v: (v is None or isinstance(v, str)) and v in allowed


def _bounds(schema: Mapping[str, Any], checks: list[Check]) -> bool:
    for key, test in (("minimum", lambda v, b: v >= b), ("maximum", lambda v, b: v <= b),
                      ("exclusiveMinimum", lambda v, b: v > b), ("exclusiveMaximum", lambda v, b: v < b)):
        if key in schema:
            bound = schema[key]
            if not _is_number(bound):
                return False
            checks.append(lambda v, b=bound, t=test: not _is_number(v) or t(v, b))
    for key, test in (("minLength", lambda n, b: n >= b), ("maxLength", lambda n, b: n <= b)):
        if key in schema:
            checks.append(lambda v, b=schema[key], t=test: not isinstance(v, str) or t(len(v), b))
    for key, test in (("minItems", lambda n, b: n >= b), ("maxItems", lambda n, b: n <= b)):
        if key in schema:
            checks.append(lambda v, b=schema[key], t=test: not isinstance(v, list) or t(len(v), b))
    return True


#: string values per property whose verdict an object's check remembers before it starts over: a
#: run's calls repeat the few values each field takes (an exhaustive run's pools), and a string's
#: pattern and format cost more than looking its verdict up
_KEEP = 1024


def _object(schema: Mapping[str, Any], checks: list[Check], formats: Any) -> bool:
    props = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if not isinstance(props, dict) or not isinstance(extra, bool):
        return False
    parts: dict[str, tuple[Check, dict[str, bool]]] = {}
    for name, sub in props.items():
        part = fast_check(sub, formats)
        if part is None:
            return False
        parts[name] = (part, {})
    required = frozenset(schema.get("required", ()))

    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        if not v.keys() >= required:
            return False
        for name, value in v.items():
            found = parts.get(name)
            if found is None:
                if not extra:
                    return False
                continue
            part, said = found
            if type(value) is str:  # a string's verdict, remembered (see _KEEP)
                ok = said.get(value)
                if ok is None:
                    ok = part(value)
                    if len(said) >= _KEEP:
                        said.clear()
                    said[value] = ok
                if not ok:
                    return False
            elif not part(value):
                return False
        return True

    checks.append(check)
    return True


def fast_check(schema: Any, formats: Any) -> Check | None:
    """``check(value) -> bool`` for ``schema``, or None when it uses what this does not compile.
    ``formats`` is the ``jsonschema.FormatChecker`` the arguments are checked with."""
    if schema is True or schema == {}:
        return lambda v: True
    if not isinstance(schema, dict) or not set(schema) <= _KEYWORDS:
        return None
    checks: list[Check] = []
    if "type" in schema:
        kind = _type(schema["type"])
        if kind is None:
            return None
        checks.append(kind)
    for key, make in (("enum", lambda s: _choices(s) if isinstance(s, list) else None),
                      ("const", lambda s: _choices([s]))):
        if key in schema:
            choice = make(schema[key])
            if choice is None:
                return None
            checks.append(choice)
    if "pattern" in schema:
        search = re.compile(schema["pattern"]).search
        checks.append(lambda v: not isinstance(v, str) or search(v) is not None)
    if "format" in schema:
        checks.append(_format(schema["format"], formats))
    if not _bounds(schema, checks):
        return None
    if "items" in schema:
        item = fast_check(schema["items"], formats)
        if item is None:
            return None
        checks.append(lambda v: not isinstance(v, list) or all(item(i) for i in v))
    if {"properties", "required", "additionalProperties"} & set(schema) and not _object(schema, checks, formats):
        return None
    return _every(checks)


def _every(checks: list[Check]) -> Check:
    """Whether a value passes every one of ``checks`` (most schemas give a property one or two)."""
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)

    def every(v: Any) -> bool:
        for check in checks:
            if not check(v):
                return False
        return True

    return every


def _format(name: str, formats: Any) -> Check:
    """``formats.conforms(v, name)``: for a format checked by a function that raises nothing it means
    to catch (the formats twinchat adds), that function's verdict, asked directly; a format it does
    not know, always true (JSON Schema's rule)."""
    found = formats.checkers.get(name)
    if found is None:
        return lambda v: True
    func, raises = found
    if raises:
        return lambda v: formats.conforms(v, name)
    return lambda v: bool(func(v))
