"""Customers, their orders, and the after-sales returns they request.

An order is a **timeline**, not a status: ``created_at``, ``paid_at``, ``shipped_at``,
``delivered_at`` and ``cancelled_at`` (each may be NULL). What a customer is told depends on
the session clock, through :func:`status_at`:

=================================================  ==========
at ``now``                                          status
=================================================  ==========
created after ``now``                               (the order does not exist yet)
cancelled at or before ``now``                      已取消
not paid by ``now``                                 待付款
paid, not shipped by ``now``                        待发货
shipped, not delivered by ``now``                   运输中
delivered at or before ``now``                      已签收
=================================================  ==========

So one order is 待发货, 运输中 and 已签收 at three clocks, and every answer agrees with the
session's clock. The world holds orders created from :data:`FIRST_DAY` to :data:`LAST_DAY`;
timelines run on past the last day (a parcel shipped on 12-13 arrives days later).

How a timeline is drawn:

* an unpaid order is cancelled :data:`PAY_WINDOW` after it was created;
* a paid order is served by the warehouse, of those holding every line in stock, whose parcel
  arrives first (:func:`twinchat.inventory.logistics.eta` at the payment time; ties by id); that
  ETA is stored as the order's ``eta``;
* it ships the day of payment when paid before the warehouse's cut-off (not before 08:00 and
  at most an hour after the cut-off), else the next morning; a few paid orders are cancelled
  by the buyer before they ship;
* most parcels arrive on the ETA day before the promised hour, some a day early, some a day late.

The tracking history of a parcel (:func:`route_checkpoints`) is a fixed function of its
timeline and route: out of the warehouse, through the carrier's hub in the warehouse's city
and in the destination city (unless both are one city), into the district's station
(``深圳南山营业部``), out for delivery, signed for.

Returns follow the shop's rules (:func:`window_end`): 7天无理由退货 until the end of the 7th day
after the day of delivery, exchange until the end of the 15th. ``returns`` is empty when the
world is built; the ``request_return`` tool writes to it.
"""

from __future__ import annotations

import random
import sqlite3
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from typing import Any

import sqlite_utils

from twinchat.inventory import orders_data as data
from twinchat.inventory.addresses import AddressGenerator
from twinchat.inventory.logistics import eta
from twinchat.inventory.regions import RegionTable, load_regions
from twinchat.inventory.timefmt import format_time, parse_time

__all__ = [
    "populate",
    "status_at",
    "route_checkpoints",
    "checkpoints",
    "window_end",
    "Checkpoint",
    "CUSTOMERS",
    "ORDERS",
    "FIRST_DAY",
    "LAST_DAY",
    "PAY_WINDOW",
    "RETURN_DAYS",
    "EXCHANGE_DAYS",
    "PENDING_PAYMENT",
    "AWAITING_SHIPMENT",
    "IN_TRANSIT",
    "DELIVERED",
    "CANCELLED",
]

CUSTOMERS = 2000
ORDERS = 6000
FIRST_DAY = date(2026, 10, 15)
LAST_DAY = date(2026, 12, 13)

#: An order not paid this long after it was created is cancelled.
PAY_WINDOW = timedelta(minutes=30)
#: 7天无理由退货 and the exchange period, in days after the day of delivery.
RETURN_DAYS = 7
EXCHANGE_DAYS = 15

PENDING_PAYMENT = "待付款"
AWAITING_SHIPMENT = "待发货"
IN_TRANSIT = "运输中"
DELIVERED = "已签收"
CANCELLED = "已取消"

#: Shares of orders left unpaid, cancelled by the buyer before shipping, delivered a day late,
#: and (beyond the same city) a day early.
UNPAID_SHARE = 0.03
BUYER_CANCEL_SHARE = 0.03
LATE_SHARE = 0.08
EARLY_SHARE = 0.12

_TIMELINE = ("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at")


# -- status and tracking -------------------------------------------------------------------------

