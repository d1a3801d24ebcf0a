"""The phrase pool: every phrase resolves back to its window (resolve(), find()); sample() draws only from it."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from twinchat.composer.time import layouts
from twinchat.composer.time import pool as timepool
from twinchat.composer.time.recipes import At
from twinchat.composer.errors import ComposerError
from twinchat.composer.time.resolve import TimeWindow, find, resolve
from twinchat.composer.time.pool import KINDS, TimePhrase, phrases, sample

CARRIERS = (
    "A型号{}能送到南山区吗?",
    "我想约{}上门",
    "麻烦{}送到,谢谢",
    "请问{}可以发货吗？",
)

clocks = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2060, 12, 31, 23, 59, 59)).map(
    lambda moment: moment.replace(microsecond=0))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(now=clocks)
@example(now=datetime(2026, 11, 20, 15, 0))      # an ordinary Friday afternoon
@example(now=datetime(2026, 11, 18, 23, 30))     # late evening
@example(now=datetime(2026, 11, 22, 22, 0))      # Sunday night
@example(now=datetime(2026, 11, 30, 23, 59, 59))  # the last second of a month
@example(now=datetime(2026, 12, 31, 23, 0))      # the last hour of the year
@example(now=datetime(2026, 2, 28, 21, 45, 30))  # end of February, non-leap year
@example(now=datetime(2028, 2, 29, 0, 0))        # leap day
def test_every_phrase_resolves_back_to_its_window(now: datetime) -> None:
    pool = phrases(now)
    assert pool
    for phrase in pool:
        assert now <= phrase.window.start <= phrase.window.end, phrase
        assert resolve(phrase.text, now) == phrase.window, phrase.text
        for carrier in CARRIERS:
            sentence = carrier.format(phrase.text)
            spans = find(sentence, now)
            assert [(s.text, s.window) for s in spans] == [(phrase.text, phrase.window)], sentence


def test_every_kind_is_offered_at_an_ordinary_clock_and_the_order_is_stable() -> None:
    now = datetime(2026, 11, 20, 15, 0)
    pool = phrases(now)
    assert [p.kind for p in pool] == sorted((p.kind for p in pool), key=KINDS.index)
    assert {p.kind for p in pool} == set(KINDS)
    assert len({p.text for p in pool}) == len(pool)
    assert phrases(now) == pool


def test_the_pool_offers_the_phrases_customers_use() -> None:
    now = datetime(2026, 11, 20, 15, 0)  # Friday
    texts = {p.text: p for p in phrases(now)}
    for text in ("今晚", "今天晚上", "明天上午", "明早8点前", "后天", "周五前", "下周一", "这周末", "3天内", "月底前",
                 "11月25日前", "12月1号下午", "明天上午9点", "明早8点半", "后天下午2点", "今晚8:30", "两小时后",
                 "半小时后", "3天后", "周六晚上"):
        assert text in texts, text
    assert texts["明早8点前"] == TimePhrase("明早8点前", TimeWindow(now, datetime(2026, 11, 21, 8, 0)), "deadline")
    assert texts["这周末"].kind == "weekend"
    assert texts["两小时后"].window == TimeWindow(datetime(2026, 11, 20, 17, 0), datetime(2026, 11, 20, 17, 0, 59))


def test_the_pool_varies_surface_forms() -> None:
    texts = [p.text for p in phrases(datetime(2026, 11, 20, 15, 0))]
    forms = (r"[一两三四五六七八九十]点", r"[0-9]点", r"点半", r":30", r"[0-9]号", r"[0-9]日", r"^周[一二三四五六日]",
             r"^星期", r"^礼拜", r"之前$", r"以前$", r"[０-９]", r"^[一两三四五六七八九十]+天", r"点钟", r"点一刻")
    for form in forms:
        assert any(re.search(form, text) for text in texts), form


def test_kinds_select_and_past_phrases_are_left_out() -> None:
    now = datetime(2026, 11, 20, 23, 30)
    weekend = phrases(now, kinds=["weekend"])
    assert {p.kind for p in weekend} == {"weekend"}
    assert {p.text for p in weekend} >= {"这周末", "下周末"}
    texts = {p.text for p in phrases(now, kinds=("part_of_day", "clock"))}
    assert "今晚" in texts and "今天下午" not in texts and "今晚8点" not in texts


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ComposerError, match="unknown time-phrase kind 'soon' \\(known: day, part_of_day"):
        phrases(datetime(2026, 11, 20, 15, 0), kinds=["day", "soon"])
    with pytest.raises(ComposerError, match="unknown time-phrase kind 'soon'"):
        sample(datetime(2026, 11, 20, 15, 0), random.Random(0), kinds=["soon"])


def test_sample_is_determined_by_the_rng() -> None:
    now = datetime(2026, 11, 20, 15, 0)
    first = [sample(now + timedelta(hours=i), random.Random(7)) for i in range(20)]
    again = [sample(now + timedelta(hours=i), random.Random(7)) for i in range(20)]
    assert first == again
    rng = random.Random(3)
    drawn = [sample(now, rng) for _ in range(300)]
    assert len({p.text for p in drawn}) > 100
    assert {p.kind for p in drawn} == set(KINDS)
    pool = set(phrases(now))
    assert all(p in pool for p in drawn)


def test_sample_keeps_to_the_kinds() -> None:
    rng = random.Random(11)
    now = datetime(2026, 11, 22, 22, 0)
    drawn = [sample(now, rng, kinds={"clock", "relative"}) for _ in range(50)]
    assert {p.kind for p in drawn} == {"clock", "relative"}


# --- sample(): drawn without listing the pool, always a member of it -------------------------------

UNIT_KINDS = (["part_of_day", "deadline", "day"], ["clock"], ["day"], ["part_of_day"], None)
"""The kind subsets the built-in units draw from (None: every kind)."""
DRAWS = 800   # per kind subset and clock

session_clocks = st.builds(lambda day, minute: datetime.combine(day, time(7)) + timedelta(minutes=minute),
                           st.dates(min_value=date(2001, 1, 1), max_value=date(2060, 12, 31)),
                           st.integers(min_value=0, max_value=16 * 60 + 29))
"""Clocks like the sessions': on the minute, from 07:00 to 23:29."""


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(now=session_clocks | clocks, seed=st.integers(min_value=0, max_value=2**32 - 1))
@example(now=datetime(2026, 11, 18, 23, 29), seed=0)       # the last session minute of a Wednesday
@example(now=datetime(2026, 11, 21, 23, 29), seed=1)       # Saturday night
@example(now=datetime(2026, 11, 22, 22, 0), seed=2)        # Sunday night: this weekend nearly over
@example(now=datetime(2026, 11, 22, 23, 29), seed=3)
@example(now=datetime(2026, 11, 30, 23, 29), seed=4)       # the end of a month
@example(now=datetime(2026, 12, 31, 23, 29), seed=5)       # the end of the year
@example(now=datetime(2027, 2, 28, 23, 29), seed=6)        # the end of February, non-leap year
@example(now=datetime(2028, 2, 29, 7, 0), seed=7)          # leap day, first session minute
@example(now=datetime(2026, 11, 30, 23, 59, 59), seed=8)   # the last second of a month
def test_every_sampled_phrase_is_in_the_pool_and_every_kind_is_drawn(now: datetime, seed: int) -> None:
    for kinds in UNIT_KINDS:
        pool = phrases(now, kinds)
        rng = random.Random(seed)
        drawn = [sample(now, rng, kinds) for _ in range(DRAWS)]
        members = set(pool)
        strays = [p for p in drawn if p not in members]
        assert not strays, (kinds, strays[:3])
        assert {p.kind for p in drawn} == {p.kind for p in pool}, kinds
        rng = random.Random(seed)
        assert [sample(now, rng, kinds) for _ in range(DRAWS)] == drawn, kinds


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(now=session_clocks | clocks)
@example(now=datetime(2026, 11, 22, 23, 29))
@example(now=datetime(2026, 12, 31, 23, 29))
def test_no_two_recipes_give_the_same_text(now: datetime) -> None:
    # sample() relies on it: a drawn recipe is then the very phrase the pool lists for its text
    at = At(now)
    texts = [found[0] for layout in layouts.LAYOUTS.values() for count, recipe in layout.sections
             for j in range(count) if (found := recipe(at, j)) is not None]
    assert len(texts) == len(set(texts))
    assert {p.text for p in phrases(now)} <= set(texts)


