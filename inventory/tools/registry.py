"""The tool registry: every tool comes through the entry-point group ``twinchat.tools``.

twinchat's own tools are declared in its pyproject exactly as a plugin declares one::

    [project.entry-points."twinchat.tools"]
    check_delivery = "twinchat.inventory.tools.delivery:CHECK_DELIVERY"

Each entry point resolves to a :class:`~twinchat.inventory.tools.base.Tool` whose ``name`` is the
entry point's name. The group is read once per process, on first use (:func:`tools`; a forked
worker inherits what its parent read). A plugin that cannot be imported, that is not a Tool,
whose name differs from its entry point's or is no function name (1-64 letters, digits, ``_``,
``-``), or that clashes with another distribution's tool, is a
:class:`~twinchat.inventory.errors.ToolPluginError` naming the distribution and the entry point.

Order: the built-in tools in :data:`BUILTIN_ORDER` (the order export records list their
schemas in, which the same seed must keep byte for byte), then every other tool by name.

Tools declared in tool files (``kind: tool``) join the same registry for as long as a command
runs: :func:`declaring` adds them (after every entry point's tool, in the order given) and takes
them away again when it ends; :func:`declare` adds them for the rest of the process (a worker).
A declared tool never takes the name of an entry point's tool.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from twinchat.inventory.errors import ToolPluginError
from twinchat.inventory.tools.base import Tool

if TYPE_CHECKING:  # importlib.metadata is imported when the tools are first read, not before
    from importlib.metadata import EntryPoint

__all__ = ["GROUP", "BUILTIN_ORDER", "tools", "collect", "RegisteredTools", "ToolRegistry", "declaring", "declare"]

#: The entry-point group tools register in.
GROUP = "twinchat.tools"

#: Where twinchat's own tools stand in every listing (setuptools writes entry points sorted by
#: name, so their declared order does not survive installation).
BUILTIN_ORDER = ("search_products", "check_delivery", "search_solution", "query_technician_slots",
                 "create_ticket", "query_order", "request_return", "place_order", "urge_shipment",
                 "request_cancellation", "get_invoice", "check_price_protection", "transfer_to_human",
                 "file_complaint", "change_address", "check_coupons")
_RANK = {name: rank for rank, name in enumerate(BUILTIN_ORDER)}
#: What function-calling APIs accept as a function name.
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _where(ep: EntryPoint) -> str:
    """``plugin 'dist' (entry point group: name = value)``: where an entry point comes from."""
    dist = ep.dist.name if ep.dist is not None else "?"
    return f"plugin {dist!r} (entry point {ep.group}: {ep.name} = {ep.value})"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _load(ep: EntryPoint) -> Tool:
    """The Tool entry point ``ep`` names, checked."""
    try:
        tool = ep.load()
    except Exception as exc:  # whatever a plugin's import raises, said as one located line
        raise ToolPluginError(f"{_where(ep)}: cannot import: {_one_line(exc)}") from exc
    if not isinstance(tool, Tool):
        raise ToolPluginError(f"{_where(ep)}: not a twinchat Tool but {type(tool).__name__}")
    if tool.name != ep.name:
        raise ToolPluginError(f"{_where(ep)}: the entry point is named {ep.name!r} but its tool {tool.name!r}")
    if not _NAME.fullmatch(tool.name):
        raise ToolPluginError(f"{_where(ep)}: tool name {tool.name!r} is not 1-64 letters, digits, _ or -")
    return tool


def collect(eps: Iterable[EntryPoint]) -> dict[str, Tool]:
    """The tools of entry points ``eps``, in listing order (module docstring)."""
    found: dict[str, tuple[Tool, EntryPoint]] = {}
    for ep in eps:
        earlier = found.get(ep.name)
        if earlier is not None:
            raise ToolPluginError(f"tool {ep.name!r} is registered twice: by {_where(earlier[1])} "
                                  f"and by {_where(ep)}")
        found[ep.name] = (_load(ep), ep)
    order = sorted(found, key=lambda name: (_RANK.get(name, len(_RANK)), name))
    return {name: found[name][0] for name in order}


class ToolRegistry(Mapping[str, Tool]):
    """Every registered tool by name (read-only to its users): the entry points' tools and the
    tools declared for now. ``version`` changes whenever the declared tools do (what is computed
    from the tools can be kept per version); ``key`` says what the declared tools were made from."""

    __slots__ = ("_plugins", "_all", "version", "key")

    def __init__(self, plugins: dict[str, Tool]) -> None:
        self._plugins = plugins
        self._all = dict(plugins)
        self.version = 0
        self.key: Hashable = None

    def __getitem__(self, name: str) -> Tool:
        return self._all[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def __contains__(self, name: object) -> bool:
        return name in self._all

    def get(self, name: str, default: Tool | None = None) -> Tool | None:  # type: ignore[override]
        return self._all.get(name, default)

    def declared(self) -> tuple[Tool, ...]:
        """The tools declared for now, in their order."""
        return tuple(t for name, t in self._all.items() if name not in self._plugins)

    def _use(self, declared: Sequence[Tool], key: Hashable) -> None:
        merged = dict(self._plugins)
        for tool in declared:
            if tool.name in merged:
                raise ToolPluginError(f"tool {tool.name!r} is declared twice, or over a registered tool")
            merged[tool.name] = tool
        self._all, self.key = merged, key
        self.version += 1

    def __repr__(self) -> str:
        return f"ToolRegistry({list(self._all)!r})"


@functools.cache
def tools() -> ToolRegistry:
    """Every registered tool by name (read-only), read from the installed distributions once."""
    from importlib.metadata import entry_points

    return ToolRegistry(collect(entry_points(group=GROUP)))


def declare(declared: Sequence[Tool], key: Hashable = None) -> None:
    """Make ``declared`` the declared tools of this process (replacing any), made from ``key``."""
    tools()._use(declared, key)


@contextlib.contextmanager
def declaring(declared: Sequence[Tool], key: Hashable = None) -> Iterator[ToolRegistry]:
    """The registry with ``declared`` added while the block runs; what was declared before is
    declared again when it ends."""
    registry = tools()
    before, before_key = registry.declared(), registry.key
    registry._use(declared, key)
    try:
        yield registry
    finally:
        registry._use(before, before_key)


class RegisteredTools(Mapping[str, Tool]):
    """A read-only view of :func:`tools` that reads the entry points when first used, not when
    made (what ``twinchat.inventory.tools.TOOLS`` is)."""

    __slots__ = ()

    def __getitem__(self, name: str) -> Tool:
        return tools()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(tools())

    def __len__(self) -> int:
        return len(tools())

    def __contains__(self, name: object) -> bool:
        return name in tools()

    def get(self, name: str, default: Tool | None = None) -> Tool | None:  # type: ignore[override]
        return tools().get(name, default)

    def __repr__(self) -> str:
        return f"RegisteredTools({list(tools())!r})"
