"""The order tools: ``query_order`` (我的订单到哪了) and ``request_return`` (我想退货/换货).

Both read an order's timeline at the session clock (:func:`twinchat.inventory.orders.status_at`):
an order created after ``now`` is not found, and what it says about shipping and delivery is
what had happened by ``now``.

``request_return`` writes one row to ``returns`` and leaves the transaction to its caller. It
is idempotent in the way ``create_ticket`` is: the request is keyed by a hash of its canonical
arguments and the session clock, so the same call at the same clock returns the same return
number and adds no row.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, time, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from twinchat.inventory.orders import (
    AWAITING_SHIPMENT,
    CANCELLED,
    DELIVERED,
    EXCHANGE_DAYS,
    IN_TRANSIT,
    PAY_WINDOW,
    PENDING_PAYMENT,
    RETURN_DAYS,
    window_end,
)
from twinchat.inventory.regions import PlaceIndex
from twinchat.inventory.timefmt import format_time, parse_time
from twinchat.inventory.tools.base import Tool, ToolContext, day_text, free_number, request_key, tool_error
from twinchat.inventory.tools.memo import answer, replayed
from twinchat.inventory.tools.order_reads import (
    ORDER_SQL,
    Line,
    OrderRow,
    last_checkpoint,
    order_at,
    order_checkpoints,
    order_lines,
    order_status,
)
from twinchat.inventory.tools.service import mobile_number
from twinchat.inventory.tools.static import static_data

__all__ = ["QueryOrderArgs", "RequestReturnArgs", "QUERY_ORDER", "REQUEST_RETURN", "MAX_ORDERS", "SHIP_BACK_DAYS",
           "OrderRow", "order_at", "order_lines", "order_status"]

#: A phone query lists at most this many orders, the newest first.
MAX_ORDERS = 5
#: A return or exchange is to be sent back within this many days of the request.
SHIP_BACK_DAYS = 7

_KIND_NAMES = {"return": "退货", "exchange": "换货"}
#: whitespace a customer may type inside an order number or product id (compiled once)
_SPACES = re.compile(r"\s+")


def _order_key(text: str) -> str:
    return _SPACES.sub("", text).upper()


def _line_view(line: Line) -> dict[str, Any]:
    """What an answer says about an order line."""
    return {"product_id": line[0], "short_name": line[1], "qty": line[2]}


def _not_found(order_no: str) -> dict[str, Any]:
    return tool_error("order_not_found", f"未找到订单 {order_no},请核对订单号", "order_no")


# -- query_order -------------------------------------------------------------------------------

class QueryOrderArgs(BaseModel):
    """Arguments of ``query_order``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_no: str | None = Field(
        default=None, min_length=1, description="订单号,如 DD261112637359;与 phone 至少提供一个"
    )
    phone: str | None = Field(
        default=None, min_length=1,
        description="下单手机号,中国大陆手机号,如 13800138000;没有订单号时按手机号查询最近的订单",
    )


def _view(conn: sqlite3.Connection, order: OrderRow, now: datetime) -> dict[str, Any]:
    """What the customer may be told about ``order`` at ``now``."""
    status = order_status(order, now)
    assert status is not None, "only orders created by now are viewed"
    shipped = status in (IN_TRANSIT, DELIVERED)
    waiting = status in (AWAITING_SHIPMENT, IN_TRANSIT)
    last = None
    if shipped:
        last = last_checkpoint(order_checkpoints(conn, order.order_no), now)
    promised = parse_time(order.eta) if order.eta else None
    created = parse_time(order.created_at)
    return {
        "order_no": order.order_no,
        "status": status,
        "created_at": order.created_at,
        "total": order.total,
        "items": [_line_view(i) for i in order_lines(conn, order.order_no)],
        "carrier": order.carrier if shipped else None,
        "tracking_no": order.tracking_no if shipped else None,
        "pay_by": format_time(created + PAY_WINDOW) if status == PENDING_PAYMENT else None,
        "estimated_delivery": order.eta if waiting else None,
        "delayed": bool(waiting and promised is not None and now > promised),
        "last_checkpoint": last,
        "delivered_at": order.delivered_at if status == DELIVERED else None,
        "cancelled_at": order.cancelled_at if status == CANCELLED else None,
        "cancel_reason": order.cancel_reason if status == CANCELLED else None,
    }


def _query(ctx: ToolContext, args: QueryOrderArgs) -> dict[str, Any]:
    return answer(ctx.conn, "query_order", (ctx.now, args.order_no, args.phone),
                  lambda: _query_now(ctx, args), as_is=True)


