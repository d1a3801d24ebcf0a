"""A fast path for unit templates: text, ``{{ … }}``, ``{% for %}``, ``{% if %}`` and ``{% set %}``.

Rendering a template with Jinja2 builds a fresh context and goes through the sandbox for every
attribute; the templates units use (a reply listing the options, a composite slot choosing its
text) are small, and that overhead is most of their cost. :func:`compile_template_fast` turns a
parsed template into Python closures for a closed set of node types, with the sandbox's
semantics, and returns None for a template with anything else.

The rule is :mod:`twinchat.composer.fastexpr`'s: whenever a fast template meets something whose
Jinja2 meaning is not plain Python — a missing variable or attribute, a private attribute, a
method, an empty ``first`` — it raises :class:`~twinchat.composer.fastexpr.Fallback`, and the
caller renders the template with Jinja2 instead (rendering has no side effects). So the fast path
is never *different* from Jinja2, only faster where it applies.

Supported: text; output of an expression (``str`` of its value, as Jinja2 writes it); ``for`` over
one name, with an ``if`` filter, an ``else`` and ``loop.index/index0/first/last/length/revindex/
revindex0``; ``if``/``elif``/``else``; ``set`` of one name at the top level. Expressions: constants,
names, attributes, subscripts (constant, computed or slices), comparisons, ``and``/``or``/``not``,
conditional expressions, ``~``, ``+ - * / // %``, unary ``-``, lists, tuples, dicts, and the
filters ``length``, ``count``, ``list``, ``first``, ``join``, ``selectattr`` (one attribute),
``sort`` (by ``attribute``) and twinchat's own (:data:`twinchat.composer.render.FILTERS`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

import jinja2.filters
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from twinchat.composer.fastexpr import Fallback
from twinchat.composer.fastexpr import _attr as sandbox_attr  # the sandbox's attribute rule, shared
from twinchat.composer.values import Person, Phone, Record, Text

__all__ = ["compile_template_fast"]

Fn = Callable[[Any], Any]
#: a statement: ``fn(scope, out)`` appends text to ``out``
Stmt = Callable[[Any, list[str]], None]


class _Unsupported(Exception):
    pass


class _Scope:
    """Names set by the template (a ``set``, a loop variable) over the names it was given."""

    __slots__ = ("names", "parent")

    def __init__(self, parent: Any, names: dict[str, Any]) -> None:
        self.parent = parent
        self.names = names

    def __getitem__(self, key: str) -> Any:
        names = self.names
        if key in names:
            return names[key]
        return self.parent[key]


class _Loop:
    """What ``loop.…`` reads inside a ``for`` (Jinja2's LoopContext, without its methods)."""

    __slots__ = ("index0", "index", "first", "last", "length", "revindex", "revindex0")

    def __init__(self, i: int, n: int) -> None:
        self.index0, self.index, self.first, self.last = i, i + 1, i == 0, i == n - 1
        self.length, self.revindex, self.revindex0 = n, n - i, n - i - 1


#: slot value classes and ``loop``: an attribute of one is read as the sandbox reads it (getattr,
#: no methods) without the general checks
_VALUES = frozenset({Person, Phone, Record, Text, _Loop})


def _getitem(obj: Any, key: Any) -> Any:
    """``obj[key]`` as the sandbox reads a subscript that succeeds (item first)."""
    try:
        return obj[key]
    except (TypeError, LookupError):
        raise Fallback from None


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gteq": operator.ge, "lt": operator.lt,
    "lteq": operator.le, "in": lambda a, b: a in b, "notin": lambda a, b: a not in b,
}
_BINARY: dict[type[nodes.Node], Callable[[Any, Any], Any]] = {
    nodes.Add: operator.add, nodes.Sub: operator.sub, nodes.Mul: operator.mul, nodes.Div: operator.truediv,
    nodes.FloorDiv: operator.floordiv, nodes.Mod: operator.mod,
}


