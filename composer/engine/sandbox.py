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

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from itertools import groupby
from typing import TYPE_CHECKING, Any

from twinchat.composer.engine.slot_values import Person, Phone, Record, Text

if TYPE_CHECKING:  # Jinja2 is imported when a template is parsed, or a rule needs its sandbox
    from jinja2 import nodes
    from jinja2.sandbox import SandboxedEnvironment

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


#: the fields a template reads of what ``groupby`` makes (Jinja2's ``_GroupTuple``)
_GROUP_FIELDS = frozenset({"grouper", "list"})


def _group_tuple() -> type:
    """Jinja2's ``_GroupTuple`` (a value of that type exists only once Jinja2 is imported)."""
    import jinja2.filters

    return jinja2.filters._GroupTuple


class Access:
    """Attribute reads of the fast path, allowed exactly where ``env``'s sandbox allows them.

    Jinja2's sandbox refuses private attributes and the internals of functions, frames,
    generators, code objects and tracebacks (``gi_frame``, ``f_globals``, ``co_code`` …), which lead
    from a value to the interpreter's state; the fast path asks the same ``is_safe_attribute``
    before it returns any attribute of an object that is not a dict, a slot value or ``loop``.
    """

    __slots__ = ("_env", "_is_safe")

    def __init__(self, env: SandboxedEnvironment | Callable[[], SandboxedEnvironment]) -> None:
        """``env``: the environment, or a function giving it when the first attribute is checked
        (a process whose templates read none never makes it)."""
        self._env = env
        self._is_safe: Any = None

    def is_safe(self, obj: Any, name: str, value: Any) -> bool:
        """The environment's ``is_safe_attribute``."""
        if self._is_safe is None:
            env = self._env
            self._is_safe = (env if hasattr(env, "is_safe_attribute") else env()).is_safe_attribute  # type: ignore[operator]
        return bool(self._is_safe(obj, name, value))

    def attr(self, obj: Any, name: str) -> Any:
        """``obj.name`` as the sandbox reads it: an attribute first, then an item."""
        if name.startswith("_"):
            raise Fallback
        if isinstance(obj, dict):
            if name in obj and not hasattr(dict, name):
                return obj[name]
            raise Fallback
        if name in _GROUP_FIELDS and type(obj) is _group_tuple():
            return getattr(obj, name)  # a ``groupby`` group's fields (a named tuple of data)
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

    def reject(self, value: Any, attr: str) -> Any:
        return (x for x in value if not self.attr(x, attr))

    def reject_key(self, value: Any, key: str) -> Any:
        """:meth:`reject` for a public name that no dict method has: a dict item is read directly."""
        return (x for x in value if not (x[key] if type(x) is dict and key in x else self.attr(x, key)))


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


#: methods of a date or datetime compiled code calls itself: no arguments, an int back
DATE_METHODS = frozenset({"weekday", "isoweekday"})


def _date_method(obj: Any, name: str) -> Any:
    """``obj.name()`` of :data:`DATE_METHODS` for a date or datetime (which the sandbox lets a
    template call); anything else is Jinja2's to decide."""
    if type(obj) is datetime or type(obj) is date:
        return getattr(obj, name)()
    raise Fallback


def groupby_key(env: SandboxedEnvironment, value: Any, key: str) -> list[Any]:
    """What Jinja2's ``groupby(key)`` gives (sorted and grouped by the item, strings without case,
    each group named by its first item's own), read directly when ``value`` is a list of dicts
    that all hold ``key`` (a public name no dict method has); anything else goes to Jinja2's filter."""
    import jinja2.filters

    if type(value) is not list or not all(type(item) is dict and key in item for item in value):
        return jinja2.filters.sync_do_groupby(env, value, key)

    def folded(item: dict[str, Any]) -> Any:
        found = item[key]
        return found.lower() if isinstance(found, str) else found
    return [jinja2.filters._GroupTuple(values[0][key], values)
            for values in (list(group) for _, group in groupby(sorted(value, key=folded), folded))]


def sort_key(attr: str) -> Callable[[Any], Any]:
    def key(item: Any) -> Any:  # the sandbox's item-first lookup, then case folding
        value = _getitem(item, attr)
        return value.lower() if isinstance(value, str) else value
    return key


