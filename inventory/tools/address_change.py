"""``change_address`` (改地址): a new shipping address for an order that has not shipped yet.

An order ships to ``orders.ship_address`` (``ship_adcode``: its district). Before the parcel
leaves the warehouse the customer may send it elsewhere: the new address must name a real
district (a city alone, an unknown or an ambiguous place is a structured error, as
``place_order`` refuses one), and the order must be awaiting payment or shipment — a shipped,
delivered or cancelled order is refused with the facts that say why.

The change rewrites the address and the promised arrival: the order's warehouse ships as it
would have (a paid order from its payment time, an unpaid one from the session clock) by its
lane to the new city (an unpaid order without a warehouse yet: the fastest of those holding its
lines) (:func:`twinchat.inventory.logistics.eta`); a paid order's planned delivery
moves with the promise. It writes inside the caller's transaction (a session's savepoint), so
later turns of the session see the new address and ETA, and the world is unchanged afterwards.
The same call again finds the address already in place and answers the same (idempotent). On a
tracked connection the answer and its write are remembered per world state (:func:`.memo.replayed`):
the same call from the same state is answered from memory and makes the same write.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinchat.inventory.logistics import eta
from twinchat.inventory.orders import AWAITING_SHIPMENT, PENDING_PAYMENT
from twinchat.inventory.regions import PlaceIndex
from twinchat.inventory.timefmt import format_time, parse_time
from twinchat.inventory.tools.aftersales import not_found, ordered, state_error
from twinchat.inventory.tools.base import Tool, ToolContext, tool_error
from twinchat.inventory.tools.memo import replayed
from twinchat.inventory.tools.places import district_names, kept_answer, resolve_address
from twinchat.inventory.tools.static import static_data

__all__ = ["ChangeAddressArgs", "CHANGE_ADDRESS", "resolve_district"]


class ChangeAddressArgs(BaseModel):
    """Arguments of ``change_address``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_no: str = Field(min_length=1, max_length=40, description="要修改收货地址的订单号,如 DD261112637359")
    address: str = Field(min_length=2, max_length=120,
                         description="新的收货地址,需包含城市和区县,如 深圳市南山区科苑路15号")


def resolve_district(conn: sqlite3.Connection, address: str, field: str = "address") -> tuple[Any, Any]:
    """(the district row a street address lies in, None) or (None, the tool error): the address's
    city as :func:`.places.resolve_address` reads it, and the district of that city it names.
    Remembered per connection for the last :data:`KEEP_DISTRICTS` addresses (it reads static
    tables only): the row is shared (read it, do not change it), a tool error is a copy."""
    return kept_answer(conn, _Districts, KEEP_DISTRICTS, _read_district, address, field)


#: the addresses :func:`resolve_district` keeps the district of, per connection
KEEP_DISTRICTS = 4096
#: whitespace dropped from an address before its district is looked for (compiled once)
_SPACES = re.compile(r"\s+")


class _Districts(dict):  # type: ignore[type-arg]
    """(address, field) -> what :func:`_read_district` gave: kept per connection (static data)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__()


def _read_district(conn: sqlite3.Connection, address: str, field: str) -> tuple[Any, Any]:
    city, err = resolve_address(conn, address, field)
    if err:
        return None, err
    text = _SPACES.sub("", address)
    named = sorted(district_names(conn, text, city["adcode"]), key=lambda found: (found[0] < 0, found[0]))
    if not named:
        return None, tool_error("address_needs_district", f"地址“{address.strip()}”没有写明区县,"
                                f"请提供{city['name']}的区县和详细地址", field)
    return static_data(conn, PlaceIndex).row(named[0][1]), None


def _new_eta(conn: sqlite3.Connection, order_no: str, warehouse: str | None, start: datetime, city: str) -> datetime:
    """When the order arrives at ``city`` (a city adcode), shipped from ``start`` by its warehouse's
    lane; an order not assigned a warehouse yet (unpaid) by the fastest lane of those holding every
    line in stock (of all, when none does)."""
    if warehouse is not None:
        able = [warehouse]
    else:
        lines = conn.execute("SELECT product_id, qty FROM order_items WHERE order_no = ?", (order_no,)).fetchall()
        held = [{w for (w,) in conn.execute("SELECT warehouse FROM stock WHERE product_id = ? AND qty >= ?", line)}
                for line in lines]
        able = sorted(set.intersection(*held)) if held and set.intersection(*held) else \
            [w for (w,) in conn.execute("SELECT id FROM warehouses ORDER BY id")]
    marks = ", ".join("?" * len(able))
    lanes = conn.execute(f"SELECT w.cutoff, l.tier FROM warehouses w JOIN lanes l ON l.warehouse = w.id "
                         f"WHERE l.dest_city = ? AND w.id IN ({marks}) ORDER BY w.id", (city, *able)).fetchall()
    return min(eta(start, cutoff, tier) for cutoff, tier in lanes)


def _change(ctx: ToolContext, args: ChangeAddressArgs) -> dict[str, Any]:
    return replayed(ctx.conn, "change_address", (ctx.now, args.order_no, args.address),
                    lambda: _change_now(ctx, args), as_is=True)


_UPDATE_ADDRESS = "UPDATE orders SET ship_adcode = ?, ship_address = ?, eta = ?, delivered_at = ? WHERE order_no = ?"


def _change_now(ctx: ToolContext, args: ChangeAddressArgs) -> tuple[dict[str, Any], Any]:
    """The answer of ``change_address`` and the write it made (see :func:`.memo.replayed`)."""
    conn, now = ctx.conn, ctx.now
    order, no, status = ordered(ctx, args.order_no)
    if order is None:
        return not_found(no), None
    if status not in (PENDING_PAYMENT, AWAITING_SHIPMENT):
        return state_error(order, status, "无法修改收货地址"), None
    district, err = resolve_district(conn, args.address)
    if err:
        return err, None
    text = " ".join(args.address.split())
    old_text, old_eta, delivered, warehouse = conn.execute(
        "SELECT ship_address, eta, delivered_at, warehouse FROM orders WHERE order_no = ?", (no,)).fetchone()
    start = parse_time(order.paid_at) if status == AWAITING_SHIPMENT else now
    promised = _new_eta(conn, no, warehouse, start, district["city"])
    stamp = format_time(promised)
    if delivered is not None and old_eta is not None:  # the planned delivery moves with the promise
        moved = parse_time(delivered) + (promised - parse_time(old_eta))
        delivered = format_time(max(moved, parse_time(order.shipped_at) + timedelta(hours=1)))
    params = (district["adcode"], text, stamp, delivered, no)
    conn.execute(_UPDATE_ADDRESS, params)
    places = static_data(conn, PlaceIndex)
    return {"order_no": no, "status": status, "changed": old_text != text, "previous_address": old_text,
            "address": {"text": text, "adcode": district["adcode"], "district": places.full_name(district)},
            "estimated_delivery": stamp, "previous_eta": old_eta, "eta_changed": old_eta != stamp}, \
        (_UPDATE_ADDRESS, params)


CHANGE_ADDRESS = Tool(
    name="change_address",
    description="修改未发货订单(待付款或待发货)的收货地址:校验新地址(需写明城市和区县),写入订单,"
                "返回新地址和按新地址计算的预计送达时间;已发货、已签收或已取消的订单返回原因",
    args_model=ChangeAddressArgs,
    func=_change,
    writes=True,
)
