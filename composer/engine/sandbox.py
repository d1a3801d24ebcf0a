"""What templates may read, and the helpers compiled templates call at run time.

Every user template and expression is rendered in Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`
or by code compiled from it (:mod:`.compiled`, and the label readers of :func:`.compiled.paths_reader`).
Both must allow exactly the same reads: this module holds the rules the compiled code applies — an
attribute of anything but a dict or a slot value is returned only where the environment's
``is_safe_attribute`` allows it (no private names, no internals of functions, frames, generators,
code objects or tracebacks, which lead from a value to the interpreter and its environment) — and
the load-time check that refuses templates naming such attributes at all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import jinja2.sandbox
from jinja2 import TemplateSyntaxError, nodes
from jinja2.parser import Parser
from jinja2.sandbox import SandboxedEnvironment

from twinchat.composer.engine.slot_values import Person, Phone, Record, Text

__all__ = ["Access", "Fallback", "Loop", "SLOT_VALUE_TYPES", "allowed", "parse", "refused_attributes", "runtime",
           "sort_key"]


class Fallback(Exception):
    """The fast path cannot decide this value exactly as Jinja2 would; ask Jinja2."""


class Loop:
    """What ``loop.…`` reads inside a ``for`` (Jinja2's LoopContext, without its methods)."""

    __slots__ = ("index0", "index", "first", "last", "length", "revindex", "revindex0")

    def __init__(self, i: int, n: int) -> None:
        self.index0, self.index, self.first, self.last = i, i + 1, i == 0, i == n - 1
        self.length, self.revindex, self.revindex0 = n, n - i, n - i - 1


#: slot value classes and ``loop``: an attribute of one is read as the sandbox reads it (getattr,
#: no methods) without the general checks; none of them has internals the sandbox refuses
SLOT_VALUE_TYPES = frozenset({Person, Phone, Record, Text, Loop})


class Access:
    """Attribute reads of the fast path, allowed exactly where ``env``'s sandbox allows them.

    Jinja2's sandbox refuses private attributes and the internals of functions, frames,
    generators, code objects and tracebacks (``gi_frame``, ``f_globals``, ``co_code`` …), which lead
    from a value to the interpreter's state; the fast path asks the same ``is_safe_attribute``
    before it returns any attribute of an object that is not a dict, a slot value or ``loop``.
    """

    __slots__ = ("is_safe",)

    def __init__(self, env: SandboxedEnvironment) -> None:
        self.is_safe = env.is_safe_attribute

    def attr(self, obj: Any, name: str) -> Any:
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
        if callable(value) or not self.is_safe(obj, name, value):
            raise Fallback  # methods and internals: the sandbox decides (and refuses internals)
        return value

    def gattr(self, obj: Any, attr: str) -> Any:
        """``obj.attr`` for what is not a dict: a slot value's attribute (no methods), else :meth:`attr`."""
        if type(obj) in SLOT_VALUE_TYPES:
            try:
                found = getattr(obj, attr)
            except AttributeError:
                raise Fallback from None  # Jinja2's undefined value
            if callable(found):
                raise Fallback  # a method: the sandbox decides
            return found
        return self.attr(obj, attr)

    def select(self, value: Any, attr: str) -> Any:
        return (x for x in value if self.attr(x, attr))

    def select_key(self, value: Any, key: str) -> Any:
        """:meth:`select` for a public name that no dict method has: a dict item is read directly."""
        return (x for x in value if (x[key] if type(x) is dict and key in x else self.attr(x, key)))


def _getitem(obj: Any, key: Any) -> Any:
    """``obj[key]`` as the sandbox reads a subscript that succeeds (item first)."""
    try:
        return obj[key]
    except (TypeError, LookupError):
        raise Fallback from None


def _iterable(seq: Any) -> Any:
    if isinstance(seq, (dict, str)) or not hasattr(seq, "__iter__"):
        raise Fallback  # iteration that is not a plain sequence of items: Jinja2 decides
    return seq


def _to_list(value: Any) -> list[Any]:
    if isinstance(value, (str, dict)):
        raise Fallback
    return list(value)


def _first(value: Any) -> Any:
    for item in value:
        return item
    raise Fallback  # Jinja2 gives an undefined value


def _join(sep: str, value: Any) -> str:
    return sep.join([str(x) for x in value])


def sort_key(attr: str) -> Callable[[Any], Any]:
    def key(item: Any) -> Any:  # the sandbox's item-first lookup, then case folding
        value = _getitem(item, attr)
        return value.lower() if isinstance(value, str) else value
    return key


def runtime(env: SandboxedEnvironment) -> dict[str, Any]:
    """The names compiled code calls, by the names it calls them (attribute reads checked by
    ``env``'s sandbox)."""
    access = Access(env)
    return {"_getitem": _getitem, "_iterable": _iterable, "_to_list": _to_list, "_first": _first, "_join": _join,
            "_Loop": Loop, "_Fallback": Fallback, "_sattr": access.attr, "_gattr": access.gattr,
            "_select": access.select, "_select_key": access.select_key}


#: what Jinja2 calls the end of a ``{{ … }}``, and what an expression's author wrote instead
_ENDS = (("'end of template'", "end of the expression"), ("end of template", "end of the expression"),
         ("'end of print statement'", "end of the expression"), ("end of print statement", "end of the expression"))


def parse(env: SandboxedEnvironment, source: str, *, expression: bool = False) -> nodes.Template:
    """The parsed template, or expression as Jinja2 compiles one (``compile_expression``: the
    expression alone, nothing after it) inside an output node. A syntax error in an expression
    speaks of the author's own text (``unexpected end of the expression (in 'result.orders[')``),
    never of braces they did not write. Raises :class:`jinja2.TemplateSyntaxError`."""
    if not expression:
        return env.parse(source)
    try:
        parser = Parser(env, source, state="variable")
        expr = parser.parse_expression()
        if not parser.stream.eos:
            raise TemplateSyntaxError(f"unexpected {parser.stream.current.value!r} after the expression", 1)
    except TemplateSyntaxError as exc:
        message = exc.message or "syntax error"
        for jinja_says, we_say in _ENDS:
            message = message.replace(jinja_says, we_say)
        error = TemplateSyntaxError(f"{message.rstrip('.')} (in {source!r})", 1)
        error.translated = True  # str(error) is the message alone
        raise error from exc
    tree = nodes.Template([nodes.Output([expr], lineno=1)], lineno=1)
    tree.set_environment(env)
    return tree


#: attribute names the sandbox refuses on the objects that have them (besides private names)
_REFUSED = frozenset({"mro"}) | jinja2.sandbox.UNSAFE_GENERATOR_ATTRIBUTES | jinja2.sandbox.UNSAFE_COROUTINE_ATTRIBUTES \
    | jinja2.sandbox.UNSAFE_ASYNC_GENERATOR_ATTRIBUTES | jinja2.sandbox.UNSAFE_FUNCTION_ATTRIBUTES \
    | jinja2.sandbox.UNSAFE_METHOD_ATTRIBUTES


def refused_attributes(env: SandboxedEnvironment, source: str, *, expression: bool = False) -> list[str]:
    """The attribute names in a template (or expression) that the sandbox refuses to read: private
    names and the internals of generators, coroutines, functions and types. Such a template can
    only fail (or probe the interpreter), so the unit checks reject it when it loads. Raises
    :class:`jinja2.TemplateSyntaxError` for bad syntax."""
    ast = parse(env, source, expression=expression)
    names = [n.attr for n in ast.find_all(nodes.Getattr)]
    names += [n.arg.value for n in ast.find_all(nodes.Getitem)
              if isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str)]
    return sorted({n for n in names if n.startswith("_") or n in _REFUSED})


