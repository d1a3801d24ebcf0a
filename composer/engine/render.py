"""Sandboxed Jinja2 rendering of unit templates and expressions, with surface-variation filters.

Every user-supplied template and expression is compiled in one
:class:`~jinja2.sandbox.SandboxedEnvironment` with ``StrictUndefined`` (a missing variable is an
error, never an empty string). Compiled templates are cached per environment.

Filters (besides Jinja2's own, e.g. ``trim``, ``upper``, ``join``):

=================  =========================================================
``fullwidth``      ASCII digits and letters → full-width (13800138000 → １３８…)
``cn_number``      an integer → Chinese numerals (12 → 十二, 2 → 二)
``cn_digits``      each digit → its Chinese numeral (2024 → 二〇二四)
``price``          a price in yuan → "399元" / "1,299元"
``spaced``         insert spaces between groups of digits (138 0013 8000)
``nospace``        remove all whitespace
``cn_time``        "2026-11-20 21:00:00" (or a datetime) → "11月20日21:00"
=================  =========================================================
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any

import jinja2
import jinja2.sandbox
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from twinchat.composer.engine.compiled import SLOT_VALUE_TYPES, Fallback, compile_expression_code, compile_template_code
from twinchat.composer.errors import ComposerError
from twinchat.inventory.timefmt import parse_time

__all__ = ["make_env", "FILTERS", "variables_of", "refused_attributes", "allowed", "cn_number", "TemplateCache",
           "paths_reader"]

_FULL = {i: i + 0xFEE0 for i in range(0x21, 0x7F)}
_DIGITS = "〇一二三四五六七八九"


def fullwidth(value: Any) -> str:
    """Half-width ASCII → full-width forms (spaces stay)."""
    return str(value).translate(_FULL)


def cn_number(value: Any) -> str:
    """An integer 0–9999 in Chinese numerals (十二, 一百零五, 两千)."""
    n = int(value)
    if n < 0 or n > 9999:
        return str(n)
    if n < 10:
        return "零一二三四五六七八九"[n]
    if n < 20:
        return "十" + ("" if n == 10 else _DIGITS[n - 10])
    out, zero = [], False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        d, n = divmod(n, size)
        if d:
            if zero:
                out.append("零")
                zero = False
            out.append(_DIGITS[d] + unit)
        elif out:
            zero = True
        if n == 0:
            break
    return "".join(out)


def cn_digits(value: Any) -> str:
    """Each ASCII digit → its Chinese numeral, other characters unchanged."""
    return "".join(_DIGITS[int(c)] if c.isdigit() and c.isascii() else c for c in str(value))


def price(value: Any) -> str:
    """399.0 → 399元; 1299.0 → 1,299元; 19.9 → 19.9元."""
    v = float(value)
    return (f"{int(v):,}" if v == int(v) else f"{v:,.2f}".rstrip("0")) + "元"


_RUN = re.compile(r"\d+")


def spaced(value: Any) -> str:
    """An 11-digit mobile as 3-4-4 with spaces; other digit runs unchanged."""
    return _RUN.sub(lambda m: f"{m[0][:3]} {m[0][3:7]} {m[0][7:]}" if len(m[0]) == 11 else m[0], str(value))


def nospace(value: Any) -> str:
    """Remove all whitespace."""
    return "".join(str(value).split())


def cn_time(value: Any) -> str:
    """A tool-result time as a reply says it: 11月20日21:00."""
    if isinstance(value, datetime):
        moment = value
    else:
        moment = parse_time(str(value))
    return f"{moment.month}月{moment.day}日{moment.hour:02d}:{moment.minute:02d}"


FILTERS = {
    "cn_time": cn_time,
    "fullwidth": fullwidth,
    "cn_number": cn_number,
    "cn_digits": cn_digits,
    "price": price,
    "spaced": spaced,
    "nospace": nospace,
}


def make_env() -> SandboxedEnvironment:
    """A fresh sandbox with StrictUndefined and twinchat's filters."""
    env = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


