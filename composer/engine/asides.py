"""What a session says around its task: a greeting, thanks and a closing, and a second task.

A flow declares these (see :mod:`twinchat.units.flow`): ``greeting`` and ``closing`` name a unit
without a tool, played in a share of the sessions before the first step and after the last;
``then`` names flows the session may continue into, with the same customer and clock. The
customer's first sentence of a second task is said the way customers change the subject
(对了,还有个事,…), its own opening courtesy (您好, / 在吗?) dropped: the session is under way.

Each decision draws from the session's RNG only when the flow declares the feature, so a flow
without these declarations composes exactly as before.
"""

from __future__ import annotations

import random
import re
from bisect import bisect
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from twinchat.composer.engine.generate import Sample, UnitGenerator
from twinchat.composer.errors import NoOrder
from twinchat.units.flow import Aside, Flow, Then
from twinchat.units.loader import FlowSource, UnitSource, did_you_mean

__all__ = ["SWITCHES", "aside_problems", "orders_in", "owned_sample", "takes", "pick_then", "drop_opener", "switch_text", "step_name", "owner_of"]

#: How a customer turns to a second matter in the same chat (each ends with its own comma).
SWITCHES = ("对了,", "对了,还有个事,", "哦对了,", "另外,", "还有个事想问下,", "顺便问一下,", "还有一个问题,",
            "对了对了,", "另外还有个事,", "还有就是,")

#: A courtesy that opens a first message, out of place once the chat is under way.
_OPENER = re.compile(r"^(?:客服你好|客服您好|你好|您好|在吗|亲|麻烦问一下|请问)[,，?？!！、 ]*")


def takes(aside: Aside | None, rng: random.Random, last_outcome: str | None = None) -> bool:
    """Whether this session gets the greeting or closing ``aside`` (one draw when there is one)."""
    if aside is None or (last_outcome is not None and last_outcome in aside.unless):
        return False
    return rng.random() < aside.share


def pick_then(thens: Sequence[Then], outcome: str | None, rng: random.Random) -> Then | None:
    """The second task this session continues into, if any (one draw when the flow has ``then``)."""
    if not thens:
        return None
    r = rng.random()
    for then in thens:
        if then.after is not None and outcome not in then.after:
            continue
        if r < then.share:
            return then
        r -= then.share
    return None


def drop_opener(text: str) -> str:
    """``text`` without an opening courtesy (您好, / 在吗?) when the chat has already begun."""
    return _OPENER.sub("", text, count=1) or text


def switch_text(text: str, rng: random.Random) -> str:
    """The first sentence of a second task: a switch phrase, then the sentence without its opener."""
    return SWITCHES[int(rng.random() * len(SWITCHES))] + drop_opener(text)


def step_name(flow: Flow, first: Flow, step_id: str) -> str:
    """How a session records a step: by id in its own flow, ``flow:step`` in a second task's."""
    return step_id if flow is first else f"{flow.id}:{step_id}"


def orders_in(context: dict[str, object]) -> set[str]:
    """The order numbers a session has talked about (orders remembered, alone or in lists): a
    second task is about another of the customer's orders."""
    found: set[str] = set()
    for value in context.values():
        for item in value if isinstance(value, list) else (value,):
            data = getattr(item, "data", item)
            if isinstance(data, dict) and isinstance(data.get("order_no"), str):
                found.add(data["order_no"])
    return found


def owner_of(customer: object) -> str | None:
    """The world customer id of a session's customer (None for a customer made for the session)."""
    data = getattr(customer, "data", None)
    return data.get("id") if isinstance(data, dict) else None


def aside_problems(src: FlowSource, units: dict[str, UnitSource], flows: dict[str, FlowSource] | None) -> list[str]:
    """Problems of a flow's greeting, closing and second tasks (one line each): an unknown unit,
    a unit that calls a tool, an unknown flow, a second task whose customer this flow's cannot be."""
    flow, out = src.flow, []
    for field in ("greeting", "closing"):
        aside = getattr(flow, field)
        if aside is None:
            continue
        where = src.where([field, "unit"])
        unit_src = units.get(aside.unit)
        if unit_src is None:
            out.append(f"{where}: {field} plays unknown unit {aside.unit!r}{did_you_mean(aside.unit, units)}")
        elif unit_src.unit.tool is not None:
            out.append(f"{where}: {field} unit {aside.unit!r} calls a tool; a {field} is said, not looked up")
    for i, then in enumerate(flow.then if flows is not None else ()):
        assert flows is not None
        where = src.where(["then", i, "flow"])
        target = flows.get(then.flow)
        if target is None:
            out.append(f"{where}: `then` names unknown flow {then.flow!r}{did_you_mean(then.flow, flows)}")
        elif then.about is not None and target.flow.customer != "order":
            out.append(f"{src.where(['then', i, 'about'])}: `about` gives flow {then.flow!r} an order, but its "
                       f"customer is `{target.flow.customer}`, not `order`")
        elif then.about is None and target.flow.customer not in ("anywhere", flow.customer):
            out.append(f"{where}: flow {then.flow!r} needs a customer who is `{target.flow.customer}`; this flow's "
                       f"is `{flow.customer}` (a second task keeps the session's customer)")
    return out


def owned_sample(generator: UnitGenerator, rng: random.Random, now: datetime, context: dict[str, Any],
                 call: Callable[..., Any]) -> Sample:
    """The first turn of a second task about an order: drawn among the customer's own orders
    (``context['owner_id']``), its outcome falling as their orders make it (no outcome aimed at);
    a case none of their orders fits is drawn again. :class:`NoOrder` when none fits at all.

    Each draw's case and template are drawn here as the draw draws them; a draw whose first slot is
    an order none of the customer's fits (most draws, for a customer without such orders) is known to
    end after drawing the order's form alone, so only that form is drawn (:func:`owned_draws` is the
    reference)."""
    cases, cum, plans, drawers = generator.unit.cases, generator._case_cum, generator._plans, generator._drawers
    missing: dict[str | None, Any] = {}  # per plan: its order slot's form picker when that slot misses, else None
    for _ in range(generator.unit.max_redraws):
        case = cases[bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)] if cases else None
        plan = case.id if case else None
        allowed = plans[plan][1]
        template_id = allowed[int(rng.random() * len(allowed))]
        if plan not in missing:  # the same customer, clock and context at every draw: asked once per plan
            first = drawers[plan][0][1] if drawers[plan] else None
            misses = getattr(first, "misses", None)
            missing[plan] = first.pick_form if misses is not None and misses(now, context) else None
        pick_form = missing[plan]
        if pick_form is not None:
            pick_form(rng)
            continue
        out = generator._draw(0, rng, now, None, template_id, context, call, case=case)
        if out is not None:  # None: a case that cannot be drawn
            return out
    raise NoOrder(f"unit {generator.unit.id!r}: no case fits the orders of customer {context['owner_id']}")


def owned_draws(generator: UnitGenerator, rng: random.Random, now: datetime, context: dict[str, Any],
                call: Callable[..., Any]) -> Sample:
    """:func:`owned_sample` drawing every draw whole (the reference its tests compare it with)."""
    for _ in range(generator.unit.max_redraws):
        out = generator._draw(0, rng, now, None, None, context, call)
        if out is not None:
            return out
    raise NoOrder(f"unit {generator.unit.id!r}: no case fits the orders of customer {context['owner_id']}")
