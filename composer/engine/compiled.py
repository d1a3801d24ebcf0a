"""The fast path for unit templates and expressions: each compiled to one Python function.

Rendering a template with Jinja2 builds a fresh context and goes through the sandbox for every
attribute; the templates and conditions units use (a reply listing the options, ``'error' in
result``) are small and run thousands of times a second, and that overhead is most of their cost.
:func:`compile_template_code` writes a template as the body of one Python function — names read
from the context or from locals (loop variables, ``set``), dict attributes read inline, loop
counters computed where they are read — and compiles it once; :func:`compile_expression_code`
does the same for an expression. Both return None for anything outside a closed set of node
types, and the caller then always uses Jinja2.

Whenever fast code meets something whose Jinja2 meaning is not plain Python — a missing variable
or attribute (Jinja2's ``Undefined``), a private attribute (refused by the sandbox), a method, an
empty ``first`` — it raises :class:`Fallback` (a template may also raise the error itself), and
the caller renders or evaluates with Jinja2 instead (neither has side effects: the functions a
caller lets the code call must have none either). So the fast path
is never *different* from Jinja2, only faster where it applies (``tests/composer/
test_fasttemplate.py`` and ``test_fastexpr.py`` check that they agree).

Supported: text; output of an expression (``str`` of its value, as Jinja2 writes it); ``for`` over
one name, with an ``if`` filter, an ``else`` and ``loop.index/index0/first/last/length/revindex/
revindex0``; ``if``/``elif``/``else``; ``set`` of one name at the top level (not read before it).
Expressions: constants, names, attributes, subscripts (constant, computed or slices), comparisons,
``and``/``or``/``not``, conditional expressions (written out, also without ``else``), ``~``, ``+ - * / // %``, unary ``-``, lists,
tuples, dicts, ``weekday()``/``isoweekday()`` of a date or datetime (anything else so called: Jinja2), and the filters ``length``, ``count``, ``list``, ``first``, ``join``,
``selectattr`` and ``rejectattr`` (one attribute), ``groupby`` (one attribute: a list of dicts
holding it grouped directly, anything else by Jinja2's own filter on the sandbox), ``sort`` (by ``attribute``) and twinchat's own
(:data:`twinchat.composer.engine.filters.FILTERS`); calls of the variables a caller names (``calls``:
a declared tool's ``serial('CB', 6)``) when the value is a plain function. Label readers
(:func:`paths_reader`) are in :mod:`.compiled_paths`.

The source is made from the parsed template only: names and attributes are identifiers (written
with ``repr``), every constant is passed in by reference, never written into the source.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from functools import lru_cache
from typing import Any

import jinja2.filters
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from twinchat.composer.engine.limits import MAX_LOOPS, checked_mod
from twinchat.composer.engine.compiled_parts import HELPERS, PLAIN, Written, define, parse_expression, references, set_before_read
from twinchat.composer.engine.compiled_paths import paths_reader
from twinchat.composer.engine.sandbox import DATE_METHODS, Fallback, groupby_key, sort_key

__all__ = ["Fallback", "Written", "compile_template_code", "compile_expression_code", "define", "paths_reader",
           "references", "write_expression", "write_template"]

_COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in", "notin": "not in"}
#: ``loop.…`` counters as expressions of the index ``i`` and the length ``n`` (what sandbox.Loop gives)
_LOOP = {"index0": "{i}", "index": "({i} + 1)", "first": "({i} == 0)", "last": "({i} == {n} - 1)", "length": "{n}",
         "revindex": "({n} - {i})", "revindex0": "({n} - {i} - 1)"}
_BINARY = {nodes.Add: "+", nodes.Sub: "-", nodes.Mul: "*", nodes.Div: "/", nodes.FloorDiv: "//",
           nodes.And: "and", nodes.Or: "or"}


class _Unsupported(Exception):
    pass


class _Writer:
    def __init__(self, env: SandboxedEnvironment, own: Mapping[str, Any], calls: Collection[str] = ()) -> None:
        self.env = env
        self.own = {n: f for n, f in own.items() if env.filters.get(n) is f}
        self.calls = frozenset(calls)  # the variables the code may call (see compile_expression_code)
        self.names: dict[str, Any] = {}  # what the source refers to by name: constants, filters, sort keys
        # how each of ``names`` is made again in another process (see :func:`references`); None
        # once one of them cannot be
        self.recipe: list[tuple[Any, ...]] | None = []
        self.lines: list[str] = []
        self.count = 0
        self.loops: dict[str, tuple[str, str]] = {}  # a loop's local -> (its index, its length)

    def ref(self, value: Any, made: tuple[Any, ...] | None = None) -> str:
        """The name the code reads ``value`` by (``made``: how :func:`references` makes it again,
        when it is not a plain constant, the environment, a helper or one of the own filters)."""
        name = f"_k{len(self.names)}"
        self.names[name] = value
        if self.recipe is not None:
            how = made or self._recipe(value)
            if how is None:
                self.recipe = None
            else:
                self.recipe.append(how)
        return name

    def _recipe(self, value: Any) -> tuple[Any, ...] | None:
        if type(value) in PLAIN:
            return ("value", value)
        if value is self.env:
            return ("env",)
        for name, helper in HELPERS.items():
            if value is helper:
                return ("helper", name)
        for name, f in self.own.items():
            if value is f:
                return ("filter", name)
        return None

    def temp(self) -> str:
        self.count += 1
        return f"_t{self.count}"

    def emit(self, indent: int, line: str) -> None:
        self.lines.append("    " * indent + line)

    # -- statements ------------------------------------------------------------------------
    def block(self, body: list[nodes.Node], indent: int, scope: dict[str, str], *, top: bool) -> None:
        before = len(self.lines)
        for node in body:
            self.stmt(node, indent, scope, top=top)
        if len(self.lines) == before:
            self.emit(indent, "pass")

    def stmt(self, node: nodes.Node, indent: int, scope: dict[str, str], *, top: bool) -> None:
        if isinstance(node, nodes.Output):
            parts = [self.ref(n.data) if isinstance(n, nodes.TemplateData) else self.output(n, scope)
                     for n in node.nodes]
            self.emit(indent, f"_out.extend(({', '.join(parts)},))")
        elif isinstance(node, nodes.If):
            self.emit(indent, f"if {self.expr(node.test, scope)}:")
            self.block(node.body, indent + 1, scope, top=False)
            for branch in node.elif_:
                self.emit(indent, f"elif {self.expr(branch.test, scope)}:")
                self.block(branch.body, indent + 1, scope, top=False)
            if node.else_:
                self.emit(indent, "else:")
                self.block(node.else_, indent + 1, scope, top=False)
        elif isinstance(node, nodes.For) and isinstance(node.target, nodes.Name) and not node.recursive:
            if node.test is not None and any(n.name == "loop" for n in node.test.find_all(nodes.Name)):
                raise _Unsupported  # ``loop`` in the loop's filter
            seq, count, i, item = self.temp(), self.temp(), self.temp(), self.temp()
            inner = {**scope, node.target.name: item}
            self.emit(indent, f"{seq} = _iterable({self.expr(node.iter, scope)})")
            self.emit(indent, f"if not isinstance({seq}, (list, tuple)): {seq} = list({seq})")
            # iterations counted as the sandbox counts them: past its limit, the sandbox renders (and refuses)
            self.emit(indent, f"_loops += len({seq})")
            self.emit(indent, f"if _loops > {MAX_LOOPS}: raise _Fallback")
            if node.test is not None:
                self.emit(indent, f"{seq} = [{item} for {item} in {seq} if {self.expr(node.test, inner)}]")
            self.emit(indent, f"{count} = len({seq})")
            self.emit(indent, f"for {i}, {item} in enumerate({seq}):")
            names = [n for b in node.body for n in b.find_all(nodes.Name) if n.name == "loop"]
            if names:
                loop = self.temp()
                inner["loop"] = loop
                self.loops[loop] = (i, count)
                read = [g for b in node.body for g in b.find_all(nodes.Getattr)
                        if isinstance(g.node, nodes.Name) and g.node.name == "loop" and g.attr in _LOOP]
                if len(read) < len(names):  # ``loop`` used otherwise than for its counters: the object itself
                    self.emit(indent + 1, f"{loop} = _Loop({i}, {count})")
            self.block(node.body, indent + 1, inner, top=False)
            if node.else_:
                self.emit(indent, f"if {count} == 0:")
                self.block(node.else_, indent + 1, scope, top=False)
        elif isinstance(node, nodes.Assign) and top and isinstance(node.target, nodes.Name):
            value = self.expr(node.node, scope)
            local = self.temp()
            self.emit(indent, f"{local} = {value}")
            scope[node.target.name] = local  # later statements read the name from here
        else:
            raise _Unsupported

    def output(self, node: nodes.Node, scope: dict[str, str]) -> str:
        """What ``{{ node }}`` writes: ``str`` of its value; an inline ``if`` without ``else`` whose
        test fails writes nothing, as Jinja2 writes its undefined value."""
        if isinstance(node, nodes.CondExpr) and node.expr2 is None:
            return f"(str({self.expr(node.expr1, scope)}) if {self.expr(node.test, scope)} else '')"
        if isinstance(node, nodes.Name) and node.name in self.calls:
            raise _Unsupported  # a function written as text: Jinja2 refuses it (its ``finalize``)
        return f"str({self.expr(node, scope)})"

    # -- expressions -----------------------------------------------------------------------
    def expr(self, node: nodes.Node, scope: dict[str, str]) -> str:  # noqa: C901 - one branch per node type
        if isinstance(node, nodes.Const):
            return self.ref(node.value)
        if isinstance(node, nodes.Name) and node.ctx == "load":
            return scope.get(node.name) or f"_ctx[{node.name!r}]"
        if isinstance(node, nodes.Getattr):
            if isinstance(node.node, nodes.Name) and scope.get(node.node.name) in self.loops and node.attr in _LOOP:
                i, n = self.loops[scope[node.node.name]]  # a loop counter, computed where it is read
                return _LOOP[node.attr].format(i=i, n=n)
            obj, attr = self.expr(node.node, scope), node.attr
            if attr.startswith("_") or hasattr(dict, attr):
                return f"_sattr({obj}, {attr!r})"
            t = self.temp()
            return f"({t}[{attr!r}] if type({t} := {obj}) is dict else _gattr({t}, {attr!r}))"
        if isinstance(node, nodes.Getitem):
            obj = self.expr(node.node, scope)
            if isinstance(node.arg, nodes.Slice):
                bounds = ", ".join("None" if n is None else self.expr(n, scope)
                                   for n in (node.arg.start, node.arg.stop, node.arg.step))
                return f"_getitem({obj}, slice({bounds}))"
            return f"_getitem({obj}, {self.expr(node.arg, scope)})"
        if isinstance(node, nodes.Compare):
            parts = [self.expr(node.expr, scope)]
            for op in node.ops:
                parts += [_COMPARE[op.op], self.expr(op.expr, scope)]
            return f"({' '.join(parts)})"
        if isinstance(node, nodes.Not):
            return f"(not {self.expr(node.node, scope)})"
        if isinstance(node, nodes.CondExpr) and node.expr2 is not None:
            return (f"({self.expr(node.expr1, scope)} if {self.expr(node.test, scope)} "
                    f"else {self.expr(node.expr2, scope)})")
        if isinstance(node, nodes.Concat):
            return f"''.join(({', '.join(f'str({self.expr(n, scope)})' for n in node.nodes)},))"
        if isinstance(node, nodes.Mod):  # a text format's widths are checked (limits.checked_mod)
            return f"{self.ref(checked_mod)}({self.expr(node.left, scope)}, {self.expr(node.right, scope)})"
        if type(node) in _BINARY:
            return (f"({self.expr(node.left, scope)} {_BINARY[type(node)]} "  # type: ignore[attr-defined]
                    f"{self.expr(node.right, scope)})")  # type: ignore[attr-defined]
        if isinstance(node, nodes.Neg):
            return f"(-{self.expr(node.node, scope)})"
        if isinstance(node, nodes.List):
            return f"[{', '.join(self.expr(i, scope) for i in node.items)}]"
        if isinstance(node, nodes.Tuple):
            return f"({''.join(self.expr(i, scope) + ', ' for i in node.items)})"
        if isinstance(node, nodes.Dict):
            return "{" + ", ".join(f"{self.expr(p.key, scope)}: {self.expr(p.value, scope)}" for p in node.items) + "}"
        if isinstance(node, nodes.Filter) and node.node is not None and node.dyn_args is None \
                and node.dyn_kwargs is None:
            return self.filter(node, scope)
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr in DATE_METHODS \
                and not (node.args or node.kwargs or node.dyn_args or node.dyn_kwargs):
            return f"_date_method({self.expr(node.node.node, scope)}, {node.node.attr!r})"
        if isinstance(node, nodes.Call):
            return self.call(node, scope)
        raise _Unsupported

    def call(self, node: nodes.Call, scope: dict[str, str]) -> str:
        """``name(args…)`` of a variable the caller lets the code call, read from the context (never
        a loop variable or an attribute), with positional and keyword arguments: ``_call`` calls
        it where the sandbox would call it as it is (a plain function), else Jinja2 decides."""
        callee = node.node
        if not (isinstance(callee, nodes.Name) and callee.name in self.calls and callee.name not in scope
                and node.dyn_args is None and node.dyn_kwargs is None):
            raise _Unsupported
        args = [self.expr(a, scope) for a in node.args]
        if node.kwargs:
            args.append("**{" + ", ".join(f"{k.key!r}: {self.expr(k.value, scope)}" for k in node.kwargs) + "}")
        return f"_call({', '.join([self.expr(callee, scope), *args])})"

    def select_list(self, node: nodes.Node, scope: dict[str, str]) -> str | None:
        """``x|selectattr('a')|list`` (or ``rejectattr``) of a plain attribute name as one list
        comprehension: what ``_to_list(_select_key(x, 'a'))`` gives; None for anything else."""
        if not (isinstance(node, nodes.Filter) and node.name in ("selectattr", "rejectattr")
                and node.node is not None and len(node.args) == 1 and isinstance(node.args[0], nodes.Const)
                and not node.kwargs and node.dyn_args is None and node.dyn_kwargs is None):
            return None
        attr = node.args[0].value
        if node.name in self.own or self.env.filters.get(node.name) is not jinja2.filters.FILTERS.get(node.name) \
                or not isinstance(attr, str) or "." in attr or attr.startswith("_") or hasattr(dict, attr):
            return None
        seq, key, x, held = self.expr(node.node, scope), self.ref(attr), self.temp(), self.temp()
        test = f"({x}[{key}] if type({x}) is dict and {key} in {x} else _sattr({x}, {key}))"
        # the sequence is held first: a comprehension's iterable cannot hold the := of attribute reads
        return f"({held} := {seq}, [{x} for {x} in {held} if {'' if node.name == 'selectattr' else 'not '}{test}])[1]"

    def filter(self, node: nodes.Filter, scope: dict[str, str]) -> str:  # noqa: C901 - one branch per filter
        name = node.name
        inner = self.expr(node.node, scope)  # type: ignore[arg-type]
        args = [self.expr(a, scope) for a in node.args]
        consts = [a.value for a in node.args if isinstance(a, nodes.Const)]
        kwargs = {k.key: k.value.value for k in node.kwargs if isinstance(k.value, nodes.Const)}
        if len(kwargs) != len(node.kwargs):
            raise _Unsupported
        if name in self.own and not kwargs:
            return f"{self.ref(self.own[name])}({', '.join([inner, *args])})"
        if self.env.filters.get(name) is not jinja2.filters.FILTERS.get(name):
            raise _Unsupported  # a filter replaced in this environment
        if name in ("length", "count") and not args and not kwargs:
            return f"len({inner})"
        if name == "list" and not args and not kwargs:
            return self.select_list(node.node, scope) or f"_to_list({inner})"  # type: ignore[arg-type]
        if name == "first" and not args and not kwargs:
            return f"_first({inner})"
        if name == "join" and len(consts) == len(args) <= 1 and not kwargs and all(isinstance(c, str) for c in consts):
            return f"_join({self.ref(consts[0] if consts else '')}, {inner})"
        if name in ("selectattr", "rejectattr") and len(consts) == len(args) == 1 and not kwargs \
                and isinstance(consts[0], str) and "." not in consts[0]:
            attr, which = consts[0], "_select" if name == "selectattr" else "_reject"
            plain = not attr.startswith("_") and not hasattr(dict, attr)
            return f"{which}{'_key' if plain else ''}({inner}, {self.ref(attr)})"
        if name == "groupby" and len(consts) == len(args) == 1 and not kwargs and isinstance(consts[0], str):
            # a list of dicts that all hold the key grouped here; else Jinja2's own filter on this
            # environment (its attribute reads are the sandbox's)
            plain = consts[0].isidentifier() and not consts[0].startswith("_") and not hasattr(dict, consts[0])
            grouper = groupby_key if plain else jinja2.filters.sync_do_groupby
            return f"{self.ref(grouper)}({self.ref(self.env)}, {inner}, {self.ref(consts[0])})"
        if name == "sort" and not args and set(kwargs) <= {"attribute", "reverse"} \
                and isinstance(kwargs.get("attribute"), str) and "." not in kwargs["attribute"] \
                and "," not in kwargs["attribute"] and not kwargs["attribute"].isdigit() \
                and isinstance(kwargs.get("reverse", False), bool):
            key = self.ref(sort_key(kwargs["attribute"]), ("sort_key", kwargs["attribute"]))
            return f"sorted({inner}, key={key}, reverse={bool(kwargs.get('reverse', False))})"
        raise _Unsupported


def compile_template_code(env: SandboxedEnvironment, source: str, own_filters: Mapping[str, Any],
                          tree: nodes.Template | None = None,
                          calls: Collection[str] = ()) -> Callable[[Mapping[str, Any]], str] | None:
    """``render(context)`` giving Jinja2's output for ``source``, as one compiled function; None
    if any part of it is outside the supported set. ``render`` raises (Fallback or any error)
    where Jinja2 must decide; ``own_filters`` are the filters it may call directly; ``tree`` is
    ``source`` parsed already, if the caller has it; ``calls`` as for :func:`compile_expression_code`."""
    written = write_template(env, source, own_filters, tree, calls)
    render: Callable[[Mapping[str, Any]], str] | None = None if written is None else define(env, written)
    return render


def compile_expression_code(env: SandboxedEnvironment, expression: str,
                            own_filters: Mapping[str, Any] | None = None,
                            tree: nodes.Template | None = None,
                            calls: Collection[str] = ()) -> Callable[[Mapping[str, Any]], Any] | None:
    """``evaluate(context)`` giving what Jinja2 gives for ``expression``, as one compiled
    function; None if any part of it is outside the supported set. ``evaluate`` raises
    Fallback where Jinja2 must decide (a missing name or dict key included). ``tree`` is
    ``{{ expression }}`` parsed already, if the caller has it. ``calls`` names the variables the
    code may call (``serial('CB', 6)``): functions the caller puts in every context it gives,
    such as a declared tool's helpers; a call of anything else is left to Jinja2."""
    written = write_expression(env, expression, own_filters, tree, calls)
    evaluate: Callable[[Mapping[str, Any]], Any] | None = None if written is None else define(env, written)
    return evaluate


