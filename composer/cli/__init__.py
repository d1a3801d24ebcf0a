"""The ``twinchat`` command line: thin commands over the library. The only part of the engine
that may import the TUI. ``main`` is the console script; ``cli``, the click group, is imported
when first asked for (the plain form of ``generate`` runs without click)."""

from __future__ import annotations

from typing import Any

from twinchat.composer.cli.entry import main

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    if name == "cli":
        from twinchat.composer.cli.commands import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
