"""twinchat.inventory — the simulated e-commerce backend (a SQLite world) and its tools.

Dependency rule: this package imports nothing else of twinchat's but the root exception
(``twinchat.units.errors``).

The names below are loaded on first use (module ``__getattr__``), so a module that needs one small
part of the package (the time format, say) does not load the world builder and Faker with it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = ["build_world", "open_world", "world_seed", "world_summary", "InventoryError", "UnknownToolError", "WorldExistsError"]

_HOMES = {**dict.fromkeys(("build_world", "open_world", "world_seed", "world_summary"), "build"),
          **dict.fromkeys(("InventoryError", "UnknownToolError", "WorldExistsError"), "errors")}

if TYPE_CHECKING:
    from twinchat.inventory.build import build_world, open_world, world_seed, world_summary
    from twinchat.inventory.errors import InventoryError, UnknownToolError, WorldExistsError


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
