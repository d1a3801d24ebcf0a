"""Drawing slot values: one function per slot source, over an explicit RNG.

:class:`WorldCache` reads the parts of the world that slots draw from (products, devices,
compatibility, regions, service cities, faults) once, so drawing costs no query.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from faker import Faker

from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.orderbook import ORDER_FORMS, OrderBook
from twinchat.composer.engine.references import REFERENCE_FORMS
from twinchat.composer.engine.references import item_id as reference_id
from twinchat.composer.engine.references import draw as draw_reference
from twinchat.composer.engine.render import TemplateCache
from twinchat.composer.time.pool import phrases, sample_where
from twinchat.composer.time.pool import sample as sample_phrase
from twinchat.composer.engine.slot_values import (
    PERSON_FORMS,
    PHONE_FORMS,
    Phone,
    Record,
    Text,
    Value,
    invalid_mobile_digits,
    make_person,
    mobile_digits,
    phone_form,
)
from twinchat.units.spec import (
    ChoiceSlot,
    CompositeSlot,
    ContextSlot,
    FakerSlot,
    InventorySlot,
    ReferenceSlot,
    TimeSlot,
)

__all__ = ["WorldCache", "SlotSampler", "OWN_PROVIDERS", "FORMS"]

#: Providers twinchat adds to Faker's (handled here, correct by construction).
OWN_PROVIDERS = {"cn_mobile": PHONE_FORMS, "cn_person": PERSON_FORMS}

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


class WorldCache:
    """The rows slots draw from, read once from an open world."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        from twinchat.inventory.addresses import AddressGenerator
        from twinchat.inventory.regions import load_regions

        self.conn = conn
        self.regions = load_regions()
        self._address_generator = AddressGenerator
        q = conn.execute
        stock = dict(q("SELECT product_id, sum(qty) FROM stock GROUP BY product_id").fetchall())
        self.products: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.product_by_id: dict[str, dict[str, Any]] = {}
        for pid, cat, brand, model, name, short, price_, specs in q(
            "SELECT id, category, brand, model, name, short_name, price, specs FROM products ORDER BY id"
        ):
            row = {"id": pid, "category": cat, "brand": brand, "model": model, "name": name,
                   "short_name": short, "price": price_, "specs": json.loads(specs), "stock": stock.get(pid, 0)}
            self.products[cat].append(row)
            self.product_by_id[pid] = row
        self.devices: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for did, kind, brand, series, model, name, aliases in q(
            "SELECT id, kind, brand, series, model, name, aliases FROM device_models ORDER BY id"
        ):
            # the "model" form says the series too: a bare 擎 or Pro 15 2023 is ambiguous to anyone
            said = f"{series} {model}" if series[-1].isascii() and model[0].isascii() else f"{series}{model}"
            self.devices[kind].append({"id": did, "kind": kind, "brand": brand, "model": said, "name": name,
                                       "aliases": json.loads(aliases)})
        self.compatible: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for part, device in q("SELECT part_id, device_model FROM compatibility ORDER BY device_model, part_id"):
            row = self.product_by_id[part]
            self.compatible[(device, row["category"])].append(row)
        self._fitting: dict[tuple[str, str, bool], list[dict[str, Any]]] = {}  # see devices_fitting
        self.districts = [r for r in self.regions.districts]
        self._districts_of: dict[str | None, list[Any]] = {None: self.districts}
        self.service_cities = [self.regions.get(c) for (c,) in q(
            "SELECT DISTINCT city FROM technicians ORDER BY city")]
        self.faults: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for fid, cat, cat_name, fault, needs in q(
            "SELECT k.id, k.category, c.name, k.fault, k.needs_onsite FROM kb_solutions k "
            "JOIN categories c ON c.id = k.category ORDER BY k.id"
        ):
            self.faults[cat].append({"id": fid, "category": cat, "category_name": cat_name, "fault": fault,
                                     "needs_onsite": bool(needs)})

    def devices_fitting(self, kind: str, category: str, fitting: bool = True) -> list[dict[str, Any]]:
        """The devices of ``kind`` that have (``fitting``) or have not a compatible part of ``category``."""
        key = (kind, category, fitting)
        pool = self._fitting.get(key)
        if pool is None:
            pool = self._fitting[key] = [d for d in self.devices[kind]
                                         if bool(self.compatible.get((d["id"], category))) == fitting]
        return pool

    def districts_in(self, city: str | None) -> list[Any]:
        """The districts of ``city`` (adcode), or every district for None; computed once per city."""
        pool = self._districts_of.get(city)
        if pool is None:
            pool = self._districts_of[city] = [d for d in self.districts if d.parent == city]
        return pool

    @property
    def orders(self) -> OrderBook:
        """The world's orders and customers, read on first use (only order slots need them)."""
        book = self.__dict__.get("_orders")
        if book is None:
            book = self._orders = OrderBook(self.conn)
        return book

    def address(self, rng: random.Random, city: str | None = None) -> Any:
        """A coherent address drawn with ``rng`` (one generator serves every draw)."""
        return self.addresses(rng).sample(city=city, rng=rng)

    def addresses(self, rng: random.Random) -> Any:
        """The address generator, made on first use (every draw passes its own ``rng``)."""
        gen = self.__dict__.get("_addresses")
        if gen is None:
            gen = self._addresses = self._address_generator(self.regions, rng)
        return gen


