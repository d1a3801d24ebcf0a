"""Benchmarks: resolve() and find() against dateparser; the phrase pool's sample() against listing the pool.

Run with ``pytest tests/bench/test_bench_timeexpr.py --bench -s``. It prints rates and ratios measured
in this process; it never asserts a timing.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import pytest

from twinchat.composer.time import pool as timepool
from twinchat.composer.time.resolve import find, resolve
from twinchat.composer.time.pool import phrases, sample

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


UNIT_KINDS = (["part_of_day", "deadline", "day"], ["clock"], ["day"], ["part_of_day"], None)
"""The kind subsets the built-in units draw from (None: every kind)."""


def _fresh_clocks(seed: int) -> list[datetime]:
    """Every session clock of four weeks (on the minute, 07:00–23:29), each once, in a shuffled order."""
    first = datetime(2026, 11, 16, 7, 0)
    found = [first + timedelta(days=day, minutes=minute) for day in range(28) for minute in range(16 * 60 + 30)]
    random.Random(seed).shuffle(found)
    return found


def _per_second(draw: Callable[[datetime, random.Random], object], clocks: Sequence[datetime],
                rounds: int = 3) -> float:
    """Draws per second over ``clocks``, best of ``rounds``; the pool cache is emptied before each round."""
    best = float("inf")
    for round_ in range(rounds):
        timepool._build.cache_clear()
        rng = random.Random(round_)
        started = time.perf_counter()
        for now in clocks:
            draw(now, rng)
        best = min(best, time.perf_counter() - started)
    return len(clocks) / best


@pytest.mark.bench
def test_bench_sample_over_fresh_clocks_against_listing_the_pool() -> None:
    """sample() beside two ways of drawing from the listed pool, on the same fresh clocks.

    * listing: ``rng.choice(phrases(now, kinds))``, the whole pool of the kinds, then one phrase;
    * one kind listed: a kind first, then ``rng.choice(phrases(now, [kind]))``, as sample() used to do.
    """
    clocks = _fresh_clocks(seed=0)
    listed_clocks = clocks[:400]   # listing is slow: it is timed on fewer clocks
    print()
    print(f"time phrases drawn at clocks never seen before: {len(clocks):,} session clocks over 4 weeks "
          f"({len(listed_clocks)} for listing); best of 3 rounds, the pool cache emptied before each")
    print(f"{'kinds':<28}{'sample()':>19}{'listing':>19}{'one kind listed':>19}{'vs listing':>12}{'vs one kind':>13}")
    for kinds in UNIT_KINDS:
        names = list(timepool.KINDS) if kinds is None else kinds

        def lazily(now: datetime, rng: random.Random, kinds=kinds) -> object:
            return sample(now, rng, kinds)

        def listing(now: datetime, rng: random.Random, kinds=kinds) -> object:
            return rng.choice(phrases(now, kinds))

        def one_kind_listed(now: datetime, rng: random.Random, names=names) -> object:
            return rng.choice(phrases(now, [rng.choice(names)]))

        rates = [_per_second(lazily, clocks), _per_second(listing, listed_clocks),
                 _per_second(one_kind_listed, listed_clocks)]
        cells = "".join(f"{rate:>9,.0f}/s {1e6 / rate:>6.1f}µs" for rate in rates)
        name = "all kinds" if kinds is None else ",".join(kinds)
        print(f"{name:<28}{cells}{rates[0] / rates[1]:>11,.0f}x{rates[0] / rates[2]:>12,.0f}x")
