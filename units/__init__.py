"""twinchat.units — the content: unit models (the spec), their loader, the built-in unit files.

Dependency rule: this package imports nothing else of twinchat's. Names are imported when first
used, so the shared error module (``twinchat.units.errors``) costs nothing to import.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["TwinchatError", "UnitError", "Unit", "UnitSource", "load_units", "load_unit_file", "builtin_paths"]

_HOMES = {"TwinchatError": "errors", "UnitError": "errors", "UnitSource": "loader", "builtin_paths": "loader",
          "load_unit_file": "loader", "load_units": "loader", "Unit": "spec"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
