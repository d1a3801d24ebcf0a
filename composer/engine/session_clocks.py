"""Session clocks: a plausible customer-service clock (a day in four weeks from a Monday, 07:00–23:29,
to the minute), drawn from one random number, with its TIME_FORMAT text from small tables."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from itertools import accumulate, product, repeat

from twinchat.composer.draws import below
from twinchat.inventory.timefmt import format_time

__all__ = ["CLOCKS", "clock_at", "session_clock"]

_EPOCH = datetime(2026, 11, 16)  # a Monday; clocks fall in the four weeks after it
_DAYS, _MINUTES = 28, 16 * 60 + 30  # clocks fall on one of 28 days, at a minute from 07:00 to 23:29
CLOCKS = _DAYS * _MINUTES


# clock = day start + minute, and its TIME_FORMAT text = day text + minute text (small tables)
_DAY_STARTS = tuple(_EPOCH + timedelta(days=day, hours=7) for day in range(_DAYS))
_DAY_TEXTS = tuple(format_time(start)[:11] for start in _DAY_STARTS)
# made by adding and joining (a timedelta made from keywords, or a formatted text, costs each about
# 7,000 instructions: 13 million at every start, for these two tables)
_MINUTE_STEPS = tuple(accumulate(repeat(timedelta(minutes=1), _MINUTES - 1), initial=timedelta(0)))
_MINUTE_TEXTS = tuple(hour + minute for hour, minute in product([f"{h:02d}:" for h in range(7, 24)],
                                                                 [f"{m:02d}:00" for m in range(60)]))[:_MINUTES]


def clock_at(k: int) -> tuple[datetime, str]:
    """Clock number ``k`` (day ``k // _MINUTES``, minute ``k % _MINUTES`` after 07:00) and its text."""
    day, minute = divmod(k, _MINUTES)
    return _DAY_STARTS[day] + _MINUTE_STEPS[minute], _DAY_TEXTS[day] + _MINUTE_TEXTS[minute]


def session_clock(rng: random.Random) -> datetime:
    """A plausible customer-service clock: a day in four weeks, 07:00–23:29, to the minute: what
    ``clock_at(rng.randrange(_DAYS) * _MINUTES + rng.randrange(_MINUTES))[0]`` draws, each
    ``randrange`` drawn as it draws (:func:`~twinchat.composer.draws.below`) without its frames."""
    bits = rng.getrandbits
    return _DAY_STARTS[below(bits, _DAYS)] + _MINUTE_STEPS[below(bits, _MINUTES)]
