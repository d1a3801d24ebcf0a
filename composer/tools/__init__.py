"""Tools declared in tool files: building them against a world, declaring them for a command, and
making tool files from an OpenAPI description.

:func:`using_tools` declares the tool files among a command's ``--units`` paths for as long as the
command runs, so every consumer of the tool registry (unit checks, generate, compose and its
workers, verify, export, eval, the TUI) takes them as it takes the built-in tools;
:func:`install_tools` does the same for the rest of a worker process. :func:`import_openapi`
writes one tool file per operation of an OpenAPI 3.0/3.1 description.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["build_tools", "declared_tools", "using_tools", "install_tools", "SandboxTemplates", "import_openapi",
           "ImportReport"]

_HOMES = {"build_tools": "declare", "declared_tools": "declare", "using_tools": "declare",
          "install_tools": "declare", "SandboxTemplates": "templates", "import_openapi": "openapi",
          "ImportReport": "openapi"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
