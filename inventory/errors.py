"""Errors of the simulated backend."""

from __future__ import annotations

from twinchat.units.errors import TwinchatError

__all__ = ["InventoryError", "WorldExistsError", "UnknownToolError", "UnknownRegionError"]


class InventoryError(TwinchatError):
    """The inventory database is missing, unreadable, or not a twinchat world."""


class WorldExistsError(InventoryError):
    """``init`` would overwrite an existing file and ``--force`` was not given."""


class UnknownToolError(InventoryError):
    """A tool name that the inventory does not provide."""


class UnknownRegionError(InventoryError):
    """An adcode that is not in the region table, or not of the level asked for."""
