"""Each kind of phrase as a fixed, numbered list of recipes, in the order the pool lists them.

No two recipes give the same text, so a recipe drawn uniformly is a phrase drawn uniformly (what
:func:`twinchat.composer.time.pool.sample` relies on).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from datetime import date, datetime
from functools import lru_cache
from itertools import accumulate

from twinchat.composer.time.conventions import PARTS
from twinchat.composer.time.recipes import At, Found
from twinchat.composer.time.windows import TimePhrase, TimeWindow
from twinchat.composer.time.words import (AFTER_DAYS, AFTER_MINUTES, ALL_DAYS, DEADLINE_PARTS, N_CLOCKS, NEAR_PARTS,
                                          PERIODS, SHORT_DAYS, WEEKENDS, WITHIN_DAYS, WITHIN_MINUTES)

__all__ = ["KINDS", "LAYOUTS", "Layout", "forget_tables", "hour_starts"]

#: the recipes that read the time of day (now + Δ), not only the date: never kept in a date's table
_LIVE = frozenset({At.within_minutes, At.relative_minutes})
_UNSET, _AT_CLOCK = object(), object()
"""Entries of a date's table: not built yet; built at each clock (a recipe of :data:`_LIVE`)."""

KINDS: tuple[str, ...] = ("day", "part_of_day", "clock", "deadline", "weekend", "relative")
"""Every kind of phrase the pool emits, in the order the pool lists them."""


class Layout:
    """A kind's phrases as numbered recipes, section after section, in the order the pool lists them."""

    def __init__(self, kind: str, *sections: tuple[int, Callable[[At, int], Found]], named: bool = False,
                 kept: bool = True) -> None:
        """``named``: the phrases name a time to keep (an appointment), so one already begun is not offered.
        ``kept``: a date's phrases are kept in its table once built; a kind with so many recipes a date
        that one is seldom drawn twice builds each at every draw instead."""
        self.kind, self.sections, self.named, self.kept = kind, sections, named, kept
        *self.starts, self.size = accumulate((count for count, _ in sections), initial=0)
        self.width = self.size.bit_length()  # the bits a draw of a recipe number takes

    def _gone(self, at: At, found: Found) -> bool:
        """Whether a recipe's phrase is not offered at the clock: it does not exist, it is wholly past,
        or it names a time that has begun."""
        return found is None or found[1][1] < at.now or (self.named and found[1][0] < at.now)

    def _phrase(self, at: At, found: Found) -> TimePhrase | None:
        if found is None or self._gone(at, found):
            return None
        text, (start, end) = found
        return TimePhrase(text, TimeWindow(max(start, at.now), end), self.kind)

    def raw(self, at: At, index: int) -> tuple[str, datetime, datetime] | None:
        """Phrase ``index`` at the clock as (text, start, end), or None when it does not exist or
        is wholly past (what :meth:`phrase` gives, before it is made a TimePhrase)."""
        return self.at_clock(at.now, at.today, index, at)

    def at_clock(self, now: datetime, today: date, index: int,
                 at: At | None = None) -> tuple[str, datetime, datetime] | None:
        """:meth:`raw` at the clock ``now`` (whose date is ``today``); ``at`` is made only if needed.

        A recipe that reads only the date is built once per date and kept in the date's table (its
        windows from the clock start at :data:`~twinchat.composer.time.recipes.FROM_NOW` there); only
        the clock is compared here (a layout not :attr:`kept` builds it at every call)."""
        if self.kept:
            table = _table(self, today)
            entry = table[index]
            if entry is _UNSET:
                entry = table[index] = _kept(self._on_date(today, index))
        else:
            entry = self._on_date(today, index)
        if entry is _AT_CLOCK:
            return self._built(At(now) if at is None else at, index)
        if entry is None:
            return None
        text, start, end = entry
        if end < now or (self.named and start < now):
            return None
        return text, max(start, now), end

    def table(self, today: date) -> list[object] | None:
        """The date's table of a :attr:`kept` layout (see :meth:`at_clock`: an entry is a phrase's
        (text, start, end) from the date alone, None, or a marker of one not made yet or made at
        each clock — :meth:`at_clock` gives those), else None."""
        return _table(self, today) if self.kept else None

    def _on_date(self, today: date, index: int) -> object:
        """Table entry ``index`` of the date: (text, start, end), None when the phrase does not exist
        on the date, or :data:`_AT_CLOCK` for a recipe that reads the time of day."""
        section = bisect_right(self.starts, index) - 1
        recipe = self.sections[section][1]
        if recipe in _LIVE:
            return _AT_CLOCK
        found = recipe(_on_date(today), index - self.starts[section])
        return None if found is None else (found[0], *found[1])

    def _built(self, at: At, index: int) -> tuple[str, datetime, datetime] | None:
        """Phrase ``index`` built at the clock itself (what :meth:`raw` gives)."""
        section = bisect_right(self.starts, index) - 1
        found = self.sections[section][1](at, index - self.starts[section])
        if found is None or self._gone(at, found):
            return None
        text, (start, end) = found
        return text, max(start, at.now), end

    def phrase(self, at: At, index: int) -> TimePhrase | None:
        """Phrase ``index`` at the clock, or None when it does not exist or is wholly past."""
        found = self.raw(at, index)
        return None if found is None else TimePhrase(found[0], TimeWindow(found[1], found[2]), self.kind)

    def every(self, at: At) -> Iterator[TimePhrase]:
        for count, recipe in self.sections:
            for j in range(count):
                found = self._phrase(at, recipe(at, j))
                if found is not None:
                    yield found