def _parse(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_time(value)


def status_at(timeline: Mapping[str, Any], now: datetime) -> str | None:
    """The status of an order at ``now`` (see the module docstring); None before it was created.

    ``timeline`` maps the five timeline columns to datetimes or their stored strings.
    """
    t = {k: _parse(timeline[k]) for k in _TIMELINE}
    created = t["created_at"]
    assert created is not None, "an order always has created_at"
    if created > now:
        return None
    if t["cancelled_at"] is not None and t["cancelled_at"] <= now:
        return CANCELLED
    if t["paid_at"] is None or t["paid_at"] > now:
        return PENDING_PAYMENT
    if t["shipped_at"] is None or t["shipped_at"] > now:
        return AWAITING_SHIPMENT
    if t["delivered_at"] is None or t["delivered_at"] > now:
        return IN_TRANSIT
    return DELIVERED


@dataclass(frozen=True)
class Checkpoint:
    """One line of a parcel's tracking history."""

    time: datetime
    text: str


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def route_checkpoints(
    shipped: datetime, delivered: datetime, *, carrier: str, hub: str, warehouse: str,
    origin_city: str, dest_city: str, station: str,
) -> list[Checkpoint]:
    """A parcel's tracking history, oldest first (a fixed function of its timeline and route).

    ``origin_city`` and ``dest_city`` are short city names (北京, 深圳), equal for a same-city
    parcel; ``hub`` is what the carrier calls its hubs (中转场); ``station`` the delivering
    station (深圳南山营业部).
    """
    span = delivered - shipped
    at_station = delivered - min(timedelta(hours=4), span * 0.4)
    dispatched = delivered - min(timedelta(minutes=90), span * 0.2)
    points = [Checkpoint(shipped, f"您的订单已从【{warehouse}】出库,{carrier}已揽收")]
    if origin_city != dest_city:
        leg = at_station - shipped
        first, second = f"{origin_city}{hub}", f"{dest_city}{hub}"
        points += [
            Checkpoint(shipped + leg * 0.15, f"快件已到达【{first}】"),
            Checkpoint(shipped + leg * 0.3, f"快件已从【{first}】发出,下一站【{second}】"),
            Checkpoint(shipped + leg * 0.8, f"快件已到达【{second}】"),
        ]
    points += [
        Checkpoint(at_station, f"快件已到达【{station}】"),
        Checkpoint(dispatched, f"【{station}】快递员正在派送,请保持电话畅通"),
        Checkpoint(delivered, f"快件已签收,签收人: 本人。感谢使用{carrier}"),
    ]
    return [Checkpoint(_minute(p.time), p.text) for p in points]


_ROUTE_SQL = """
SELECT o.shipped_at, o.delivered_at, o.carrier, w.name, wc.short_name, dc.short_name, d.short_name
FROM orders o
JOIN customers c ON c.id = o.customer
JOIN warehouses w ON w.id = o.warehouse
JOIN regions wc ON wc.adcode = w.city
JOIN regions d ON d.adcode = c.adcode
JOIN regions dc ON dc.adcode = d.city
WHERE o.order_no = ?
"""


def _hub(carrier: str) -> str:
    for name, _, _, _, hub in data.CARRIERS:
        if name == carrier:
            return hub
    return "转运中心"


def checkpoints(conn: sqlite3.Connection, order_no: str) -> list[Checkpoint]:
    """The full tracking history of a shipped order, oldest first; [] for one never shipped."""
    row = conn.execute(_ROUTE_SQL, (order_no,)).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return []
    shipped, delivered, carrier, warehouse, origin, dest, district = row
    return route_checkpoints(
        parse_time(shipped), parse_time(delivered),
        carrier=carrier, hub=_hub(carrier), warehouse=warehouse, origin_city=origin, dest_city=dest,
        station=f"{dest}{district}营业部",
    )


def window_end(delivered_at: datetime, kind: str) -> datetime:
    """The last moment a delivered order can be returned (``kind='return'``) or exchanged."""
    days = {"return": RETURN_DAYS, "exchange": EXCHANGE_DAYS}[kind]
    return datetime.combine(delivered_at.date() + timedelta(days=days), time(23, 59, 59))


# -- drawing -------------------------------------------------------------------------------------

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
        start = max(_minute(paid) + timedelta(minutes=1), datetime.combine(paid.date(), time(8, 0)))
        return min(start + timedelta(minutes=rng.randint(20, 180)), cut + timedelta(hours=1))
    return datetime.combine(paid.date() + timedelta(days=1), time(7, 0)) + timedelta(minutes=rng.randint(0, 180))


def _between(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    minutes = max(0, int((hi - lo).total_seconds() // 60))
    return _minute(lo) + timedelta(minutes=rng.randint(0, minutes))


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

    def line(self, rng: random.Random, taken: Sequence[str], able: set[str]) -> tuple[str, int, set[str]] | None:
        """One order line (product, qty) some warehouse of ``able`` can serve, or None."""
        for _ in range(20):
            category = _CATEGORY(rng)
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
        for key in (*_TIMELINE, "eta"):
            if order[key] is not None:
                order[key] = format_time(order[key])
    return orders, items


# -- the tables ----------------------------------------------------------------------------------

def populate(db: sqlite_utils.Database, seed: int) -> None:
    """Create and fill ``customers``, ``orders``, ``order_items``; create ``returns`` (empty).

    Needs ``regions``, ``products``, ``warehouses``, ``stock`` and ``lanes``.
    """
    from twinchat.inventory.build import area_rng

    rng = area_rng(seed, "orders")
    conn = db.conn
    regions = load_regions()
    customers = _customers(rng, regions)
    city_of = {c["adcode"]: regions.chain(c["adcode"])[1].adcode for c in customers}
    orders, items = _orders(rng, _Shop.load(conn), customers, city_of)

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
             "eta": str, "carrier": str, "tracking_no": str, "total": float},
            pk="order_no", not_null={"customer", "created_at", "total"},
            foreign_keys=[("customer", "customers", "id"), ("warehouse", "warehouses", "id")],
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
        db["returns"].create_index(["request_key"], unique=True)
        db["returns"].create_index(["order_no"])
