"""twinchat.tui — the Textual app to browse, edit, re-verify and export sessions.

Names are imported when first used, so importing one widget does not start the whole app.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["TwinchatApp", "TuiError", "Workspace", "check_db", "run_tui"]

_HOMES = {"TwinchatApp": "app", "run_tui": "app", "TuiError": "workspace", "Workspace": "workspace",
          "check_db": "workspace"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
