"""Errors of the engine (time expressions, generation, composition, export)."""

from __future__ import annotations

from twinchat.units.errors import TwinchatError

__all__ = ["ComposerError", "TimeExpressionError"]


class ComposerError(TwinchatError):
    """Generation or composition cannot proceed with the given input."""


class TimeExpressionError(TwinchatError):
    """A time phrase cannot be resolved, or its window lies wholly in the past."""
