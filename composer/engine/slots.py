"""Drawing slot values: the world's rows slots draw from, and the sampler that makes each slot's drawer.

:class:`WorldCache` reads the parts of the world that slots draw from (products, devices,
compatibility, regions, service cities, faults) once, so drawing costs no query.
:class:`SlotSampler` makes a slot's drawer through the slot-source registry (one module per
source under ``sources/``), once per slot.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any


from twinchat.composer.engine.render import TemplateCache
from twinchat.composer.engine.sources import Drawer, slot_source
from twinchat.inventory.tools.lookup import Catalog
from twinchat.inventory.tools.static import static_data

if TYPE_CHECKING:
    from twinchat.units.slot_sources import SlotConfig
    from faker import Faker

    from twinchat.composer.engine.orderbook import OrderBook

__all__ = ["FakerCell", "WorldCache", "SlotSampler"]

#: a product's row as slots draw it: its columns, then its stock — the total of its stock rows, 0
#: for none, NULL when every quantity is unknown — for the WHERE … GROUP BY p.id that follows
_PRODUCTS = ("SELECT p.id, p.category, p.brand, p.model, p.name, p.short_name, p.price, p.specs, "
             "CASE WHEN count(s.product_id) THEN sum(s.qty) ELSE 0 END "
             "FROM products p LEFT JOIN stock s ON s.product_id = p.id ")
#: a category's products as :data:`_PRODUCTS` gives them, by id, then whether the product is found
#: by its id alone (no product's model is its id, NOCASE: see ``Catalog.add``): the stock read per
#: product through the stock's primary key rather than grouped after a join (half the time on a
#: category of 2,500 products, read when a session first draws from it), its rows looked for only
#: when their total is NULL
_IN_CATEGORY = ("SELECT p.id, p.category, p.brand, p.model, p.name, p.short_name, p.price, p.specs, "
                "ifnull((SELECT sum(s.qty) FROM stock s WHERE s.product_id = p.id), "
                "CASE WHEN EXISTS (SELECT 1 FROM stock s WHERE s.product_id = p.id) THEN NULL ELSE 0 END), "
                "NOT EXISTS (SELECT 1 FROM products m WHERE m.model = p.id COLLATE NOCASE) "
                "FROM products p WHERE p.category = ? ORDER BY p.id")


class WorldCache:
    """The rows slots draw from, read once from an open world."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        from twinchat.inventory.addresses import AddressGenerator
        from twinchat.inventory.regions import load_regions

        self.conn = conn
        #: the tools' catalog on ``conn`` (static data): products read here are known to it too
        self._catalog = static_data(conn, Catalog)
        self.regions = load_regions()
        self._address_generator = AddressGenerator
        q = conn.execute
        #: the world's category ids (unit checks go by them)
        self.categories: tuple[str, ...] = tuple(r[0] for r in q("SELECT id FROM categories ORDER BY id"))
        #: each category's measure word (台, 个, 款…), which its products' records carry
        self.measure_words: dict[str, str] = {cid: word for cid, word in q("SELECT id, measure_word FROM categories")}
        #: per category, its products by id; per (device, category), the parts that fit it, by id;
        #: each read when a slot first draws from it (a catalog of 100,000 products costs no more
        #: to open than one of 200), with one dict per product shared by both
        self._products: dict[str, list[dict[str, Any]]] = {}
        self._compatible: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._rows: dict[str, dict[str, Any]] = {}
        self._stocked: dict[tuple[Any, ...], list[dict[str, Any]]] = {}  # see stocked
        self.devices: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for did, kind, brand, series, model, name, aliases in q(
            "SELECT id, kind, brand, series, model, name, aliases FROM device_models ORDER BY id"
        ):
            # the "model" form says the series too: a bare 擎 or Pro 15 2023 is ambiguous to anyone
            said = f"{series} {model}" if series[-1:].isascii() and model[:1].isascii() else f"{series}{model}"
            said = said.strip()  # a device of a shop's own catalog may have no series
            self.devices[kind].append({"id": did, "kind": kind, "brand": brand, "model": said, "name": name,
                                       "aliases": json.loads(aliases)})
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

    def _product(self, row: Any, own: bool = False) -> dict[str, Any]:
        """The one dict of the product in ``row`` (its columns as _PRODUCTS selects them), made from
        the tools' dict of it (``Catalog.add``: read here, a product costs a session that names
        it no query, and its specs are decoded once)."""
        pid, cat, brand, model, name, short, price_, _specs, stock = row[:9]
        item = self._rows.get(pid)
        if item is None:
            specs = self._catalog.add(row[:8], own)["specs"]
            item = self._rows[pid] = {"id": pid, "category": cat, "brand": brand, "model": model, "name": name,
                                      "short_name": short, "price": price_, "specs": specs,
                                      "stock": stock, "measure_word": self.measure_words[cat]}
        return item

    def products_in(self, category: str) -> list[dict[str, Any]]:
        """The products of ``category`` by id, each with its total ``stock``."""
        pool = self._products.get(category)
        if pool is None:
            pool = self._products[category] = [self._product(r, bool(r[9])) for r in self.conn.execute(
                _IN_CATEGORY, (category,))]
        return pool

    def compatible_with(self, device: str, category: str) -> list[dict[str, Any]]:
        """The products of ``category`` that fit ``device``, by id."""
        key = (device, category)
        pool = self._compatible.get(key)
        if pool is None:
            pool = self._compatible[key] = [self._product(r) for r in self.conn.execute(
                _PRODUCTS + "JOIN compatibility c ON c.part_id = p.id WHERE c.device_model = ? AND p.category = ? "
                "GROUP BY p.id ORDER BY p.id", key)]
        return pool

    def stocked(self, key: tuple[Any, ...], pool: list[dict[str, Any]], in_stock: bool) -> list[dict[str, Any]]:
        """The rows of ``pool`` (the products or parts that ``key`` names) in stock, or out of
        stock, worked out once per pool."""
        found = self._stocked.get((*key, in_stock))
        if found is None:
            found = self._stocked[(*key, in_stock)] = [p for p in pool if (p["stock"] > 0) == in_stock]
        return found

    def devices_fitting(self, kind: str, category: str, fitting: bool = True) -> list[dict[str, Any]]:
        """The devices of ``kind`` that have (``fitting``) or have not a compatible part of ``category``."""
        key = (kind, category, fitting)
        pool = self._fitting.get(key)
        if pool is None:
            pool = self._fitting[key] = [d for d in self.devices[kind]
                                         if bool(self.compatible_with(d["id"], category)) == fitting]
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
            from twinchat.composer.engine.orderbook import OrderBook

            book = self._orders = OrderBook(self.conn)
        return book

    def forget(self) -> None:
        """The address generator forgets the places it made (if it can)."""
        forget = getattr(self.__dict__.get("_addresses"), "forget", None)
        if forget is not None:
            forget()

    def address(self, rng: random.Random, city: str | None = None) -> Any:
        """A coherent address drawn with ``rng`` (one generator serves every draw)."""
        return self.addresses(rng).sample(city=city, rng=rng)

    def addresses(self, rng: random.Random) -> Any:
        """The address generator, made on first use (every draw passes its own ``rng``)."""
        gen = self.__dict__.get("_addresses")
        if gen is None:
            from twinchat.inventory.addresses import KEEP_PLACES
            from twinchat.inventory.tools.memo import cache_bound

            keep = cache_bound(self.conn, self._address_generator, KEEP_PLACES)  # the run's bound, if it set one
            gen = self._addresses = self._address_generator(self.regions, rng, keep)
        return gen