_SANDBOX = SandboxedEnvironment()


def allowed(obj: Any, name: str, value: Any) -> bool:
    """Whether a path (``a.b.c``) may read ``obj.name`` (= ``value``): not a method (its text would
    hold a memory address, different on every run), and a slot value's attribute or one that
    :meth:`SandboxedEnvironment.is_safe_attribute` allows (no private names, no internals of
    functions, frames, generators, code objects or tracebacks)."""
    return not callable(value) and (type(obj) in SLOT_VALUE_TYPES or _SANDBOX.is_safe_attribute(obj, name, value))


# -- limits: what one template may make ---------------------------------------------------------

#: the most characters a rendered template may have, and items a template may make (range, ``*``)
MAX_TEXT = 10_000
#: the most bits a number a template computes may have (about 1,200 digits)
MAX_BITS = 4_096
#: the deepest ``for`` loops may nest (each level multiplies the work)
MAX_LOOP_DEPTH = 2
#: a ``%`` format's width or precision (``%999999999d``): its digits, or ``*`` (taken from the values)
_FORMAT_WIDTH = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?")
#: a ``str.format`` field's width or precision (``{:999999999}``)
_FIELD_WIDTH = re.compile(r"\{[^{}]*:[^{}]*?(\d+)")


def _past(what: str) -> str:
    return f"{what}, past the limit of {MAX_TEXT:,}"


def _widths_problem(fmt: str, pattern: re.Pattern[str]) -> str | None:
    for match in pattern.finditer(fmt):
        for width in match.groups():
            if width == "*" or (width and int(width) > MAX_TEXT):
                return _past(f"formats with width {width} ({match.group(0)!r})")
    return None