def write_template(env: SandboxedEnvironment, source: str, own_filters: Mapping[str, Any],
                   tree: nodes.Template | None = None, calls: Collection[str] = ()) -> Written | None:
    """What :func:`compile_template_code` compiles, before it is made a function; None where it
    makes none."""
    if tree is None:
        try:
            tree = env.parse(source)
        except Exception:  # noqa: BLE001 - Jinja2 reports syntax errors itself, with its own message
            return None
    if set_before_read(tree):
        return None
    writer = _Writer(env, own_filters, calls)
    try:
        writer.block(tree.body, 1, {}, top=True)
    except (_Unsupported, KeyError):
        return None
    code = "\n".join(["def render(_ctx):", "    _out = []", "    _loops = 0", *writer.lines,
                      "    return ''.join(_out)"])
    return _written(code, writer, "render")


def write_expression(env: SandboxedEnvironment, expression: str, own_filters: Mapping[str, Any] | None = None,
                     tree: nodes.Template | None = None, calls: Collection[str] = ()) -> Written | None:
    """What :func:`compile_expression_code` compiles, before it is made a function; None where it
    makes none."""
    node = parse_expression(env, expression, tree)
    if node is None:
        return None
    writer = _Writer(env, own_filters or {}, calls)
    try:
        value = writer.expr(node, {})
    except (_Unsupported, KeyError):
        return None
    # a missing name or dict key is Jinja2's to decide; so is any other KeyError (Jinja2 then
    # raises it again, from the same filter)
    code = "\n".join(["def evaluate(_ctx):", "    try:", f"        return {value}",
                      "    except KeyError:", "        raise _Fallback from None"])
    return _written(code, writer, "evaluate")


def _written(code: str, writer: _Writer, name: str) -> Written | None:
    """``code`` compiled; None if Python cannot compile it (a template nested deeper than Python allows)."""
    try:
        compiled = _compiled(code, name)
    except (SyntaxError, RecursionError, MemoryError):
        return None
    return Written(compiled, name, writer.names, None if writer.recipe is None else tuple(writer.recipe))


@lru_cache(maxsize=4096)
def _compiled(code: str, name: str) -> Any:
    """``code`` compiled: templates that differ only in their constants (named in it, never held) share it."""
    return compile(code, f"<twinchat {name}>", "exec")