class SlotSampler:
    """Draws the value of one slot given the values drawn so far."""

    def __init__(self, world: WorldCache, templates: TemplateCache, faker: Faker) -> None:
        self.world = world
        self.templates = templates
        self.faker = faker
        self._cum: dict[int, tuple[list[float], list[float]]] = {}

    def _pick(self, rng: random.Random, items: list[Any], weights: list[float] | None) -> Any:
        """One of ``items`` (weighted), with cumulative weights computed once per list."""
        if not weights:
            return items[int(rng.random() * len(items))]
        key = id(weights)
        cum = self._cum.get(key)
        if cum is None:
            cum = self._cum[key] = (list(itertools.accumulate(weights)), weights)
        return items[bisect.bisect(cum[0], rng.random() * cum[0][-1])]

    def compile(self, name: str, slot: Any) -> Any:
        """A drawer ``fn(rng, values, now, context)`` for one slot, with its lookups done once.

        Choice slots, twinchat's own providers, addresses, time and context slots get a dedicated
        closure (the hot path of most units); other sources call :meth:`draw`. Both consume the
        RNG identically.
        """
        if isinstance(slot, ChoiceSlot):
            return _picker(slot.values, slot.weights)
        # the form is drawn as _pick draws it (uniform = bisect over equal weights), inline
        drawn, forms = bool(slot.forms), slot.forms or ("",)  # no forms: no draw
        cum = list(itertools.accumulate(slot.form_weights or [1] * len(forms)))
        total = cum[-1]
        if isinstance(slot, FakerSlot) and slot.provider == "cn_person":
            def person(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
                form = forms[bisect.bisect(cum, rng.random() * total)] if drawn else None
                return make_person(rng, form or "name")
            return person
        if isinstance(slot, FakerSlot) and slot.provider == "cn_mobile":
            valid = slot.valid

            def mobile(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
                form = (forms[bisect.bisect(cum, rng.random() * total)] if drawn else None) or "plain"
                digits = mobile_digits(rng) if valid else invalid_mobile_digits(rng)
                text = phone_form(digits, form) if len(digits) == 11 else digits
                return Phone(digits, text, form, valid)
            return mobile
        if isinstance(slot, InventorySlot) and slot.kind == "address":
            addresses, city = self.world.addresses(random.Random(0)).draw, slot.city  # each draw passes its rng

            def address_(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
                form = (forms[bisect.bisect(cum, rng.random() * total)] if drawn else None) or FORMS["address"][0]
                place, detail = addresses(city=city, rng=rng)
                return Record("address", place.parts(detail), place.text(detail, form))
            return address_
        if isinstance(slot, (TimeSlot, ContextSlot)):
            return self._compile_plain(name, slot)
        draw = self.draw
        return lambda rng, values, now, context: draw(name, slot, rng, values, now, context)

    def _compile_plain(self, name: str, slot: TimeSlot | ContextSlot) -> Any:
        """A drawer for a time or context slot: :meth:`draw`'s steps for it, its lookups done once."""
        pick, forms, weights = self._pick, slot.forms, slot.form_weights
        if isinstance(slot, ContextSlot):
            key, fallback = slot.key, slot.fallback

            def context_(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
                if forms:
                    pick(rng, forms, weights)  # drawn and unused, as draw() does
                if key in context:
                    return context[key]
                if fallback is not None:
                    return values[fallback]
                raise ComposerError(f"slot {name!r}: session context has no {key!r}")
            return context_
        time_phrase = self._time_phrase

        def time_(rng: random.Random, values: Any, now: Any, context: Any) -> Any:
            if forms:
                pick(rng, forms, weights)  # drawn and unused, as draw() does
            return time_phrase(name, slot, rng, now)
        return time_

    def draw(self, name: str, slot: Any, rng: random.Random, values: dict[str, Any], now: datetime,
             context: dict[str, Any]) -> Any:
        form = self._pick(rng, slot.forms, slot.form_weights) if slot.forms else None
        if isinstance(slot, ChoiceSlot):
            return self._pick(rng, slot.values, slot.weights)
        if isinstance(slot, FakerSlot):
            return self._faker(slot, rng, form)
        if isinstance(slot, InventorySlot):
            if slot.kind == "order":
                try:
                    return self.world.orders.draw(rng, now, slot.statuses, slot.within_days, form or "order_no")
                except ComposerError as exc:
                    raise ComposerError(f"slot {name!r}: {exc}") from exc
            return self._inventory(name, slot, rng, values, form)
        if isinstance(slot, TimeSlot):
            return self._time_phrase(name, slot, rng, now)
        if isinstance(slot, ContextSlot):
            if slot.key in context:
                return context[slot.key]
            if slot.fallback is not None:
                return values[slot.fallback]
            raise ComposerError(f"slot {name!r}: session context has no {slot.key!r}")
        if isinstance(slot, ReferenceSlot):
            items = context.get(slot.key)
            if not items:
                raise ComposerError(f"slot {name!r}: session context has no {slot.key!r} to refer to")
            meant = context.get(slot.prefer) if slot.prefer else None
            if meant is not None:
                meant = reference_id(meant.data if isinstance(meant, Record) else meant)
            ids, text = draw_reference(items, form or REFERENCE_FORMS[int(rng.random() * 4)], rng, slot.measure,
                                       slot.pronouns, meant)
            meant = [i for i in items if reference_id(i) in ids]
            return Record("reference", {"ids": ids, "items": meant, "key": slot.key}, text)
        if isinstance(slot, CompositeSlot):
            text = self.templates.render(slot.template, values)
            return Text(text, text)
        raise ComposerError(f"slot {name!r}: unsupported source {slot.source!r}")  # pragma: no cover

    @staticmethod
    def _time_phrase(name: str, slot: TimeSlot, rng: random.Random, now: datetime) -> Record:
        """A phrase of the slot's kinds; with ``hours`` or ``within_days``, the first of up to
        200 draws that meets them (rejection is far cheaper than listing the whole pool), else
        one of the pool's phrases that meet them."""
        if slot.hours is None and slot.within_days is None:
            phrase = sample_phrase(now, rng, slot.kinds)
        else:
            def fits(start: datetime) -> bool:
                if slot.within_days is not None and (start - now).total_seconds() > slot.within_days * 86400:
                    return False
                return slot.hours is None or (start.hour in slot.hours and start.minute == 0)

            found = sample_where(now, rng, slot.kinds, fits, 200)
            if found is None:
                sample_phrase(now, rng, slot.kinds)  # the 201st draw, made and unused: the stream stays where it was
                pool = [p for p in phrases(now, slot.kinds) if fits(p.window.start)]
                if not pool:
                    raise ComposerError(f"slot {name!r}: no time phrase fits hours/within_days at {now}")
                found = pool[int(rng.random() * len(pool))]
            phrase = found
        window = phrase.window
        return Record("time", {"start": window.start, "end": window.end, "kind": phrase.kind}, phrase.text)

    def _faker(self, slot: FakerSlot, rng: random.Random, form: str | None) -> Value:
        if slot.provider == "cn_mobile":
            digits = mobile_digits(rng) if slot.valid else invalid_mobile_digits(rng)
            form = form or "plain"
            text = phone_form(digits, form) if len(digits) == 11 else digits
            return Phone(digits=digits, text=text, form=form, valid=slot.valid)
        if slot.provider == "cn_person":
            return make_person(rng, form or "name")
        self.faker.seed_instance(rng.getrandbits(32))
        value = getattr(self.faker, slot.provider)(**slot.args)
        return Text(value, str(value))

    def record(self, slot: InventorySlot, row: dict[str, Any], rng: random.Random,
               form: str | None = None) -> Record:
        """The slot value of a product or device row, in ``form`` (drawn from the slot's forms if None)."""
        if form is None:
            form = self._pick(rng, slot.forms, slot.form_weights) if slot.forms else FORMS[slot.kind][0]
        if slot.kind == "device":
            text = rng.choice(row["aliases"]) if form == "alias" else str(row[form])
            return Record(slot.kind, {k: v for k, v in row.items() if k != "aliases"}, text)
        return Record(slot.kind, {k: v for k, v in row.items() if k != "specs"}, str(row[form]))

    def _inventory(self, name: str, slot: InventorySlot, rng: random.Random, values: dict[str, Any],
                   form: str | None) -> Record:
        w = self.world
        kind = slot.kind
        form = form or FORMS[kind][0]
        if kind in ("product", "compatible_part", "device"):
            if kind == "product":
                pool = w.products.get(slot.category or "", [])
            elif kind == "device":
                pool = w.devices[slot.category or "laptop"]
                if slot.fits is not None:
                    category = _category(values[slot.fits])
                    pool = w.devices_fitting(slot.category or "laptop", category, slot.fitting)
                    if not pool:
                        raise ComposerError(f"slot {name!r}: no {slot.category or 'laptop'} with"
                                            f"{'' if slot.fitting else 'out'} parts of {category!r} to draw")
            else:
                device = values[slot.device or ""]
                pool = w.compatible.get((device.id, slot.category or ""), [])
            if slot.in_stock is not None:
                pool = [p for p in pool if (p["stock"] > 0) == slot.in_stock]
            if not pool:
                raise ComposerError(f"slot {name!r}: no {slot.category} {kind} to draw")
            return self.record(slot, rng.choice(pool), rng, form)
        if kind in ("address", "service_address"):
            city = slot.city
            if kind == "service_address":
                city = w.service_cities[int(rng.random() * len(w.service_cities))].adcode
            place, detail = w.addresses(rng).draw(city=city, rng=rng)
            return Record(kind, place.parts(detail), place.text(detail, form))
        if kind == "district":
            pool = w.districts_in(slot.city)
            d = rng.choice(pool)
            city = w.regions.get(d.parent)
            texts = {"name": d.name, "short": d.short_name, "city_district": city.name + d.name,
                     "short_city_district": city.short_name + d.short_name}
            return Record(kind, {"adcode": d.adcode, "name": d.name, "city": city.name,
                                 "full": city.name + d.name}, texts[form])
        if kind == "service_city":
            c = rng.choice(w.service_cities)
            return Record(kind, {"adcode": c.adcode, "name": c.name},
                          c.name if form == "name" else c.short_name)
        if kind == "fault":
            row = rng.choice(w.faults[slot.category or "charging_pile"])
            return Record(kind, dict(row), row["fault"])
        raise ComposerError(f"slot {name!r}: unsupported inventory kind {kind!r}")  # pragma: no cover


def _category(value: Any) -> str:
    """The product category a ``fits`` slot names: its value's ``id`` (a choice of dicts, a record) or the value."""
    if isinstance(value, dict):
        return str(value.get("id"))
    return str(getattr(value, "value", value))


def _picker(items: Sequence[Any], weights: Sequence[float] | None) -> Any:
    """``fn(rng)`` drawing one of ``items`` as :meth:`SlotSampler._pick` does, its sums made once;
    it takes a drawer's arguments too (``fn(rng, values, now, context)``), so it can be one."""
    if not weights:
        count = len(items)

        def pick(rng: random.Random, values: Any = None, now: Any = None, context: Any = None) -> Any:
            return items[int(rng.random() * count)]
        return pick
    cum = list(itertools.accumulate(weights))
    total = cum[-1]

    def pick_weighted(rng: random.Random, values: Any = None, now: Any = None, context: Any = None) -> Any:
        return items[bisect.bisect(cum, rng.random() * total)]
    return pick_weighted