def binop_problem(operator: str, left: Any, right: Any) -> str | None:
    """Why ``left operator right`` is refused (None when it may be computed): a number past
    MAX_BITS, a text or list past MAX_TEXT, a format width past MAX_TEXT."""
    numbers = (int, float)
    if operator == "**" and isinstance(left, numbers) and isinstance(right, int) and right > 0:
        bits = int(abs(left)).bit_length() * right
        if bits > MAX_BITS:
            return f"raises {left!r} to the power {right:,}, past the limit of {MAX_BITS:,} bits"
    elif operator == "*" and isinstance(left, int) and isinstance(right, int):
        if left.bit_length() + right.bit_length() > MAX_BITS:
            return f"multiplies numbers past the limit of {MAX_BITS:,} bits"
    elif operator == "*" and isinstance(left, (str, list, tuple)) != isinstance(right, (str, list, tuple)):
        seq, times = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
        if isinstance(times, int) and len(seq) * times > MAX_TEXT:
            return _past(f"multiplies a {type(seq).__name__} of {len(seq):,} by {times:,}")
    elif operator == "%" and isinstance(left, str):
        return _widths_problem(left, _FORMAT_WIDTH)
    return None


def call_problem(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """Why a call of a text's method is refused: a number argument past MAX_TEXT (``center``,
    ``ljust``, ``zfill`` …), or a ``format`` width past it."""
    owner = getattr(obj, "__self__", None)
    if not isinstance(owner, str):
        return None
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and abs(value) > MAX_TEXT:
            return _past(f"calls {getattr(obj, '__name__', 'a method')}() with {value:,}")
    if getattr(obj, "__name__", "") in ("format", "format_map"):
        return _widths_problem(owner, _FIELD_WIDTH)
    return None


_UNKNOWN = object()
_TAGS = {nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "from … import", nodes.Extends: "extends"}
_OPS = {"*": lambda a, b: a * b, "**": lambda a, b: a ** b, "%": lambda a, b: a % b, "+": lambda a, b: a + b}


def _const(node: nodes.Node) -> Any:
    """The value of a constant expression, computed where :func:`binop_problem` allows (else _UNKNOWN)."""
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, (nodes.List, nodes.Tuple)):
        items = [_const(i) for i in node.items]
        return _UNKNOWN if _UNKNOWN in items else items
    if isinstance(node, nodes.BinExpr) and node.operator in _OPS:
        left, right = _const(node.left), _const(node.right)
        if left is _UNKNOWN or right is _UNKNOWN or binop_problem(node.operator, left, right):
            return _UNKNOWN
        try:
            return _OPS[node.operator](left, right)
        except (TypeError, ValueError, ArithmeticError):
            return _UNKNOWN
    return _UNKNOWN


def _loop_depth(node: nodes.Node) -> int:
    inner = max((_loop_depth(child) for child in node.iter_child_nodes()), default=0)
    return inner + 1 if isinstance(node, nodes.For) else inner


def _recursive_macro(ast: nodes.Template) -> nodes.Macro | None:
    """A macro that calls itself, directly or through others."""
    macros = {m.name: m for m in ast.find_all(nodes.Macro)}
    calls = {name: {c.node.name for c in m.find_all(nodes.Call) if isinstance(c.node, nodes.Name)} & set(macros)
             for name, m in macros.items()}
    for name, macro in macros.items():
        seen, todo = set(), list(calls[name])
        while todo:
            callee = todo.pop()
            if callee == name:
                return macro
            if callee not in seen:
                seen.add(callee)
                todo += calls[callee]
    return None


def limit_problems(env: SandboxedEnvironment, source: str, *, expression: bool = False) -> list[tuple[int, str]]:
    """What a template (or expression) is refused for when it loads, as (line in the template,
    what it does): other templates (include, import, extends), recursive macros, loops nested past
    MAX_LOOP_DEPTH, constants past the limits of :func:`binop_problem`, ranges past MAX_TEXT.
    Rendering checks the same limits on the values it meets. Raises
    :class:`jinja2.TemplateSyntaxError` for bad syntax."""
    ast = parse(env, source, expression=expression)
    out = [(n.lineno, f"uses {{% {tag} %}}, which unit templates cannot (each stands alone)")
           for kind, tag in _TAGS.items() for n in ast.find_all(kind)]
    macro = _recursive_macro(ast)
    if macro is not None:
        out.append((macro.lineno, f"has macro {macro.name!r} calling itself, which unit templates cannot"))
    if _loop_depth(ast) > MAX_LOOP_DEPTH:
        loop = next(f for f in ast.find_all(nodes.For) if _loop_depth(f) > MAX_LOOP_DEPTH)
        out.append((loop.lineno, f"nests for-loops past the limit of {MAX_LOOP_DEPTH} deep"))
    for node in ast.find_all(nodes.BinExpr):
        left, right = _const(node.left), _const(node.right)
        if left is not _UNKNOWN and right is not _UNKNOWN:
            problem = binop_problem(node.operator, left, right)
            if problem:
                out.append((node.lineno, problem))
    for call in ast.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "range" and not call.kwargs:
            args = [_const(a) for a in call.args]
            if args and all(isinstance(a, int) for a in args) and len(range(*args)) > MAX_TEXT:
                out.append((call.lineno, _past(f"makes a range of {len(range(*args)):,} numbers")))
    return sorted(set(out))
