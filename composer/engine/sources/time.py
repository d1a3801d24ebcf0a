"""The ``time`` source: a phrase from the time-phrase pool, resolved against the session clock.

Customers say today as 今天 (今晚, 今天下午), never by its date or weekday ("11月22号" on the 22nd,
"周日" on a Sunday): a phrase naming today so is drawn again (up to :data:`TODAY_REDRAWS` times).
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.slot_values import Record
from twinchat.composer.engine.sources.base import SlotSource, form_picker

if TYPE_CHECKING:
    from twinchat.units.spec import TimeSlot

__all__ = ["TIME", "time_phrase", "names_today_otherwise", "TODAY_REDRAWS"]


# The time grammar and its phrase pool load on the first draw of a time slot, not when the slot-source
# registry loads this entry: a run whose units draw no time never imports them. Each name below
# rebinds itself to the pool's function on its first call.
def phrases(*args: Any, **kwargs: Any) -> Any:
    global phrases
    from twinchat.composer.time.pool import phrases
    return phrases(*args, **kwargs)


def draw_within(*args: Any, **kwargs: Any) -> Any:
    global draw_within
    from twinchat.composer.time.pool import draw_within
    return draw_within(*args, **kwargs)


def draw_phrase(*args: Any, **kwargs: Any) -> Any:
    global draw_phrase
    from twinchat.composer.time.pool import draw as draw_phrase
    return draw_phrase(*args, **kwargs)


#: how many times a phrase that names today by its date or weekday is drawn again
TODAY_REDRAWS = 20
_DATE_OR_WEEKDAY = re.compile(r"[0-9〇零一二三四五六七八九十]+[号日]|(?<!下)(?<!下个)(?:周|星期|礼拜)[一二三四五六日天]")


def names_today_otherwise(text: str, start: datetime, end: datetime, now: datetime) -> bool:
    """Whether a phrase whose window starts or ends today names the day by a date or weekday."""
    today = now.date()
    return (start.date() == today or end.date() == today) and _DATE_OR_WEEKDAY.search(text) is not None


def time_phrase(name: str, slot: TimeSlot, rng: random.Random, now: datetime) -> Record:
    """A phrase of the slot's kinds (see :func:`_phrase_drawer`), drawn again while it names today
    by its date or weekday (at most :data:`TODAY_REDRAWS` times)."""
    return _phrase_drawer(name, slot)(rng, now)


def _phrase_drawer(name: str, slot: TimeSlot) -> Any:
    """``draw(rng, now)``: the slot's :func:`time_phrase`, what it reads of the slot read once."""
    one = _one_drawer(name, slot)

    def draw(rng: random.Random, now: datetime) -> Record:
        text, start, end, kind = one(rng, now)
        today = now.date()
        for _ in range(TODAY_REDRAWS):  # names_today_otherwise, inline
            if (start.date() != today and end.date() != today) or _DATE_OR_WEEKDAY.search(text) is None:
                break
            text, start, end, kind = one(rng, now)
        return Record("time", {"start": start, "end": end, "kind": kind}, text)
    return draw


def _one_drawer(name: str, slot: TimeSlot) -> Any:
    """``draw(rng, now)``: (text, start, end, kind) of a phrase of the slot's kinds; with ``hours``
    or ``within_days``, the first of up to 200 draws that meets them (rejection is far cheaper than
    listing the whole pool), else one of the pool's phrases that meet them."""
    kinds, within = slot.kinds, slot.within_days
    if slot.hours is None and within is None:
        return lambda rng, now: draw_phrase(now, rng, kinds)
    hours = None if slot.hours is None else frozenset(slot.hours)  # looked up at each phrase drawn

    def draw(rng: random.Random, now: datetime) -> tuple[str, datetime, datetime, str]:
        # (start - now).total_seconds() > within days, as a comparison of datetimes made once per draw
        latest = None if within is None else _days_after(now, within)
        found = draw_within(now, rng, kinds, hours, latest, 200)
        if found is None:
            draw_phrase(now, rng, kinds)  # the 201st draw, made and unused: the stream stays where it was

            def fits(start: datetime) -> bool:
                return (latest is None or start <= latest) and (hours is None or (start.hour in hours
                                                                                  and start.minute == 0))
            pool = [p for p in phrases(now, kinds) if fits(p.window.start)]
            if not pool:
                raise ComposerError(f"slot {name!r}: no time phrase fits hours/within_days at {now}")
            phrase = pool[int(rng.random() * len(pool))]
            found = phrase.text, phrase.window.start, phrase.window.end, phrase.kind
        return found
    return draw


def _days_after(now: datetime, days: int) -> datetime:
    """``now`` + ``days`` days, or the last datetime there is when that lies past it."""
    try:
        return now + timedelta(days=days)
    except OverflowError:
        return datetime.max


def _drawer(slot: TimeSlot, name: str, sampler: Any) -> Any:
    pick_form, drawn, phrase = form_picker(slot), bool(slot.forms), _phrase_drawer(name, slot)
    if not drawn:
        return lambda rng, values, now, context: phrase(rng, now)

    def time_(rng: random.Random, values: dict[str, Any], now: datetime, context: dict[str, Any]) -> Any:
        pick_form(rng)  # drawn and unused
        return phrase(rng, now)
    return time_


def _pool(slot: TimeSlot, sampler: Any, rng: random.Random, values: dict[str, Any], now: datetime) -> list[Any]:
    return [Record("time", {"start": p.window.start, "end": p.window.end, "kind": p.kind}, p.text)
            for p in phrases(now, slot.kinds)]


TIME = SlotSource(name="time", config="twinchat.units.spec:TimeSlot", drawer=_drawer, pool=_pool)
