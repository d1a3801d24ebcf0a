"""The phrase layouts' tables of a date: what they keep, and that what they give is what is built at the clock.

(Not in a ``test_time*`` file: those files' string literals are part of the corpus the time-phrase
finder is tested on.)
"""

from __future__ import annotations

from datetime import date, datetime, time

from twinchat.composer.time import layouts
from twinchat.composer.time.recipes import At


def test_dates_tables_hold_one_copy_of_what_they_repeat_and_start_over_at_their_bound(monkeypatch):
    """The texts, moments and entries the dates' tables keep are held once (a phrase says the same
    text, and often the same window, on many dates), at most _KEEP_SHARED of them: past the bound
    the copies start over, and every phrase is still the one built at the clock."""
    monkeypatch.setattr(layouts, "_KEEP_SHARED", 64)
    monkeypatch.setattr(layouts, "_shared", {})
    layouts._table.cache_clear()
    try:
        sizes = []
        for day in (date(2026, 11, 16), date(2026, 11, 17)):
            at = At(datetime.combine(day, time(7, 30)))
            for layout in layouts.LAYOUTS.values():
                for index in range(layout.size):
                    assert layout.raw(at, index) == layout._built(at, index), (layout.kind, index, at.now)
                    sizes.append(len(layouts._shared))
        assert max(sizes) == 64 and sizes.count(0) < len(sizes) // 2  # filled up to the bound, more than once
        monkeypatch.setattr(layouts, "_KEEP_SHARED", 1 << 20)
        layouts._table.cache_clear()
        near = layouts.LAYOUTS["part_of_day"]
        kept = []
        for day in (date(2026, 11, 16), date(2026, 11, 17)):
            at = At(datetime.combine(day, time(7, 30)))
            for index in range(near.size):
                near.raw(at, index)
            kept.append([entry for entry in layouts._table(near, day) if type(entry) is tuple])
        monday = {entry: entry for entry in kept[0]}
        texts = {entry[0]: entry[0] for entry in kept[0]}
        same = [entry for entry in kept[1] if entry in monday]  # the same phrase and window (周五下午)
        same_text = [entry for entry in kept[1] if entry[0] in texts]  # the same text (明天上午)
        assert same and len(same_text) > len(same)
        assert all(monday[entry] is entry for entry in same) and all(texts[e[0]] is e[0] for e in same_text)
    finally:
        layouts._table.cache_clear()


def test_deadline_phrases_are_built_at_each_draw_not_kept():
    """Deadlines have 521 recipes a date and are seldom drawn twice: no date's table is made for them."""
    deadline = layouts.LAYOUTS["deadline"]
    assert not deadline.kept and all(layout.kept for kind, layout in layouts.LAYOUTS.items() if kind != "deadline")
    layouts._table.cache_clear()
    at = At(datetime(2026, 11, 18, 9, 15))
    for index in range(deadline.size):
        assert deadline.raw(at, index) == deadline._built(at, index)
    assert layouts._table.cache_info().currsize == 0
