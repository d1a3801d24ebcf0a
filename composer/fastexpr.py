"""A fast path for the small Jinja2 expressions units use in conditions and values.

``'error' in result``, ``result.count > 0``, ``a if x == 'home' else b`` and
``result.results|selectattr('in_stock')|list|length == 0`` are evaluated thousands of times per
second; Jinja2 builds a fresh template context for each call, which costs more than the
expression itself. :func:`compile_fast` turns the parsed expression into nested Python closures
for a closed set of node types with the sandbox's semantics, and returns None for anything else.

Whenever a fast expression meets something whose Jinja2 meaning is not plain Python — a missing
variable or attribute (Jinja2's ``Undefined``), a private attribute (refused by the sandbox), a
method — it raises :class:`Fallback`, and the caller evaluates the expression
with Jinja2 instead. So the fast path is never *different* from Jinja2, only faster where it
applies (``tests/composer/test_fastexpr.py`` checks the two agree).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

__all__ = ["Fallback", "compile_fast", "parse_expression"]

Fn = Callable[[Mapping[str, Any]], Any]


class Fallback(Exception):
    """The fast path cannot decide this value exactly as Jinja2 would; ask Jinja2."""


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


def compile_fast(env: SandboxedEnvironment, expression: str,
                 own_filters: Mapping[str, Any] | None = None) -> Fn | None:
    """Closures evaluating ``expression`` with the sandbox's meaning, or None if any part of it
    is outside the supported set (the caller then always uses Jinja2).

    The expression compiler is the one of :mod:`twinchat.composer.fasttemplate` (templates and
    expressions share one set of node rules); ``own_filters`` are the filters it may call directly.
    """
    from twinchat.composer.fasttemplate import _Compiler, _Unsupported  # imports this module

    node = parse_expression(env, expression)
    if node is None:
        return None
    try:
        return _Compiler(env, own_filters or {}).expr(node)
    except (_Unsupported, KeyError):
        return None


def parse_expression(env: SandboxedEnvironment, expression: str) -> nodes.Node | None:
    """The parsed ``expression`` (one expression node), or None for anything else (a syntax
    error included: Jinja2 reports those itself, with its own message)."""
    try:
        tree = env.parse("{{ " + expression + " }}")
    except Exception:  # noqa: BLE001
        return None
    body = tree.body
    if len(body) != 1 or not isinstance(body[0], nodes.Output) or len(body[0].nodes) != 1:
        return None
    return body[0].nodes[0]
