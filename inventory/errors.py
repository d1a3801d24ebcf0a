"""Errors of the simulated backend."""

from __future__ import annotations

from twinchat.units.errors import TwinchatError

__all__ = ["InventoryError", "WorldExistsError", "UnknownToolError", "ToolPluginError", "UnknownRegionError", "CatalogError"]


class InventoryError(TwinchatError):
    """The inventory database is missing, unreadable, or not a twinchat world."""


class WorldExistsError(InventoryError):
    """``init`` would overwrite an existing file and ``--force`` was not given."""


class UnknownToolError(InventoryError):
    """A tool name that the inventory does not provide."""


class ToolPluginError(InventoryError):
    """An entry point of ``twinchat.tools`` that does not give a usable tool (it cannot be
    imported, is not a Tool, is named apart from its tool, or clashes with another tool)."""


class UnknownRegionError(InventoryError):
    """An adcode that is not in the region table, or not of the level asked for."""


class CatalogError(InventoryError):
    """A catalog file that cannot be imported: malformed, a missing column, a bad value, a duplicate
    id, or a row naming something the catalog does not have."""
