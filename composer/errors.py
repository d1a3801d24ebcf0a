"""Errors of the engine (time expressions, generation, composition, export)."""

from __future__ import annotations

from twinchat.units.errors import TwinchatError

__all__ = ["ComposerError", "LimitError", "NoOrder", "TimeExpressionError"]


class ComposerError(TwinchatError):
    """Generation or composition cannot proceed with the given input."""


class LimitError(ComposerError):
    """A template went past a limit of the sandbox while it rendered (a value from a slot made it
    too long, too large or too slow): the sample or session fails with this reason, the run goes on."""


class NoOrder(ComposerError):
    """An order slot restricted to one customer (a session's second task) finds none of theirs
    that qualifies: a draw aiming at an outcome is drawn again, a second task is left out."""


class TimeExpressionError(TwinchatError):
    """A time phrase cannot be resolved, or its window lies wholly in the past."""