#: attribute names the sandbox refuses on the objects that have them (besides private names)
_REFUSED = frozenset({"mro"}) | jinja2.sandbox.UNSAFE_GENERATOR_ATTRIBUTES | jinja2.sandbox.UNSAFE_COROUTINE_ATTRIBUTES \
    | jinja2.sandbox.UNSAFE_ASYNC_GENERATOR_ATTRIBUTES | jinja2.sandbox.UNSAFE_FUNCTION_ATTRIBUTES \
    | jinja2.sandbox.UNSAFE_METHOD_ATTRIBUTES


def refused_attributes(env: SandboxedEnvironment, source: str, *, expression: bool = False) -> list[str]:
    """The attribute names in a template (or expression) that the sandbox refuses to read: private
    names and the internals of generators, coroutines, functions and types. Such a template can
    only fail (or probe the interpreter), so the unit checks reject it when it loads. Raises
    :class:`jinja2.TemplateSyntaxError` for bad syntax."""
    ast = env.parse("{{ " + source + " }}" if expression else source)
    names = [n.attr for n in ast.find_all(nodes.Getattr)]
    names += [n.arg.value for n in ast.find_all(nodes.Getitem)
              if isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str)]
    return sorted({n for n in names if n.startswith("_") or n in _REFUSED})


def variables_of(env: SandboxedEnvironment, source: str, *, expression: bool = False) -> tuple[set[str], set[str]]:
    """The undeclared variables of a template (or expression) and the filters it uses.

    Raises :class:`jinja2.TemplateSyntaxError` for bad syntax (callers add file and line). When a
    filter is unknown, the variables are not computed (an empty set is returned with the filters).
    """
    text = "{{ " + source + " }}" if expression else source
    ast = env.parse(text)
    used_filters = {f.name for f in ast.find_all(nodes.Filter)}
    if used_filters - set(env.filters):
        return set(), used_filters  # the unknown filter is the problem to report first
    return set(meta.find_undeclared_variables(ast)), used_filters


_PATH = r"[A-Za-z]\w*(?:\.[A-Za-z]\w*)*"
_SIMPLE_EXPR = re.compile(rf"{{{{-?\s*({_PATH})\s*-?}}}}")
_PATH_ONLY = re.compile(rf"^\s*({_PATH})\s*$")


_SANDBOX = SandboxedEnvironment()


def allowed(obj: Any, name: str, value: Any) -> bool:
    """Whether a path (``a.b.c``) may read ``obj.name`` (= ``value``): not a method (its text would
    hold a memory address, different on every run), and a slot value's attribute or one that
    :meth:`SandboxedEnvironment.is_safe_attribute` allows (no private names, no internals of
    functions, frames, generators, code objects or tracebacks)."""
    return not callable(value) and (type(obj) in SLOT_VALUE_TYPES or _SANDBOX.is_safe_attribute(obj, name, value))


def _getter(path: str, prefix: str = "") -> Any:
    """A function reading ``a.b.c`` from a context the way Jinja2's sandbox does (attribute, then
    item; an attribute the sandbox refuses is an error). Error messages start with ``prefix``.
    """
    head, *rest = path.split(".")

    def attribute(obj: Any, attr: str) -> Any:
        value = getattr(obj, attr)
        if callable(value):
            raise ComposerError(f"{prefix}{path!r}: {attr!r} of a {type(obj).__name__!r} object is a method, "
                                "not a value")
        if not allowed(obj, attr, value):
            raise ComposerError(f"{prefix}{path!r}: access to attribute {attr!r} of a "
                                f"{type(obj).__name__!r} object is unsafe")
        return value

    def item(obj: Any, attr: str) -> Any:
        try:
            return obj[attr]
        except (KeyError, TypeError, IndexError):
            raise ComposerError(f"{prefix}{path!r}: no attribute {attr!r}") from None

    if len(rest) == 1:  # the common case (addr.city), without the loop
        attr = rest[0]

        def get_one(context: dict[str, Any]) -> Any:
            try:
                obj = context[head]
            except KeyError:
                raise ComposerError(f"{prefix}{head!r} is undefined") from None
            try:
                return attribute(obj, attr)
            except AttributeError:
                return item(obj, attr)

        get_one.path = path  # type: ignore[attr-defined]
        return get_one

    def get(context: dict[str, Any]) -> Any:
        try:
            obj = context[head]
        except KeyError:
            raise ComposerError(f"{prefix}{head!r} is undefined") from None
        for attr in rest:
            try:
                obj = attribute(obj, attr)
            except AttributeError:
                obj = item(obj, attr)
        return obj

    get.path = path  # type: ignore[attr-defined]
    return get