class _Compiler:
    def __init__(self, env: SandboxedEnvironment, own_filters: Mapping[str, Any]) -> None:
        self.env = env
        self.own = {n: f for n, f in own_filters.items() if env.filters.get(n) is f}

    # -- statements ----------------------------------------------------------------------------
    def block(self, body: list[nodes.Node], *, top: bool) -> Stmt:
        stmts = [self.stmt(node, top=top) for node in body]
        if len(stmts) == 1:
            return stmts[0]

        def run(scope: Any, out: list[str]) -> None:
            for stmt in stmts:
                stmt(scope, out)
        return run

    def stmt(self, node: nodes.Node, *, top: bool) -> Stmt:  # noqa: C901 - one branch per node type
        """One statement; ``top``: at the template's top level (where ``set`` is supported)."""
        if isinstance(node, nodes.Output):
            parts = [(n.data, None) if isinstance(n, nodes.TemplateData) else (None, self.expr(n))
                     for n in node.nodes]

            def output(scope: Any, out: list[str]) -> None:
                for text, fn in parts:
                    out.append(text if fn is None else str(fn(scope)))
            return output
        if isinstance(node, nodes.If):
            branches = [(self.expr(node.test), self.block(node.body, top=False))]
            branches += [(self.expr(e.test), self.block(e.body, top=False)) for e in node.elif_]
            otherwise = self.block(node.else_, top=False) if node.else_ else None

            def if_(scope: Any, out: list[str]) -> None:
                for test, body in branches:
                    if test(scope):
                        body(scope, out)
                        return
                if otherwise is not None:
                    otherwise(scope, out)
            return if_
        if isinstance(node, nodes.For) and isinstance(node.target, nodes.Name) and not node.recursive:
            if node.test is not None and any(n.name == "loop" for n in node.test.find_all(nodes.Name)):
                raise _Unsupported  # ``loop`` in the loop's filter
            name, items = node.target.name, self.expr(node.iter)
            test = self.expr(node.test) if node.test is not None else None
            body = self.block(node.body, top=False)
            otherwise = self.block(node.else_, top=False) if node.else_ else None

            def for_(scope: Any, out: list[str]) -> None:
                seq = items(scope)
                if isinstance(seq, (dict, str)) or not hasattr(seq, "__iter__"):
                    raise Fallback  # iteration that is not a plain sequence of items: Jinja2 decides
                if test is not None:
                    seq = [x for x in seq if test(_Scope(scope, {name: x}))]
                elif not isinstance(seq, (list, tuple)):
                    seq = list(seq)
                n = len(seq)
                for i, x in enumerate(seq):
                    body(_Scope(scope, {name: x, "loop": _Loop(i, n)}), out)
                if n == 0 and otherwise is not None:
                    otherwise(scope, out)
            return for_
        if isinstance(node, nodes.Assign) and top and isinstance(node.target, nodes.Name):
            name, value = node.target.name, self.expr(node.node)

            def assign(scope: Any, out: list[str]) -> None:
                scope.names[name] = value(scope)
            return assign
        raise _Unsupported

    # -- expressions ---------------------------------------------------------------------------
    def expr(self, node: nodes.Node) -> Fn:  # noqa: C901 - one branch per node type
        if isinstance(node, nodes.Const):
            value = node.value
            return lambda scope: value
        if isinstance(node, nodes.Name) and node.ctx == "load":
            name = node.name

            def load(scope: Any) -> Any:
                try:
                    return scope[name]
                except KeyError:
                    raise Fallback from None
            return load
        if isinstance(node, nodes.Getattr):
            obj, attr = self.expr(node.node), node.attr
            if attr.startswith("_") or hasattr(dict, attr):
                return lambda scope: sandbox_attr(obj(scope), attr)

            def getattr_(scope: Any) -> Any:  # sandbox_attr, with the common cases first
                value = obj(scope)
                kind = type(value)
                if kind is dict:
                    try:
                        return value[attr]
                    except KeyError:
                        raise Fallback from None
                if kind in _VALUES:
                    try:
                        found = getattr(value, attr)
                    except AttributeError:
                        raise Fallback from None
                    if callable(found):
                        raise Fallback  # a method: the sandbox decides
                    return found
                return sandbox_attr(value, attr)
            return getattr_
        if isinstance(node, nodes.Getitem):
            obj = self.expr(node.node)
            if isinstance(node.arg, nodes.Slice):
                start, stop, step = (None if n is None else self.expr(n)
                                     for n in (node.arg.start, node.arg.stop, node.arg.step))
                return lambda scope: _getitem(obj(scope), slice(
                    None if start is None else start(scope), None if stop is None else stop(scope),
                    None if step is None else step(scope)))
            key = self.expr(node.arg)
            return lambda scope: _getitem(obj(scope), key(scope))
        if isinstance(node, nodes.Compare):
            first = self.expr(node.expr)
            ops = [(_COMPARE[op.op], self.expr(op.expr)) for op in node.ops]
            if len(ops) == 1:
                (fn, right), = ops
                return lambda scope: fn(first(scope), right(scope))

            def chain(scope: Any) -> Any:
                left = first(scope)
                for fn, right in ops:
                    value = right(scope)
                    if not fn(left, value):
                        return False
                    left = value
                return True
            return chain
        if isinstance(node, nodes.And):
            left, right = self.expr(node.left), self.expr(node.right)
            return lambda scope: left(scope) and right(scope)
        if isinstance(node, nodes.Or):
            left, right = self.expr(node.left), self.expr(node.right)
            return lambda scope: left(scope) or right(scope)
        if isinstance(node, nodes.Not):
            inner = self.expr(node.node)
            return lambda scope: not inner(scope)
        if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
            test, yes, no = self.expr(node.test), self.expr(node.expr1), self.expr(node.expr2)
            return lambda scope: yes(scope) if test(scope) else no(scope)
        if isinstance(node, nodes.Concat):
            parts = [self.expr(n) for n in node.nodes]
            return lambda scope: "".join([str(p(scope)) for p in parts])
        if type(node) in _BINARY:
            fn = _BINARY[type(node)]
            left, right = self.expr(node.left), self.expr(node.right)  # type: ignore[attr-defined]
            return lambda scope: fn(left(scope), right(scope))
        if isinstance(node, nodes.Neg):
            inner = self.expr(node.node)
            return lambda scope: -inner(scope)
        if isinstance(node, (nodes.List, nodes.Tuple)):
            items = [self.expr(i) for i in node.items]
            if isinstance(node, nodes.Tuple):
                return lambda scope: tuple([i(scope) for i in items])
            return lambda scope: [i(scope) for i in items]
        if isinstance(node, nodes.Dict):
            pairs = [(self.expr(p.key), self.expr(p.value)) for p in node.items]
            return lambda scope: {k(scope): v(scope) for k, v in pairs}
        if isinstance(node, nodes.Filter) and node.node is not None and node.dyn_args is None \
                and node.dyn_kwargs is None:
            return self.filter(node)
        raise _Unsupported

    def filter(self, node: nodes.Filter) -> Fn:  # noqa: C901 - one branch per filter
        name = node.name
        inner = self.expr(node.node)  # type: ignore[arg-type]
        args = [self.expr(a) for a in node.args]
        consts = [a.value for a in node.args if isinstance(a, nodes.Const)]
        kwargs = {k.key: k.value.value for k in node.kwargs if isinstance(k.value, nodes.Const)}
        if len(kwargs) != len(node.kwargs):
            raise _Unsupported
        if name in self.own and not kwargs:
            fn = self.own[name]
            if not args:
                return lambda scope: fn(inner(scope))
            return lambda scope: fn(inner(scope), *[a(scope) for a in args])
        if self.env.filters.get(name) is not jinja2.filters.FILTERS.get(name):
            raise _Unsupported  # a filter replaced in this environment
        if name in ("length", "count") and not args and not kwargs:
            return lambda scope: len(inner(scope))
        if name == "list" and not args and not kwargs:
            def to_list(scope: Any) -> Any:
                value = inner(scope)
                if isinstance(value, (str, dict)):
                    raise Fallback
                return list(value)
            return to_list
        if name == "first" and not args and not kwargs:
            def first(scope: Any) -> Any:
                for item in inner(scope):
                    return item
                raise Fallback  # Jinja2 gives an undefined value
            return first
        if name == "join" and len(consts) == len(args) <= 1 and not kwargs and all(isinstance(c, str) for c in consts):
            sep = consts[0] if consts else ""
            return lambda scope: sep.join([str(x) for x in inner(scope)])
        if name == "selectattr" and len(consts) == len(args) == 1 and not kwargs \
                and isinstance(consts[0], str) and "." not in consts[0]:
            attr = consts[0]
            return lambda scope: (x for x in inner(scope) if sandbox_attr(x, attr))
        if name == "sort" and not args and set(kwargs) <= {"attribute", "reverse"} \
                and isinstance(kwargs.get("attribute"), str) and "." not in kwargs["attribute"] \
                and "," not in kwargs["attribute"] and not kwargs["attribute"].isdigit() \
                and isinstance(kwargs.get("reverse", False), bool):
            attr, reverse = kwargs["attribute"], kwargs.get("reverse", False)

            def key(item: Any) -> Any:  # the sandbox's item-first lookup, then case folding
                value = _getitem(item, attr)
                return value.lower() if isinstance(value, str) else value
            return lambda scope: sorted(inner(scope), key=key, reverse=reverse)
        raise _Unsupported


