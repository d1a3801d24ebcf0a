"""A project: the file ``twinchat.yaml`` that gives every command the same world, catalog, units,
flows, tools, persona, calendar, flow mix and export defaults.

Names are imported when first used: finding out that there is no project file imports nothing
of the project model.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PROJECT_FILE", "LoadedProject", "Project", "ProjectError", "find_project", "load_project"]

_HOMES = {"PROJECT_FILE": "find", "ProjectError": "find", "find_project": "find", "LoadedProject": "load",
          "load_project": "load", "Project": "model"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