def _at(obj: Any, name: str) -> Any:
    """``obj.name`` as the getters read it, for a name that is not an attribute of dict: a dict's
    item (KeyError if it has none), else the attribute (AttributeError where the sandbox refuses
    it: the getters then say so)."""
    if type(obj) is dict:
        return obj[name]
    value = getattr(obj, name)
    if allowed(obj, name, value):
        return value
    raise AttributeError(name)


def paths_reader(paths: Sequence[str | None], names: Sequence[str] | None = None) -> Any:
    """``read(context)``: the tuple of the values at ``paths`` (``a.b.c``: variable ``a``, then
    attributes; None for a None path), or the dict of them by ``names``, made as one Python function.

    A KeyError or AttributeError from ``read`` means the general getters must decide (an
    undefined variable, or a step that is an item). The function's source holds variable names
    only as string literals and attribute names only when they are plain ASCII identifiers (read
    through ``_at``, which takes a dict's item, unless dict has such an attribute); for any other
    attribute name ``read`` reads through :func:`operator.attrgetter`.
    """
    getters: dict[str, Any] = {"_at": _at}
    items = []
    for path in paths:
        if path is None:
            items.append("None")
            continue
        head, *rest = path.split(".")
        item = f"c[{head!r}]"
        if all(a.isascii() and a.isidentifier() and not keyword.iskeyword(a) for a in rest):
            for a in rest:  # a dict's item through _at (no exception to catch); other steps as attributes
                item = f"{item}.{a}" if hasattr(dict, a) else f"_at({item}, {a!r})"
            items.append(item)
        else:
            name = f"_get{len(getters)}"
            getters[name] = attrgetter(".".join(rest))
            items.append(f"{name}({item})")
    if names is None:
        body = f"({''.join(item + ', ' for item in items)})"
    else:
        body = "{" + ", ".join(f"{name!r}: {item}" for name, item in zip(names, items, strict=True)) + "}"
    namespace: dict[str, Any] = {}
    exec(f"def read(c):\n    return {body}\n", {"__builtins__": {}, **getters}, namespace)
    return namespace["read"]


def _simple_parts(source: str) -> list[Any] | None:
    """A template made only of text and ``{{ a.b }}`` as [str | getter, ...]; None otherwise."""
    parts: list[Any] = []
    pos = 0
    for m in _SIMPLE_EXPR.finditer(source):
        parts.append(source[pos:m.start()])
        parts.append(_getter(m.group(1)))
        pos = m.end()
    parts.append(source[pos:])
    literal = "".join(p for p in parts if isinstance(p, str))
    if "{{" in literal or "{%" in literal or "{#" in literal or "-}}" in source or "{{-" in source:
        return None
    if parts[-1].endswith("\n"):  # Jinja2 drops one trailing newline (keep_trailing_newline=False)
        parts[-1] = parts[-1][:-1]
    return [p for p in parts if p != ""]


