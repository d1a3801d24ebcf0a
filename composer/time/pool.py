"""The phrase pool: natural Chinese time phrases, with their windows, for a session clock.

The inverse of :func:`twinchat.composer.time.resolve.resolve`: a unit whose slot draws from the pool
gets a phrase a customer would type together with the window it names, so the label is known
before the sentence is written. The words are in :mod:`twinchat.composer.time.words`, the recipes
that make phrases and windows of them in :mod:`twinchat.composer.time.recipes`, and each kind's
numbered list of recipes in :mod:`twinchat.composer.time.layouts`; this module lists and draws.

Kinds
-----
``day``
    a whole day: 今天, 明天, 后天, 大后天, 周五/星期五/礼拜五, 这周五, 下周一, 12月1号, 十二月一日,
    11月25日, 2026年12月1日, a bare 25号.
``part_of_day``
    a part of a day: 今晚, 今天晚上, 今早, 明早, 明天上午, 后天下午, 周六晚上, 12月1号下午, 下午.
``clock``
    an hour or a minute of a day: 明天上午9点, 明早8点半, 后天下午2点, 今晚8:30, 今晚12点
    (midnight), 下午3点 (today), and a part of day with an hour after each day word. A clock
    names a time to keep (a visit, a call-back), so one that has already begun is not offered:
    下午2点 is not in the pool at 14:47, where it would be an appointment starting "now".
``deadline``
    "by then": X前/X之前/X以前 of a day, a part of day, a clock or a period (周五前, 今晚8点前,
    这周末前, 月底前, 年底之前), N天内 / N小时内 / 一周内 (from now), and X内 of a period, which is
    the period itself (今天之内, 本周内, 这个月内).
``weekend``
    这周末, 周末, 本周末, 这个周末, 下周末, 下个周末.
``relative``
    a time counted from now: 两小时后, 半小时后 and 10分钟后 name one minute (now+Δ rounded down to the
    minute, to …:59); 3天后 and 一周后 name the whole day they land on.

Surface forms vary across the pool: Chinese and Arabic numerals (两点, 2点, 十二月), 点/点钟/点半/
点一刻/:30/:00, 号/日, 周/星期/礼拜, 前/之前/以前, full-width digits (３天内).

:func:`phrases` runs every recipe of the kinds asked and keeps what is not wholly past;
:func:`sample` runs only the ones it draws, so a clock never seen before costs a few recipes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from functools import lru_cache

from twinchat.composer.draws import below
from twinchat.composer.errors import ComposerError
from twinchat.composer.time.layouts import KINDS, LAYOUTS, Layout, hour_starts, learn_start
from twinchat.composer.time.recipes import At
from twinchat.composer.time.windows import TimePhrase, TimeWindow

__all__ = ["KINDS", "TimePhrase", "draw", "draw_where", "draw_within", "phrases", "sample", "sample_where"]

_TRIES = 50
"""Recipes :func:`sample` draws for a kind before it lists the kind's whole pool instead."""


