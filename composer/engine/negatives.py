"""Negatives on purpose in an exhaustive run (``--negative RATE``): requests the API rejects.

A unit states its robustness cases as cases: a case that replaces slots and is drawn only for
outcomes no plain case reaches (``ticket_create_call``'s ``invalid_phone``: a mistyped mobile,
drawn for the ``invalid_phone`` outcome) is a *negative case*. ``--negative 0.1`` adds, after
the valid samples, one sample per ten requests: request *k* again (its pooled values kept) with a
negative case's slots drawn over it, said in one of the case's instructions. The world answers
with its tool error and the unit's reply for that outcome recovers from it (asks for the number
again); verification checks them like any sample, and the summary's outcome mix shows them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from twinchat.composer.engine.generate import Sample, UnitGenerator, drawn
from twinchat.composer.errors import ComposerError, LimitError

if TYPE_CHECKING:
    from twinchat.composer.engine.exhaustive import Plan

__all__ = ["negative_cases", "negative_count", "negative_samples"]


def negative_cases(gen: UnitGenerator) -> list[Any]:
    """The unit's negative cases: they replace slots and produce only outcomes no plain case does."""
    cases = gen.unit.cases
    outcomes = {o.id for o in gen.unit.outcomes}
    plain = set().union(*(set(c.produces or outcomes) for c in cases if not c.slots and c.outcome is None)) \
        if any(not c.slots and c.outcome is None for c in cases) else outcomes
    return [c for c in cases if c.slots and c.outcome is None and c.produces and not set(c.produces) & plain]


def negative_count(gen: UnitGenerator, requests: int, rate: float) -> int:
    """How many negatives ``rate`` adds to ``requests``; a unit without negative cases refuses a rate."""
    if rate <= 0:
        return 0
    if not negative_cases(gen):
        raise ComposerError(f"unit {gen.unit.id!r}: --negative needs a negative case (a case that replaces "
                            f"slots and produces only outcomes the plain cases do not), and the unit has none")
    return max(1, round(requests * rate))


def negative_samples(gen: UnitGenerator, p: Plan, start: int, request: Any) -> Iterator[Sample | LimitError]:
    """The plan's negatives, numbered from ``start``: request ``k`` with negative case ``j % n``'s slots."""
    cases = negative_cases(gen)
    all_ids = [t.id for t in gen.unit.templates]
    for j in range(p.negatives):
        k = j * p.requests // p.negatives
        case = cases[j % len(cases)]
        rng = random.Random(f"twinchat/{gen.seed}/{gen.unit.id}/negative/{j}")
        values = dict(request(k))
        for name, drawer in gen._drawers[case.id]:
            if name in case.slots:
                values[name] = drawer(rng, values, p.now, {})
        allowed = case.templates or all_ids
        tid = allowed[int(rng.random() * len(allowed))]
        out = drawn(gen.sample, start + j, now=p.now, fixed=values, template_id=tid)
        if isinstance(out, Sample):
            out.case = case.id
        yield out
