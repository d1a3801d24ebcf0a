"""twinchat.inventory — the simulated e-commerce backend (a SQLite world) and its tools.

Dependency rule: this package imports nothing else of twinchat's but the root exception
(``twinchat.units.errors``). Names are imported when first used: reading one table or calling
one tool does not load the world builder.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["build_world", "open_world", "world_seed", "world_summary", "InventoryError", "UnknownToolError",
           "WorldExistsError"]

_HOMES = {"build_world": "build", "open_world": "build", "world_seed": "build", "world_summary": "build",
          "InventoryError": "errors", "UnknownToolError": "errors", "WorldExistsError": "errors"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