def test_sample_is_uniform_within_a_kind_and_across_kinds() -> None:
    now = datetime(2026, 11, 20, 15, 0)   # Friday: some of today's phrases are past
    rng = random.Random(5)
    for kind in ("part_of_day", "clock", "weekend"):
        pool = phrases(now, [kind])
        per_phrase = 200
        counts = Counter(sample(now, rng, [kind]).text for _ in range(per_phrase * len(pool)))
        assert set(counts) == {p.text for p in pool}, kind
        # a count is Binomial(n, 1/len(pool)): mean 200, sd ≈ 14; a bias of a third would leave the band
        assert all(per_phrase * 0.65 < count < per_phrase * 1.35 for count in counts.values()), (kind, counts)
    kinds = Counter(sample(now, rng).kind for _ in range(6000))
    assert all(800 < kinds[kind] < 1200 for kind in KINDS), kinds


def test_sample_does_not_depend_on_what_is_cached_nor_touch_the_global_rng() -> None:
    now = datetime(2026, 11, 19, 21, 7)
    random.seed(1)
    global_state = random.getstate()
    timepool._build.cache_clear()
    cold = [sample(now, random.Random(9), kinds) for kinds in UNIT_KINDS]
    phrases(now)
    warm = [sample(now, random.Random(9), kinds) for kinds in UNIT_KINDS]
    assert cold == warm
    assert random.getstate() == global_state


