"""Exhaustive mode of single-unit twins: every template variant × every value of the unit's finite slots.

``twinchat generate UNIT --exhaustive`` walks the cartesian product of the template variants
(each combination of a template's inline alternatives is one variant) and the pools of the slots (a choice slot's values, every phrase of a time slot at one clock, every
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

from twinchat.composer.engine.generate import Sample, UnitGenerator, drawn, session_clock
from twinchat.composer.engine.sources import slot_source
from twinchat.composer.errors import ComposerError, LimitError

__all__ = ["pools", "exhaustive"]


def pools(gen: UnitGenerator, now: datetime, rng: random.Random, values: dict[str, Any], name: str) -> list[Any]:
    """Every value slot ``name`` can take (finite sources), or one drawn value (open sources)."""
    slot = gen.unit.slots[name]
    source = slot_source(slot)
    every = source.pool(slot, gen.sampler, rng, values, now) if source.pool is not None else None
    return every if every is not None else [gen.sampler.draw(name, slot, rng, values, now, {})]


def exhaustive(gen: UnitGenerator, cap: int) -> tuple[int, Iterator[Sample | LimitError]]:
    """(count, samples) of the cartesian product of template variants × slot pools; refuses past ``cap``.
    A sample whose template goes past a limit is its LimitError (see :func:`.generate.drawn`)."""
    unit = gen.unit
    variants = [(t.id, gen.templates.alternatives(t.text)) for t in unit.templates]
    per_template = sum(alts.variants for _, alts in variants)  # a template without alternatives: 1
    clock_rng = random.Random(f"twinchat/{gen.seed}/{unit.id}/clock")
    now = session_clock(clock_rng)
    combos: list[dict[str, Any]] = []

    def walk(i: int, values: dict[str, Any]) -> None:
        if len(combos) * per_template > cap:
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
    count = len(combos) * per_template
    if count > cap:
        raise ComposerError(f"unit {unit.id!r}: --exhaustive gives more than {cap:,} samples; "
                            f"raise --cap or draw random samples with -n")

    def texts() -> Iterator[tuple[str, tuple[int, ...] | None]]:
        for tid, alts in variants:
            if not alts.groups:
                yield tid, None
            else:
                yield from ((tid, choices) for choices in alts.combinations())

    def run() -> Iterator[Sample | LimitError]:
        for index, ((tid, choices), combo) in enumerate(itertools.product(texts(), combos)):
            yield drawn(gen.sample, index, now=now, fixed=combo, template_id=tid, choices=choices)

    return count, run()
