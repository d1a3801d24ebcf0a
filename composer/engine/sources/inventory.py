"""The ``inventory`` source: a row of the simulated world (product, device, part, address,
district, service city, fault, order), read from the :class:`~twinchat.composer.engine.slots.WorldCache`."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twinchat.composer.errors import ComposerError, NoOrder
from twinchat.composer.engine.slot_values import ORDER_FORMS, Record
from twinchat.composer.engine.sources.base import SlotSource, form_picker
from twinchat.units.loader import did_you_mean

if TYPE_CHECKING:
    from twinchat.units.spec import InventorySlot

__all__ = ["INVENTORY", "FORMS", "record"]

#: Surface forms each inventory kind offers (the first is the default).
FORMS: dict[str, tuple[str, ...]] = {
    "product": ("short_name", "model", "name"),
    "compatible_part": ("short_name", "model", "name"),
    "device": ("name", "model", "alias"),
    "address": ("full", "no_province", "spaced"),
    "service_address": ("full", "no_province", "spaced"),
    "district": ("name", "short", "city_district", "short_city_district"),
    "service_city": ("name", "short"),
    "fault": ("fault",),
    "order": ORDER_FORMS,
}


def record(slot: InventorySlot, row: dict[str, Any], rng: random.Random, form: str | None = None) -> Record:
    """The slot value of a product or device row, in ``form`` (drawn from the slot's forms if None)."""
    if form is None:
        form = form_picker(slot)(rng) or FORMS[slot.kind][0]
    if slot.kind == "device":
        text = rng.choice(row["aliases"]) if form == "alias" else str(row[form])
        return Record(slot.kind, {k: v for k, v in row.items() if k != "aliases"}, text)
    out = Record(slot.kind, {k: v for k, v in row.items() if k not in _NOT_DRAWN}, str(row[form]))
    # the category's measure word (这台咖啡机, 这款内存条): an attribute templates read, not a part of
    # what the slot drew (samples and sessions store the row as before)
    out.__dict__["measure_word"] = row["measure_word"]
    return out


#: a product row's keys that are not the slot's value: its specs, its category's measure word
_NOT_DRAWN = frozenset(("specs", "measure_word"))


def _drawer(slot: InventorySlot, name: str, sampler: Any) -> Any:
    world = sampler.world
    if slot.kind == "address":
        return _address_drawer(slot, world)
    if slot.kind in ("service_address", "fault"):
        return _service_drawer(slot, world)
    pick_form = form_picker(slot)
    if slot.kind == "order":
        def order(rng: random.Random, values: dict[str, Any], now: datetime, context: dict[str, Any]) -> Any:
            form = pick_form(rng)
            owner = context.get("owner_id")  # a second task: one of the session customer's own orders
            try:
                if "about_order" in context:  # a second task about the order the first task placed
                    return world.orders.placed(context["about_order"], context["customer"], rng, now,
                                               slot.statuses, form or "order_no")
                if owner is not None:
                    return world.orders.owned(owner, rng, now, slot.statuses, slot.within_days, form or "order_no",
                                              context.get("owner_done", ()))
                return world.orders.draw(rng, now, slot.statuses, slot.within_days, form or "order_no")
            except NoOrder:
                raise
            except ComposerError as exc:
                raise ComposerError(f"slot {name!r}: {exc}") from exc

        def misses(now: datetime, context: dict[str, Any]) -> bool:
            """Whether ``order`` raises NoOrder at ``now`` for a second task's customer after drawing
            its form alone (none of their orders fits), as ``pick_form`` draws it."""
            owner = context.get("owner_id")
            return owner is not None and "about_order" not in context and not world.orders.owned_pool(
                owner, now, slot.statuses, slot.within_days, context.get("owner_done", ()))
        order.misses, order.pick_form = misses, pick_form  # type: ignore[attr-defined]
        return order

    def row(rng: random.Random, values: dict[str, Any], now: datetime, context: dict[str, Any]) -> Any:
        return _draw_row(name, slot, world, rng, values, pick_form(rng) or FORMS[slot.kind][0])
    return row


def _address_drawer(slot: InventorySlot, world: Any) -> Any:
    """The hot path of address slots: the form drawn as form_picker draws it, inline."""
    drawn, forms = bool(slot.forms), slot.forms or ("",)  # no forms: no draw
    cum = list(itertools.accumulate(slot.form_weights or [1] * len(forms)))
    total = cum[-1]
    addresses, city = world.addresses(random.Random(0)).draw, slot.city  # each draw passes its rng

    def address_(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
        form = (forms[bisect.bisect(cum, rng.random() * total)] if drawn else None) or FORMS["address"][0]
        place, detail = addresses(city=city, rng=rng)
        return Record("address", place.parts(detail), place.text(detail, form))
    return address_


def _service_drawer(slot: InventorySlot, world: Any) -> Any:
    """The hot path of service-address and fault slots (a repair request's): what :func:`_draw_row`
    draws for them, without its dispatch on the kind; a fault is drawn as ``rng.choice`` draws it."""
    pick_form, default = form_picker(slot), FORMS[slot.kind][0]
    if slot.kind == "fault":
        category = slot.category or "charging_pile"

        def fault(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
            pick_form(rng)  # drawn and unused: a fault has one form
            rows = world.faults[category]
            count = len(rows)
            if not count:
                rng.choice(rows)  # IndexError, as _draw_row gives
            bits, width = rng.getrandbits, count.bit_length()
            i = bits(width)
            while i >= count:
                i = bits(width)
            row = rows[i]
            return Record("fault", dict(row), row["fault"])
        return fault

    def service_address(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
        form = pick_form(rng) or default
        cities = world.service_cities
        city = cities[int(rng.random() * len(cities))].adcode
        place, detail = world.addresses(rng).draw(city=city, rng=rng)
        return Record("service_address", place.parts(detail), place.text(detail, form))
    return service_address


def _draw_row(name: str, slot: InventorySlot, w: Any, rng: random.Random, values: dict[str, Any],
              form: str) -> Record:
    kind = slot.kind
    if kind in ("product", "compatible_part", "device"):
        pool = _rows(name, slot, w, values)
        if not pool:
            raise ComposerError(f"slot {name!r}: no {slot.category} {kind} to draw")
        return record(slot, rng.choice(pool), rng, form)
    if kind == "service_address":
        city = w.service_cities[int(rng.random() * len(w.service_cities))].adcode
        place, detail = w.addresses(rng).draw(city=city, rng=rng)
        return Record(kind, place.parts(detail), place.text(detail, form))
    if kind == "district":
        d = rng.choice(w.districts_in(slot.city))
        city = w.regions.get(d.parent)
        texts = {"name": d.name, "short": d.short_name, "city_district": city.name + d.name,
                 "short_city_district": city.short_name + d.short_name}
        return Record(kind, {"adcode": d.adcode, "name": d.name, "city": city.name,
                             "full": city.name + d.name}, texts[form])
    if kind == "service_city":
        c = rng.choice(w.service_cities)
        return Record(kind, {"adcode": c.adcode, "name": c.name}, c.name if form == "name" else c.short_name)
    if kind == "fault":
        row = rng.choice(w.faults[slot.category or "charging_pile"])
        return Record(kind, dict(row), row["fault"])
    raise ComposerError(f"slot {name!r}: unsupported inventory kind {kind!r}")  # pragma: no cover


def _rows(name: str, slot: InventorySlot, w: Any, values: dict[str, Any], fits: bool = True
          ) -> list[dict[str, Any]]:
    """The product, device or part rows the slot draws from, given the values drawn so far."""
    if slot.kind == "product":
        key: tuple[Any, ...] = (slot.category or "",)
        pool = w.products_in(slot.category or "")
    elif slot.kind == "device":
        pool = w.devices[slot.category or "laptop"]
        if fits and slot.fits is not None:
            category = _category(values[slot.fits])
            pool = w.devices_fitting(slot.category or "laptop", category, slot.fitting)
            if not pool:
                raise ComposerError(f"slot {name!r}: no {slot.category or 'laptop'} with"
                                    f"{'' if slot.fitting else 'out'} parts of {category!r} to draw")
    else:
        key = (values[slot.device or ""].id, slot.category or "")
        pool = w.compatible_with(*key)
    if slot.in_stock is not None and slot.kind != "device":
        pool = w.stocked(key, pool, slot.in_stock)
    elif slot.in_stock is not None:  # devices have no stock: the check fails as it always has
        pool = [p for p in pool if (p["stock"] > 0) == slot.in_stock]
    return pool


def _category(value: Any) -> str:
    """The product category a ``fits`` slot names: its value's ``id`` (a choice of dicts, a record) or the value."""
    if isinstance(value, dict):
        return str(value.get("id"))
    return str(getattr(value, "value", value))


def _pool(slot: InventorySlot, sampler: Any, rng: random.Random, values: dict[str, Any],
          now: datetime) -> list[Any] | None:
    """Every product, device or part the slot can name (``fits`` aside); None for the other kinds (open)."""
    if slot.kind not in ("product", "device", "compatible_part"):
        return None
    return [record(slot, row, rng) for row in _rows("", slot, sampler.world, values, fits=False)]


def _category_checks(slot: InventorySlot, name: str, categories: Collection[str]) -> list[str]:
    """A product, part or fault slot names a category of the world (categories are the catalog's data)."""
    if slot.kind in ("product", "compatible_part", "fault") and slot.category not in categories:
        fix = did_you_mean(str(slot.category), categories)
        return [f"unknown category {slot.category!r}{fix}; categories: {', '.join(sorted(categories))}"]
    return []


def _checks(slot: InventorySlot, name: str, slot_names: Collection[str]) -> list[str]:
    out = []
    if slot.kind == "device" and slot.category not in (None, "laptop", "phone"):
        out.append("device category must be laptop or phone")
    if slot.kind == "compatible_part" and not slot.device:
        out.append("a compatible_part needs `device:` naming a device slot")
    if slot.fits is not None and slot.fits not in slot_names:
        out.append(f"fits {slot.fits!r} is not a slot{did_you_mean(slot.fits, slot_names)}")
    return out


INVENTORY = SlotSource(name="inventory", config="twinchat.units.spec:InventorySlot", drawer=_drawer, checks=_checks,
                       world_checks=_category_checks,
                       forms=lambda slot: FORMS[slot.kind], uses=lambda slot: [n for n in (slot.device, slot.fits) if n],
                       pool=_pool)