def test_after_too_many_misses_sample_draws_from_the_listed_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timepool, "_TRIES", 0)
    now = datetime(2026, 11, 22, 22, 0)
    rng = random.Random(4)
    drawn = [sample(now, rng, ["part_of_day", "deadline", "day"]) for _ in range(300)]
    assert set(drawn) <= set(phrases(now, ["part_of_day", "deadline", "day"]))
    assert {p.kind for p in drawn} == {"part_of_day", "deadline", "day"}


def test_a_kind_without_phrases_is_passed_over(monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 11, 20, 15, 0)
    monkeypatch.setitem(layouts.LAYOUTS, "weekend", layouts.Layout("weekend", (3, lambda at, j: None)))
    timepool._build.cache_clear()
    try:
        rng = random.Random(0)
        assert {sample(now, rng, ["weekend", "relative"]).kind for _ in range(50)} == {"relative"}
        with pytest.raises(ComposerError, match="no time phrase of kinds weekend is possible at 2026-11-20 15:00"):
            sample(now, rng, ["weekend"])
    finally:
        timepool._build.cache_clear()


@settings(max_examples=30, deadline=None)
@given(now=clocks, seed=st.integers(0, 2**32 - 1), days=st.integers(0, 3))
def test_sample_where_gives_what_sampling_until_one_fits_gives(now: datetime, seed: int, days: int) -> None:
    """sample_where makes only the phrase it keeps, but draws exactly as calling sample() again
    until a phrase's window starts within ``days`` of the clock (or ``tries`` run out)."""
    kinds = ["part_of_day", "deadline", "day"]

    def fits(start: datetime) -> bool:
        return (start - now).total_seconds() <= days * 86400

    tries = 6
    plain = random.Random(seed)
    expected = None
    for _ in range(tries):
        phrase = sample(now, plain, kinds)
        if fits(phrase.window.start):
            expected = phrase
            break
    where = random.Random(seed)
    assert timepool.sample_where(now, where, kinds, fits, tries) == expected
    assert where.getstate() == plain.getstate()  # the same draws were made


