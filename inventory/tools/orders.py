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
from array import array
from bisect import bisect_right
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
    route_checkpoints,
    route_of,
    route_texts,
    status_of,
    window_end,
)
from twinchat.inventory.regions import PlaceIndex
from twinchat.inventory.timefmt import format_time, parse_time
from twinchat.inventory.tools.base import Tool, ToolContext, day_text, free_number, request_key, tool_error
from twinchat.inventory.tools.memo import answer, one_copy, replayed
from twinchat.inventory.tools.order_facts import order_fact
from twinchat.inventory.tools.service import mobile_number
from twinchat.inventory.tools.static import static_data

__all__ = ["QueryOrderArgs", "RequestReturnArgs", "QUERY_ORDER", "REQUEST_RETURN", "MAX_ORDERS", "SHIP_BACK_DAYS",
           "OrderRow", "order_at", "order_lines", "order_status"]

#: A phone query lists at most this many orders, the newest first.
MAX_ORDERS = 5
#: A return or exchange is to be sent back within this many days of the request.
SHIP_BACK_DAYS = 7

_KIND_NAMES = {"return": "退货", "exchange": "换货"}
_ORDER_COLUMNS = ("order_no", "customer", "created_at", "paid_at", "shipped_at", "delivered_at",
                  "cancelled_at", "cancel_reason", "warehouse", "eta", "carrier", "tracking_no", "total")
_ORDER_SQL = f"SELECT {', '.join(_ORDER_COLUMNS)} FROM orders"


