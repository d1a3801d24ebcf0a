"""The shop's coupons (优惠券): which purchases they take money off, by how much, and when.

Dependency rule: this module imports nothing of twinchat's but the rest of ``twinchat.inventory``.

A coupon is 满 ``threshold`` 减 ``discount`` (a threshold of 0 is 无门槛) on what it covers —
the whole shop (``scope`` ``all``), one category (``category``, ``scope_id`` its id) or one
product (``product``, ``scope_id`` the product id) — from ``valid_from`` to ``valid_until``
(both included). The amount a coupon is measured against is what the lines it covers cost at the
shop's price of the day; one coupon per order. What is drawn, per seed:

* shop-wide coupons for the shopping festivals of the period (双十一 from 11-01, 双十二 from 12-08);
* per category, one coupon after another with gaps between them (3–10 days each, 0–6 days apart),
  the threshold near a typical price of the category and the discount 5–12% of it;
* for about one product in six, a coupon of its own for 5–15 days (无门槛 or 满 its price).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from twinchat.inventory.orders import FIRST_DAY, LAST_DAY
from twinchat.inventory.seeds import area_rng
from twinchat.inventory.timefmt import format_time

if TYPE_CHECKING:  # sqlite-utils imports pandas when it is installed: only building needs it
    import sqlite_utils

__all__ = ["populate", "FESTIVALS", "LAST_COUPON_DAY"]

#: Coupons are drawn for days from FIRST_DAY to this day.
LAST_COUPON_DAY = LAST_DAY + timedelta(days=30)
#: (name, first day, last day, threshold, discount) of the shop-wide festival coupons.
FESTIVALS = (
    ("双十一全场满1000减80", date(2026, 11, 1), date(2026, 11, 11), 1000.0, 80.0),
    ("双十一全场满3000减300", date(2026, 11, 1), date(2026, 11, 11), 3000.0, 300.0),
    ("双十二全场满2000减150", date(2026, 12, 8), date(2026, 12, 12), 2000.0, 150.0),
)
#: Share of products with a coupon of their own.
PRODUCT_SHARE = 1 / 6


def _span(first: date, days: int) -> tuple[str, str]:
    """(valid_from, valid_until) of a coupon valid ``days`` days from ``first``."""
    start = datetime.combine(first, time(0, 0))
    end = datetime.combine(first + timedelta(days=days - 1), time(23, 59, 59))
    return format_time(start), format_time(end)


def _round(amount: float, step: int) -> float:
    return float(max(step, int(amount / step + 0.5) * step))


def _category_coupons(rng: random.Random, category: str, name: str, prices: list[float]) -> list[dict[str, Any]]:
    prices = sorted(prices)
    out = []
    day = FIRST_DAY + timedelta(days=rng.randrange(4))
    while day <= LAST_COUPON_DAY:
        days = rng.randint(3, 10)
        typical = prices[int(rng.random() * len(prices))]
        step = 100 if typical >= 1000 else 50 if typical >= 200 else 10
        threshold = _round(typical * rng.uniform(0.8, 1.3), step)
        discount = _round(threshold * rng.uniform(0.05, 0.12), 10 if threshold >= 200 else 5)
        valid_from, valid_until = _span(day, days)
        out.append({"name": f"{name}满{threshold:g}减{discount:g}", "scope": "category", "scope_id": category,
                    "threshold": threshold, "discount": discount, "valid_from": valid_from,
                    "valid_until": valid_until})
        day += timedelta(days=days + rng.randint(0, 6))
    return out


def _product_coupon(rng: random.Random, pid: str, short_name: str, price: float) -> dict[str, Any]:
    days = rng.randint(5, 15)
    first = FIRST_DAY + timedelta(days=rng.randrange((LAST_COUPON_DAY - FIRST_DAY).days - days))
    free = rng.random() < 0.5
    threshold = 0.0 if free else price
    discount = _round(price * rng.uniform(0.03, 0.08 if free else 0.15), 10 if price >= 200 else 5)
    valid_from, valid_until = _span(first, days)
    label = f"{short_name}立减{discount:g}" if free else f"{short_name}满{threshold:g}减{discount:g}"
    return {"name": label, "scope": "product", "scope_id": pid, "threshold": threshold, "discount": discount,
            "valid_from": valid_from, "valid_until": valid_until}


def populate(db: sqlite_utils.Database, seed: int) -> None:
    """Create and fill ``coupons`` (needs ``categories`` and ``products``)."""
    rng = area_rng(seed, "coupons")
    conn = db.conn
    rows: list[dict[str, Any]] = []
    for name, first, last, threshold, discount in FESTIVALS:
        valid_from, valid_until = _span(first, (last - first).days + 1)
        rows.append({"name": name, "scope": "all", "scope_id": None, "threshold": threshold, "discount": discount,
                     "valid_from": valid_from, "valid_until": valid_until})
    products = conn.execute("SELECT id, category, short_name, price FROM products ORDER BY id").fetchall()
    for category, name in conn.execute("SELECT id, name FROM categories ORDER BY id").fetchall():
        prices = [p[3] for p in products if p[1] == category]
        if prices:
            rows += _category_coupons(rng, category, name, prices)
    rows += [_product_coupon(rng, pid, short, price) for pid, _, short, price in products
             if rng.random() < PRODUCT_SHARE]
    for i, row in enumerate(rows, 1):
        row["id"] = f"CP{i:04d}"
    with db.atomic():
        db["coupons"].create(
            {"id": str, "name": str, "scope": str, "scope_id": str, "threshold": float, "discount": float,
             "valid_from": str, "valid_until": str},
            pk="id", not_null={"name", "scope", "threshold", "discount", "valid_from", "valid_until"},
        )
        db["coupons"].insert_all(rows)
        db["coupons"].create_index(["valid_from"])
