"""What the time package hands out: a window, a phrase found in a sentence, a phrase of the pool."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["TimePhrase", "TimeSpan", "TimeWindow"]


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """An inclusive window ``[start, end]`` of naive datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"a time window cannot end ({self.end}) before it starts ({self.start})")

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment <= self.end


@dataclass(frozen=True, slots=True)
class TimeSpan:
    """A time phrase found in a sentence: ``sentence[start:end] == text``, and its window."""

    start: int
    end: int
    text: str
    window: TimeWindow


@dataclass(frozen=True, slots=True)
class TimePhrase:
    """A phrase a customer could type, the window it names at the session clock, and its kind."""

    text: str
    window: TimeWindow
    kind: str
