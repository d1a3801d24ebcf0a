"""Tools declared in tool files (``kind: tool``): JSON Schema arguments and an ``sql``, ``rules``
or ``python`` implementation, run against the world like the built-in tools.

:func:`build_tool` makes a :class:`DeclaredTool` (a :class:`~twinchat.inventory.tools.base.Tool`)
from a tool file's spec; the registry takes it as it takes an entry point's tool
(:func:`twinchat.inventory.tools.registry.declaring`). Dependency rule: like the rest of
``twinchat.inventory``, nothing here imports twinchat's other packages but the shared errors;
the texts of tool files are compiled by the :class:`Templates` the caller supplies.
"""

from __future__ import annotations

from twinchat.inventory.tools.declared.build import HELPERS, RESERVED, build_tool
from twinchat.inventory.tools.declared.sql import READ_ONLY_TABLES
from twinchat.inventory.tools.declared.tool import DeclaredTool, Templates

__all__ = ["build_tool", "DeclaredTool", "Templates", "RESERVED", "HELPERS", "READ_ONLY_TABLES"]