def _check_kinds(kinds: Collection[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return KINDS
    if isinstance(kinds, str):
        kinds = (kinds,)
    key = tuple(kinds)
    checked = _CHECKED.get(key)
    if checked is None:
        checked = _CHECKED[key] = _checked_kinds(key)
    return checked


#: kinds as asked -> as checked (a unit asks the same few lists again and again)
_CHECKED: dict[tuple[str, ...], tuple[str, ...]] = {}


def _checked_kinds(kinds: tuple[str, ...]) -> tuple[str, ...]:
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise ComposerError(f"unknown time-phrase kind {unknown[0]!r} (known: {', '.join(KINDS)})")
    return tuple(kind for kind in KINDS if kind in kinds)


@lru_cache(maxsize=256)
def _build(now: datetime, kind: str) -> tuple[TimePhrase, ...]:
    return tuple(LAYOUTS[kind].every(At(now)))


def phrases(now: datetime, kinds: Collection[str] | None = None) -> list[TimePhrase]:
    """Every phrase of the given kinds (all by default) whose window is not wholly past at ``now``.

    The order is deterministic: by kind, in :data:`KINDS` order, then by construction. A text
    appears once; windows start no earlier than ``now``. Raises :class:`ComposerError` for an
    unknown kind.
    """
    found: list[TimePhrase] = []
    seen: set[str] = set()
    for kind in _check_kinds(kinds):
        for phrase in _build(now, kind):
            if phrase.text not in seen:
                seen.add(phrase.text)
                found.append(phrase)
    return found


def sample(now: datetime, rng: random.Random, kinds: Collection[str] | None = None) -> TimePhrase:
    """One phrase of ``phrases(now, kinds)`` drawn with ``rng``, without listing the pool.

    The distribution: a kind uniformly among the given ones that have a phrase at ``now``, then
    a phrase uniformly among that kind's phrases at ``now`` — the same distribution as
    ``rng.choice(phrases(now, [kind]))``. It is drawn by rejection: a recipe of the kind's fixed
    layout is picked uniformly and only that phrase is built; one that is not offered (wholly past,
    a clock already begun, or not existing on this date) is drawn again. Every recipe has the same chance and no two give the same
    text, so each phrase is equally likely, and surface forms keep the shares they have in the
    pool. At any clock at least 84% of each kind's recipes give a phrase, so a draw costs about one
    recipe; after :data:`_TRIES` misses in a row the kind's whole pool is listed and one phrase is
    chosen from it uniformly, and a kind with no phrase at ``now`` is passed over.

    The same ``rng`` state, clock and kinds always give the same phrase. Raises
    :class:`ComposerError` for an unknown kind, or when no phrase of the kinds is possible at ``now``.
    """
    text, start, end, kind = _draw(now, _check_kinds(kinds), rng)
    return TimePhrase(text, TimeWindow(start, end), kind)


def sample_where(now: datetime, rng: random.Random, kinds: Collection[str] | None,
                 fits: Callable[[datetime], bool], tries: int) -> TimePhrase | None:
    """The first of up to ``tries`` phrases drawn as :func:`sample` draws them whose window start
    ``fits``, or None: what calling :func:`sample` again until one fits gives (the same phrase
    for the same ``rng`` state), without making the phrases turned down."""
    found = draw_where(now, rng, kinds, fits, tries)
    return None if found is None else TimePhrase(found[0], TimeWindow(found[1], found[2]), found[3])


def draw(now: datetime, rng: random.Random, kinds: Collection[str] | None = None) -> tuple[str, datetime, datetime, str]:
    """What :func:`sample` draws, as (text, start, end, kind): no phrase objects for a caller
    that reads the parts (a slot source, once per drawn time slot)."""
    return _draw(now, _check_kinds(kinds), rng)


def draw_where(now: datetime, rng: random.Random, kinds: Collection[str] | None,
               fits: Callable[[datetime], bool], tries: int) -> tuple[str, datetime, datetime, str] | None:
    """What :func:`sample_where` draws, as (text, start, end, kind), or None. Each draw's first
    kind and recipe are drawn here (most draws end there); :func:`_draw` goes on from them."""
    checked, today = _check_kinds(kinds), now.date()
    bits, count = rng.getrandbits, len(checked)
    if count == 1:
        return _draw_one(now, today, rng, checked, fits, tries)
    width = count.bit_length()
    for _ in range(tries):  # below() written out twice: a try costs no call but at_clock's
        r = bits(width)
        while r >= count:
            r = bits(width)
        kind = checked[r]
        layout = LAYOUTS[kind]
        size = layout.size
        r = bits(layout.width)
        while r >= size:
            r = bits(layout.width)
        found = layout.at_clock(now, today, r)
        drawn = (*found, kind) if found is not None else _draw(now, checked, rng, today, kind)
        if fits(drawn[1]):
            return drawn
    return None


def _draw_one(now: datetime, today: date, rng: random.Random, checked: tuple[str, ...],
              fits: Callable[[datetime], bool], tries: int) -> tuple[str, datetime, datetime, str] | None:
    """:func:`draw_where` of one kind (a time slot's usual ask): the same draws, with the layout and
    the date's table looked up once, and a phrase the table holds checked there (what
    :meth:`~twinchat.composer.time.layouts.Layout.at_clock` does) and made only when it fits."""
    kind = checked[0]
    layout = LAYOUTS[kind]
    table = layout.table(today)
    size, width, named = layout.size, layout.width, layout.named
    bits = rng.getrandbits
    for _ in range(tries):
        while bits(1):  # the kind, drawn as draw_where draws one of one (a bit, again while it is 1)
            pass
        r = bits(width)
        while r >= size:
            r = bits(width)
        entry = None if table is None else table[r]
        if type(entry) is tuple:
            text, start, end = entry
            if not (end < now or (named and start < now)):
                if start < now:
                    start = now
                if fits(start):
                    return text, start, end, kind
                continue
        found = layout.at_clock(now, today, r)  # not built yet, built at each clock, or not offered
        drawn = (*found, kind) if found is not None else _draw(now, checked, rng, today, kind)
        if fits(drawn[1]):
            return drawn
    return None


def draw_within(now: datetime, rng: random.Random, kinds: Collection[str] | None, hours: Collection[int] | None,
                latest: datetime | None, tries: int) -> tuple[str, datetime, datetime, str] | None:
    """What :func:`draw_where` draws when a phrase fits if its start is ``latest`` or earlier (None:
    any) and, with ``hours``, falls on one of those whole hours (a time slot's ``hours`` and
    ``within_days``): the same draws, the test made in the loop rather than by a call per phrase
    drawn (about a dozen a kept phrase)."""
    checked = _check_kinds(kinds)
    if len(checked) != 1:
        return draw_where(now, rng, checked, _window(hours, latest), tries)
    kind, today = checked[0], now.date()
    layout = LAYOUTS[kind]
    table = layout.table(today)
    if table is None:  # a layout built at each draw: no table to read
        return _draw_one(now, today, rng, checked, _window(hours, latest), tries)
    size, width, named = layout.size, layout.width, layout.named
    if named and latest is not None and hours is not None:
        return _draw_hours(now, today, rng, kind, layout, frozenset(hours), latest, tries)
    bits = rng.getrandbits
    for _ in range(tries):
        while bits(1):  # as _draw_one draws
            pass
        r = bits(width)
        while r >= size:
            r = bits(width)
        entry = table[r]
        if type(entry) is tuple:
            text, start, end = entry
            if end < now or (named and start < now):  # not offered: at_clock would give None
                drawn = _draw(now, checked, rng, today, kind)
            else:
                if start < now:
                    start = now
                if (latest is None or start <= latest) and (hours is None or (start.hour in hours
                                                                               and start.minute == 0)):
                    return text, start, end, kind
                continue
        else:
            found = layout.at_clock(now, today, r)  # not built yet, or not offered on the date
            drawn = (*found, kind) if found is not None else _draw(now, checked, rng, today, kind)
        start = drawn[1]
        if (latest is None or start <= latest) and (hours is None or (start.hour in hours and start.minute == 0)):
            return drawn
    return None


def _draw_hours(now: datetime, today: date, rng: random.Random, kind: str, layout: Layout, hours: frozenset[int],
                latest: datetime, tries: int) -> tuple[str, datetime, datetime, str] | None:
    """:func:`draw_within` of one kind whose phrases name a time to keep (a clock), with ``hours`` and
    ``latest``: what each table entry drawn says is learnt once per date (:func:`.layouts.hour_starts`),
    so a try reads its start and whether it is on the hours, and a phrase is offered when its start
    is not past (its window runs forward)."""
    starts, fits, entries = learnt = hour_starts(layout, today, hours)
    size, width, checked = layout.size, layout.width, (kind,)
    bits = rng.getrandbits
    for _ in range(tries):
        while bits(1):  # as _draw_one draws
            pass
        r = bits(width)
        while r >= size:
            r = bits(width)
        start = starts[r]
        if start is not None:
            if start >= now:  # offered
                if fits[r] and start <= latest:
                    return (*entries[r], kind)  # type: ignore[misc]
                continue
            drawn = _draw(now, checked, rng, today, kind)  # not offered: at_clock would give None
        else:
            found = layout.at_clock(now, today, r)  # builds the entry if it is not yet
            learn_start(layout, today, r, learnt, hours)
            drawn = (*found, kind) if found is not None else _draw(now, checked, rng, today, kind)
        start = drawn[1]
        if start <= latest and start.hour in hours and start.minute == 0:
            return drawn
    return None


def _window(hours: Collection[int] | None, latest: datetime | None) -> Callable[[datetime], bool]:
    """The test :func:`draw_within` makes, as a function of a phrase's start."""
    def fits(start: datetime) -> bool:
        return (latest is None or start <= latest) and (hours is None or (start.hour in hours and start.minute == 0))
    return fits


def _draw(now: datetime, checked: tuple[str, ...], rng: random.Random,
          today: date | None = None, drawn: str | None = None) -> tuple[str, datetime, datetime, str]:
    """(text, start, end, kind) of one phrase, drawn as :func:`sample` describes (``today``: the
    clock's date, when the caller has it; ``drawn``: the kind the caller drew, whose first recipe
    gave no phrase — the draw goes on from there). A kind is chosen from ``checked`` itself; only
    a kind with no phrase at the clock makes a list of the others (``rng.choice`` draws the same
    from both)."""
    if today is None:
        today = now.date()
    candidates: Sequence[str] = checked
    bits = rng.getrandbits
    while candidates:
        if drawn is None:
            kind, tries = candidates[below(bits, len(candidates))], _TRIES  # rng.choice(candidates)
        else:
            kind, tries, drawn = drawn, _TRIES - 1, None
        layout = LAYOUTS[kind]
        for _ in range(tries):
            found = layout.at_clock(now, today, below(bits, layout.size))  # rng.randrange(layout.size)
            if found is not None:
                return (*found, kind)
        pool = _build(now, kind)
        if pool:
            phrase = rng.choice(pool)
            return phrase.text, phrase.window.start, phrase.window.end, kind
        candidates = [other for other in candidates if other != kind]  # kinds are distinct
    raise ComposerError(f"no time phrase of kinds {', '.join(checked)} is possible at {now}")