def runtime(env: SandboxedEnvironment | Callable[[], SandboxedEnvironment]) -> dict[str, Any]:
    """The names compiled code calls, by the names it calls them (attribute reads checked by
    ``env``'s sandbox; ``env`` may be a function giving it, called when an attribute is first checked)."""
    access = Access(env)
    return {"_getitem": _getitem, "_iterable": _iterable, "_to_list": _to_list, "_first": _first, "_join": _join,
            "_date_method": _date_method, "_Loop": Loop, "_Fallback": Fallback, "_sattr": access.attr, "_gattr": access.gattr,
            "_select": access.select, "_select_key": access.select_key,
            "_reject": access.reject, "_reject_key": access.reject_key}


#: what Jinja2 calls the end of a ``{{ … }}``, and what an expression's author wrote instead
_ENDS = (("'end of template'", "end of the expression"), ("end of template", "end of the expression"),
         ("'end of print statement'", "end of the expression"), ("end of print statement", "end of the expression"))


def parse(env: SandboxedEnvironment, source: str, *, expression: bool = False) -> nodes.Template:
    """The parsed template, or expression as Jinja2 compiles one (``compile_expression``: the
    expression alone, nothing after it) inside an output node. A syntax error in an expression
    speaks of the author's own text (``unexpected end of the expression (in 'result.orders[')``),
    never of braces they did not write. Raises :class:`jinja2.TemplateSyntaxError`.

    Each environment keeps what it parsed (the checks of one unit read each text several times:
    variables, attributes, limits, compilation); trees are read, never changed (``optimized=False``
    environments fold no constants into them)."""
    if env.optimized:  # constant folding rewrites trees as it compiles them: nothing to share
        return _parse(env, source, expression)
    parsed = env.__dict__.setdefault("twinchat_parsed", {})
    tree = parsed.get((source, expression))
    if tree is None:
        if len(parsed) >= _PARSED_PER_ENV:
            parsed.clear()
        tree = parsed[(source, expression)] = _parse(env, source, expression)
    return tree


#: how many parsed texts an environment keeps (a unit's checks need a few hundred at most)
_PARSED_PER_ENV = 4096


def _parse(env: SandboxedEnvironment, source: str, expression: bool) -> nodes.Template:
    from jinja2 import TemplateSyntaxError, nodes
    from jinja2.parser import Parser

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


@lru_cache(maxsize=1)
def _refused() -> frozenset[str]:
    """Attribute names the sandbox refuses on the objects that have them (besides private names)."""
    import jinja2.sandbox

    return frozenset({"mro"}) | jinja2.sandbox.UNSAFE_GENERATOR_ATTRIBUTES \
        | jinja2.sandbox.UNSAFE_COROUTINE_ATTRIBUTES | jinja2.sandbox.UNSAFE_ASYNC_GENERATOR_ATTRIBUTES \
        | jinja2.sandbox.UNSAFE_FUNCTION_ATTRIBUTES | jinja2.sandbox.UNSAFE_METHOD_ATTRIBUTES


def refused_attributes(env: SandboxedEnvironment, source: str, *, expression: bool = False) -> list[str]:
    """The attribute names in a template (or expression) that the sandbox refuses to read: private
    names and the internals of generators, coroutines, functions and types. Such a template can
    only fail (or probe the interpreter), so the unit checks reject it when it loads. Raises
    :class:`jinja2.TemplateSyntaxError` for bad syntax."""
    from jinja2 import nodes

    ast = parse(env, source, expression=expression)
    names = [n.attr for n in ast.find_all(nodes.Getattr)]
    names += [n.arg.value for n in ast.find_all(nodes.Getitem)
              if isinstance(n.arg, nodes.Const) and isinstance(n.arg.value, str)]
    refused = _refused()
    return sorted({n for n in names if n.startswith("_") or n in refused})


@lru_cache(maxsize=1)
def _sandbox() -> SandboxedEnvironment:
    """A plain sandbox, for its ``is_safe_attribute`` (made when a path first reads an attribute
    of something that is not a slot value)."""
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment()


def allowed(obj: Any, name: str, value: Any) -> bool:
    """Whether a path (``a.b.c``) may read ``obj.name`` (= ``value``): not a method (its text would
    hold a memory address, different on every run), and a slot value's attribute or one that
    :meth:`SandboxedEnvironment.is_safe_attribute` allows (no private names, no internals of
    functions, frames, generators, code objects or tracebacks)."""
    return not callable(value) and (type(obj) in SLOT_VALUE_TYPES or _sandbox().is_safe_attribute(obj, name, value))
