"""Drawing the world's customers and their orders (the timelines :mod:`.orders` reads).

How a timeline is drawn:

* an unpaid order is cancelled :data:`PAY_WINDOW` after it was created;
* a paid order is served by the warehouse, of those holding every line in stock, whose parcel
  arrives first (:func:`twinchat.inventory.logistics.eta` at the payment time; ties by id); that
  ETA is stored as the order's ``eta``;
* it ships the day of payment when paid before the warehouse's cut-off (not before 08:00 and
  at most an hour after the cut-off), else the next morning; a few paid orders are cancelled
  by the buyer before they ship;
* most parcels arrive on the ETA day before the promised hour, some a day early, some a day late;
* a few delivered orders already have a return or exchange the buyer asked for within six days
  of delivery (:data:`RETURNED_SHARE`; the whole order or one line), so asking again is refused
  as a duplicate from then on;
* every order ships to its customer's address: ``ship_adcode`` (the district) and ``ship_address``
  (the full address) are copied from the customer, and ``change_address`` may rewrite them
  before the parcel ships.
"""

from __future__ import annotations

import random
import sqlite3
from bisect import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import accumulate
from typing import TYPE_CHECKING, Any


from twinchat.inventory.timefmt import format_time
from twinchat.inventory import orders_data as data
from twinchat.inventory.addresses import AddressGenerator
from twinchat.inventory.logistics import eta
from twinchat.inventory.regions import RegionTable, load_regions
from twinchat.inventory.seeds import area_rng

from twinchat.inventory.orders import (BUYER_CANCEL_SHARE, CUSTOMERS, EARLY_SHARE, FIRST_DAY, LAST_DAY, LATE_SHARE,
                                      ORDERS, PAY_WINDOW, TIMELINE, UNPAID_SHARE, to_minute)

if TYPE_CHECKING:  # sqlite-utils imports pandas when it is installed: only building needs it
    import sqlite_utils

__all__ = ["populate", "RETURNED_SHARE"]

#: Share of delivered orders with a return or exchange already requested (drawn after the orders,
#: from their own RNG, so the orders are the same with or without them)
RETURNED_SHARE = 0.06
#: (kind, reason) of those requests, weighted
_RETURN_REASONS = (("return", "不想要了", 3), ("return", "买错型号了", 2), ("return", "有质量问题", 1),
                   ("exchange", "有质量问题", 2), ("exchange", "收到就是坏的", 1), ("exchange", "发错型号了", 1))