def _order_key(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


class OrderRow:
    """An order row as the order tools read it: its columns as attributes (``row.eta``). Slots,
    not a dict: a run keeps thousands of them (:mod:`.order_facts`).

    Its status is read off its timeline's texts, compared with the clock's text: for texts in
    the one time format, of four-digit years, that orders them as their datetimes (a time to the
    second is at most the clock when it is at most the clock's second). A row with other texts
    holds its timeline parsed."""

    __slots__ = (*_ORDER_COLUMNS, "timeline")

    def __init__(self, row: tuple[Any, ...], order_no: str | None = None) -> None:
        (no, self.customer, self.created_at, self.paid_at, self.shipped_at, self.delivered_at, self.cancelled_at,
         self.cancel_reason, self.warehouse, self.eta, self.carrier, self.tracking_no, self.total) = row
        self.order_no = no if order_no is None else order_no  # the asker's equal text: one copy held
        texts = self.texts()
        parsed = tuple(None if t is None else parse_time(t) for t in texts)  # an odd text is refused here
        #: the timeline parsed, or None when its texts are ordered as it is
        self.timeline = None if all(t is None or _STAMP.fullmatch(t) for t in texts) else parsed

    def texts(self) -> tuple[str | None, ...]:
        """The timeline's texts (the moments of :data:`~twinchat.inventory.orders.TIMELINE`, in
        its order)."""
        return self.created_at, self.paid_at, self.shipped_at, self.delivered_at, self.cancelled_at


#: a time's text in the one format, of a four-digit year
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def _status(order: OrderRow, now: datetime) -> str | None:
    """:func:`status_at` of an order row at ``now``."""
    if order.timeline is None and now.year >= 1000 and now.tzinfo is None:  # now's text: four digits, no zone
        return status_of(order.texts(), format_time(now))  # type: ignore[arg-type]
    timeline = order.timeline
    if timeline is None:
        timeline = tuple(None if t is None else parse_time(t) for t in order.texts())
    return status_of(timeline, now)


def _order(conn: sqlite3.Connection, order_no: str, now: datetime) -> OrderRow | None:
    """The order row (shared: not to be changed) if it exists at ``now``.

    An order's facts (its row, lines and checkpoints) are remembered once per run while the
    order tables are unwritten, else per world state (:func:`.order_facts.order_fact`), and kept
    lean: texts that repeat across orders held once (:func:`~twinchat.inventory.tools.memo.one_copy`),
    checkpoints as two tuples."""
    order = order_fact(conn, "order_row", order_no, lambda: _order_row(conn, order_no))
    return None if order is None or order.created_at > format_time(now) else order


#: the order tools' reading of an order at a clock, and of its status then (the after-sales tools
#: read them too)
order_at, order_status = _order, _status


#: columns whose texts repeat across orders (a customer's orders, a handful of carriers,
#: warehouses and reasons): held once by the remembered rows
_REPEATED = frozenset(("customer", "cancel_reason", "warehouse", "carrier"))


def _order_row(conn: sqlite3.Connection, order_no: str) -> OrderRow | None:
    row = conn.execute(f"{_ORDER_SQL} WHERE order_no = ?", (order_no,)).fetchone()
    if row is None:
        return None
    same = one_copy(conn)
    return OrderRow(tuple(same(v, v) if k in _REPEATED and type(v) is str else v for k, v in zip(_ORDER_COLUMNS, row)),
                    order_no)


#: an order line as remembered: (product id, short name, quantity, price paid)
Line = tuple[str, str, int, float]


def _items(conn: sqlite3.Connection, order_no: str) -> list[Line]:
    """The order's lines (shared: not to be changed)."""
    return order_fact(conn, "order_items", order_no, lambda: _item_rows(conn, order_no))


def _item_rows(conn: sqlite3.Connection, order_no: str) -> list[Line]:
    rows = conn.execute(
        "SELECT i.product_id, p.short_name, i.qty, i.price FROM order_items i "
        "JOIN products p ON p.id = i.product_id WHERE i.order_no = ? ORDER BY i.rowid", (order_no,))
    same = one_copy(conn)
    return [(same(r[0], r[0]), same(r[1], r[1]), r[2], r[3]) for r in rows]


#: the order tools' reading of an order's lines (the after-sales tools read them too)
order_lines = _items


def _line_view(line: Line) -> dict[str, Any]:
    """What an answer says about an order line."""
    return {"product_id": line[0], "short_name": line[1], "qty": line[2]}


#: checkpoint times are remembered as whole minutes since this moment: the tracking history is
#: written to the minute (:func:`~twinchat.inventory.orders.route_checkpoints`)
_EPOCH = datetime(2000, 1, 1)
_MINUTE = timedelta(minutes=1)

#: an order's tracking history as remembered: its times, oldest first, in minutes since
#: :data:`_EPOCH` (eight bytes each), and the route its texts are made of (the arguments of
#: :func:`~twinchat.inventory.orders.route_texts`, texts held once: routes repeat across orders)
History = tuple["array[int]", tuple[str, ...]]


def _checkpoints(conn: sqlite3.Connection, order_no: str) -> History | None:
    """The order's tracking history (shared: not to be changed); None for one never shipped."""
    return order_fact(conn, "order_checkpoints", order_no, lambda: _checkpoint_rows(conn, order_no))


def _checkpoint_rows(conn: sqlite3.Connection, order_no: str) -> History | None:
    route = route_of(conn, order_no)
    if route is None:
        return None
    shipped, delivered, *texts = route
    same = one_copy(conn)
    found = route_checkpoints(shipped, delivered, carrier=texts[0], hub=texts[1], warehouse=texts[2],
                              origin_city=texts[3], dest_city=texts[4], station=texts[5])
    return array("q", [(c.time - _EPOCH) // _MINUTE for c in found]), tuple(same(t, t) for t in texts)


def _last_checkpoint(history: History | None, now: datetime) -> dict[str, Any]:
    """The latest checkpoint by ``now`` (an order shipped by then has one)."""
    # the times are in order, those up to now first; a time to the minute is at most now when it
    # is at most now's minute
    passed = 0 if history is None else bisect_right(history[0], (now - _EPOCH) // _MINUTE)
    if not passed:
        raise IndexError("a shipped order has a checkpoint by now")
    times, route = history  # type: ignore[misc]
    return {"time": format_time(_EPOCH + times[passed - 1] * _MINUTE), "text": route_texts(*route)[passed - 1]}


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
    status = _status(order, now)
    assert status is not None, "only orders created by now are viewed"
    shipped = status in (IN_TRANSIT, DELIVERED)
    waiting = status in (AWAITING_SHIPMENT, IN_TRANSIT)
    last = None
    if shipped:
        last = _last_checkpoint(_checkpoints(conn, order.order_no), now)
    promised = parse_time(order.eta) if order.eta else None
    created = parse_time(order.created_at)
    return {
        "order_no": order.order_no,
        "status": status,
        "created_at": order.created_at,
        "total": order.total,
        "items": [_line_view(i) for i in _items(conn, order.order_no)],
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
    return answer(ctx.conn, "query_order", (ctx.now, args.order_no, args.phone), lambda: _query_now(ctx, args))


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
        order = _order(conn, order_no, now)
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
        f"{_ORDER_SQL} WHERE customer = ? AND created_at <= ? ORDER BY created_at DESC, order_no DESC LIMIT ?",
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


def _return_result(conn: sqlite3.Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT r.return_no, r.order_no, r.product_id, r.kind, r.created_at, o.warehouse "
        "FROM returns r JOIN orders o ON o.order_no = r.order_no WHERE r.request_key = ?", (key,)).fetchone()
    if row is None:
        return None
    return _return_view(conn, *row, _items(conn, row[1]))


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
                    lambda: _request_now(ctx, args), written=False)


_INSERT_RETURN = ("INSERT INTO returns (return_no, request_key, order_no, product_id, kind, reason, created_at, status) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, 'created')")
Written = tuple[dict[str, Any], "tuple[str, tuple[Any, ...]] | None"]


def _request_now(ctx: ToolContext, args: RequestReturnArgs) -> Written:
    """The answer of ``request_return``, and the write to make (see :func:`.memo.replayed`): owed
    until the next tool call."""
    conn, now = ctx.conn, ctx.now
    order_no = _order_key(args.order_no)
    order = _order(conn, order_no, now)
    if order is None:
        return _not_found(order_no), None
    product_id = _order_key(args.product_id) if args.product_id is not None else None
    items = _items(conn, order_no)
    if product_id is not None and product_id not in {i[0] for i in items}:
        listed = "、".join(f"{i[0]}({i[1]})" for i in items)
        return tool_error("product_not_in_order",
                          f"订单 {order_no} 中没有商品 {product_id},该订单的商品有: {listed}", "product_id"), None
    status = _status(order, now)
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
    existing = _return_result(conn, key)
    if existing is not None:
        return existing, None
    clash = conn.execute(
        "SELECT return_no, kind FROM returns WHERE order_no = ? AND created_at <= ? "
        "AND (product_id IS NULL OR ? IS NULL OR product_id = ?) ORDER BY created_at, return_no LIMIT 1",
        (order_no, format_time(now), product_id, product_id)).fetchone()
    if clash is not None:
        what = f"商品 {product_id}" if product_id else "商品"
        return tool_error("return_exists",
                          f"订单 {order_no} 的{what}已有售后申请 {clash[0]}({_KIND_NAMES[clash[1]]}),请勿重复提交",
                          "product_id" if product_id else "order_no"), None
    number = free_number(conn, key, "TH" if args.kind == "return" else "HH", now, "returns", "return_no", "return")
    if isinstance(number, dict):  # no number left for the day: a tool error
        return number, None
    params = (number, key, order_no, product_id, args.kind, canonical["reason"], canonical["now"])
    # what _return_result reads back, made from what is written (the order and its lines, read
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
