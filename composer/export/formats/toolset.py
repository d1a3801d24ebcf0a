"""The tools a record carries: those of its session's flow, not every tool of the registry.

A flow's tools are those its steps' units call, in registry order (the built-ins first, then the
others by name), or the flow's own ``tools:`` list when it has one, and those of the flows it may
continue into (``then:``: a second task calls their tools). They are looked up in the tool
registry by name, so a plugin's tool (or any tool the registry holds) goes with a record exactly
as a built-in one does. A session whose flow is not loaded carries every registered tool.

Schemas are made compact for the record without losing meaning (:func:`compact_schema`): an
optional argument written as ``anyOf: [T, null]`` with ``default: null`` is written as ``T`` and
left out of ``required`` (leaving it out is what null means). Every other keyword stays: types,
formats, enums, bounds, defaults, descriptions, ``additionalProperties``.

Everything is worked out once per tool set and cached; converters look a record's tools up by its
flow (a dictionary lookup per session).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any

from twinchat.composer.errors import ComposerError

__all__ = ["ToolSet", "ToolSetError", "compact_schema", "flow_tools"]


class ToolSetError(ComposerError):
    """A flow's ``tools:`` names a tool not registered, or leaves out one its units call."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _nullable(schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The non-null branch of ``anyOf: [T, {type: null}]`` with ``default: null``, else None."""
    branches = schema.get("anyOf")
    if not isinstance(branches, list) or len(branches) != 2 or "default" not in schema or schema["default"] is not None:
        return None
    real = [b for b in branches if b != {"type": "null"}]
    return real[0] if len(real) == 1 and isinstance(real[0], dict) else None


def compact_schema(schema: Any) -> Any:
    """``schema`` with nullable optional arguments written as their type (module docstring)."""
    if isinstance(schema, list):
        return [compact_schema(v) for v in schema]
    if not isinstance(schema, dict):
        return schema
    real = _nullable(schema)
    if real is not None:
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
        return compact_schema({**real, **rest})
    return {k: compact_schema(v) for k, v in schema.items()}


def _called(flow: Any, units: Mapping[str, Any]) -> dict[str, str] | None:
    """Tool name → the first unit of ``flow`` calling it; None when a step's unit is not loaded."""
    called: dict[str, str] = {}
    for step in flow.steps:
        src = units.get(step.unit)
        if src is None:
            return None
        call = getattr(getattr(src, "unit", src), "tool", None)
        if call is not None:
            called.setdefault(call.name, step.unit)
    return called


def flow_tools(src: Any, units: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The tool names flow ``src`` (a ``FlowSource`` or ``Flow``) declares in ``tools:``, else those its
    steps' units call; None when a step's unit is not loaded (the session then carries every tool).
    A ``tools:`` list leaving out a tool one of its units calls is a :class:`ToolSetError`."""
    flow = getattr(src, "flow", src)
    called = _called(flow, units)
    declared = getattr(flow, "tools", None)
    if declared is None:
        return None if called is None else tuple(called)
    missing = [n for n in (called or {}) if n not in declared]
    if missing:
        where = src.where(["tools"]) if hasattr(src, "where") else f"flow {flow.id!r}"
        raise ToolSetError(f"{where}: tools leaves out {missing[0]!r}, which unit {called[missing[0]]!r} calls "
                          f"(add it to the list)")
    return tuple(declared)


class ToolSet:
    """Per flow, the tools its records carry (module docstring); built once per export."""

    def __init__(self, by_flow: Mapping[str, Iterable[str]] | None = None) -> None:
        from twinchat.inventory.tools import TOOLS

        self._registry = TOOLS
        order = {name: rank for rank, name in enumerate(TOOLS)}
        self._by_flow: dict[str, tuple[str, ...]] = {}
        for flow, names in (by_flow or {}).items():
            unknown = [n for n in names if n not in order]
            if unknown:
                raise ToolSetError(f"flow {flow!r}: tool {unknown[0]!r} is not registered "
                                  f"(tools: {', '.join(order)})")
            self._by_flow[flow] = tuple(sorted(dict.fromkeys(names), key=order.__getitem__))
        self._every = tuple(TOOLS)
        self._schemas: dict[str, dict[str, Any]] = {}
        self._cache: dict[tuple[str, ...], tuple[list[dict[str, Any]], str, tuple[str, ...]]] = {}

    @classmethod
    def of_content(cls, units: Mapping[str, Any], flows: Mapping[str, Any]) -> ToolSet:
        """The tool set of loaded ``flows`` (``FlowSource`` or ``Flow``) playing loaded ``units``."""
        by_flow = {}
        for fid, src in flows.items():
            names = flow_tools(src, units)
            for then in getattr(getattr(src, "flow", src), "then", ()):  # a second task's tools too
                more = flow_tools(flows[then.flow], units) if then.flow in flows and names is not None else None
                names = None if more is None else (*names, *more)  # type: ignore[misc]
            if names is not None:
                by_flow[fid] = names
        return cls(by_flow)

    def names(self, flow: str | None) -> tuple[str, ...]:
        """The tools of ``flow`` (every registered tool for a flow not loaded)."""
        return self._by_flow.get(flow or "", self._every)

    def schema(self, name: str) -> dict[str, Any]:
        """Tool ``name``'s compact function schema ``{name, description, parameters}``."""
        if name not in self._schemas:
            self._schemas[name] = compact_schema(self._registry[name].json_schema())
        return self._schemas[name]

    def _forms(self, names: tuple[str, ...]) -> tuple[list[dict[str, Any]], str, tuple[str, ...]]:
        if names not in self._cache:
            schemas = tuple(_dumps(self.schema(n)) for n in names)
            entries = [{"type": "function", "function": self.schema(n)} for n in names]
            self._cache[names] = (entries, "[" + ", ".join(schemas) + "]", schemas)
        return self._cache[names]

    def openai(self, flow: str | None) -> list[dict[str, Any]]:
        """The OpenAI ``tools`` entries of ``flow`` (shared: callers must not change them)."""
        return self._forms(self.names(flow))[0]

    def json_list(self, flow: str | None) -> str:
        """The schemas of ``flow`` as one JSON list (sharegpt's ``tools`` string)."""
        return self._forms(self.names(flow))[1]

    def schema_texts(self, flow: str | None) -> tuple[str, ...]:
        """Each schema of ``flow`` as a JSON string."""
        return self._forms(self.names(flow))[2]

    def used(self, flows: Sequence[str]) -> list[dict[str, Any]]:
        """The OpenAI entries of every tool some flow of ``flows`` carries, in registry order."""
        wanted = {n for f in flows for n in self.names(f)}
        return [{"type": "function", "function": self.schema(n)} for n in self._every if n in wanted]

    @cached_property
    def flows(self) -> dict[str, tuple[str, ...]]:
        """Flow id → its tool names, for the flows loaded."""
        return dict(self._by_flow)
