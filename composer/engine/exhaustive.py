"""Exhaustive mode of single-unit twins: every template × every value of the unit's finite slots.

``twinchat generate UNIT --exhaustive`` walks the cartesian product of the templates and the
pools of the slots (a choice slot's values, every phrase of a time slot at one clock, every
product or device an inventory slot can name); open sources (Faker, composites) give one drawn
value each. The samples are drawn with pinned values (see :class:`UnitGenerator.sample`); this
module builds on :mod:`.generate`, never the other way round.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from twinchat.composer.engine.generate import Sample, UnitGenerator, session_clock
from twinchat.composer.engine.slot_values import Record
from twinchat.composer.errors import ComposerError
from twinchat.units.spec import ChoiceSlot, InventorySlot, TimeSlot

__all__ = ["pools", "exhaustive"]


def pools(gen: UnitGenerator, now: datetime, rng: random.Random, values: dict[str, Any], name: str) -> list[Any]:
    """Every value slot ``name`` can take (finite sources), or one drawn value (open sources)."""
    slot = gen.unit.slots[name]
    if isinstance(slot, ChoiceSlot):
        return list(slot.values)
    if isinstance(slot, TimeSlot):
        from twinchat.composer.time.pool import phrases

        return [Record("time", {"start": p.window.start, "end": p.window.end, "kind": p.kind}, p.text)
                for p in phrases(now, slot.kinds)]
    if isinstance(slot, InventorySlot) and slot.kind in ("product", "device", "compatible_part"):
        return [gen.sampler.record(slot, row, rng) for row in _inventory_pool(gen, slot, values)]
    return [gen.sampler.draw(name, slot, rng, values, now, {})]


def _inventory_pool(gen: UnitGenerator, slot: InventorySlot, values: dict[str, Any]) -> list[Any]:
    w = gen.world
    if slot.kind == "product":
        pool = w.products.get(slot.category or "", [])
    elif slot.kind == "device":
        pool = w.devices[slot.category or "laptop"]
    else:
        pool = w.compatible.get((values[slot.device or ""].id, slot.category or ""), [])
    if slot.in_stock is not None:
        pool = [p for p in pool if (p["stock"] > 0) == slot.in_stock]
    return pool


def exhaustive(gen: UnitGenerator, cap: int) -> tuple[int, Iterator[Sample]]:
    """(count, samples) of the cartesian product of templates × slot pools; refuses past ``cap``."""
    unit = gen.unit
    clock_rng = random.Random(f"twinchat/{gen.seed}/{unit.id}/clock")
    now = session_clock(clock_rng)
    combos: list[dict[str, Any]] = []

    def walk(i: int, values: dict[str, Any]) -> None:
        if len(combos) * len(unit.templates) > cap:
            return
        if i == len(gen.order):
            combos.append(dict(values))
            return
        name = gen.order[i]
        for v in pools(gen, now, clock_rng, values, name):
            values[name] = v
            walk(i + 1, values)
        values.pop(name, None)

    walk(0, {})
    count = len(combos) * len(unit.templates)
    if count > cap:
        raise ComposerError(f"unit {unit.id!r}: --exhaustive gives more than {cap:,} samples; "
                            f"raise --cap or draw random samples with -n")

    def run() -> Iterator[Sample]:
        for index, (template, combo) in enumerate(itertools.product(unit.templates, combos)):
            yield gen.sample(index, now=now, fixed=combo, template_id=template.id)

    return count, run()
