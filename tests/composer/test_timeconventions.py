"""The parts of the day are tabled once; the grammar and the phrase pool both read them from there."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from twinchat.composer.time.conventions import PART_HOURS, PARTS, part_name, part_window
from twinchat.composer.time.resolve import resolve
from twinchat.composer.time.words import CLOCKS, NEAR_PARTS

DAY = date(2026, 11, 21)
STATED = {"凌晨": ("00:00:00", "05:59:59"), "早上": ("06:00:00", "09:59:59"), "上午": ("08:00:00", "11:59:59"),
          "中午": ("11:00:00", "13:59:59"), "下午": ("13:00:00", "17:59:59"), "傍晚": ("17:00:00", "18:59:59"),
          "晚上": ("18:00:00", "23:59:59")}


@pytest.mark.parametrize("part", list(STATED))
def test_a_part_of_day_is_the_window_the_conventions_state(part: str) -> None:
    start, end = part_window(DAY, part)
    assert (f"{start:%H:%M:%S}", f"{end:%H:%M:%S}") == STATED[part]
    assert start.date() == end.date() == DAY


@pytest.mark.parametrize("part", list(STATED))
def test_the_grammar_reads_a_part_of_day_as_the_table_says(part: str) -> None:
    window = resolve(f"明天{part}", datetime(2026, 11, 20, 9, 0))
    assert (window.start, window.end) == part_window(DAY, part)


def test_aliases_name_a_part_of_the_table() -> None:
    assert part_name("早") == "早上" and part_name("晚") == "晚上" and part_name("一早") == "早上"
    assert part_name("下午") == "下午" and part_name(None) is None
    assert set(PART_HOURS) == set(PARTS)


def test_the_pool_clocks_read_their_hour_on_the_part_dial_and_fall_inside_the_part() -> None:
    for part, spoken, hour in CLOCKS:
        assert PART_HOURS[part][spoken] == hour
        first, end = PARTS[part]
        assert first <= hour < end, (part, spoken, hour)
    assert {part for _, _, part in NEAR_PARTS} == set(PARTS)
