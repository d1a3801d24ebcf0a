"""``place_order``: the customer's order, written to the world with the ETA for its own address.

The order is checked as check_delivery checks a destination: the address's city is resolved,
each product must be in stock (in the quantity asked) at a warehouse with a lane to that city,
and the ETA of each line is the earliest of those lanes at the session clock. The order is
written to ``orders`` (shipping to that address: ``ship_address``, and in ``ship_adcode`` the
district it names in full, else its city) and ``order_items`` as awaiting payment (the customer gets
:data:`~twinchat.inventory.orders.PAY_WINDOW` to pay), for the customer with that phone number
(a new ``customers`` row when there is none), and the transaction is left to the caller.

Like ``create_ticket`` it is idempotent: the order number is drawn from a hash of the canonical
request and the clock, so the same call at the same clock returns the same order and adds no row
— verification re-runs every call.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinchat.inventory.orders import PAY_WINDOW
from twinchat.inventory.regions import PlaceIndex
from twinchat.inventory.timefmt import format_time, parse_time
from twinchat.inventory.tools.base import Tool, ToolContext, request_key, tool_error
from twinchat.inventory.tools.delivery import deliveries
from twinchat.inventory.tools.lookup import resolve_products
from twinchat.inventory.tools.memo import Writes, cache_bound, replayed
from twinchat.inventory.tools.places import resolve_address
from twinchat.inventory.tools.service import mobile_number
from twinchat.inventory.tools.static import static_data

__all__ = ["PlaceOrderArgs", "PLACE_ORDER"]


class _Addresses:
    """Each address's city (static data: the regions never change).

    An address that starts with a city's or a district's full name (广东省深圳市南山区…, as delivery
    results name places) is in that city: one dictionary look-up per name length. Any other
    address is read as create_ticket reads one (:func:`.places.resolve_address`). Both are remembered per
    text: verification places the same order again."""

    KEEP = 4096
    _COLUMNS = ("adcode", "name", "level", "province", "city")

    def __init__(self, conn: sqlite3.Connection) -> None:
        places = static_data(conn, PlaceIndex)
        self._cities: dict[str, tuple[dict[str, Any], str]] = {}  # full name -> (its city, its adcode)
        for (adcode,) in conn.execute("SELECT adcode FROM regions WHERE level IN ('city', 'district') ORDER BY adcode"):
            row = places.row(adcode)
            city = places.row(row["city"] or adcode)
            self._cities.setdefault(places.full_name(row), ({k: city[k] for k in self._COLUMNS}, adcode))
        self._lengths = sorted({len(name) for name in self._cities}, reverse=True)
        self._found: dict[str, tuple[Any, Any, str | None]] = {}

    def forget(self) -> None:
        """Hold nothing found (see :func:`~twinchat.inventory.tools.memo.forget_kept`)."""
        self._found.clear()

    def resolve(self, conn: sqlite3.Connection, address: str) -> tuple[Any, Any, str | None]:
        """(the city row or None, the tool error or None, the adcode of the place the address starts
        with — its district when it names one in full — or of its city)."""
        found = self._found.get(address)
        if found is None:
            if len(self._found) >= cache_bound(conn, resolve_address, self.KEEP):  # a run may keep fewer
                self._found.clear()
            text = re.sub(r"\s+", "", address)
            named = next((self._cities[text[:n]] for n in self._lengths if text[:n] in self._cities), None)
            if named is not None:
                found = (dict(named[0]), None, named[1])
            else:
                city, err = resolve_address(conn, address)
                found = (city, err, None if city is None else city["adcode"])
            self._found[address] = found
        return found


class PlaceOrderArgs(BaseModel):
    """Arguments of ``place_order``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    products: list[str] = Field(min_length=1, max_length=10, description="要购买的商品编号或型号列表")
    quantity: int = Field(default=1, ge=1, le=99, description="每个商品的购买数量")
    name: str = Field(min_length=1, max_length=30, description="收货人姓名")
    phone: str = Field(min_length=1, description="收货人手机号,中国大陆手机号,如 13800138000")
    address: str = Field(min_length=2, description="收货地址,需包含城市和区县,如 深圳市南山区科苑路15号")


def _order_result(conn: sqlite3.Connection, order_no: str, address: dict[str, Any]) -> dict[str, Any]:
    row = conn.execute("SELECT o.created_at, o.eta, o.total, c.name, c.phone FROM orders o "
                       "JOIN customers c ON c.id = o.customer WHERE o.order_no = ?", (order_no,)).fetchone()
    items = [{"product_id": r[0], "short_name": r[1], "qty": r[2], "price": r[3]} for r in conn.execute(
        "SELECT i.product_id, p.short_name, i.qty, i.price FROM order_items i JOIN products p ON p.id = i.product_id "
        "WHERE i.order_no = ? ORDER BY i.rowid", (order_no,))]
    return {"order_no": order_no, "status": "待付款", "created_at": row[0], "items": items, "total": row[2],
            "name": row[3], "phone": row[4], "address": address, "eta": row[1],
            "pay_by": format_time(parse_time(row[0]) + PAY_WINDOW)}


