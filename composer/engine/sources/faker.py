"""The ``faker`` source: a Faker provider's value (zh_CN), or twinchat's own ``cn_mobile`` and ``cn_person``."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Collection
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any


from twinchat.composer.engine.slot_values import (
    PERSON_FORMS,
    PHONE_FORMS,
    Phone,
    Text,
    invalid_mobile_digits,
    make_person,
    mobile_digits,
    phone_form,
)
from twinchat.composer.engine.sources.base import SlotSource, form_picker
from twinchat.units.loader import did_you_mean
from twinchat.units.spec import FakerSlot

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["FAKER", "OWN_PROVIDERS"]

#: Providers twinchat adds to Faker's (drawn here, correct by construction), with their forms.
OWN_PROVIDERS = {"cn_mobile": PHONE_FORMS, "cn_person": PERSON_FORMS}


@lru_cache(maxsize=1)
def _faker() -> Faker:
    from faker import Faker  # imported when a unit names one of Faker's providers

    return Faker("zh_CN")


def _drawer(slot: FakerSlot, name: str, sampler: Any) -> Any:
    if slot.provider not in OWN_PROVIDERS:
        return _provider_drawer(slot, sampler.faker)
    # the hot path: the form is drawn as form_picker draws it, inline
    drawn, forms = bool(slot.forms), slot.forms or ("",)  # no forms: no draw
    cum = list(itertools.accumulate(slot.form_weights or [1] * len(forms)))
    total = cum[-1]
    if slot.provider == "cn_person":
        def person(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
            form = forms[bisect.bisect(cum, rng.random() * total)] if drawn else None
            return make_person(rng, form or "name")
        return person
    valid = slot.valid

    def mobile(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
        form = (forms[bisect.bisect(cum, rng.random() * total)] if drawn else None) or "plain"
        digits = mobile_digits(rng) if valid else invalid_mobile_digits(rng)
        text = phone_form(digits, form) if len(digits) == 11 else digits
        return Phone(digits, text, form, valid)
    return mobile


def _provider_drawer(slot: FakerSlot, faker: Faker) -> Any:
    """A Faker provider's drawer: Faker reseeded from ``rng`` before each call (generators share one Faker)."""
    pick_form, drawn, provider, args = form_picker(slot), bool(slot.forms), slot.provider, slot.args

    def provided(rng: random.Random, values: dict[str, Any], now: datetime, context: dict[str, Any]) -> Any:
        if drawn:
            pick_form(rng)  # drawn and unused
        faker.seed_instance(rng.getrandbits(32))
        value = getattr(faker, provider)(**args)
        return Text(value, str(value))
    return provided


def _checks(slot: FakerSlot, name: str, slot_names: Collection[str]) -> list[str]:
    if slot.provider in OWN_PROVIDERS or callable(getattr(_faker(), slot.provider, None)):
        return []
    fix = did_you_mean(slot.provider, [*OWN_PROVIDERS, *(m for m in dir(_faker()) if not m.startswith("_"))])
    return [f"unknown Faker provider {slot.provider!r}{fix}"]


FAKER = SlotSource(name="faker", config=FakerSlot, drawer=_drawer, checks=_checks,
                   forms=lambda slot: OWN_PROVIDERS.get(slot.provider, ()))
