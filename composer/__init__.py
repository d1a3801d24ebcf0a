"""twinchat.composer — the engine: sampling, rendering, time expressions, composition, the CLI."""

from twinchat.composer.errors import ComposerError, TimeExpressionError
from twinchat.composer.time.resolve import TimeSpan, TimeWindow, find, resolve
from twinchat.composer.time.pool import TimePhrase, phrases, sample

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