class FakerCell:
    """One Faker (zh_CN) for every sampler given this cell, made when a slot first draws from it:
    importing and making one takes about 0.1 s, which runs whose units draw no Faker provider
    never pay (each use reseeds it, so samplers may share one)."""

    __slots__ = ("_faker",)

    def __init__(self, faker: Faker | None = None) -> None:
        self._faker = faker

    def get(self) -> Faker:
        if self._faker is None:
            from faker import Faker

            self._faker = Faker("zh_CN")
        return self._faker


class SlotSampler:
    """Makes the drawers of slots: what each source's drawer may read (the world, the template
    cache, a Faker reseeded before each use)."""

    def __init__(self, world: WorldCache, templates: TemplateCache, faker: Faker | FakerCell | None = None) -> None:
        """``faker``: a Faker, or a cell that makes one for several samplers when first asked for."""
        self.world = world
        self.templates = templates
        self._faker = faker if isinstance(faker, FakerCell) else FakerCell(faker)

    @property
    def faker(self) -> Faker:
        """The Faker (zh_CN) that Faker-provider slots draw from, made when first asked for."""
        return self._faker.get()

    def compile(self, name: str, slot: SlotConfig) -> Drawer:
        """A drawer ``fn(rng, values, now, context)`` for one slot, made by its source's entry
        with its lookups done once (a generator calls this once per slot, then the drawer per draw)."""
        return slot_source(slot).drawer(slot, name, self)

    def draw(self, name: str, slot: SlotConfig, rng: random.Random, values: dict[str, Any], now: datetime,
             context: dict[str, Any]) -> Any:
        """One value of ``slot`` (a drawer made for this draw alone; the RNG is consumed as a compiled one's)."""
        return self.compile(name, slot)(rng, values, now, context)
