"""What every tool is made of: a pydantic argument model, a function over the world, a schema.

A tool is called with JSON-like arguments, as a model would call it. Arguments that do not
validate, or that name things the world does not have, give a *tool error* — a normal result
of the shape ``{"error": {"code", "message", "field"}}`` — because dialogues must show a model
what a tool error looks like. Programming errors (a broken query, a wrong type from our own
code) still raise.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from twinchat.inventory.errors import UnknownToolError
from twinchat.inventory.timefmt import TIME_FORMAT, format_time
from twinchat.inventory.tools.memo import cache_bound, tracked_call

if TYPE_CHECKING:  # a tool's arguments model imports pydantic; a run that calls no tool need not
    from pydantic import BaseModel

__all__ = ["ToolContext", "Tool", "tool_error", "is_tool_error", "call_tool", "format_time", "TIME_FORMAT",
           "request_key", "canonical_json", "free_number", "day_text"]
# TIME_FORMAT and format_time are the world's (twinchat.inventory.timefmt), named here for the tools.


class ToolContext(NamedTuple):
    """What a tool runs against: an open world database and the session clock (immutable, and
    made per call: a named tuple is made several times faster than a frozen dataclass)."""

    conn: sqlite3.Connection
    now: datetime


def request_key(canonical: Mapping[str, Any]) -> str:
    """The key of a writing request (a SHA-256 of its canonical JSON: ``json.dumps(canonical,
    ensure_ascii=False, sort_keys=True)``): the same request twice is recognised and answered
    with what it made the first time."""
    return hashlib.sha256(canonical_json(canonical).encode()).hexdigest()


def _canonical_text() -> Callable[[Any], str]:
    """``json.dumps(..., ensure_ascii=False, sort_keys=True)``: its C encoder made once (an encoder's
    ``encode`` makes one per call), without the circular check (a canonical request is plain
    values and never holds itself); the encoder's ``encode`` where the C one is missing."""
    encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True)
    if c_make_encoder is None:
        return encoder.encode
    parts = c_make_encoder(None, encoder.default, encode_basestring, None, ": ", ", ", True, False, True)
    return lambda value: "".join(parts(value, 0))


#: ``json.dumps(value, ensure_ascii=False, sort_keys=True)``: the text a request is known by
canonical_json = _canonical_text()


#: days whose text :func:`day_text` remembers before it starts over
_KEEP_DAYS = 4096
_day_texts: dict[int, str] = {}
_day_numbers: dict[int, str] = {}


def _remembered_day(day: date, texts: dict[int, str], spec: str) -> str:
    """``format(day, spec)``, remembered in ``texts`` per day (emptied when it holds :data:`_KEEP_DAYS`)."""
    number = day.toordinal()
    text = texts.get(number)
    if text is None:
        if len(texts) >= _KEEP_DAYS:
            texts.clear()
        text = texts[number] = format(day, spec)
    return text


def day_text(day: date) -> str:
    """``f"{day:%Y-%m-%d}"`` (a date or datetime), remembered per day: ``strftime`` takes several
    microseconds, and tools write the same few days again and again."""
    return _remembered_day(day, _day_texts, "%Y-%m-%d")


def _day_digits(day: date) -> str:
    """``f"{day:%Y%m%d}"`` (a date or datetime), remembered per day as :func:`day_text` is."""
    return _remembered_day(day, _day_numbers, "%Y%m%d")


#: draws of a new number before a writing tool gives up with a tool error (see :func:`free_number`)
NUMBER_DRAWS = 1000


def free_number(conn: sqlite3.Connection, key: str, prefix: str, now: datetime, table: str, column: str,
                what: str, *, empty: bool = False) -> str | dict[str, Any]:
    """``prefix`` + the date of ``now`` + 6 digits drawn from ``key``: a number ``table.column``
    does not hold yet (a clash takes the next draw), or — after :data:`NUMBER_DRAWS` clashes, a day
    nearly full — the tool error ``{what}_number_exhausted``. ``table`` and ``column`` are the
    caller's own constants, never user input; ``empty``: the caller knows ``table`` holds no row
    (the first draw is free, and is not looked up)."""
    head = prefix + _day_digits(now)
    for draw in range(NUMBER_DRAWS):
        # the digest's integer (what its hex text reads as) modulo 10**6, zero-padded to 6 digits
        number = "%s%06d" % (head, int.from_bytes(hashlib.sha256(f"{key}#{draw}".encode()).digest(), "big") % 10**6)
        if empty or conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (number,)).fetchone() is None:
            return number
    return tool_error(f"{what}_number_exhausted", f"{now:%Y-%m-%d} 的编号已用完,请稍后再试", None)


