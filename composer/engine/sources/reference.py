"""The ``reference`` source: how the customer refers to entities remembered earlier (第二款, 它, 金士顿那款)."""

from __future__ import annotations

import random
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.references import REFERENCE_FORMS
from twinchat.composer.engine.references import draw as draw_reference
from twinchat.composer.engine.references import item_id as reference_id
from twinchat.composer.engine.slot_values import Record
from twinchat.composer.engine.sources.base import SlotSource, form_picker

if TYPE_CHECKING:
    from twinchat.units.spec import ReferenceSlot

__all__ = ["REFERENCE"]


def _drawer(slot: ReferenceSlot, name: str, sampler: Any) -> Any:
    pick_form, key, prefer, measure, pronouns = form_picker(slot), slot.key, slot.prefer, slot.measure, slot.pronouns

    def reference(rng: random.Random, values: dict[str, Any], now: datetime, context: dict[str, Any]) -> Any:
        form = pick_form(rng)
        items = context.get(key)
        if not items:
            raise ComposerError(f"slot {name!r}: session context has no {key!r} to refer to")
        meant = context.get(prefer) if prefer else None
        if meant is not None:
            meant = reference_id(meant.data if isinstance(meant, Record) else meant)
        ids, text = draw_reference(items, form or REFERENCE_FORMS[int(rng.random() * 4)], rng, measure,
                                   pronouns, meant)
        meant = [i for i in items if reference_id(i) in ids]
        return Record("reference", {"ids": ids, "items": meant, "key": key}, text)
    return reference


REFERENCE = SlotSource(name="reference", config="twinchat.units.spec:ReferenceSlot", drawer=_drawer, forms=REFERENCE_FORMS)
