"""Limits on what one template may make: how long, how large, how many loop iterations.

A template renders in :class:`~twinchat.composer.engine.render.LimitedSandbox`, which checks the
values it meets against these limits, and the unit checks refuse constants past them when a unit
loads (:func:`limit_problems`). What breaks a limit while rendering raises :class:`LimitBreak`
(the sample or session then fails with that reason; the run goes on).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from twinchat.composer.engine.sandbox import Fallback, parse

if TYPE_CHECKING:  # Jinja2 is imported when a limit breaks or a template is checked
    from jinja2 import nodes
    from jinja2.sandbox import SandboxedEnvironment, SecurityError

    class LimitBreak(SecurityError):
        """A template went past a limit while it rendered."""

__all__ = ["FILTER_PROBLEMS", "LimitBreak", "MAX_BITS", "MAX_LOOPS", "MAX_LOOP_DEPTH", "MAX_TEXT", "binop_problem",
           "call_problem", "checked_mod", "limit_problems"]


def __getattr__(name: str) -> Any:
    """``LimitBreak``, made when first asked for: a Jinja2 ``SecurityError`` (a template went past a
    limit while it rendered, refused by the sandbox as unsafe reads are). Only Jinja2's rendering
    and the bounded filters raise it, so a process whose templates all run compiled code never
    imports Jinja2 for it."""
    if name != "LimitBreak":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from jinja2.sandbox import SecurityError

    made = type("LimitBreak", (SecurityError,), {"__module__": __name__, "__doc__": _LIMIT_BREAK})
    globals()["LimitBreak"] = made
    return made


_LIMIT_BREAK = "A template went past a limit while it rendered (refused by the sandbox, as unsafe reads are)."

#: the most characters a rendered template may have, and items a template may make (range, ``*``)
MAX_TEXT = 10_000
#: the most bits a number a template computes may have (about 1,200 digits)
MAX_BITS = 4_096
#: the most ``for`` loop iterations one rendering may run (nested loops over long lists)
MAX_LOOPS = 100_000
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


def checked_mod(left: Any, right: Any) -> Any:
    """``left % right`` for the compiled path; a text format past the limits (``'%999999999d'``
    from a slot) is left to the sandbox (:class:`.sandbox.Fallback`), which refuses it with its message."""
    if type(left) is str and binop_problem("%", left, right):
        raise Fallback
    return left % right


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


# -- Jinja2's filters whose output size a number decides ------------------------------------------

def _center(value: Any, width: Any = 80, *_: Any, **__: Any) -> str | None:
    if isinstance(width, int) and abs(width) > MAX_TEXT:
        return _past(f"filters with center({width:,})")
    return None


def _indent(value: Any, width: Any = 4, first: Any = False, *_: Any, **__: Any) -> str | None:
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    lines = str(value).count("\n") + (1 if first else 0)  # the first line only with first=True
    if pad * lines > MAX_TEXT:
        return _past(f"filters with indent({pad:,}) over {lines:,} line(s)")
    return None


def _wordwrap(value: Any, width: Any = 79, _break: Any = True, wrapstring: Any = None, *_: Any,
              **kwargs: Any) -> str | None:
    if not isinstance(width, int) or width < 1:
        return f"filters with wordwrap({width!r}), whose width must be a number of 1 or more"
    text, wrap = str(value), kwargs.get("wrapstring", wrapstring)
    breaks = len(text) // width + text.count("\n") + 1
    if len(text) + breaks * len(str(wrap or "\n")) > MAX_TEXT:
        return _past(f"filters with wordwrap({width:,}) a text of {len(text):,} characters")
    return None


def _format(value: Any, *args: Any, **kwargs: Any) -> str | None:
    return binop_problem("%", str(value), kwargs or args)


def _replace(value: Any, old: Any = "", new: Any = "", count: Any = None, *_: Any, **__: Any) -> str | None:
    text, old, new = str(value), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    if len(text) + times * max(0, len(new) - len(old)) > MAX_TEXT:
        return _past(f"filters with replace() making {times:,} replacement(s) of {len(new):,} characters")
    return None


#: why a bounded filter refuses its value and arguments (None when it may run), by filter name
FILTER_PROBLEMS: dict[str, Callable[..., str | None]] = {
    "center": _center, "indent": _indent, "wordwrap": _wordwrap, "format": _format, "replace": _replace}


# -- load-time checks ----------------------------------------------------------------------------

_UNKNOWN = object()


def _tags() -> dict[type[nodes.Node], str]:
    from jinja2 import nodes

    return {nodes.Include: "include", nodes.Import: "import", nodes.FromImport: "from … import",
            nodes.Extends: "extends"}

_OPS = {"*": lambda a, b: a * b, "**": lambda a, b: a ** b, "%": lambda a, b: a % b, "+": lambda a, b: a + b}


def _const(node: nodes.Node) -> Any:
    """The value of a constant expression, computed where :func:`binop_problem` allows (else _UNKNOWN)."""
    from jinja2 import nodes

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
    from jinja2 import nodes

    inner = max((_loop_depth(child) for child in node.iter_child_nodes()), default=0)
    return inner + 1 if isinstance(node, nodes.For) else inner


def _recursive_macro(ast: nodes.Template) -> nodes.Macro | None:
    """A macro that calls itself, directly or through others."""
    from jinja2 import nodes

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


def _filter_problems(ast: nodes.Template) -> list[tuple[int, str]]:
    """The bounded filters (:data:`.filters.FILTER_PROBLEMS`) given constants past the limits."""
    from jinja2 import nodes

    out = []
    for node in ast.find_all(nodes.Filter):
        if node.name not in FILTER_PROBLEMS or node.node is None or node.dyn_args or node.dyn_kwargs:
            continue
        values = [_const(n) for n in (node.node, *node.args, *(k.value for k in node.kwargs))]
        if _UNKNOWN in values:
            continue
        kwargs = dict(zip((k.key for k in node.kwargs), values[1 + len(node.args):], strict=True))
        try:
            problem = FILTER_PROBLEMS[node.name](*values[:1 + len(node.args)], **kwargs)
        except TypeError:
            continue  # arguments the filter does not take: Jinja2 says so when it renders
        if problem:
            out.append((node.lineno, problem))
    return out


def limit_problems(env: SandboxedEnvironment, source: str, *, expression: bool = False) -> list[tuple[int, str]]:
    """What a template (or expression) is refused for when it loads, as (line in the template,
    what it does): other templates (include, import, extends), recursive macros, loops nested past
    MAX_LOOP_DEPTH, constants past the limits of :func:`binop_problem`, ranges past MAX_TEXT.
    Rendering checks the same limits on the values it meets. Raises
    :class:`jinja2.TemplateSyntaxError` for bad syntax."""
    from jinja2 import nodes

    ast = parse(env, source, expression=expression)
    out = [(n.lineno, f"uses {{% {tag} %}}, which unit templates cannot (each stands alone)")
           for kind, tag in _tags().items() for n in ast.find_all(kind)]
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
    out += _filter_problems(ast)
    for call in ast.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "range" and not call.kwargs:
            args = [_const(a) for a in call.args]
            if args and all(isinstance(a, int) for a in args) and len(range(*args)) > MAX_TEXT:
                out.append((call.lineno, _past(f"makes a range of {len(range(*args)):,} numbers")))
    return sorted(set(out))