def _query_now(ctx: ToolContext, args: QueryOrderArgs) -> dict[str, Any]:
    conn, now = ctx.conn, ctx.now
    if args.order_no is None and args.phone is None:
        return tool_error("invalid_arguments", "请提供订单号或下单手机号", None)
    phone = None
    if args.phone is not None:
        phone = mobile_number(args.phone)
        if phone is None:
            return tool_error("invalid_phone", f"手机号“{args.phone}”无效,请提供11位中国大陆手机号", "phone")
    if args.order_no is not None:
        order_no = _order_key(args.order_no)
        order = order_at(conn, order_no, now)
        if order is None:
            return _not_found(order_no)
        if phone is not None:
            owner = conn.execute("SELECT phone FROM customers WHERE id = ?", (order.customer,)).fetchone()
            if owner[0] != phone:
                return tool_error("order_not_found", f"手机号 {phone} 名下没有订单 {order_no},请核对", "order_no")
        return {"orders": [_view(conn, order, now)], "count": 1}
    customer = conn.execute("SELECT id FROM customers WHERE phone = ?", (phone,)).fetchone()
    if customer is None:
        return {"orders": [], "count": 0}
    stamp = format_time(now)
    count = conn.execute("SELECT count(*) FROM orders WHERE customer = ? AND created_at <= ?",
                         (customer[0], stamp)).fetchone()[0]
    rows = conn.execute(
        f"{ORDER_SQL} WHERE customer = ? AND created_at <= ? ORDER BY created_at DESC, order_no DESC LIMIT ?",
        (customer[0], stamp, MAX_ORDERS)).fetchall()
    return {"orders": [_view(conn, OrderRow(r), now) for r in rows], "count": count}


QUERY_ORDER = Tool(
    name="query_order",
    description=(
        "按订单号或下单手机号查询订单:当前状态(待付款/待发货/运输中/已签收/已取消)、商品、"
        "快递公司和运单号、预计送达时间或最新物流信息;按手机号最多返回最近5个订单"
    ),
    args_model=QueryOrderArgs,
    func=_query,
)


# -- request_return ----------------------------------------------------------------------------