class _Weighted:
    """A weighted draw over a fixed sequence, with precomputed cumulative weights."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = tuple(items)
        self.cum = tuple(accumulate(weights))

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect(self.cum, rng.random() * self.cum[-1])]


_SURNAME = _Weighted([s for s, _ in data.SURNAMES], [w for _, w in data.SURNAMES])
_PREFIX = _Weighted([p for p, _ in data.MOBILE_PREFIXES], [w for _, w in data.MOBILE_PREFIXES])
_CARRIER = _Weighted(data.CARRIERS, [c[1] for c in data.CARRIERS])
_CATEGORY = _Weighted([c for c, _ in data.CATEGORY_WEIGHTS], [w for _, w in data.CATEGORY_WEIGHTS])
_HOUR = _Weighted(range(24), data.HOUR_WEIGHTS)
_LINES = _Weighted((1, 2, 3), (70, 22, 8))
_QTY = _Weighted((1, 2, 3), (90, 8, 2))


def _name(rng: random.Random, gender: str) -> str:
    own = data.GIVEN_FEMALE if gender == "female" else data.GIVEN_MALE
    surname = _SURNAME(rng)
    if rng.random() < 0.25:
        return surname + rng.choice(own)
    last = rng.choice(own)
    if gender == "female" and rng.random() < 0.05:
        return surname + last + last                       # 婷婷, 丽丽
    first = rng.choice(data.GIVEN_NEUTRAL if rng.random() < 0.4 else own)
    while first == last:
        first = rng.choice(own)
    return surname + first + last


def _customers(rng: random.Random, regions: RegionTable) -> list[dict[str, Any]]:
    addresses = AddressGenerator(regions, rng)
    phones: set[str] = set()
    rows = []
    for i in range(1, CUSTOMERS + 1):
        gender = "female" if rng.random() < 0.5 else "male"
        name = _name(rng, gender)
        phone = ""
        while not phone or phone in phones:
            phone = _PREFIX(rng) + f"{rng.randrange(10**8):08d}"
        phones.add(phone)
        a = addresses.sample()
        rows.append({
            "id": f"C{i:05d}", "name": name, "gender": gender, "phone": phone,
            "province": a.province, "city": a.city, "district": a.district, "detail": a.detail,
            "postcode": a.postcode, "adcode": a.adcode, "address": a.text("full"),
        })
    return rows


def _created_times(rng: random.Random) -> list[datetime]:
    days = [FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]
    boosts = dict(data.DAY_BOOSTS)
    day = _Weighted(days, [boosts.get(f"{d:%m-%d}", 1.0) for d in days])
    times = [
        datetime.combine(day(rng), time(_HOUR(rng), rng.randrange(60), rng.randrange(60)))
        for _ in range(ORDERS)
    ]
    return sorted(times)


def _ship_time(rng: random.Random, paid: datetime, cutoff: str) -> datetime:
    cut = datetime.combine(paid.date(), time.fromisoformat(cutoff))
    if paid < cut:
        start = max(to_minute(paid) + timedelta(minutes=1), datetime.combine(paid.date(), time(8, 0)))
        return min(start + timedelta(minutes=rng.randint(20, 180)), cut + timedelta(hours=1))
    return datetime.combine(paid.date() + timedelta(days=1), time(7, 0)) + timedelta(minutes=rng.randint(0, 180))


def _between(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    minutes = max(0, int((hi - lo).total_seconds() // 60))
    return to_minute(lo) + timedelta(minutes=rng.randint(0, minutes))


def _delivery(rng: random.Random, shipped: datetime, promised: datetime, same_city: bool) -> datetime:
    roll = rng.random()
    if roll < LATE_SHARE:
        day = promised.date() + timedelta(days=1)
        return _between(rng, datetime.combine(day, time(10, 0)), datetime.combine(day, time(19, 0)))
    early = promised.date() - timedelta(days=1)
    if not same_city and roll < LATE_SHARE + EARLY_SHARE and early > shipped.date():
        return _between(rng, datetime.combine(early, time(10, 0)), datetime.combine(early, time(19, 0)))
    lo = max(shipped + timedelta(hours=1), datetime.combine(promised.date(), time(9, 0)))
    if lo >= promised:
        lo = shipped + timedelta(minutes=30)
    return _between(rng, lo, max(lo, promised))


@dataclass
class _Shop:
    """What orders are drawn from: products in stock, warehouses, lanes, customers' cities."""

    by_category: dict[str, list[str]]
    price: dict[str, float]
    holders: dict[str, dict[str, int]]          # product -> warehouse -> qty in stock
    cutoff: dict[str, str]
    wh_city: dict[str, str]
    tier: dict[tuple[str, str], str]            # (warehouse, city) -> tier

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> _Shop:
        holders: dict[str, dict[str, int]] = {}
        for pid, wid, qty in conn.execute(
                "SELECT product_id, warehouse, qty FROM stock WHERE qty > 0 ORDER BY product_id, warehouse"):
            holders.setdefault(pid, {})[wid] = qty
        by_category: dict[str, list[str]] = {}
        price = {}
        for pid, category, p in conn.execute("SELECT id, category, price FROM products ORDER BY id"):
            price[pid] = p
            if pid in holders:
                by_category.setdefault(category, []).append(pid)
        warehouses = conn.execute("SELECT id, city, cutoff FROM warehouses ORDER BY id").fetchall()
        tier = {(w, c): t for w, c, t in conn.execute("SELECT warehouse, dest_city, tier FROM lanes")}
        return cls(by_category, price, holders, {w: cut for w, _, cut in warehouses},
                   {w: city for w, city, _ in warehouses}, tier)

    def category_picker(self) -> Callable[[random.Random], str]:
        """How an order line picks its category: by the built-in shop's sales weights when the shop
        stocks all of those categories, else evenly over the categories it stocks."""
        if all(c in self.by_category for c, _ in data.CATEGORY_WEIGHTS):
            return _CATEGORY
        stocked = sorted(self.by_category)
        return _Weighted(stocked, [1] * len(stocked))

    def line(self, rng: random.Random, taken: Sequence[str], able: set[str]) -> tuple[str, int, set[str]] | None:
        """One order line (product, qty) some warehouse of ``able`` can serve, or None."""
        if not self.by_category:  # nothing in stock anywhere
            return None
        pick = self.category_picker()
        for _ in range(20):
            category = pick(rng)
            pid = rng.choice(self.by_category[category])
            qty = 2 if category == "memory" and rng.random() < 0.3 else _QTY(rng)
            if pid in taken:
                continue
            can = {w for w, q in self.holders[pid].items() if q >= qty} & able
            if can:
                return pid, qty, can
        return None


