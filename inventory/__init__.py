"""twinchat.inventory — the simulated e-commerce backend (a SQLite world) and its tools.

Dependency rule: this package imports nothing else of twinchat's but the root exception
(``twinchat.units.errors``).
"""

from __future__ import annotations

from twinchat.inventory.build import build_world, open_world, world_seed, world_summary
from twinchat.inventory.errors import InventoryError, UnknownToolError, WorldExistsError

__all__ = ["build_world", "open_world", "world_seed", "world_summary", "InventoryError", "UnknownToolError", "WorldExistsError"]
