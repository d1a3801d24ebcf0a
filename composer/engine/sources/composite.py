"""The ``composite`` source: a value built from other slots with a template."""

from __future__ import annotations

import random
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2.sandbox import SandboxedEnvironment

from twinchat.composer.engine.render import make_env, variables_of
from twinchat.composer.engine.slot_values import Text
from twinchat.composer.engine.sources.base import SlotSource, form_picker

if TYPE_CHECKING:
    from twinchat.units.spec import CompositeSlot

__all__ = ["COMPOSITE"]


@lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    return make_env()


def _drawer(slot: CompositeSlot, name: str, sampler: Any) -> Any:
    pick_form, drawn = form_picker(slot), bool(slot.forms)
    render, template = sampler.templates.render, slot.template

    def composite(rng: random.Random, values: dict[str, Any], now: datetime, context: dict[str, Any]) -> Any:
        if drawn:
            pick_form(rng)  # drawn and unused (a composite has no forms)
        text = render(template, values)
        return Text(text, text)
    return composite


def _uses(slot: CompositeSlot) -> set[str]:
    return variables_of(_env(), slot.template)[0]


COMPOSITE = SlotSource(name="composite", config="twinchat.units.spec:CompositeSlot", drawer=_drawer, uses=_uses,
                       templates=lambda slot: {"template": slot.template})
