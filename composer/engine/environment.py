"""The sandbox unit templates render in: Jinja2's :class:`~jinja2.sandbox.SandboxedEnvironment`
with ``StrictUndefined``, twinchat's filters and limits on what a template makes
(:class:`LimitedSandbox`). Imported when a template needs Jinja2 (parsing, compiling, or
rendering what the compiled path leaves to it), never to run compiled code read from the
compile cache (:mod:`.compile_cache`)."""

from __future__ import annotations

import functools
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from twinchat.composer.engine.filters import FILTERS, bounded
from twinchat.composer.engine.limits import MAX_LOOPS, MAX_TEXT, LimitBreak, binop_problem, call_problem

__all__ = ["LimitedSandbox", "new_env"]


def _no_methods(value: Any) -> Any:
    """What a ``{{ … }}`` writes, refusing a method or function: its text would hold a memory
    address, different on every run (``<built-in method format of str object at 0x7f…>``)."""
    if callable(value) and not isinstance(value, jinja2.Undefined):
        name = getattr(value, "__qualname__", type(value).__name__)
        raise jinja2.TemplateRuntimeError(f"{name!r} is a method, not a value")
    return value


class LimitedSandbox(SandboxedEnvironment):
    """The sandbox, with limits on what a template makes: no number past MAX_BITS, no text or
    list past MAX_TEXT by ``*``, ``%`` or a text's methods, and at most MAX_TEXT items made by
    ``range()`` and ``*`` in one rendering, at most MAX_LOOPS ``for`` iterations in one rendering
    (nested loops over a long list), and Jinja2's filters that make text of a size a number
    decides bounded (:data:`.filters.BOUNDED`). Constants are not folded when a template compiles
    (``optimized=False``): ``{{ 'a' * 10**9 }}`` is refused when it renders, never computed while
    it compiles. What breaks a limit raises :class:`.limits.LimitBreak`."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(optimized=False, **options)
        self.made = 0  # items made by range() and * in the current rendering (reset by :meth:`fresh`)
        self.loops = 0  # for-loop iterations in the current rendering (reset by :meth:`fresh`)
        self.globals["range"] = self._range
        self.filters.update(bounded())

    def fresh(self) -> None:
        """Start the counts of items made and loop iterations for one rendering."""
        self.made = self.loops = 0

    def _make(self, count: int) -> None:
        self.made += count
        if self.made > MAX_TEXT:
            raise LimitBreak(f"the template makes more than {MAX_TEXT:,} items (range() and *) in one rendering")

    def _generate(self, source: nodes.Template, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        for loop in source.find_all(nodes.For):  # each loop's sequence is counted as it starts
            loop.iter = nodes.Call(nodes.EnvironmentAttribute("counted_loop"), [loop.iter], [], None, None,
                                   lineno=loop.lineno)
        return super()._generate(source, *args, **kwargs)

    def counted_loop(self, seq: Any) -> Any:
        """``seq``, its items counted against MAX_LOOPS (an iterator's as they are taken)."""
        try:
            size = len(seq)
        except TypeError:
            return self._counting(seq)
        self._loop(size)
        return seq

    def _counting(self, seq: Any) -> Any:
        for item in seq:
            self._loop(1)
            yield item

    def _loop(self, count: int) -> None:
        self.loops += count
        if self.loops > MAX_LOOPS:
            raise LimitBreak(f"the template runs more than {MAX_LOOPS:,} loop iterations in one rendering")

    def _range(self, *args: int) -> range:
        made = range(*args)
        self._make(len(made))
        return made

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        problem = binop_problem(operator, left, right)
        if problem:
            raise LimitBreak(f"the template {problem}")
        value = super().call_binop(context, operator, left, right)
        if operator == "*" and isinstance(value, (str, list, tuple)):
            self._make(len(value))
        return value

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        problem = call_problem(obj, args, kwargs)
        if problem:
            raise LimitBreak(f"the template {problem}")
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)  # str.format, read as an attribute: called without call()
        if wrapped is None:
            return None

        def checked(*args: Any, **kwargs: Any) -> str:
            problem = call_problem(value, args, kwargs)
            if problem:
                raise LimitBreak(f"the template {problem}")
            return wrapped(*args, **kwargs)
        return functools.wraps(wrapped)(checked)  # named as the method it stands for


def new_env() -> SandboxedEnvironment:
    """A fresh sandbox with StrictUndefined, twinchat's filters, and no method written as text."""
    env = LimitedSandbox(
        undefined=jinja2.StrictUndefined,
        finalize=_no_methods,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env