def _orders(rng: random.Random, shop: _Shop, customers: list[dict[str, Any]],
            city_of: Mapping[str, str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    who = _Weighted([c["id"] for c in customers], [rng.lognormvariate(0, 0.7) for _ in customers])
    district = {c["id"]: c["adcode"] for c in customers}
    home = {c["id"]: c["address"] for c in customers}
    numbers: set[str] = set()
    tracking: set[str] = set()
    orders, items = [], []
    for created in _created_times(rng):
        number = ""
        while not number or number in numbers:
            number = f"DD{created:%y%m%d}{rng.randrange(10**6):06d}"
        numbers.add(number)
        customer = who(rng)
        city = city_of[district[customer]]
        lines: list[tuple[str, int]] = []
        able = set(shop.cutoff)
        for _ in range(_LINES(rng)):
            drawn = shop.line(rng, [p for p, _ in lines], able)
            if drawn is None:
                if lines:
                    break
                raise RuntimeError(f"orders: no product in stock for order {number}")
            pid, qty, able = drawn
            lines.append((pid, qty))
        order: dict[str, Any] = {
            "order_no": number, "customer": customer, "created_at": created, "paid_at": None,
            "shipped_at": None, "delivered_at": None, "cancelled_at": None, "cancel_reason": None,
            "warehouse": None, "eta": None, "carrier": None, "tracking_no": None,
            "total": round(sum(shop.price[p] * q for p, q in lines), 2),
            "ship_adcode": district[customer], "ship_address": home[customer],
        }
        if rng.random() < UNPAID_SHARE:
            order.update(cancelled_at=created + PAY_WINDOW, cancel_reason=data.UNPAID_REASON)
        else:
            paid = created + timedelta(seconds=min(int(rng.expovariate(1 / 90)) + 10, 25 * 60))
            promised, wid = min((eta(paid, shop.cutoff[w], shop.tier[(w, city)]), w) for w in sorted(able))
            shipped = _ship_time(rng, paid, shop.cutoff[wid])
            order.update(paid_at=paid, warehouse=wid, eta=promised)
            if rng.random() < BUYER_CANCEL_SHARE:
                order.update(cancelled_at=_between(rng, paid + timedelta(minutes=2), shipped - timedelta(minutes=2)),
                             cancel_reason=rng.choice(data.CANCEL_REASONS))
            else:
                carrier, _, prefix, digits, _ = _CARRIER(rng)
                track = ""
                while not track or track in tracking:
                    track = prefix + f"{rng.randrange(10**digits):0{digits}d}"
                tracking.add(track)
                same_city = shop.wh_city[wid] == city
                order.update(shipped_at=shipped, carrier=carrier, tracking_no=track,
                             delivered_at=_delivery(rng, shipped, promised, same_city))
        orders.append(order)
        items += [{"order_no": order["order_no"], "product_id": p, "qty": q, "price": shop.price[p]}
                  for p, q in lines]
    for order in orders:
        for key in (*TIMELINE, "eta"):
            if order[key] is not None:
                order[key] = format_time(order[key])
    return orders, items


def _returns(rng: random.Random, orders: list[dict[str, Any]], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The returns and exchanges buyers asked for before the world's sessions (orders formatted)."""
    lines: dict[str, list[str]] = {}
    for item in items:
        lines.setdefault(item["order_no"], []).append(item["product_id"])
    why = _Weighted([(k, r) for k, r, _ in _RETURN_REASONS], [w for _, _, w in _RETURN_REASONS])
    numbers: set[str] = set()
    rows = []
    for order in orders:
        if order["delivered_at"] is None or rng.random() >= RETURNED_SHARE:
            continue
        # most buyers ask within a day or two of delivery, in waking hours
        delivered = datetime.fromisoformat(order["delivered_at"])
        created = delivered + timedelta(minutes=60 + int(rng.expovariate(1 / (30 * 60))) % (5 * 24 * 60))
        if created.hour < 8:
            created += timedelta(hours=8)
        kind, reason = why(rng)
        own = lines[order["order_no"]]
        product = own[int(rng.random() * len(own))] if len(own) > 1 and rng.random() < 0.5 else None
        number = ""
        while not number or number in numbers:
            number = f"{'TH' if kind == 'return' else 'HH'}{created:%Y%m%d}{rng.randrange(10**6):06d}"
        numbers.add(number)
        rows.append({"return_no": number, "request_key": f"world/{number}", "order_no": order["order_no"],
                     "product_id": product, "kind": kind, "reason": reason, "created_at": format_time(created),
                     "status": "created"})
    return rows


# -- the tables ----------------------------------------------------------------------------------

def populate(db: sqlite_utils.Database, seed: int) -> None:
    """Create and fill ``customers``, ``orders`` (each with its shipping address), ``order_items``
    and ``returns`` (the requests buyers made before the world's sessions).

    Needs ``regions``, ``products``, ``warehouses``, ``stock`` and ``lanes``.
    """
    rng = area_rng(seed, "orders")
    conn = db.conn
    regions = load_regions()
    customers = _customers(rng, regions)
    city_of = {c["adcode"]: regions.chain(c["adcode"])[1].adcode for c in customers}
    orders, items = _orders(rng, _Shop.load(conn), customers, city_of)
    returns = _returns(area_rng(seed, "returns"), orders, items)

    # one transaction: sqlite-utils would otherwise commit every chunk of rows
    with db.atomic():
        db["customers"].create(
            {"id": str, "name": str, "gender": str, "phone": str, "province": str, "city": str,
             "district": str, "detail": str, "postcode": str, "adcode": str, "address": str},
            pk="id", not_null={"name", "gender", "phone", "province", "city", "district", "detail",
                               "postcode", "adcode", "address"},
            foreign_keys=[("adcode", "regions", "adcode")],
        )
        db["customers"].insert_all(customers)
        db["customers"].create_index(["phone"], unique=True)

        db["orders"].create(
            {"order_no": str, "customer": str, "created_at": str, "paid_at": str, "shipped_at": str,
             "delivered_at": str, "cancelled_at": str, "cancel_reason": str, "warehouse": str,
             "eta": str, "carrier": str, "tracking_no": str, "total": float, "ship_adcode": str,
             "ship_address": str},
            pk="order_no", not_null={"customer", "created_at", "total", "ship_adcode", "ship_address"},
            foreign_keys=[("customer", "customers", "id"), ("warehouse", "warehouses", "id"),
                          ("ship_adcode", "regions", "adcode")],
        )
        db["orders"].insert_all(orders)
        db["orders"].create_index(["customer", "created_at"])
        db["orders"].create_index(["tracking_no"], unique=True)

        db["order_items"].create(
            {"order_no": str, "product_id": str, "qty": int, "price": float},
            pk=("order_no", "product_id"), not_null={"qty", "price"},
            foreign_keys=[("order_no", "orders", "order_no"), ("product_id", "products", "id")],
        )
        db["order_items"].insert_all(items)

        db["returns"].create(
            {"return_no": str, "request_key": str, "order_no": str, "product_id": str, "kind": str,
             "reason": str, "created_at": str, "status": str},
            pk="return_no", not_null={"request_key", "order_no", "kind", "reason", "created_at", "status"},
            foreign_keys=[("order_no", "orders", "order_no"), ("product_id", "products", "id")],
        )
        db["returns"].insert_all(returns)
        db["returns"].create_index(["request_key"], unique=True)
        db["returns"].create_index(["order_no"])
