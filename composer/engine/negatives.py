"""Negatives on purpose in an exhaustive run (``--negative RATE``): the recipe's robustness cases.

A unit states its robustness cases as cases; a *negative case* is one the plain cases never
produce, of three kinds:

- **a required field left out**: a case that forces an outcome of its own (no tool call), with
  templates that leave the field ``missing`` and a reply that asks for it;
- **a wrong type**: a case named ``wrong_type_FIELD`` whose slot says FIELD with the wrong JSON
  type (是否加急: 不确定), which its templates' label sends as said; the tool answers with its error
  and the reply asks again. Its samples are verified with FIELD as said (a text found verbatim),
  since the label holds what the customer typed, not the type the schema wants;
- **a value the API rejects**: any other case that replaces slots and produces only outcomes the
  plain cases do not (``ticket_create_call``'s ``invalid_phone``: a mistyped mobile).

Units drafted from a tool's schema (:mod:`.schema_units`) hold all three; a unit file holds
those its writer declared. ``--negative 0.1`` adds, after the valid samples, one sample per ten
requests (at least one per negative case): request *k* again (its pooled values kept) with a negative case's slots drawn over it,
said in one of the case's instructions, the cases taken in turn. Verification checks them like
any sample, and the summary's outcome mix shows them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from twinchat.composer.engine.generate import Sample, UnitGenerator, drawn
from twinchat.composer.errors import ComposerError, LimitError
from twinchat.composer.verify.samples import Verifier

if TYPE_CHECKING:
    from twinchat.units.spec import Unit
    from twinchat.composer.engine.exhaustive import Plan

__all__ = ["negative_cases", "negative_count", "negative_samples", "sample_verifier", "WRONG_TYPE"]

#: the prefix of a case that says a field with the wrong JSON type (followed by the field's slot)
WRONG_TYPE = "wrong_type_"


def negative_cases(gen: UnitGenerator) -> list[Any]:
    """The unit's negative cases: they leave a field out (an outcome of their own), or replace
    slots and produce only outcomes no plain case does."""
    cases = gen.unit.cases
    outcomes = {o.id for o in gen.unit.outcomes}
    plain = set().union(*(set(c.produces or outcomes) for c in cases if not c.slots and c.outcome is None)) \
        if any(not c.slots and c.outcome is None for c in cases) else outcomes
    return [c for c in cases if c.outcome is not None and c.outcome not in plain
            or c.slots and c.outcome is None and c.produces and not set(c.produces) & plain]


def negative_count(gen: UnitGenerator, requests: int, rate: float) -> int:
    """How many negatives ``rate`` adds to ``requests``, at least one per negative case; a unit
    without negative cases refuses a rate."""
    if rate <= 0:
        return 0
    cases = negative_cases(gen)
    if not cases:
        raise ComposerError(f"unit {gen.unit.id!r}: --negative needs a negative case (a case that leaves a field "
                            f"out with an outcome of its own, or replaces slots and produces only outcomes the "
                            f"plain cases do not), and the unit has none")
    return max(len(cases), round(requests * rate))


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
        if case.outcome is not None:
            out = drawn(gen.sample, start + j, now=p.now, fixed=values, template_id=tid, call=_no_call)
            if isinstance(out, Sample):
                _unanswered(gen, out, case.outcome, p.now, rng)
        else:
            out = drawn(gen.sample, start + j, now=p.now, fixed=values, template_id=tid)
        if isinstance(out, Sample):
            out.case = case.id
        yield out


def _no_call(tool_call: dict[str, Any], now: Any) -> dict[str, Any]:
    """A call a case with an outcome of its own never makes (its sample drops it)."""
    return {"error": {"code": "not_called", "message": "", "field": None}}


def _unanswered(gen: UnitGenerator, out: Sample, outcome: str, now: Any, rng: random.Random) -> None:
    """``out`` as its case's forced outcome says: no call, no result, the outcome's reply."""
    out.tool_call = out.result = None
    out.outcome = outcome
    if gen.unit.replies:
        out.reply = gen._reply(outcome, {**out.slots, "label": out.label, "now": now, "outcome": outcome}, rng)


def sample_verifier(unit: Unit, rerun: Any) -> Callable[[dict[str, Any]], list[str]]:
    """The verifier of ``unit``'s samples: a :class:`Verifier`, and for the samples of its
    wrong-type cases, one that finds the field as said (a text) rather than of its schema type."""
    plain = Verifier(unit, rerun=rerun)
    wrong = {c.id: c.id[len(WRONG_TYPE):] for c in unit.cases if c.id.startswith(WRONG_TYPE)}
    if not wrong:
        return plain
    by_case = {}
    for case, slot in wrong.items():
        fields = {name: spec.model_copy(update={"type": "str", "grounded": "text"})
                  for name, spec in unit.label.items() if _reads(spec.value, slot)}
        by_case[case] = Verifier(unit.model_copy(update={"label": {**unit.label, **fields}}), rerun=rerun)

    def verify(sample: dict[str, Any]) -> list[str]:
        return by_case.get(sample.get("case"), plain)(sample)
    return verify


def _reads(expression: str, slot: str) -> bool:
    """Whether a label expression reads slot ``slot`` first (``slot``, ``slot.start``, ``[slot.value]``)."""
    head = expression.lstrip("[ ").split(".")[0].split("[")[0].split("|")[0].strip()
    return head == slot