@settings(max_examples=40, deadline=None)
@given(now=clocks, seed=st.integers(0, 2**32 - 1), hours=st.sets(st.integers(0, 23), min_size=1),
       kind=st.sampled_from(["clock", "deadline", "relative", "part_of_day"]))
def test_sample_where_of_one_kind_gives_what_sampling_until_one_fits_gives(
        now: datetime, seed: int, hours: set[int], kind: str) -> None:
    """With one kind (a time slot's usual ask: a kept layout, one built at each draw, one with
    recipes read at the clock), sample_where still draws exactly as calling sample() again."""
    def fits(start: datetime) -> bool:
        return start.hour in hours and (start - now).total_seconds() <= 3 * 86400

    tries = 30
    plain = random.Random(seed)
    expected = None
    for _ in range(tries):
        phrase = sample(now, plain, [kind])
        if fits(phrase.window.start):
            expected = phrase
            break
    where = random.Random(seed)
    assert timepool.sample_where(now, where, [kind], fits, tries) == expected
    assert where.getstate() == plain.getstate()


@pytest.mark.parametrize("hours, within_days, now", [
    ([7], 1, datetime(2026, 11, 20, 7, 13)),     # few phrases fit: often listed from the pool
    (None, 0, datetime(2026, 11, 20, 15, 0)),
    ([9, 14], None, datetime(2026, 11, 22, 22, 0)),
])
def test_a_bounded_time_slot_draws_as_sampling_until_one_fits_then_the_pool(hours, within_days, now) -> None:
    """The slot's draw is the loop it replaced: sample(), redrawn up to 200 times until a phrase
    fits, then (a 201st draw made and unused) one of the pool's fitting phrases; all of it drawn
    again while the phrase names today by its date or weekday (customers say 今天)."""
    from twinchat.composer.engine.sources.time import TODAY_REDRAWS, names_today_otherwise, time_phrase
    from twinchat.units.spec import TimeSlot

    slot = TimeSlot(source="time", kinds=None, hours=hours, within_days=within_days)

    def fits(phrase: TimePhrase) -> bool:
        start = phrase.window.start
        if within_days is not None and (start - now).total_seconds() > within_days * 86400:
            return False
        return hours is None or (start.hour in hours and start.minute == 0)

    def one(rng: random.Random) -> TimePhrase:
        phrase = sample(now, rng)
        for _ in range(200):
            if fits(phrase):
                return phrase
            phrase = sample(now, rng)
        pool = [p for p in phrases(now) if fits(p)]
        return pool[int(rng.random() * len(pool))]

    def reference(rng: random.Random) -> TimePhrase:
        phrase = one(rng)
        for _ in range(TODAY_REDRAWS):
            if not names_today_otherwise(phrase.text, phrase.window.start, phrase.window.end, now):
                break
            phrase = one(rng)
        return phrase

    for seed in range(40):
        expected, rng = reference(random.Random(seed)), random.Random(seed)
        got = time_phrase("t", slot, rng, now)
        assert (got.text, got.data["start"], got.data["end"]) == (expected.text, expected.window.start,
                                                                   expected.window.end), seed
        again = random.Random(seed)
        reference(again)
        assert rng.getstate() == again.getstate()  # the same draws were made


@settings(max_examples=30, deadline=None)
@given(now=clocks)
def test_a_clock_phrase_built_once_per_date_is_the_one_built_at_the_clock(now: datetime) -> None:
    """Clock phrases are kept per date (At.clock); each is what clock_at builds at this very clock."""
    from twinchat.composer.time.words import N_CLOCKS, STAPLE_CLOCKS

    at = At(now)
    for j in range(N_CLOCKS):
        assert at.clock(j) == at.clock_at(j, j - len(STAPLE_CLOCKS) + 1)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.dates(min_value=date(2001, 1, 1), max_value=date(2060, 12, 31)),
       moments=st.lists(st.times().map(lambda t: t.replace(microsecond=0)), min_size=1, max_size=4))
