"""Benchmark: phrases per second for resolve() and find(), against dateparser on the same inputs.

Run with ``pytest tests/bench/test_bench_timeexpr.py --bench -s``. It prints rates and ratios measured
in this process; it never asserts a timing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime

import pytest

from twinchat.composer.timeexpr import find, resolve
from twinchat.composer.timepool import phrases

CLOCKS = (datetime(2026, 11, 20, 15, 0), datetime(2026, 11, 22, 22, 0), datetime(2026, 12, 31, 23, 0))
COMMON = ("今晚", "明早", "后天下午2点前", "周五前", "这周末", "3天内", "两小时后", "明天", "大后天", "今天晚上",
          "明天上午9点", "下周一", "月底前", "11月25日前", "半小时后")
DATEPARSER_SAMPLE = 400   # dateparser is slow: it is timed on an evenly spread subset of the inputs


def _rate(function: Callable[[str, datetime], object], inputs: Sequence[tuple[str, datetime]],
          min_seconds: float = 1.0) -> float:
    """Calls per second, repeating the inputs until ``min_seconds`` have passed."""
    calls, started = 0, time.perf_counter()
    while True:
        for text, now in inputs:
            function(text, now)
        calls += len(inputs)
        elapsed = time.perf_counter() - started
        if elapsed >= min_seconds:
            return calls / elapsed


@pytest.mark.bench
def test_bench_resolve_and_find_against_dateparser() -> None:
    import dateparser

    inputs = [(p.text, now) for now in CLOCKS for p in phrases(now)]
    sentences = [(f"麻烦{text}送到南山区,谢谢", now) for text, now in inputs]
    step = max(1, len(inputs) // DATEPARSER_SAMPLE)
    spread = inputs[::step]

    def parse_with_dateparser(text: str, now: datetime) -> object:
        return dateparser.parse(text, languages=["zh"], settings={
            "RELATIVE_BASE": now, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False})

    for text, now in inputs:   # every input resolves: the rates below are of successful calls
        resolve(text, now)
    resolve_rate = _rate(resolve, inputs)
    find_rate = _rate(find, sentences)
    dateparser_rate = _rate(parse_with_dateparser, spread, min_seconds=2.0)
    parseable = [(text, now) for text, now in spread if parse_with_dateparser(text, now) is not None]
    parsed = len(parseable)
    common = sum(parse_with_dateparser(text, CLOCKS[0]) is not None for text in COMMON)
    resolve_on_spread = _rate(resolve, spread)
    dateparser_hits_rate = _rate(parse_with_dateparser, parseable) if parseable else float("nan")
    resolve_on_hits = _rate(resolve, parseable) if parseable else float("nan")

    print()
    print(f"inputs: {len(inputs)} pool phrases at {len(CLOCKS)} clocks; dateparser timed on {len(spread)} of them")
    print(f"resolve            {resolve_rate:>10,.0f} phrases/s")
    print(f"find (in sentence) {find_rate:>10,.0f} sentences/s")
    print(f"dateparser.parse   {dateparser_rate:>10,.0f} phrases/s  (languages=['zh'];"
          f" returns a date for {parsed}/{len(spread)} of them, {common}/{len(COMMON)} of the common phrases)")
    print(f"resolve / dateparser on the same {len(spread)} phrases: {resolve_on_spread / dateparser_rate:,.0f}x")
    print(f"resolve / dateparser on the {parsed} phrases dateparser can parse: {resolve_on_hits:,.0f} vs"
          f" {dateparser_hits_rate:,.0f} phrases/s = {resolve_on_hits / dateparser_hits_rate:,.0f}x")
    print(f"find / dateparser: {find_rate / dateparser_rate:,.0f}x")
    assert parsed < len(spread)   # the reason the grammar exists
