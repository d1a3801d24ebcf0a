"""The tools dialogues call: each a function over the world with a pydantic argument model.

Tools register through the entry-point group ``twinchat.tools`` (:mod:`.registry`), twinchat's
own as a plugin's: :func:`tools` (or the read-only mapping ``TOOLS``) maps a tool's name to its
:class:`Tool`, reading the entry points on first use; :func:`call` runs one at a session clock.
Every call runs against the world; the tables no tool or session ever changes (regions, the
catalog, lanes …) are read once per connection (:mod:`.static`), the rest with SQL each time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from twinchat.inventory.tools.base import TIME_FORMAT, Tool, ToolContext, call_tool, is_tool_error, tool_error
from twinchat.inventory.tools.registry import RegisteredTools, tools

__all__ = ["TOOLS", "tools", "call", "tool_writes", "Tool", "ToolContext", "tool_error", "is_tool_error",
           "TIME_FORMAT"]

#: Every registered tool by name (read-only; the entry points are read when it is first used).
TOOLS: Mapping[str, Tool] = RegisteredTools()


def call(conn: sqlite3.Connection, name: str, arguments: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Run tool ``name`` on the world ``conn`` at session clock ``now``."""
    return call_tool(tools(), conn, name, arguments, now)


def tool_writes(tool_name: Any) -> bool:
    """Whether the tool writes to the world (an unknown tool counts as one: its call raises anyway)."""
    tool = tools().get(tool_name) if isinstance(tool_name, str) else None
    return tool is None or tool.writes
