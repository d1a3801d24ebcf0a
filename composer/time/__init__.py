"""Colloquial Chinese time phrases: the conventions, the grammar, the phrase pool, resolving against a clock.

``resolve`` and ``find`` read a phrase at a session clock (:mod:`.resolve`); ``phrases`` and ``sample``
give phrases with their windows (:mod:`.pool`); the parts of the day are tabled in :mod:`.conventions`.
"""

from __future__ import annotations

from twinchat.composer.time.pool import KINDS, phrases, sample, sample_where
from twinchat.composer.time.resolve import find, resolve
from twinchat.composer.time.windows import TimePhrase, TimeSpan, TimeWindow

__all__ = ["KINDS", "TimePhrase", "TimeSpan", "TimeWindow", "find", "phrases", "resolve", "sample", "sample_where"]
