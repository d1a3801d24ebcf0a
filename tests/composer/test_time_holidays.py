"""The holiday table: dates that hang together, and the next one from a clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from twinchat.composer.time.holidays import NAMES, UnknownYear, holiday_date
from twinchat.composer.time.holidays_data import ALIASES, FIXED, LUNAR, LUNAR_YEARS


def _in(name: str, year: int) -> date:
    return date(year, *LUNAR[name][year - LUNAR_YEARS[0]])


@pytest.mark.parametrize("year", LUNAR_YEARS)
def test_the_lunar_dates_hang_together(year: int) -> None:
    new_year = _in("春节", year)
    assert date(year, 1, 21) <= new_year <= date(year, 2, 20)          # 春节 falls between these every year
    assert _in("除夕", year) == new_year - timedelta(days=1)
    assert _in("元宵", year) == new_year + timedelta(days=14)
    assert _in("清明", year) in (date(year, 4, 4), date(year, 4, 5))
    assert _in("端午", year) < _in("七夕", year) < _in("中秋", year)


def test_every_row_covers_every_year_and_every_alias_names_a_holiday() -> None:
    assert all(len(dates) == len(LUNAR_YEARS) for dates in LUNAR.values())
    assert set(ALIASES.values()) <= set(FIXED) | set(LUNAR)
    assert NAMES[0] == max(NAMES, key=len) and "双十一" in NAMES and "大年三十" in NAMES


def test_the_next_one_today_included_or_the_year_said() -> None:
    assert holiday_date("春节", date(2027, 2, 6)) == date(2027, 2, 6)
    assert holiday_date("过年", date(2027, 2, 7)) == date(2028, 1, 26)
    assert holiday_date("双11", date(2026, 11, 12)) == date(2027, 11, 11)
    assert holiday_date("中秋节", date(2026, 1, 1), 2030) == date(2030, 9, 12)
    with pytest.raises(UnknownYear, match="^端午 of 2031 is not in the holiday table"):
        holiday_date("端午", date(2030, 7, 1))