@example(day=date(2026, 11, 22), moments=[time(23, 59, 59), time(0, 0), time(14, 47)])
def test_a_phrase_kept_in_its_dates_table_is_the_one_built_at_the_clock(day: date, moments: list[time]) -> None:
    """Layout.raw keeps each date's recipes in a table and compares only the clock; at every clock of
    the date (several clocks, so later ones read the table the first one filled) it gives what building
    the recipe at that very clock gives."""
    for moment in moments:
        at = At(datetime.combine(day, moment))
        for layout in layouts.LAYOUTS.values():
            for index in range(layout.size):
                assert layout.raw(at, index) == layout._built(at, index), (layout.kind, index, at.now)


@settings(max_examples=60, deadline=None)
@given(now=clocks, seed=st.integers(0, 2**32 - 1), hours=st.none() | st.sets(st.integers(0, 23), min_size=1),
       days=st.none() | st.integers(0, 8),
       kinds=st.sampled_from([["clock"], ["deadline"], ["relative"], ["part_of_day"], ["day"], ["clock", "day"]]))
@example(now=datetime(2026, 11, 20, 21, 40), seed=3, hours={9, 11, 14, 16, 19}, days=6, kinds=["clock"])
@example(now=datetime(2026, 11, 23, 7, 5), seed=8, hours=None, days=None, kinds=["clock"])
def test_draw_within_draws_what_draw_where_draws_with_the_same_test(
        now: datetime, seed: int, hours: set[int] | None, days: int | None, kinds: list[str]) -> None:
    """draw_within (a time slot's hours and within_days, tested in the loop) gives the phrase
    draw_where gives with that test as its ``fits``, and makes the same draws: on dates whose
    tables are empty, half built and whole, and for phrases not offered at the clock."""
    latest = None if days is None else now + timedelta(days=days)

    def fits(start: datetime) -> bool:
        if latest is not None and start > latest:
            return False
        return hours is None or (start.hour in hours and start.minute == 0)

    frozen = None if hours is None else frozenset(hours)
    layouts.forget_tables()
    for _ in range(3):  # the first draws build the date's table, the later ones read it
        for tries in (1, 30):
            plain, within = random.Random(seed), random.Random(seed)
            expected = timepool.draw_where(now, plain, kinds, fits, tries)
            assert timepool.draw_within(now, within, kinds, frozen, latest, tries) == expected
            assert within.getstate() == plain.getstate()
        seed += 1
    layouts.forget_tables()


@pytest.mark.parametrize("now", [datetime(2026, 11, 20, 11, 0), datetime(2026, 11, 20, 19, 0),
                                 datetime(2026, 11, 20, 21, 40, 13), datetime(2026, 11, 22, 8, 59, 59),
                                 datetime(2026, 11, 30, 23, 5)])
@pytest.mark.parametrize("days", [0, 1, 6])
def test_clock_slots_learnt_per_date_draw_what_draw_where_draws(now: datetime, days: int) -> None:
    """A clock slot with hours and within_days (ticket_create_call's visit time) reads what it learnt
    of each table entry: the same phrases and draws as draw_where with the same test, including a
    phrase that starts at the clock itself (offered), one past ``latest`` on the hours, and after
    the tables are forgotten."""
    hours = frozenset({9, 11, 14, 16, 19})
    latest = now + timedelta(days=days)

    def fits(start: datetime) -> bool:
        return start <= latest and start.hour in hours and start.minute == 0

    for round_ in range(2):
        layouts.forget_tables()
        for seed in range(150):
            plain, within = random.Random(seed), random.Random(seed)
            expected = timepool.draw_where(now, plain, ["clock"], fits, 40)
            assert timepool.draw_within(now, within, ["clock"], hours, latest, 40) == expected, (round_, seed)
            assert within.getstate() == plain.getstate()
