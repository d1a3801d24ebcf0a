"""The world's one time format: format_time and parse_time agree with strftime and strptime exactly."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from twinchat.inventory import timefmt
from twinchat.inventory.timefmt import TIME_FORMAT, format_time, parse_time
from twinchat.inventory.tools import base


def test_the_tools_name_the_world_format() -> None:
    assert TIME_FORMAT == "%Y-%m-%d %H:%M:%S"
    assert base.TIME_FORMAT is timefmt.TIME_FORMAT and base.format_time is timefmt.format_time


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)))
def test_format_time_writes_what_strftime_writes(moment: datetime) -> None:
    assert format_time(moment) == moment.strftime(TIME_FORMAT)


def test_format_time_of_an_aware_or_early_moment_is_strftime_s() -> None:
    for moment in (datetime(2026, 11, 20, 9, 5, 7, tzinfo=timezone(timedelta(hours=8))),
                   datetime(999, 1, 2, 3, 4, 5), datetime(2026, 11, 20, 9, 5, 7, 999_999)):
        assert format_time(moment) == moment.strftime(TIME_FORMAT)


@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)))
def test_parse_time_reads_what_format_time_writes(moment: datetime) -> None:
    text = format_time(moment)
    assert parse_time(text) == datetime.strptime(text, TIME_FORMAT) == moment.replace(microsecond=0)


@pytest.mark.parametrize("text", ["2026-11-20 9:05:07", "2026-1-2 03:04:05"])
def test_parse_time_reads_what_strptime_reads_off_the_fast_path(text: str) -> None:
    assert parse_time(text) == datetime.strptime(text, TIME_FORMAT)


@pytest.mark.parametrize("text", ["2026-11-20T09:05:07", "2026-11-20 09:05", "2026-11-20", "2026-11-20 25:00:00",
                                  "2026-02-30 09:00:00", "2026-11-20 09:05:07+08:00", ""])
def test_parse_time_refuses_what_strptime_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        datetime.strptime(text, TIME_FORMAT)
    with pytest.raises(ValueError):
        parse_time(text)


def test_the_time_format_loads_without_the_world_builder() -> None:
    import subprocess
    import sys

    code = "import sys, twinchat.inventory.timefmt; print(' '.join(sys.modules))"
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split())
    assert "twinchat.inventory.build" not in loaded and "faker" not in loaded


def test_the_format_is_written_out_only_here() -> None:
    """Every other module formats and reads the world's moments through format_time / parse_time
    (the CLI's ``--now`` takes input formats of its own)."""
    from pathlib import Path

    root = Path(timefmt.__file__).parents[1]
    allowed = {root / "inventory" / "timefmt.py", root / "composer" / "cli" / "commands.py"}
    copies = [str(path.relative_to(root)) for package in ("units", "inventory", "composer", "tui")
              for path in sorted((root / package).rglob("*.py"))
              if path not in allowed and ("%Y-%m-%d %H:%M:%S" in (text := path.read_text(encoding="utf-8"))
                                          or "strftime(TIME_FORMAT)" in text or ", TIME_FORMAT)" in text)]
    assert copies == []


def test_a_remembered_time_text_is_the_text_of_that_moment() -> None:
    """format_time remembers texts of naive datetimes: an equal moment (another object, another
    fold) gets the same text, a different one its own, and the memo stays bounded."""
    moment = datetime(2026, 11, 20, 9, 5, 7)
    assert format_time(moment) == "2026-11-20 09:05:07"
    assert format_time(datetime(2026, 11, 20, 9, 5, 7, fold=1)) == "2026-11-20 09:05:07"
    assert format_time(datetime(2026, 11, 20, 9, 5, 8)) == "2026-11-20 09:05:08"
    assert format_time(datetime(2026, 11, 20, 9, 5, 7, tzinfo=timezone.utc)) == "2026-11-20 09:05:07"
    for i in range(timefmt._KEEP_TEXTS + 3):
        assert format_time(moment + timedelta(seconds=i)) == (moment + timedelta(seconds=i)).strftime(TIME_FORMAT)
    assert 0 < len(timefmt._texts) <= timefmt._KEEP_TEXTS


@given(st.dates(min_value=datetime(1, 1, 1).date()))
def test_day_text_is_strftime_s_day(day) -> None:
    assert base.day_text(day) == f"{day:%Y-%m-%d}"
    moment = datetime.combine(day, datetime.min.time())
    assert base.day_text(moment) == f"{moment:%Y-%m-%d}" and base.day_text(moment).replace("-", "") == f"{moment:%Y%m%d}"