class TemplateCache:
    """Compiled templates and expressions of one environment, compiled once each.

    Templates and expressions that only read variables and their attributes (``{{ addr.city }}``,
    ``person.name``) take a fast path that reads them directly; other templates and expressions
    are compiled to one Python function each where :mod:`~twinchat.composer.engine.compiled` supports
    every part of them (Jinja2 decides whatever they cannot); anything else is compiled by the
    sandboxed environment.
    """

    def __init__(self, env: SandboxedEnvironment | None = None) -> None:
        self.env = env or make_env()
        self._templates: dict[str, Any] = {}
        self._expressions: dict[str, Any] = {}

    def _compile_template(self, source: str) -> Any:
        parts = _simple_parts(source)
        if parts is not None:
            # "%s" formats a value as str() does, which is what Jinja2 outputs for {{ value }}
            form = "".join(p.replace("%", "%%") if isinstance(p, str) else "%s" for p in parts)
            getters = [p for p in parts if not isinstance(p, str)]
            read = paths_reader([get.path for get in getters])

            def render(context: dict[str, Any]) -> str:
                try:
                    return form % read(context)
                except (KeyError, AttributeError):  # an undefined variable, or an item: the getters decide
                    return form % tuple([get(context) for get in getters])
            return render
        fast = compile_template_code(self.env, source, FILTERS)
        compiled: list[Any] = [] if fast is not None else [self.env.from_string(source)]  # else on first use

        def render_jinja(context: dict[str, Any]) -> str:
            if not compiled:
                compiled.append(self.env.from_string(source))
            try:
                return compiled[0].render(context)
            except jinja2.TemplateError as exc:  # render() names the template
                raise ComposerError(str(exc)) from exc
        if fast is None:
            return render_jinja

        def render_fast(context: dict[str, Any]) -> str:
            try:
                return fast(context)
            except Exception:  # noqa: BLE001 - Fallback, or an error: Jinja2 renders it and says what is wrong
                return render_jinja(context)
        return render_fast

    def render(self, source: str, context: dict[str, Any]) -> str:
        """Render template ``source`` with ``context``; a render failure is a ComposerError."""
        fn = self._templates.get(source)
        if fn is None:
            fn = self._templates[source] = self._compile_template(source)
        try:
            return fn(context)
        except ComposerError as exc:
            raise ComposerError(f"cannot render {source[:40]!r}: {exc}") from exc

    def _compile_expression(self, expression: str) -> Any:
        m = _PATH_ONLY.match(expression)
        if m:
            return _getter(m.group(1))
        fast = compile_expression_code(self.env, expression, FILTERS)
        # Jinja2's compiled expression: now when there is no fast path, else on its first fallback
        compiled = [] if fast is not None else [self.env.compile_expression(expression, undefined_to_none=False)]

        def evaluate(context: dict[str, Any]) -> Any:
            if not compiled:
                compiled.append(self.env.compile_expression(expression, undefined_to_none=False))
            try:
                value = compiled[0](context)
            except jinja2.TemplateError as exc:
                raise ComposerError(str(exc)) from exc
            if isinstance(value, jinja2.Undefined):
                raise ComposerError(value._undefined_message)
            return value
        if fast is None:
            return evaluate

        def evaluate_fast(context: dict[str, Any]) -> Any:
            try:
                return fast(context)
            except Fallback:
                return evaluate(context)
        return evaluate_fast

    @staticmethod
    def path(expression: str) -> str | None:
        """The path of a bare path expression (``person.name``), for :func:`paths_reader`; else None."""
        m = _PATH_ONLY.match(expression)
        return m.group(1) if m else None

    def compiled(self, expression: str) -> Any:
        """``fn(context)`` evaluating ``expression``; errors are ComposerErrors naming it."""
        m = _PATH_ONLY.match(expression)
        if m:  # a bare path reports its own errors, saving a call per evaluation
            return _getter(m.group(1), f"cannot evaluate {expression!r}: ")
        fn = self._expressions.get(expression)
        if fn is None:
            fn = self._expressions[expression] = self._compile_expression(expression)

        def evaluate(context: dict[str, Any]) -> Any:
            try:
                return fn(context)
            except ComposerError as exc:
                raise ComposerError(f"cannot evaluate {expression!r}: {exc}") from exc
        return evaluate

    def evaluate(self, expression: str, context: dict[str, Any]) -> Any:
        """Evaluate a Jinja2 expression; undefined results are errors, not None."""
        fn = self._expressions.get(expression)
        if fn is None:
            fn = self._expressions[expression] = self._compile_expression(expression)
        try:
            return fn(context)
        except ComposerError as exc:
            raise ComposerError(f"cannot evaluate {expression!r}: {exc}") from exc


@lru_cache(maxsize=1)
def _known_filters() -> frozenset[str]:
    return frozenset(make_env().filters)
