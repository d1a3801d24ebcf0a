"""``check_coupons`` (优惠券): which of the shop's coupons a purchase can use at the session clock,
and what it then costs.

The purchase is priced at the shop's price of the day (:func:`.aftersales.price_on`, the price
price protection compares with). A coupon valid at the clock (``coupons``, see
:mod:`twinchat.inventory.coupons`) covers the whole purchase, the lines of its category or the
line of its product; it can be used when what it covers reaches its threshold (满 X), and then
takes its discount off (never more than what it covers). One coupon per order: the one saving
most (ties: the one valid longest, then by id). A coupon it cannot use yet says how much more of
what it covers would reach the threshold (还差 N 元); ``nearest`` is the one closest to it.

The coupons are written when the world is built and never after (no tool, session or command
writes them): they are read once per connection (:func:`~.static.static_data`, a hundred rows in
a default world) and the ones valid at the clock picked in memory, as the query picked them.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinchat.inventory.timefmt import format_time
from twinchat.inventory.tools.aftersales import price_on
from twinchat.inventory.tools.base import Tool, ToolContext
from twinchat.inventory.tools.lookup import resolve_products
from twinchat.inventory.tools.memo import answer
from twinchat.inventory.tools.static import static_data

__all__ = ["CheckCouponsArgs", "CHECK_COUPONS"]

_COLUMNS = ("id", "name", "scope", "scope_id", "threshold", "discount", "valid_until")


def _coupon_rows(conn: sqlite3.Connection) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    """Every coupon as (valid_from, its ``_COLUMNS`` row), by id (static data: read once per connection)."""
    rows = conn.execute(f"SELECT valid_from, {', '.join(_COLUMNS)} FROM coupons ORDER BY id")
    return tuple((row[0], tuple(row[1:])) for row in rows)


class CheckCouponsArgs(BaseModel):
    """Arguments of ``check_coupons``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    products: list[str] = Field(min_length=1, max_length=10, description="要购买的商品编号或型号列表")
    quantity: int = Field(default=1, ge=1, le=99, description="每个商品的购买数量")


def _coupon(row: tuple[Any, ...], lines: list[dict[str, Any]]) -> dict[str, Any]:
    """A coupon row measured against the purchase's ``lines``."""
    coupon = dict(zip(_COLUMNS, row))
    covered = [line for line in lines if coupon["scope"] == "all"
               or line[{"category": "category", "product": "product_id"}[coupon["scope"]]] == coupon["scope_id"]]
    amount = round(sum(line["amount"] for line in covered), 2)
    usable = amount >= coupon["threshold"]
    return {**coupon, "covers": [line["product_id"] for line in covered], "covered_amount": amount,
            "usable": usable, "saving": min(coupon["discount"], amount) if usable else 0.0,
            "short_by": 0.0 if usable else round(coupon["threshold"] - amount, 2)}


def _check(ctx: ToolContext, args: CheckCouponsArgs) -> dict[str, Any]:
    return answer(ctx.conn, "check_coupons", (ctx.now, tuple(args.products), args.quantity),
                  lambda: _check_now(ctx, args), as_is=True)


def _check_now(ctx: ToolContext, args: CheckCouponsArgs) -> dict[str, Any]:
    conn, now = ctx.conn, ctx.now
    products, err = resolve_products(conn, args.products)
    if err:
        return err
    lines = []
    for p in products:
        today = price_on(p["id"], p["price"], now)
        lines.append({"product_id": p["id"], "short_name": p["short_name"], "category": p["category"],
                      "qty": args.quantity, "price_now": today, "amount": round(today * args.quantity, 2)})
    ids = {p["id"] for p in products}
    categories = {p["category"] for p in products}
    stamp = format_time(now)
    rows = []  # valid at the clock, for the whole shop or a category or product bought; in id order
    for valid_from, row in static_data(conn, _coupon_rows):
        scope, scope_id = row[2], row[3]
        if valid_from <= stamp <= row[6] and (scope == "all" or scope == "category" and scope_id in categories
                                              or scope == "product" and scope_id in ids):
            rows.append(row)
    coupons = [_coupon(row, lines) for row in rows]
    coupons = [c for c in coupons if c["covers"]]
    usable = [c for c in coupons if c["usable"]]
    best = max(usable, key=lambda c: (c["saving"], c["valid_until"], [-ord(ch) for ch in c["id"]]), default=None)
    nearest = min((c for c in coupons if not c["usable"]), key=lambda c: (c["short_by"], c["id"]), default=None)
    subtotal = round(sum(line["amount"] for line in lines), 2)
    saving = best["saving"] if best else 0.0
    for c in coupons:
        del c["scope_id"]
    return {"lines": [{k: v for k, v in line.items() if k != "category"} for line in lines], "subtotal": subtotal,
            "coupons": coupons, "best": best, "nearest": nearest, "saving": saving, "pay": round(subtotal - saving, 2)}


CHECK_COUPONS = Tool(
    name="check_coupons",
    description="查询购买商品当前可用的优惠券(全场、品类或单品券,满减/无门槛,每单限用一张):返回当天价格、"
                "各张券能否使用(不够门槛时还差多少)、最省钱的一张和用券后的实付金额",
    args_model=CheckCouponsArgs,
    func=_check,
)
