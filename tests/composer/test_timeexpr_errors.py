"""resolve(): phrases it cannot place, and windows wholly in the past, are one-line errors naming the phrase."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from twinchat.composer.errors import TimeExpressionError
from twinchat.composer.time.resolve import TimeWindow, resolve
from twinchat.units.errors import TwinchatError

NOW = datetime(2026, 11, 21, 15, 0)  # a Saturday afternoon

UNRESOLVABLE = [
    ("下下下周八", "not a time phrase"),
    ("", "not a time phrase"),
    ("   ", "not a time phrase"),
    ("随便什么时候", "not a time phrase"),
    ("2月30日", "is not a date"),
    ("13月1日", "is not a date"),
    ("2026年2月29日", "no day 29 in 2026-02"),
    ("2026-13-01", "no month 13"),
    ("这个月31号", "no day 31 in 2026-11"),
    ("32号", "is not a day of the month"),
    ("25点", "no hour 25"),
    ("上午3点", "3点 is not in the 上午"),
    ("明天晚上1点", "1点 is not in the 晚上"),
    ("今晚上午", "今晚 already names a part of the day"),
    ("周五以后", "leaves the window open"),
    ("明天之后", "leaves the window open"),
    ("今晚8点内", "does not follow a clock time"),
    ("下午4点到2点", "the range ends before it starts"),
    ("下午2点到4点前", "does not follow a range of times"),
    ("半天内", "half a 天 is not a window"),
    ("0天内", "0天 is not a window"),
    ("不知道 whenever", "not a time phrase"),
    ("sometime maybe", "neither the grammar nor dateparser"),
]


@pytest.mark.parametrize(("phrase", "reason"), UNRESOLVABLE, ids=[p or "empty" for p, _ in UNRESOLVABLE])
def test_unresolvable_phrases_name_the_phrase_and_the_reason(phrase: str, reason: str) -> None:
    expected = f"cannot resolve time phrase '{phrase}': .*{reason}"
    with pytest.raises(TimeExpressionError, match=expected) as info:
        resolve(phrase, NOW)
    assert "\n" not in str(info.value)


PAST = [
    ("今天上午", NOW),
    ("今早", NOW),
    ("昨天", NOW),
    ("昨晚", NOW),
    ("前天", NOW),
    ("上周五", NOW),
    ("上周末", NOW),
    ("上个月", NOW),
    ("这周一", NOW),
    ("这个月15号", NOW),
    ("2026-11-20", NOW),
    ("2026年11月1日", NOW),
    ("今天中午12点前", NOW),
    ("上午", NOW),
    ("今晚8点前", datetime(2026, 11, 21, 20, 0, 1)),
    ("今天8点", datetime(2026, 11, 21, 21, 0)),      # neither 08:00 nor 20:00 is ahead
    ("3点", datetime(2026, 11, 21, 16, 0)),          # 1–6点 is the afternoon only
    ("周六上午", NOW),                                 # today is Saturday: never moved to next week
    ("yesterday", NOW),
]


@pytest.mark.parametrize(("phrase", "now"), PAST, ids=[p for p, _ in PAST])
def test_a_window_wholly_in_the_past_is_an_error_not_another_day(phrase: str, now: datetime) -> None:
    stamp = now.strftime("%Y-%m-%d %H:%M:%S" if now.second else "%Y-%m-%d %H:%M")
    with pytest.raises(TimeExpressionError, match=f"^time phrase '{phrase}' lies wholly in the past at {stamp}$"):
        resolve(phrase, now)


def test_the_message_of_the_contract() -> None:
    with pytest.raises(TimeExpressionError) as info:
        resolve("今天上午", NOW)
    assert str(info.value) == "time phrase '今天上午' lies wholly in the past at 2026-11-21 15:00"
    assert isinstance(info.value, TwinchatError)
    assert info.value.__cause__ is not None


def test_a_window_ending_exactly_now_is_not_past() -> None:
    at_eight = datetime(2026, 11, 21, 20, 0)
    assert resolve("今晚8点前", at_eight) == TimeWindow(at_eight, at_eight)


def test_the_clock_must_be_naive() -> None:
    with pytest.raises(TypeError, match="naive datetime"):
        resolve("明天", datetime(2026, 11, 21, 15, 0, tzinfo=timezone.utc))


def test_a_window_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="cannot end"):
        TimeWindow(datetime(2026, 11, 21, 15, 0), datetime(2026, 11, 21, 14, 0))
