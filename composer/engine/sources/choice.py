"""The ``choice`` source: one of a list of values, optionally weighted."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twinchat.composer.engine.sources.base import SlotSource

if TYPE_CHECKING:
    from twinchat.units.spec import ChoiceSlot

__all__ = ["CHOICE", "picker"]


def picker(items: Sequence[Any], weights: Sequence[float] | None) -> Any:
    """``fn(rng)`` drawing one of ``items`` (weighted: bisect over cumulative weights, made once);
    it takes a drawer's arguments too (``fn(rng, values, now, context)``), so it can be one."""
    if not weights:
        count = len(items)

        def pick(rng: random.Random, values: Any = None, now: Any = None, context: Any = None) -> Any:
            return items[int(rng.random() * count)]
        return pick
    cum = list(itertools.accumulate(weights))
    total = cum[-1]

    def pick_weighted(rng: random.Random, values: Any = None, now: Any = None, context: Any = None) -> Any:
        return items[bisect.bisect(cum, rng.random() * total)]
    return pick_weighted


def _drawer(slot: ChoiceSlot, name: str, sampler: Any) -> Any:
    return picker(slot.values, slot.weights)


def _pool(slot: ChoiceSlot, sampler: Any, rng: random.Random, values: dict[str, Any], now: datetime) -> list[Any]:
    return list(slot.values)


CHOICE = SlotSource(name="choice", config="twinchat.units.spec:ChoiceSlot", drawer=_drawer, pool=_pool)
