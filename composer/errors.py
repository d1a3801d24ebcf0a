"""Errors of the engine (time expressions, generation, composition, export)."""

from __future__ import annotations

from twinchat.units.errors import TwinchatError

__all__ = ["ComposerError", "LimitError", "TimeExpressionError"]


class ComposerError(TwinchatError):
    """Generation or composition cannot proceed with the given input."""


class LimitError(ComposerError):
    """A template went past a limit of the sandbox while it rendered (a value from a slot made it
    too long, too large or too slow): the sample or session fails with this reason, the run goes on."""


class TimeExpressionError(TwinchatError):
    """A time phrase cannot be resolved, or its window lies wholly in the past."""