LAYOUTS: dict[str, Layout] = {layout.kind: layout for layout in (
    Layout("day", (len(ALL_DAYS), At.day)),
    Layout("part_of_day", (len(NEAR_PARTS), At.near_part), (len(SHORT_DAYS) * len(PARTS), At.dated_part)),
    Layout("clock", (N_CLOCKS, At.clock), named=True),
    # 521 recipes a date: in 100,000 sessions of the built-in mix, 2,293 draws asked for 2,130 of the
    # dates' phrases, so its tables held phrases seldom drawn again (about 0.5 MB by then)
    Layout("deadline", (len(ALL_DAYS), At.day_deadline), (len(SHORT_DAYS), At.short_day_deadline),
           (len(DEADLINE_PARTS), At.part_deadline), (N_CLOCKS, At.clock_deadline),
           (2 * len(PERIODS), At.period_deadline), (len(WEEKENDS), At.weekend_deadline),
           (len(WITHIN_DAYS), At.within_days), (len(WITHIN_MINUTES), At.within_minutes), kept=False),
    Layout("weekend", (len(WEEKENDS), At.weekend)),
    Layout("relative", (len(AFTER_MINUTES), At.relative_minutes), (len(AFTER_DAYS), At.relative_days)),
)}
"""Kind → its layout, in :data:`KINDS` order."""


#: texts, moments and entries the dates' tables hold, one copy of each: a phrase says the same text on
#: many dates, and often the same window (周五下午 on Monday and on Tuesday). Replaying the draws of
#: 100,000 sessions of the built-in mix, the tables held 4,466 of them and took 0.6 MB, not 1.7 MB
#: (0.4 MB, not 0.7 MB, after 10,000). At most this many, then the copies start over.
_KEEP_SHARED = 8192
_shared: dict[object, object] = {}


def _kept(entry: object) -> object:
    """A date's table entry as the table keeps it: its text and moments the copies held already."""
    if type(entry) is not tuple:
        return entry
    return _one(tuple(map(_one, entry)))


def _one(value: object) -> object:
    """The copy of ``value`` the tables hold (``value`` itself the first time)."""
    found = _shared.get(value)
    if found is None:
        if len(_shared) >= _KEEP_SHARED:
            _shared.clear()
        found = _shared[value] = value
    return found


def forget_tables() -> None:
    """Drop every date's table and the copies they hold (a run of sessions does, every so many
    sessions: see :meth:`~twinchat.composer.engine.compose.SessionComposer.forget`)."""
    _shared.clear()
    _table.cache_clear()
    _on_date.cache_clear()
    hour_starts.cache_clear()


@lru_cache(maxsize=6 * 64)
def _table(layout: Layout, today: date) -> list[object]:
    """A layout's recipes on one date, built as they are drawn (at most 64 dates per kind are kept)."""
    return [_UNSET] * layout.size


_on_date = lru_cache(maxsize=64)(At.on_date)
"""A date's recipes (one per date, so what they share, such as its day words, is built once)."""


@lru_cache(maxsize=64)
def hour_starts(layout: Layout, today: date, hours: frozenset[int]) -> tuple[list[object], list[bool], list[object]]:
    """What a draw of a date's phrases that fit whole ``hours`` learns of each of the date's table
    entries, as they are built: (starts, fits, entries). For an entry built as a phrase whose window
    runs forward, ``starts[i]`` is its start, ``fits[i]`` whether that start is on one of the hours,
    and ``entries[i]`` the entry; every other entry (not built yet, no phrase on the date, a recipe
    read at the clock) has ``starts[i]`` None. Entries are a function of date and number alone, so
    what is learnt holds as long as the layout (see :func:`learn_start`)."""
    return [None] * layout.size, [False] * layout.size, [None] * layout.size


def learn_start(layout: Layout, today: date, index: int, learnt: tuple[list[object], list[bool], list[object]],
                hours: frozenset[int]) -> None:
    """Record in ``learnt`` (see :func:`hour_starts`) table entry ``index`` of the date, if it is
    built and a phrase whose window runs forward."""
    entry = _table(layout, today)[index]
    if type(entry) is tuple and entry[1] <= entry[2]:
        start = entry[1]
        learnt[0][index], learnt[1][index], learnt[2][index] = start, start.hour in hours and start.minute == 0, entry
