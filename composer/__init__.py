"""twinchat.composer — the engine: sampling, rendering, time expressions, composition, the CLI.

The names below are loaded on first use (module ``__getattr__``): importing the package alone does
not load the time grammar, the phrase pool or dateparser.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "ComposerError",
    "TimeExpressionError",
    "TimePhrase",
    "TimeSpan",
    "TimeWindow",
    "find",
    "phrases",
    "resolve",
    "sample",
]

_HOMES = {"ComposerError": "errors", "TimeExpressionError": "errors",
          **dict.fromkeys(("TimePhrase", "TimeSpan", "TimeWindow", "find", "phrases", "resolve", "sample"), "time")}

if TYPE_CHECKING:
    from twinchat.composer.errors import ComposerError, TimeExpressionError
    from twinchat.composer.time import TimePhrase, TimeSpan, TimeWindow, find, phrases, resolve, sample


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
