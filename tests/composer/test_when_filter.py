"""The ``when`` filter's shared paths give what its plain definition gives."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from twinchat.composer.engine import filters
from twinchat.composer.engine.filters import said_when, when

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)).map(
    lambda moment: moment.replace(second=0, microsecond=0))


def _plain_part(hour: int) -> str:
    """The part of day an hour is said with, as the first hour of each part defines it."""
    return next(word for first, word in reversed(filters._PARTS) if hour >= first)


def test_the_hour_table_is_the_part_each_hour_reaches() -> None:
    assert [filters._PART_OF_HOUR[h] for h in range(24)] == [_plain_part(h) for h in range(24)]
    assert filters._PART_OF_HOUR[23] == "晚上" and filters._PART_OF_HOUR[5] == "凌晨"


@settings(max_examples=300, deadline=None)
@given(moment=moments, days=st.integers(-400, 400), minutes=st.integers(0, 1439), stamp=st.booleans())
@example(moment=datetime(2026, 12, 3, 23, 59), days=-1, minutes=600, stamp=True)
@example(moment=datetime(2026, 12, 3, 0, 0), days=0, minutes=0, stamp=False)
def test_said_when_is_when_in_its_two_forms(moment: datetime, days: int, minutes: int, stamp: bool) -> None:
    now = moment.replace(hour=0, minute=0) + timedelta(days=days, minutes=minutes)
    value = f"{moment:%Y-%m-%d %H:%M:%S}" if stamp else f"{moment:%Y-%m-%d}"
    clock = f"{now:%Y-%m-%d %H:%M:%S}"
    expected = (when(value, clock), when(value, clock, "spoken"))
    assert said_when(value, clock) == expected
    assert said_when(value, clock) == expected   # read again from the memo of stamps
    assert said_when(moment if stamp else value, now) == (when(moment if stamp else value, now),
                                                          when(moment if stamp else value, now, "spoken"))


def test_a_stamp_that_is_not_one_is_refused_each_time() -> None:
    for _ in range(2):   # a refused stamp is not kept: it is refused again
        with pytest.raises(ValueError, match="month must be in 1..12|2026-13-01"):
            when("2026-13-01 10:00:00", "2026-12-01 10:00:00")


@settings(max_examples=200, deadline=None)
@given(moment=moments)
def test_the_cross_turn_checks_say_a_stamp_as_cn_time_does(moment: datetime) -> None:
    from twinchat.composer.engine.filters import cn_time
    from twinchat.composer.verify.crossturn import _cn_time

    stamp = f"{moment:%Y-%m-%d %H:%M:%S}"
    assert _cn_time(stamp) == cn_time(stamp) == cn_time(moment)
    assert _cn_time(stamp) == _cn_time(stamp)   # again, from its memo
