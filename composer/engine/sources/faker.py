"""The ``faker`` source: a Faker provider's value (zh_CN), or twinchat's own ``cn_mobile`` and ``cn_person``."""

from __future__ import annotations

import bisect
import itertools
import math
import random
import re
from collections.abc import Collection
from datetime import date, datetime
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

if TYPE_CHECKING:
    from twinchat.units.spec import FakerSlot
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


#: the largest number (and longest text) a provider's argument may be: a value of the text, not a file
MAX_ARG = 10_000
#: what a provider may give: a value written into text the same way on every run
_VALUE_TYPES = (str, int, float, date)
#: the ``{{ provider }}`` tokens of Faker's format strings (``pystr_format``): each names a provider
_TOKEN = re.compile(r"\{\{\s*(\w+)")


@lru_cache(maxsize=1)
def _provider_names() -> frozenset[str]:
    """The public data methods of Faker's zh_CN providers (not the proxy's own: ``seed_instance``,
    ``__class__`` …)."""
    return frozenset(m for p in _faker().factories[0].providers for m in dir(p)
                     if not m.startswith("_") and callable(getattr(p, m)))


def _arg_problem(value: Any, where: str) -> str | None:
    """Why argument ``value`` is refused (None when it is fine): numbers and texts past MAX_ARG,
    format tokens naming no provider, values that are not plain data."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        ok = math.isfinite(value) and abs(value) <= MAX_ARG
        return None if ok else f"argument {where} = {value!r} is past the limit (at most {MAX_ARG:,})"
    if isinstance(value, str):
        if len(value) > MAX_ARG:
            return f"argument {where} is longer than {MAX_ARG:,} characters"
        bad = [t for t in _TOKEN.findall(value) if t not in _provider_names()]
        return f"argument {where} names {bad[0]!r}, which is not a Faker provider" if bad else None
    if isinstance(value, (list, dict)) and len(value) <= MAX_ARG:
        items = value.items() if isinstance(value, dict) else enumerate(value)
        return next((p for k, v in items if (p := _arg_problem(v, f"{where}[{k!r}]")) is not None), None)
    return f"argument {where} must be a number, text, list or mapping of those (at most {MAX_ARG:,} items)"


def _trial(slot: FakerSlot) -> str | None:
    """Why the provider cannot serve as a slot (None when it can): one seeded call must give a
    str, number or date (not bytes, a list or an object whose text holds a memory address)."""
    faker = _faker()
    faker.seed_instance(0)
    try:
        value = getattr(faker, slot.provider)(**slot.args)
    except Exception as exc:  # noqa: BLE001 - any failure of the provider is the unit's problem to report
        return f"Faker provider {slot.provider!r} fails with args {slot.args}: {type(exc).__name__}: {exc}"
    if not isinstance(value, _VALUE_TYPES):
        return (f"Faker provider {slot.provider!r} gives a {type(value).__name__}, not a text, number or date; "
                "use a provider that gives one value")
    if len(str(value)) > MAX_ARG:
        return f"Faker provider {slot.provider!r} gives a text longer than {MAX_ARG:,} characters"
    return None


def _checks(slot: FakerSlot, name: str, slot_names: Collection[str]) -> list[str]:
    if slot.provider in OWN_PROVIDERS:
        return []
    if slot.provider not in _provider_names():
        fix = did_you_mean(slot.provider, [*OWN_PROVIDERS, *_provider_names()])
        return [f"unknown Faker provider {slot.provider!r}{fix} (providers are Faker's public data methods)"]
    problems = [p for k, v in slot.args.items() if (p := _arg_problem(v, repr(k))) is not None]
    if problems:
        return problems
    trial = _trial(slot)
    return [trial] if trial else []


FAKER = SlotSource(name="faker", config="twinchat.units.spec:FakerSlot", drawer=_drawer, checks=_checks,
                   forms=lambda slot: OWN_PROVIDERS.get(slot.provider, ()))