_INSERT_CUSTOMER = ("INSERT INTO customers (id, name, gender, phone, province, city, district, detail, postcode, "
                    "adcode, address) VALUES (?, ?, 'unknown', ?, ?, ?, '', ?, ?, ?, ?)")
_INSERT_ORDER = ("INSERT INTO orders (order_no, customer, created_at, warehouse, eta, total, ship_adcode, ship_address) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_ITEM = "INSERT INTO order_items (order_no, product_id, qty, price) VALUES (?, ?, ?, ?)"


def _customer(conn: sqlite3.Connection, name: str, phone: str, address: str, city: dict[str, Any],
              writes: list[tuple[str, list[tuple[Any, ...]]]]) -> tuple[str, str]:
    """(id, name) of the customer with ``phone``; a new customer row (id ``C`` + the phone number,
    which no other customer has, added to ``writes``) when there is none."""
    row = conn.execute("SELECT id, name FROM customers WHERE phone = ?", (phone,)).fetchone()
    if row is not None:
        return row[0], row[1]
    places = static_data(conn, PlaceIndex)
    cid = f"C{phone}"
    writes.append((_INSERT_CUSTOMER, [(cid, name, phone, places.name(city["province"]), city["name"], address,
                                       places.row(city["adcode"]).get("postcode") or "", city["adcode"], address)]))
    return cid, name


def _place(ctx: ToolContext, args: PlaceOrderArgs) -> dict[str, Any]:
    return replayed(ctx.conn, "place_order",
                    (ctx.now, tuple(args.products), args.quantity, args.name, args.phone, args.address),
                    lambda: _place_now(ctx, args), written=False, as_is=True)


def _place_now(ctx: ToolContext, args: PlaceOrderArgs) -> tuple[dict[str, Any], Writes | None]:
    """The answer of ``place_order``, and the writes to make (see :func:`.memo.replayed`)."""
    conn, now = ctx.conn, ctx.now
    phone = mobile_number(args.phone)
    if phone is None:
        return tool_error("invalid_phone", f"手机号“{args.phone}”无效,请提供11位中国大陆手机号", "phone"), None
    products, err = resolve_products(conn, args.products)
    if err:
        return err, None
    city, err, place = static_data(conn, _Addresses).resolve(conn, args.address)
    if err:
        return err, None
    lines = deliveries(conn, now, city["adcode"], products, args.quantity)
    missing = [r["short_name"] for r in lines if not r["in_stock"]]
    if missing:
        return tool_error("out_of_stock", f"{'、'.join(missing)}库存不足,暂时无法下单", "products"), None
    address = {"text": args.address.strip(), "adcode": city["adcode"],
               "city": static_data(conn, PlaceIndex).full_name(city)}
    canonical = {"products": [p["id"] for p in products], "quantity": args.quantity, "name": args.name.strip(),
                 "phone": phone, "address": address["text"], "now": format_time(now)}
    key = request_key(canonical)
    for draw in range(1000):
        digits = int(hashlib.sha256(f"{key}#{draw}".encode()).hexdigest(), 16) % 10**6
        order_no = f"DD{now:%y%m%d}{digits:06d}"
        made = conn.execute("SELECT created_at FROM orders WHERE order_no = ?", (order_no,)).fetchone()
        if made is None:
            break
        if made[0] == canonical["now"]:  # this request, made before at this clock
            return _order_result(conn, order_no, address), None
    else:
        return tool_error("order_number_exhausted", f"{now:%Y-%m-%d} 的订单号已用完,请稍后再试", None), None
    eta = max(r["eta"] for r in lines)
    total = round(sum(p["price"] * args.quantity for p in products), 2)
    writes: Writes = []
    cid, owner = _customer(conn, canonical["name"], phone, address["text"], city, writes)
    writes.append((_INSERT_ORDER, [(order_no, cid, canonical["now"], lines[0]["warehouse"], eta, total, place,
                                    address["text"])]))
    writes.append((_INSERT_ITEM, [(order_no, p["id"], args.quantity, p["price"]) for p in products]))
    # what _order_result reads back, made from what is written (the same dict, no query)
    return {"order_no": order_no, "status": "待付款", "created_at": canonical["now"],
            "items": [{"product_id": p["id"], "short_name": p["short_name"], "qty": args.quantity, "price": p["price"]}
                      for p in products],
            "total": total, "name": owner, "phone": phone, "address": address, "eta": eta,
            "pay_by": format_time(now + PAY_WINDOW)}, writes


PLACE_ORDER = Tool(
    name="place_order",
    description="为客户下单:校验收货地址和库存,写入订单(待付款),返回订单号、商品、收货地址和预计送达时间",
    args_model=PlaceOrderArgs,
    func=_place,
    writes=True,
)
