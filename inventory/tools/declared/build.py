"""Building a declared tool from its tool file: the implementations ``sql``, ``rules`` and ``python``.

:func:`build_tool` takes the file's spec (a ``ToolSpec`` of ``twinchat.units.tool_spec``, read by
its attributes), compiles everything once — the argument check, each query (checked, and prepared
against ``conn`` when a world is given), each condition and template (by the ``templates`` the
caller supplies) — and raises a :class:`~twinchat.units.errors.ToolFileError` headed by
``where(loc)`` (file, line, tool, field) for the first thing wrong.

What a call sees: the arguments (with the schema's top-level ``default`` values filled in), each
by its name and all as ``args``; ``now``, the session clock as the world writes it; in ``rules``,
each lookup's rows by the lookup's name (None for a ``one`` lookup without a row) and
``serial(prefix='', digits=6)``, a number made from a hash of the request (tool, arguments, clock)
after ``prefix`` and the date — the same request always gets the same number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from importlib.metadata import EntryPoint
from typing import Any

from twinchat.inventory.timefmt import format_time
from twinchat.inventory.tools.base import ToolContext, canonical_json, tool_error
from twinchat.inventory.tools.declared.arguments import argument_checker
from twinchat.inventory.tools.declared.sql import MISSING, SqlQuery, bind
from twinchat.inventory.tools.declared.tool import DeclaredTool, Render, Templates
from twinchat.units.errors import ToolFileError

__all__ = ["build_tool", "RESERVED", "HELPERS"]

#: Names every text of a tool file may read besides the arguments (``serial`` only in rules).
RESERVED = ("args", "now", "serial")
#: The reserved names that are functions a text calls (each a plain function without side effects,
#: made per call): whoever compiles the texts may call them directly (see :class:`Templates`).
HELPERS = ("serial",)

Where = Callable[[Sequence[str | int]], str]
Func = Callable[[ToolContext, Mapping[str, Any]], dict[str, Any]]


def _scope_base(spec: Any) -> tuple[dict[str, Any], frozenset[str]]:
    """The schema's top-level defaults, and the names the tool's texts may read."""
    props = spec.parameters.get("properties", {})
    defaults = {k: p["default"] for k, p in props.items() if isinstance(p, dict) and "default" in p}
    return defaults, frozenset(props) | frozenset(RESERVED)


def _compile(templates: Templates, where: Where, loc: list[str | int], source: str, names: frozenset[str],
             *, expression: bool = False) -> Render:
    try:
        render = templates.expression(source, names) if expression else templates.template(source, names)
    except ValueError as exc:
        raise ToolFileError(f"{where(loc)}: {exc}") from exc
    head = where(loc)

    def located(scope: Mapping[str, Any]) -> Any:
        try:
            return render(scope)
        except Exception as exc:  # a text of the file that fails on these values: say which one
            text = " ".join(str(exc).split())
            raise ToolFileError(f"{head}: cannot render: {type(exc).__name__}: {text}") from exc

    return located


def _error(templates: Templates, where: Where, loc: list[str | int], spec: Any, names: frozenset[str]) -> Render:
    """A declared error as a render of its tool error."""
    message = _compile(templates, where, [*loc, "message"], spec.message, names)
    code, field = spec.code, spec.field

    def render(scope: Mapping[str, Any]) -> dict[str, Any]:
        return tool_error(code, str(message(scope)), field)

    return render


def _result(templates: Templates, where: Where, loc: list[str | int], value: Any, names: frozenset[str]) -> Render:
    """A result value whose strings are templates, compiled into one render."""
    if isinstance(value, str):
        return _compile(templates, where, loc, value, names)
    if isinstance(value, dict):
        parts = [(k, _result(templates, where, [*loc, k], v, names)) for k, v in value.items()]
        return lambda scope: {k: part(scope) for k, part in parts}
    if isinstance(value, list):
        items = [_result(templates, where, [*loc, i], v, names) for i, v in enumerate(value)]
        return lambda scope: [item(scope) for item in items]
    return lambda scope: value


def _queries(specs: Sequence[Any], loc: list[str | int], known: Collection[str], where: Where,
             conn: Any, writes: bool, hidden: Collection[str]) -> list[SqlQuery]:
    out = []
    for i, q in enumerate(specs):
        query = SqlQuery(q.sql, q.rows, q.name, known, lambda key, i=i: where([*loc, i, key]))
        if conn is not None:
            query.prepare(conn, writes=writes, hidden=hidden)
        out.append(query)
    return out


def _scope(defaults: Mapping[str, Any], arguments: Mapping[str, Any], now: str) -> dict[str, Any]:
    """The scope texts read: the arguments (defaults filled in), ``args`` and ``now``."""
    args = {**defaults, **arguments}
    return {**args, "args": args, "now": now}


def _values(defaults: Mapping[str, Any], arguments: Mapping[str, Any], now: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The scope texts read, and the values queries bind (lists and objects as JSON text)."""
    scope = _scope(defaults, arguments, now)
    return scope, {**{k: bind(v) for k, v in scope["args"].items()}, "now": now}


