"""Label readers: several bare paths of a template (``person.name``, ``label.phone``) read in one call.

A unit's label is a handful of bare paths; :func:`paths_reader` compiles them into one Python
function reading them all, under the sandbox's rules for attributes (:func:`.sandbox.allowed`).
Part of the fast path of :mod:`.compiled`.
"""

from __future__ import annotations

import keyword
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from twinchat.composer.engine.sandbox import SLOT_VALUE_TYPES, allowed

__all__ = ["paths_reader"]


def _at(obj: Any, name: str) -> Any:
    """``obj.name`` as the getters read it, for a name that is not an attribute of dict: a dict's
    item (KeyError if it has none), else the attribute (AttributeError where the sandbox refuses
    it: the getters then say so)."""
    if type(obj) is dict:
        return obj[name]
    value = getattr(obj, name)
    if type(obj) in SLOT_VALUE_TYPES and not callable(value):  # what allowed() says first, without its call
        return value
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