class RequestReturnArgs(BaseModel):
    """Arguments of ``request_return``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_no: str = Field(min_length=1, description="要退换货的订单号,如 DD261112637359")
    product_id: str | None = Field(
        default=None, min_length=1, description="要退换的商品编号,如 MEM017;不填则整单退换"
    )
    kind: Literal["return", "exchange"] = Field(
        description="售后类型: return 退货退款(签收后7天内无理由退货), exchange 换货(签收后15天内)"
    )
    reason: str = Field(min_length=1, max_length=200, description="退换货原因,如 尺寸不合适、商品有质量问题、不想要了")


def _return_addresses(conn: sqlite3.Connection) -> dict[str, dict[str, Any]]:
    """Warehouse id -> where returns to it are sent (static data, see :mod:`.static`)."""
    index = static_data(conn, PlaceIndex)
    out = {}
    for wid, name, district in conn.execute("SELECT id, name, district FROM warehouses"):
        place = index.row(district)
        out[wid] = {"warehouse_id": wid, "name": name, "address": f"{index.full_name(place)}{name}售后收货处",
                    "postcode": place["postcode"]}
    return out


def _return_address(conn: sqlite3.Connection, warehouse: str) -> dict[str, Any]:
    return dict(static_data(conn, _return_addresses)[warehouse])


def _return_view(conn: sqlite3.Connection, return_no: str, order_no: str, product_id: str | None, kind: str,
                 created_at: str, warehouse: str, items: list[Line]) -> dict[str, Any]:
    """The answer about a return row (and its order's warehouse and lines)."""
    lines = [i for i in items if product_id is None or i[0] == product_id]
    refund = round(sum(i[3] * i[2] for i in lines), 2) if kind == "return" else None
    created = parse_time(created_at)
    ship_back_by = datetime.combine(created.date() + timedelta(days=SHIP_BACK_DAYS), time(23, 59, 59))
    return {
        "return_no": return_no, "order_no": order_no, "kind": kind, "kind_name": _KIND_NAMES[kind],
        "status": "待寄回", "created_at": created_at,
        "items": [_line_view(i) for i in lines],
        "refund_amount": refund, "return_address": _return_address(conn, warehouse),
        "ship_back_by": format_time(ship_back_by),
    }


def _window_closed(order: OrderRow, kind: str, now: datetime) -> dict[str, Any] | None:
    delivered = parse_time(order.delivered_at)
    end = window_end(delivered, kind)
    if now <= end:
        return None
    head = f"订单 {order.order_no} 于 {day_text(delivered)} 签收,"
    if kind == "exchange":
        return tool_error("return_window_closed",
                          f"{head}换货期限(签收后{EXCHANGE_DAYS}天)已于 {format_time(end)} 截止", "kind")
    exchange_end = window_end(delivered, "exchange")
    tail = (f";{format_time(exchange_end)} 前仍可申请换货" if now <= exchange_end
            else f";换货期限也已于 {format_time(exchange_end)} 截止")
    return tool_error("return_window_closed",
                      f"{head}{RETURN_DAYS}天无理由退货已于 {format_time(end)} 截止{tail}", "kind")


def _request(ctx: ToolContext, args: RequestReturnArgs) -> dict[str, Any]:
    return replayed(ctx.conn, "request_return", (ctx.now, args.order_no, args.product_id, args.kind, args.reason),
                    lambda: _request_now(ctx, args), written=False, as_is=True)


_INSERT_RETURN = ("INSERT INTO returns (return_no, request_key, order_no, product_id, kind, reason, created_at, status) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, 'created')")
Written = tuple[dict[str, Any], "tuple[str, tuple[Any, ...]] | None"]


def _request_now(ctx: ToolContext, args: RequestReturnArgs) -> Written:
    """The answer of ``request_return``, and the write to make (see :func:`.memo.replayed`): owed
    until the next tool call."""
    conn, now = ctx.conn, ctx.now
    order_no = _order_key(args.order_no)
    order = order_at(conn, order_no, now)
    if order is None:
        return _not_found(order_no), None
    product_id = _order_key(args.product_id) if args.product_id is not None else None
    items = order_lines(conn, order_no)
    if product_id is not None and product_id not in {i[0] for i in items}:
        listed = "、".join(f"{i[0]}({i[1]})" for i in items)
        return tool_error("product_not_in_order",
                          f"订单 {order_no} 中没有商品 {product_id},该订单的商品有: {listed}", "product_id"), None
    status = order_status(order, now)
    if status == CANCELLED:
        return tool_error("order_cancelled",
                          f"订单 {order_no} 已于 {order.cancelled_at} 取消,无需申请退换货", "order_no"), None
    if status != DELIVERED:
        advice = "如不想要了可以申请取消订单" if status != IN_TRANSIT else "如不想要了可以拒收"
        return tool_error("not_delivered",
                          f"订单 {order_no} 当前状态为{status},签收后才能申请退换货;{advice}", "order_no"), None
    closed = _window_closed(order, args.kind, now)
    if closed:
        return closed, None

    canonical = {"order_no": order_no, "product_id": product_id, "kind": args.kind,
                 "reason": " ".join(args.reason.split()), "now": format_time(now)}
    key = request_key(canonical)
    # the order's returns, read once for both questions (most orders have none): the same request
    # made before (its key names the order), else the first by then for the same goods
    earlier = conn.execute("SELECT return_no, request_key, product_id, kind, created_at FROM returns "
                           "WHERE order_no = ? ORDER BY created_at, return_no", (order_no,)).fetchall()
    for return_no, asked, returned, kind, created_at in earlier:
        if asked == key:  # answered with what it made
            return _return_view(conn, return_no, order_no, returned, kind, created_at, order.warehouse, items), None
    stamp = canonical["now"]
    clash = next((r for r in earlier if r[4] <= stamp and (r[2] is None or product_id is None or r[2] == product_id)),
                 None)
    if clash is not None:
        what = f"商品 {product_id}" if product_id else "商品"
        return tool_error("return_exists",
                          f"订单 {order_no} 的{what}已有售后申请 {clash[0]}({_KIND_NAMES[clash[3]]}),请勿重复提交",
                          "product_id" if product_id else "order_no"), None
    number = free_number(conn, key, "TH" if args.kind == "return" else "HH", now, "returns", "return_no", "return")
    if isinstance(number, dict):  # no number left for the day: a tool error
        return number, None
    params = (number, key, order_no, product_id, args.kind, canonical["reason"], canonical["now"])
    # what a request made again reads back, made from what is written (the order and its lines, read
    # above, are not changed by it): no query
    return _return_view(conn, number, order_no, product_id, args.kind, canonical["now"], order.warehouse,
                        items), (_INSERT_RETURN, params)


REQUEST_RETURN = Tool(
    name="request_return",
    description=(
        "为已签收的订单申请退货(签收后7天内无理由退货)或换货(签收后15天内),"
        "可整单或指定商品;返回售后单号、寄回地址、寄回期限和退款金额"
    ),
    args_model=RequestReturnArgs,
    func=_request,
    writes=True,
)