def _sql(spec: Any, where: Where, templates: Templates, conn: Any, hidden: Collection[str]) -> Func:
    defaults, names = _scope_base(spec)
    loc: list[str | int] = ["implementation", "sql", "queries"]
    queries = _queries(spec.implementation.sql.queries, loc, set(spec.parameters.get("properties", {})) | {"now"},
                       where, conn, spec.writes, hidden)
    missing = [None if q.missing is None else _error(templates, where, [*loc, i, "missing"], q.missing, names)
               for i, q in enumerate(spec.implementation.sql.queries)]
    steps = list(zip(queries, missing))

    def run(ctx: ToolContext, arguments: Mapping[str, Any]) -> dict[str, Any]:
        scope, values = _values(defaults, arguments, format_time(ctx.now))
        result: dict[str, Any] = {}
        for query, absent in steps:
            got = query.run(ctx.conn, values)
            if got is MISSING:
                if absent is not None:
                    return absent(scope)
                got = None
            if query.name is not None:
                result[query.name] = got
            elif got is not None and query.rows == "one":
                result.update(got)
        return result

    return run


def _serial(name: str, arguments: Mapping[str, Any], now: str) -> Callable[..., str]:
    def serial(prefix: str = "", digits: int = 6) -> str:
        digits = max(1, min(int(digits), 18))
        request = canonical_json({"tool": name, "arguments": arguments, "now": now})
        number = int.from_bytes(hashlib.sha256(request.encode()).digest(), "big") % 10**digits
        return f"{prefix}{now[:10].replace('-', '')}{number:0{digits}d}"

    return serial


def _rules(spec: Any, where: Where, templates: Templates, conn: Any, hidden: Collection[str]) -> Func:
    defaults, names = _scope_base(spec)
    rules = spec.implementation.rules
    loc: list[str | int] = ["implementation", "rules"]
    lookups = _queries(rules.lookups, [*loc, "lookups"], set(spec.parameters.get("properties", {})) | {"now"},
                       where, conn, spec.writes, hidden)
    names = names | {q.name for q in lookups}
    cases = []
    for i, case in enumerate(rules.cases):
        at = [*loc, "cases", i]
        when = None if case.when is None else _compile(templates, where, [*at, "when"], case.when, names,
                                                       expression=True)
        give = _error(templates, where, [*at, "error"], case.error, names) if case.error is not None else \
            _result(templates, where, [*at, "result"], case.result, names)
        cases.append((when, give))
    tool_name = spec.name

    def run(ctx: ToolContext, arguments: Mapping[str, Any]) -> dict[str, Any]:
        now = format_time(ctx.now)
        if lookups:
            scope, values = _values(defaults, arguments, now)
        else:  # the values queries bind are made only for lookups to bind
            scope, values = _scope(defaults, arguments, now), {}
        scope["serial"] = _serial(tool_name, scope["args"], now)
        for lookup in lookups:
            got = lookup.run(ctx.conn, values)
            scope[lookup.name] = None if got is MISSING else got
        for when, give in cases:
            if when is None or when(scope):
                return give(scope)
        raise AssertionError("the last case has no condition")  # the spec makes sure of it

    return run


def _python(spec: Any, where: Where) -> Func:
    target = spec.implementation.python
    loc = ["implementation", "python"]
    try:
        func = EntryPoint(spec.name, target, "twinchat.tools").load()
    except Exception as exc:  # whatever the user's module raises on import, said as one located line
        text = " ".join(str(exc).split())
        raise ToolFileError(f"{where(loc)}: cannot import {target!r}: {type(exc).__name__}: {text}") from exc
    if not callable(func):
        raise ToolFileError(f"{where(loc)}: {target!r} is not a function but {type(func).__name__}")
    head = where(loc)

    def run(ctx: ToolContext, arguments: Mapping[str, Any]) -> dict[str, Any]:
        result = func(ctx, arguments)
        if not isinstance(result, dict):
            raise ToolFileError(f"{head}: {target!r} returned {type(result).__name__}, not an object (a dict)")
        return result

    return run


def build_tool(spec: Any, where: Where, templates: Templates, *, conn: Any = None,
               hidden: Collection[str] = ()) -> DeclaredTool:
    """The tool a tool file declares (module docstring); ``conn``, when given, is the world its
    queries are prepared against, ``hidden`` the tables of that file that are not the world's."""
    impl = spec.implementation
    if impl.sql is not None:
        func = _sql(spec, where, templates, conn, hidden)
    elif impl.rules is not None:
        func = _rules(spec, where, templates, conn, hidden)
    else:
        func = _python(spec, where)
    return DeclaredTool(name=spec.name, description=spec.description, args_model=None,  # type: ignore[arg-type]
                        func=func, writes=spec.writes, parameters=spec.parameters,
                        check=argument_checker(spec.parameters),
                        omits_null=frozenset(spec.parameters.get("properties", {}))
                        - frozenset(spec.parameters.get("required", ())),
                        remembered=impl.python is None and not spec.writes)
