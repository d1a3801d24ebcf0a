"""A project's session calendar: when its customers write, as a drawer of session clocks.

Without a calendar, clocks fall as :func:`~twinchat.composer.engine.generate.session_clock` draws
them (four weeks from 2026-11-16, 07:00–23:29). A :class:`SessionCalendar` draws a day of its date
range by weekday weight, then a minute of the opening hours by the weight of its hour; both tables
are worked out once, so a draw is two bisections.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from twinchat.composer.errors import ComposerError

__all__ = ["SessionCalendar"]


@dataclass(frozen=True)
class SessionCalendar:
    """Session clocks from ``start`` to ``end`` (days included), ``opens``–``closes`` (HH:MM)."""

    start: date
    end: date
    opens: str = "07:00"
    closes: str = "23:30"
    #: seven weights, Monday first (None: every day alike)
    weekdays: Sequence[float] | None = None
    #: weight per hour of the day (hours left out weigh 1)
    hours: Mapping[int, float] | None = None

    def __post_init__(self) -> None:
        days = [self.start + timedelta(days=k) for k in range((self.end - self.start).days + 1)]
        weights = [float((self.weekdays or [1.0] * 7)[d.weekday()]) for d in days]
        first, last = _minute(self.opens), _minute(self.closes)
        minutes = list(range(first, last))
        minute_weights = [float((self.hours or {}).get(m // 60, 1.0)) for m in minutes]
        if not days or sum(weights) <= 0:
            raise ComposerError(f"calendar {self.start}…{self.end}: no day has a weight above 0")
        if sum(minute_weights) <= 0:
            raise ComposerError(f"calendar {self.opens}–{self.closes}: no opening hour has a weight above 0")
        # tables worked out once (frozen: set through object.__setattr__)
        object.__setattr__(self, "_days", [datetime.combine(d, time()) for d in days])
        object.__setattr__(self, "_day_cum", list(itertools.accumulate(weights)))
        object.__setattr__(self, "_steps", [timedelta(minutes=m) for m in minutes])
        object.__setattr__(self, "_minute_cum", list(itertools.accumulate(minute_weights)))

    def __call__(self, rng: random.Random) -> datetime:
        """A session clock, to the minute."""
        day_cum, minute_cum = self._day_cum, self._minute_cum  # type: ignore[attr-defined]
        day = bisect.bisect(day_cum, rng.random() * day_cum[-1])
        minute = bisect.bisect(minute_cum, rng.random() * minute_cum[-1])
        return self._days[min(day, len(day_cum) - 1)] + self._steps[min(minute, len(minute_cum) - 1)]  # type: ignore[attr-defined]

    def describe(self) -> str:
        """One line for the dataset card."""
        text = f"{self.start} to {self.end}, {self.opens}–{self.closes}"
        if self.weekdays:
            text += ", weekday weights (Mon–Sun) " + "/".join(f"{w:g}" for w in self.weekdays)
        if self.hours:
            text += ", hour weights " + ", ".join(f"{h}:00 {w:g}" for h, w in sorted(self.hours.items()))
        return text


def _minute(hhmm: str) -> int:
    hh, mm = hhmm.split(":")
    return int(hh) * 60 + int(mm)
