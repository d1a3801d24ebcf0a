"""A fast path for the small Jinja2 expressions units use in conditions and values.

``'error' in result``, ``result.count > 0``, ``a if x == 'home' else b`` and
``result.results|selectattr('in_stock')|list|length == 0`` are evaluated thousands of times per
second; Jinja2 builds a fresh template context for each call, which costs more than the
expression itself. :func:`compile_fast` turns the parsed expression into nested Python closures
for a closed set of node types with the sandbox's semantics, and returns None for anything else.

Whenever a fast expression meets something whose Jinja2 meaning is not plain Python — a missing
variable or attribute (Jinja2's ``Undefined``), a private attribute (refused by the sandbox), a
non-constant subscript — it raises :class:`Fallback`, and the caller evaluates the expression
with Jinja2 instead. So the fast path is never *different* from Jinja2, only faster where it
applies (``tests/composer/test_fastexpr.py`` checks the two agree).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

__all__ = ["Fallback", "compile_fast"]

Fn = Callable[[Mapping[str, Any]], Any]


class Fallback(Exception):
    """The fast path cannot decide this value exactly as Jinja2 would; ask Jinja2."""


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gteq": operator.ge, "lt": operator.lt,
    "lteq": operator.le, "in": lambda a, b: a in b, "notin": lambda a, b: a not in b,
}


def _attr(obj: Any, name: str) -> Any:
    """``obj.name`` as the sandbox reads it: an attribute first, then an item."""
    if name.startswith("_"):
        raise Fallback
    if isinstance(obj, dict):
        if name in obj and not hasattr(dict, name):
            return obj[name]
        raise Fallback
    if isinstance(obj, (str, int, float, list, tuple, type(None), bool)):
        raise Fallback  # methods of builtins: leave them to the sandbox
    try:
        value = getattr(obj, name)
    except AttributeError:
        raise Fallback from None
    if callable(value):
        raise Fallback  # methods: the sandbox decides whether they are safe
    return value


def _item(obj: Any, key: Any) -> Any:
    """``obj[key]`` for a constant key (the sandbox falls back to an attribute for str keys)."""
    try:
        return obj[key]
    except (TypeError, LookupError):
        raise Fallback from None


def _compile(node: nodes.Node) -> Fn:  # noqa: C901 - one branch per node type
    if isinstance(node, nodes.Const):
        value = node.value
        return lambda ctx: value
    if isinstance(node, nodes.Name) and node.ctx == "load":
        name = node.name

        def load(ctx: Mapping[str, Any]) -> Any:
            try:
                return ctx[name]
            except KeyError:
                raise Fallback from None
        return load
    if isinstance(node, nodes.Getattr):
        obj, attr = _compile(node.node), node.attr
        return lambda ctx: _attr(obj(ctx), attr)
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        obj, key = _compile(node.node), node.arg.value
        if isinstance(key, str):
            return lambda ctx: _attr(obj(ctx), key)
        return lambda ctx: _item(obj(ctx), key)
    if isinstance(node, nodes.Compare):
        first = _compile(node.expr)
        ops = [(_COMPARE[op.op], _compile(op.expr)) for op in node.ops]
        if len(ops) == 1:
            (fn, right), = ops
            return lambda ctx: fn(first(ctx), right(ctx))

        def chain(ctx: Mapping[str, Any]) -> Any:
            left = first(ctx)
            for fn, right in ops:
                value = right(ctx)
                if not fn(left, value):
                    return False
                left = value
            return True
        return chain
    if isinstance(node, nodes.And):
        left, right = _compile(node.left), _compile(node.right)
        return lambda ctx: left(ctx) and right(ctx)
    if isinstance(node, nodes.Or):
        left, right = _compile(node.left), _compile(node.right)
        return lambda ctx: left(ctx) or right(ctx)
    if isinstance(node, nodes.Not):
        inner = _compile(node.node)
        return lambda ctx: not inner(ctx)
    if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
        test, yes, no = _compile(node.test), _compile(node.expr1), _compile(node.expr2)
        return lambda ctx: yes(ctx) if test(ctx) else no(ctx)
    if isinstance(node, (nodes.List, nodes.Tuple)):
        items = [_compile(i) for i in node.items]
        if isinstance(node, nodes.Tuple):
            return lambda ctx: tuple(i(ctx) for i in items)
        return lambda ctx: [i(ctx) for i in items]
    if isinstance(node, nodes.Dict):
        pairs = [(_compile(p.key), _compile(p.value)) for p in node.items]
        return lambda ctx: {k(ctx): v(ctx) for k, v in pairs}
    if isinstance(node, nodes.Filter) and node.node is not None and not node.kwargs \
            and node.dyn_args is None and node.dyn_kwargs is None:
        return _filter(node)
    raise _Unsupported


class _Unsupported(Exception):
    pass


def _filter(node: nodes.Filter) -> Fn:
    inner = _compile(node.node)  # type: ignore[arg-type]
    if node.name == "length" and not node.args:
        return lambda ctx: len(inner(ctx))
    if node.name == "list" and not node.args:
        def to_list(ctx: Mapping[str, Any]) -> Any:
            value = inner(ctx)
            if isinstance(value, (str, dict)):
                raise Fallback
            return list(value)
        return to_list
    if node.name == "selectattr" and len(node.args) == 1 and isinstance(node.args[0], nodes.Const) \
            and isinstance(node.args[0].value, str) and "." not in node.args[0].value:
        attr = node.args[0].value
        return lambda ctx: (x for x in inner(ctx) if _attr(x, attr))
    raise _Unsupported


def compile_fast(env: SandboxedEnvironment, expression: str) -> Fn | None:
    """Closures evaluating ``expression`` with the sandbox's meaning, or None if any part of it
    is outside the supported set (the caller then always uses Jinja2)."""
    try:
        tree = env.parse("{{ " + expression + " }}")
    except Exception:  # noqa: BLE001 - Jinja2 reports syntax errors itself, with its own message
        return None
    body = tree.body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return None
    try:
        return _compile(body[0].nodes[0])
    except _Unsupported:
        return None
