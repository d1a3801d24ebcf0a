"""The tools dialogues call: each a function over the world with a pydantic argument model.

``TOOLS`` maps a tool's name to its :class:`Tool`; :func:`call` runs one at a session clock.
Every call runs against the world; the tables no tool or session ever changes (regions, the
catalog, lanes …) are read once per connection (:mod:`.static`), the rest with SQL each time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from twinchat.inventory.tools.base import TIME_FORMAT, Tool, ToolContext, call_tool, is_tool_error, tool_error
from twinchat.inventory.tools.delivery import CHECK_DELIVERY
from twinchat.inventory.tools.orders import QUERY_ORDER, REQUEST_RETURN
from twinchat.inventory.tools.products import SEARCH_PRODUCTS
from twinchat.inventory.tools.service import CREATE_TICKET, QUERY_TECHNICIAN_SLOTS, SEARCH_SOLUTION

__all__ = ["TOOLS", "call", "Tool", "ToolContext", "tool_error", "is_tool_error", "TIME_FORMAT"]

TOOLS: Mapping[str, Tool] = {
    t.name: t
    for t in (SEARCH_PRODUCTS, CHECK_DELIVERY, SEARCH_SOLUTION, QUERY_TECHNICIAN_SLOTS, CREATE_TICKET,
              QUERY_ORDER, REQUEST_RETURN)
}


def call(conn: sqlite3.Connection, name: str, arguments: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Run tool ``name`` on the world ``conn`` at session clock ``now``."""
    return call_tool(TOOLS, conn, name, arguments, now)