def set_before_read(tree: nodes.Template) -> bool:
    """Whether a name the template sets at its top level is read in a statement before that
    ``set`` (Jinja2 then reads the template's own, not yet assigned, variable: left to it)."""
    def targets(node: nodes.Assign) -> set[str]:
        return {n.name for n in (node.target, *node.target.find_all(nodes.Name)) if isinstance(n, nodes.Name)}

    assigned = set().union(*(targets(n) for n in tree.body if isinstance(n, nodes.Assign)))
    seen: set[str] = set()
    for node in tree.body:
        if assigned - seen and {n.name for n in node.find_all(nodes.Name) if n.ctx == "load"} & (assigned - seen):
            return True
        if isinstance(node, nodes.Assign):
            seen |= targets(node)
    return False


def compile_template_fast(env: SandboxedEnvironment, source: str,
                          own_filters: Mapping[str, Any]) -> Callable[[Mapping[str, Any]], str] | None:
    """``render(context)`` with Jinja2's output for ``source``, or None if any part of it is
    outside the supported set. ``render`` raises Fallback (or any error) where Jinja2 must decide;
    ``own_filters`` are the filters whose functions it may call directly."""
    try:
        tree = env.parse(source)
    except Exception:  # noqa: BLE001 - Jinja2 reports syntax errors itself, with its own message
        return None
    if set_before_read(tree):
        return None
    try:
        body = _Compiler(env, own_filters).block(tree.body, top=True)
    except (_Unsupported, KeyError):
        return None
    if any(isinstance(node, nodes.Assign) for node in tree.body):
        def render(context: Mapping[str, Any]) -> str:
            out: list[str] = []
            body(_Scope(context, {}), out)
            return "".join(out)
        return render

    def render_plain(context: Mapping[str, Any]) -> str:  # nothing set at the top: names come from the context
        out: list[str] = []
        body(context, out)
        return "".join(out)
    return render_plain
