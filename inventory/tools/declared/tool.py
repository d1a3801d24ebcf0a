"""A declared tool: a :class:`~twinchat.inventory.tools.base.Tool` whose arguments are a JSON Schema.

It is a Tool like any built-in (the registry, compose, verify and export take it as one): its
schema is the declared one, and each call checks the arguments against it
(:mod:`.arguments`) before its implementation runs with them as a plain dict.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from twinchat.inventory.tools.base import Tool, ToolContext
from twinchat.inventory.tools.memo import answer, recalled, tracked_call

__all__ = ["DeclaredTool", "Templates", "Render", "arguments_key"]

#: A compiled template or expression: its value for a scope of variables.
Render = Callable[[Mapping[str, Any]], Any]


class Templates(Protocol):
    """How declared tools compile the texts of their files (conditions, results, error messages).

    The inventory renders nothing itself: whoever builds declared tools supplies the sandbox
    (twinchat's composer supplies the Jinja2 sandbox unit templates render in). Each method raises
    ``ValueError`` with a one-line reason for a text that does not compile or reads a variable not
    in ``names``.
    """

    def expression(self, source: str, names: frozenset[str]) -> Render:
        """A Jinja2 expression (``order is none``), giving its value."""

    def template(self, source: str, names: frozenset[str]) -> Render:
        """A Jinja2 template giving its text — or, when it is exactly one ``{{ expression }}``,
        the expression's value (a number stays a number)."""


#: the types of argument values that :func:`arguments_key` keys without a ``repr``
_KEYED = frozenset({str, int, bool, type(None)})


def arguments_key(arguments: Mapping[str, Any]) -> Any:
    """What a call's answer is remembered by for its arguments: two keys are equal only for
    arguments that are the same to a tool, ``true`` and ``1``, ``1`` and ``1.0`` told apart (as
    ``==`` would not), and a different key order at worst computed again. Arguments of strings,
    integers, booleans and nulls — a dialogue's usual call — are keyed by their items and the
    types of their values (no text to write and hash, as a ``repr`` is); any others by their
    ``repr``."""
    if type(arguments) is dict and _KEYED.issuperset(types := tuple(map(type, arguments.values()))):
        return (*arguments.items(), types)
    return repr(arguments)


@dataclass(frozen=True)
class DeclaredTool(Tool):
    """A tool declared in a tool file: ``parameters`` is its JSON Schema, ``check`` the compiled
    check of arguments against it, ``func(ctx, arguments)`` its implementation."""

    parameters: dict[str, Any] = field(default_factory=dict)
    check: Callable[[Mapping[str, Any]], dict[str, Any] | None] = field(default=lambda arguments: None)
    #: the arguments a dialogue leaves out of a call when it has no value for them (the optional
    #: ones): an API is called without the key, not with null
    omits_null: frozenset[str] = frozenset()
    #: whether an answer is a function of the arguments, the clock and the world's tables alone
    #: (``rules`` and ``sql`` that do not write): it is then remembered per world state, as the
    #: built-in tools' answers are (see :func:`~twinchat.inventory.tools.memo.answer`)
    remembered: bool = False
    #: the name of the memo a remembered tool's answers are kept in (made once, not per call)
    memo_name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "memo_name", f"declared:{self.name}")

    def json_schema(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "parameters": copy.deepcopy(self.parameters)}

    def __call__(self, ctx: ToolContext, arguments: Mapping[str, Any]) -> dict[str, Any]:
        if self.remembered:
            # a call answered from memory (verification re-running one) without a tracked call's steps
            name, parts = self.memo_name, (ctx.now, arguments_key(arguments))
            found = recalled(ctx.conn, name, parts)
            if found is not None:
                return found  # type: ignore[no-any-return]
            return tracked_call(self.name, arguments, lambda c, a: self._remember(c, a, name, parts), ctx, arguments)
        problem = self.check(arguments)
        if problem is not None:
            return problem
        return tracked_call(self.name, arguments, self.func, ctx, arguments)

    def _remember(self, ctx: ToolContext, arguments: Mapping[str, Any], name: str,
                  parts: tuple[Any, ...]) -> dict[str, Any]:
        """The checked call's answer, remembered in memo ``name`` by ``parts`` = (clock,
        :func:`arguments_key`)."""
        return answer(ctx.conn, name, parts, lambda: self.check(arguments) or self.func(ctx, arguments))