def tool_error(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """A structured tool error: ``code`` is stable (snake_case), ``message`` is for the dialogue."""
    return {"error": {"code": code, "message": message, "field": field}}


def is_tool_error(result: Mapping[str, Any]) -> bool:
    """Whether a tool result is a tool error."""
    return "error" in result


#: validated arguments a tool with a frozen arguments model keeps (see :meth:`Tool.arguments`). A
#: verified call is validated again a few calls after it was made: in 20,000 sessions of the built-in
#: mix, 64% of the repeats came within 16 validations of the tool and 98% within 1,024; an older
#: repeat is validated once more (a few microseconds)
KEEP_VALIDATED = 1024
#: the bound in a run of sessions (``compose``, see :func:`~twinchat.inventory.tools.memo.keep_cache`):
#: a session's calls are validated again when it is verified, right after it is made; held to
#: 1,024, a run's validated arguments kept growing past 10,000 sessions, as the tools called less
#: often filled their share (at 64, the validations made again cost a run 1% more instructions)
SESSION_KEEP_VALIDATED = 256


def _validation_error() -> type[Exception]:
    from pydantic import ValidationError

    return ValidationError


@dataclass(frozen=True)
class Tool:
    """One tool: ``func(ctx, args)`` returns a JSON-serialisable dict (a result or a tool error)."""

    name: str
    description: str
    args_model: type[BaseModel]
    func: Callable[[ToolContext, Any], dict[str, Any]]
    writes: bool = False
    #: whether, on a tracked connection, the tool makes none of its writes itself but owes them all
    #: (:func:`.memo.replayed` with ``written=False``): a call undone at once then needs no transaction
    #: (see :func:`~twinchat.inventory.tools.tracking.unwritten_call`)
    owes_writes: bool = False
    #: validated arguments by their JSON text, when ``args_model`` is frozen (see :meth:`arguments`)
    _validated: dict[bytes, BaseModel] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        from pydantic import BaseModel

        model = self.args_model
        if isinstance(model, type) and issubclass(model, BaseModel) and model.model_config.get("frozen"):
            object.__setattr__(self, "_validated", {})

    def json_schema(self) -> dict[str, Any]:
        """The OpenAI function definition: ``{"name", "description", "parameters"}``."""
        params = _strip_titles(self.args_model.model_json_schema())
        params.pop("description", None)
        return {"name": self.name, "description": self.description, "parameters": params}

    def __call__(self, ctx: ToolContext, arguments: Mapping[str, Any]) -> dict[str, Any]:
        args = self.arguments(arguments, ctx.conn)
        if type(args) is dict:  # a tool error
            return args
        return tracked_call(self.name, arguments, self.func, ctx, args)

    def forget(self) -> None:
        """Keep no validated arguments."""
        if self._validated is not None:
            self._validated.clear()

    def arguments(self, arguments: Mapping[str, Any], conn: sqlite3.Connection | None = None) -> Any:
        """``arguments`` validated by ``args_model``, or the tool error saying which is wrong.

        A frozen ``args_model`` promises that ``func`` never changes its arguments: the same
        arguments (the same JSON text — a verified call is made twice) are then validated once
        and the instance is shared, among the last :data:`KEEP_VALIDATED` (or the bound the run
        that opened ``conn`` set for :class:`Tool`, see :func:`~twinchat.inventory.tools.memo.keep_cache`)."""
        seen = self._validated
        key = None
        if seen is not None:
            try:
                key = orjson.dumps(arguments)
            except TypeError:  # not JSON (orjson's error is a TypeError): validated every time
                pass
            else:
                found = seen.get(key)
                if found is not None:
                    return found
        try:  # model_validate's own call, without its frame (and the arguments copied only when not a dict)
            args = self.args_model.__pydantic_validator__.validate_python(
                arguments if type(arguments) is dict else dict(arguments))
        except _validation_error() as exc:  # looked up only when validation fails
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or None
            return tool_error("invalid_arguments", f"参数 {where} 无效: {first['msg']}", where)
        if key is not None and seen is not None:
            if len(seen) >= (KEEP_VALIDATED if conn is None else cache_bound(conn, Tool, KEEP_VALIDATED)):
                seen.clear()
            # kept as a copy of its own size: orjson's bytes hold a 4 kB buffer whatever their length
            seen[bytes(memoryview(key))] = args
        return args


def _strip_titles(schema: Any) -> Any:
    """Drop pydantic's auto-generated ``title`` keys, which function-calling schemas do not use."""
    if isinstance(schema, dict):
        return {
            k: _strip_titles(v)
            for k, v in schema.items()
            if not (k == "title" and isinstance(v, str))
        }
    if isinstance(schema, list):
        return [_strip_titles(v) for v in schema]
    return schema


def call_tool(
    registry: Mapping[str, Tool],
    conn: sqlite3.Connection,
    name: str,
    arguments: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """Call tool ``name`` with ``arguments`` at clock ``now``; unknown names raise UnknownToolError."""
    try:
        tool = registry[name]
    except KeyError:
        known = ", ".join(sorted(registry))
        raise UnknownToolError(f"unknown tool {name!r} (known tools: {known})") from None
    return tool(_context(ToolContext, (conn, now)), arguments)


#: ``ToolContext(conn, now)`` without the Python frame of a named tuple's ``__new__`` (made per call)
_context = tuple.__new__
