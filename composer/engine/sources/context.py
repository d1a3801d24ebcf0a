"""The ``context`` source: a value carried over from the session (an earlier turn's entity, the customer)."""

from __future__ import annotations

import random
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.sources.base import SlotSource, form_picker
from twinchat.units.loader import did_you_mean

if TYPE_CHECKING:
    from twinchat.units.spec import ContextSlot

__all__ = ["CONTEXT"]


def _drawer(slot: ContextSlot, name: str, sampler: Any) -> Any:
    pick_form, drawn, key, fallback = form_picker(slot), bool(slot.forms), slot.key, slot.fallback

    def context_(rng: random.Random, values: dict[str, Any], now: datetime, context: dict[str, Any]) -> Any:
        if drawn:
            pick_form(rng)  # drawn and unused
        if key in context:
            return context[key]
        if fallback is not None:
            return values[fallback]
        raise ComposerError(f"slot {name!r}: session context has no {key!r}")
    return context_


def _checks(slot: ContextSlot, name: str, slot_names: Collection[str]) -> list[str]:
    if slot.fallback and slot.fallback not in slot_names:
        return [f"fallback {slot.fallback!r} is not a slot{did_you_mean(slot.fallback, slot_names)}"]
    return []


CONTEXT = SlotSource(name="context", config="twinchat.units.spec:ContextSlot", drawer=_drawer, checks=_checks,
                     uses=lambda slot: [slot.fallback] if slot.fallback else [])
