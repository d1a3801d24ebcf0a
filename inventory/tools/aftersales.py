"""The everyday after-sales tools: urging shipment, cancelling, invoices, price protection, a
human agent and complaints.

Every answer is the order's timeline read at the session clock (as ``query_order`` reads it):

* ``urge_shipment`` (催发货) — a paid order still in the warehouse is flagged for priority
  dispatch (whether it is past the usual 12 hours since payment, and its promised delivery); a
  shipped, delivered, cancelled or unpaid order is a structured error that says why.
* ``request_cancellation`` — an order not shipped yet is cancelled (or, naming one of several lines,
  that line is), and the refund is what was paid for what was cancelled; a shipped or delivered
  order is refused (拒收 / 退货 instead). It writes the order's ``cancelled_at`` or removes the
  line, inside the caller's transaction (a session's savepoint); the same call from the same world
  state is answered from memory and makes the same writes (:func:`.memo.replayed`).
* ``get_invoice`` — the e-invoice of an order: issued at delivery (its number is a fixed
  function of the order), or to be issued within 24 hours of delivery; none for an unpaid or
  cancelled order.
* ``check_price_protection`` (价保) — the shop's price today is derived from the catalog price
  and the day (a day's promotion takes 5% or 10% off some products); within 15 days of the
  order, a lower price today is a difference the customer may claim.
* ``transfer_to_human`` — human agents work 09:00–22:00; the queue depends on the clock.
* ``file_complaint`` — a complaint is escalated to a supervisor with a number and a callback
  promise (2 hours for an order past its promised delivery, else 24).
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinchat.inventory.orders import (
    AWAITING_SHIPMENT,
    CANCELLED,
    DELIVERED,
    IN_TRANSIT,
    PAY_WINDOW,
    PENDING_PAYMENT,
)
from twinchat.inventory.timefmt import format_time, parse_time
from twinchat.inventory.tools.base import Tool, ToolContext, day_text, tool_error
from twinchat.inventory.tools.memo import Writes, answer, replayed
from twinchat.inventory.tools.orders import OrderRow, order_at, order_lines, order_status
from twinchat.inventory.tools.static import static_data

__all__ = ["URGE_SHIPMENT", "REQUEST_CANCELLATION", "GET_INVOICE", "CHECK_PRICE_PROTECTION", "TRANSFER_TO_HUMAN",
           "FILE_COMPLAINT", "price_on", "SHIP_HOURS", "PROTECT_DAYS", "HUMAN_HOURS", "ordered", "not_found",
           "state_error"]

#: A paid order normally leaves the warehouse within this many hours.
SHIP_HOURS = 12
#: A refund reaches the original account within this many working days.
REFUND_DAYS = "1-3"
#: Price protection lasts this many days after the order was placed.
PROTECT_DAYS = 15
#: Human agents are online from the first hour to the second (end excluded).
HUMAN_HOURS = (9, 22)


def _digits(key: str, n: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10**n


def _order_key(text: str) -> str:
    """An order number or product id as the tables hold it (DD261112637359, MEM017)."""
    return "".join(text.split()).upper()


def _order(conn: sqlite3.Connection, order_no: str, now: datetime) -> OrderRow | None:
    """The order row (shared: not to be changed) if it exists at ``now``:
    ``query_order``'s, remembered per world state (an after-sales call's verification, and other
    sessions asking about the same order, read no row again)."""
    return order_at(conn, order_no, now)


def _items(conn: sqlite3.Connection, order_no: str) -> list[dict[str, Any]]:
    """The order's lines, fresh dicts made from ``query_order``'s remembered ones."""
    return [{"product_id": pid, "short_name": short, "qty": qty, "price": price}
            for pid, short, qty, price in order_lines(conn, order_no)]


def _not_found(order_no: str) -> dict[str, Any]:
    return tool_error("order_not_found", f"未找到订单 {order_no},请核对订单号", "order_no")


def _ordered(ctx: ToolContext, order_no: str) -> tuple[OrderRow | None, str, str]:
    """(the order row or None when it does not exist at the clock, its canonical number, its status)."""
    key = _order_key(order_no)
    order = _order(ctx.conn, key, ctx.now)
    return order, key, "" if order is None else (order_status(order, ctx.now) or "")


class OrderArgs(BaseModel):
    """An order number (the one argument of most after-sales tools)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_no: str = Field(min_length=1, max_length=40, description="订单号,如 DD261112637359")


def _state_error(order: OrderRow, status: str, what: str) -> dict[str, Any]:
    """The error for an order whose status rules ``what`` out, with the facts that say why."""
    no = order.order_no
    if status == PENDING_PAYMENT:
        pay_by = format_time(parse_time(order.created_at) + PAY_WINDOW)
        return {**tool_error("not_paid", f"订单 {no} 还未付款({pay_by} 前付款有效),{what}", "order_no"),
                "order_no": no, "status": status, "pay_by": pay_by}
    if status == CANCELLED:
        return {**tool_error("order_cancelled", f"订单 {no} 已于 {order.cancelled_at} 取消,{what}", "order_no"),
                "order_no": no, "status": status, "cancelled_at": order.cancelled_at}
    if status == IN_TRANSIT:
        return {**tool_error("already_shipped", f"订单 {no} 已于 {order.shipped_at} 由{order.carrier}发出"
                             f"(运单号 {order.tracking_no}),{what}", "order_no"),
                "order_no": no, "status": status, "shipped_at": order.shipped_at, "carrier": order.carrier,
                "tracking_no": order.tracking_no, "estimated_delivery": order.eta}
    return {**tool_error("already_delivered", f"订单 {no} 已于 {order.delivered_at} 签收,{what}", "order_no"),
            "order_no": no, "status": status, "delivered_at": order.delivered_at}


#: What other order tools (``change_address``) share: the order at the clock, and the errors.
ordered, not_found, state_error = _ordered, _not_found, _state_error


# -- urge_shipment -------------------------------------------------------------------------------

def _urge(ctx: ToolContext, args: OrderArgs) -> dict[str, Any]:
    return answer(ctx.conn, "urge_shipment", (ctx.now, args.order_no), lambda: _urge_now(ctx, args), as_is=True)


def _urge_now(ctx: ToolContext, args: OrderArgs) -> dict[str, Any]:
    order, no, status = _ordered(ctx, args.order_no)
    if order is None:
        return _not_found(no)
    if status != AWAITING_SHIPMENT:
        return _state_error(order, status, "无需催发货")
    paid = parse_time(order.paid_at)
    ship_by = paid + timedelta(hours=SHIP_HOURS)
    return {"order_no": no, "status": status, "paid_at": order.paid_at, "ship_by": format_time(ship_by),
            "ship_hours": SHIP_HOURS, "overdue": ctx.now > ship_by, "estimated_delivery": order.eta,
            "delayed": bool(order.eta and ctx.now > parse_time(order.eta)), "priority": True,
            "items": [{k: i[k] for k in ("product_id", "short_name", "qty")} for i in _items(ctx.conn, no)]}


URGE_SHIPMENT = Tool(
    name="urge_shipment",
    description="催发货:查询待发货订单的付款时间、承诺发货时间(付款后12小时内)和预计送达,并通知仓库优先出库;"
                "已发货、已签收、已取消或未付款的订单返回原因",
    args_model=OrderArgs,
    func=_urge,
)


# -- cancel_order --------------------------------------------------------------------------------

class CancelArgs(BaseModel):
    """Arguments of ``request_cancellation``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_no: str = Field(min_length=1, max_length=40, description="要取消的订单号,如 DD261112637359")
    product_id: str | None = Field(
        default=None, min_length=1, max_length=40, description="只取消其中一件商品时填商品编号,如 MEM017;不填取消整单")
    reason: str = Field(default="不想要了", min_length=1, max_length=100, description="取消原因,如 不想要了、拍错了")


def _cancel(ctx: ToolContext, args: CancelArgs) -> dict[str, Any]:
    return replayed(ctx.conn, "request_cancellation", (ctx.now, args.order_no, args.product_id, args.reason),
                    lambda: _cancel_now(ctx, args), as_is=True)


_DELETE_LINE = "DELETE FROM order_items WHERE order_no = ? AND product_id = ?"
_LOWER_TOTAL = "UPDATE orders SET total = round(total - ?, 2) WHERE order_no = ?"
_CANCEL_ORDER = "UPDATE orders SET cancelled_at = ?, cancel_reason = ? WHERE order_no = ?"


def _cancel_now(ctx: ToolContext, args: CancelArgs) -> tuple[dict[str, Any], Writes | None]:
    """The answer of ``request_cancellation`` and the writes it made (see :func:`.memo.replayed`)."""
    order, no, status = _ordered(ctx, args.order_no)
    if order is None:
        return _not_found(no), None
    if status == IN_TRANSIT:
        return _state_error(order, status, "无法取消,可以拒收包裹,退回后原路退款"), None
    if status == DELIVERED:
        return _state_error(order, status, "无法取消,如需退货请申请售后"), None
    if status == CANCELLED:
        return {**tool_error("already_cancelled", f"订单 {no} 已于 {order.cancelled_at} 取消,无需重复操作",
                             "order_no"), "order_no": no, "status": status, "cancelled_at": order.cancelled_at}, None
    items = _items(ctx.conn, no)
    paid = status == AWAITING_SHIPMENT
    pid = _order_key(args.product_id) if args.product_id is not None else None
    stamp = format_time(ctx.now)
    if pid is not None and len(items) > 1:
        line = next((i for i in items if i["product_id"] == pid), None)
        if line is None:
            listed = "、".join(f"{i['product_id']}({i['short_name']})" for i in items)
            return tool_error("product_not_in_order", f"订单 {no} 中没有商品 {pid},该订单的商品有: {listed}",
                              "product_id"), None
        amount = round(line["price"] * line["qty"], 2)
        writes: Writes = [(_DELETE_LINE, [(no, pid)]), (_LOWER_TOTAL, [(amount, no)])]
        for sql, rows in writes:
            ctx.conn.execute(sql, rows[0])
        kept = [{k: i[k] for k in ("product_id", "short_name", "qty")} for i in items if i["product_id"] != pid]
        return {"order_no": no, "scope": "line", "status": status, "cancelled_at": stamp,
                "cancelled": [{k: line[k] for k in ("product_id", "short_name", "qty")}], "kept": kept,
                "refund_amount": amount if paid else 0.0, "refund_to": "原支付账户" if paid else None,
                "refund_days": REFUND_DAYS if paid else None}, writes
    params = (stamp, " ".join(args.reason.split()), no)
    ctx.conn.execute(_CANCEL_ORDER, params)
    return {"order_no": no, "scope": "order", "status": CANCELLED, "cancelled_at": stamp,
            "cancelled": [{k: i[k] for k in ("product_id", "short_name", "qty")} for i in items], "kept": [],
            "refund_amount": float(order.total) if paid else 0.0, "refund_to": "原支付账户" if paid else None,
            "refund_days": REFUND_DAYS if paid else None}, (_CANCEL_ORDER, params)


REQUEST_CANCELLATION = Tool(
    name="request_cancellation",
    description="取消未发货的订单(待付款或待发货),可整单取消或只取消其中一件商品;返回取消的商品和退款金额。"
                "已发货、已签收或已取消的订单返回原因",
    args_model=CancelArgs,
    func=_cancel,
    writes=True,
)


# -- get_invoice ---------------------------------------------------------------------------------

def _invoice(ctx: ToolContext, args: OrderArgs) -> dict[str, Any]:
    return answer(ctx.conn, "get_invoice", (ctx.now, args.order_no), lambda: _invoice_now(ctx, args), as_is=True)


def _invoice_now(ctx: ToolContext, args: OrderArgs) -> dict[str, Any]:
    order, no, status = _ordered(ctx, args.order_no)
    if order is None:
        return _not_found(no)
    if status in (PENDING_PAYMENT, CANCELLED):
        return _state_error(order, status, "无法开具发票")
    out = {"order_no": no, "status": status, "amount": float(order.total), "kind": "电子普通发票",
           "title": "个人"}
    if status != DELIVERED:
        return {**out, "issued": False, "issue_hours": 24}
    issued = parse_time(order.delivered_at) + timedelta(hours=2)
    if ctx.now < issued:
        return {**out, "issued": False, "issue_hours": 24}
    return {**out, "issued": True, "invoice_no": f"{_digits('invoice/' + no, 8):08d}",
            "issued_at": format_time(issued), "where": "订单详情页“查看发票”"}


GET_INVOICE = Tool(
    name="get_invoice",
    description="查询订单的电子发票:已开具的返回发票号码、金额和下载位置;已付款未签收的说明何时开具;"
                "未付款或已取消的订单返回原因",
    args_model=OrderArgs,
    func=_invoice,
)


# -- check_price_protection ----------------------------------------------------------------------

def price_on(product_id: str, base: float, day: datetime) -> float:
    """The shop's price of a product on ``day``: the catalog price, 5% or 10% off on promotion days
    (a fixed function of product and day), rounded down to the yuan."""
    draw = _digits(f"price/{product_id}/{day_text(day)}", 4) / 10**4
    off = 0.10 if draw < 0.12 else 0.05 if draw < 0.35 else 0.0
    return float(int(base * (1 - off))) if off else base


def _catalog_prices(conn: sqlite3.Connection) -> dict[str, float]:
    """Product id -> its catalog price (static data: no one writes the catalog)."""
    return {product_id: price for product_id, price in conn.execute("SELECT id, price FROM products")}


class ProtectArgs(BaseModel):
    """Arguments of ``check_price_protection``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_no: str = Field(min_length=1, max_length=40, description="订单号,如 DD261112637359")


def _protect(ctx: ToolContext, args: ProtectArgs) -> dict[str, Any]:
    return answer(ctx.conn, "check_price_protection", (ctx.now, args.order_no),
                  lambda: _protect_now(ctx, args), as_is=True)


def _protect_now(ctx: ToolContext, args: ProtectArgs) -> dict[str, Any]:
    order, no, status = _ordered(ctx, args.order_no)
    if order is None:
        return _not_found(no)
    if status in (PENDING_PAYMENT, CANCELLED):
        return _state_error(order, status, "不支持价格保护")
    created = parse_time(order.created_at)
    until = datetime.combine(created.date() + timedelta(days=PROTECT_DAYS), time(23, 59))
    if ctx.now > until:
        return {**tool_error("protection_expired", f"订单 {no} 下单于 {order.created_at},"
                             f"价保期(下单后{PROTECT_DAYS}天)已于 {format_time(until)} 结束", "order_no"),
                "order_no": no, "protect_days": PROTECT_DAYS, "protect_until": format_time(until)}
    base = static_data(ctx.conn, _catalog_prices)
    lines = []
    for item in _items(ctx.conn, no):
        today = price_on(item["product_id"], base[item["product_id"]], ctx.now)
        diff = round((item["price"] - today) * item["qty"], 2) if today < item["price"] else 0.0
        lines.append({"product_id": item["product_id"], "short_name": item["short_name"], "qty": item["qty"],
                      "paid_price": item["price"], "price_now": today, "difference": diff})
    total = round(sum(line["difference"] for line in lines), 2)
    return {"order_no": no, "protect_days": PROTECT_DAYS, "protect_until": format_time(until), "lines": lines,
            "difference": total,
            "eligible": total > 0}


CHECK_PRICE_PROTECTION = Tool(
    name="check_price_protection",
    description=f"价格保护查询:下单后{PROTECT_DAYS}天内商品降价,可申请退还差价;返回每件商品的购买价、"
                "当前价和可退差价,以及价保截止时间",
    args_model=ProtectArgs,
    func=_protect,
)


# -- transfer_to_human ---------------------------------------------------------------------------

class TransferArgs(BaseModel):
    """Arguments of ``transfer_to_human``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(default="用户要求人工", min_length=1, max_length=100, description="转人工的原因")


def _transfer(ctx: ToolContext, args: TransferArgs) -> dict[str, Any]:
    start, end = HUMAN_HOURS
    now = ctx.now
    if not start <= now.hour < end:
        opens = datetime.combine(now.date() + timedelta(days=1 if now.hour >= end else 0), time(start))
        hours = f"{start:02d}:00-{end:02d}:00"
        return {**tool_error("agents_offline", f"人工客服服务时间为每天{hours},将于 {format_time(opens)} 上线", None),
                "hours": hours, "opens_at": format_time(opens)}
    queue = 1 + _digits(f"queue/{format_time(now)[:-3]}", 2) % 9  # %Y-%m-%d %H:%M
    return {"transferred": True, "reason": " ".join(args.reason.split()), "queue_position": queue,
            "wait_minutes": queue * 2}


TRANSFER_TO_HUMAN = Tool(
    name="transfer_to_human",
    description=f"转接人工客服(服务时间每天{HUMAN_HOURS[0]:02d}:00-{HUMAN_HOURS[1]:02d}:00);"
                "返回排队位置和预计等待分钟数,非服务时间返回上线时间",
    args_model=TransferArgs,
    func=_transfer,
)


# -- file_complaint ------------------------------------------------------------------------------

class ComplaintArgs(BaseModel):
    """Arguments of ``file_complaint``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_no: str = Field(min_length=1, max_length=40, description="投诉涉及的订单号,如 DD261112637359")
    issue: str = Field(min_length=1, max_length=200, description="投诉内容,如 发货太慢、客服态度差")


def _complain(ctx: ToolContext, args: ComplaintArgs) -> dict[str, Any]:
    return answer(ctx.conn, "file_complaint", (ctx.now, args.order_no, args.issue),
                  lambda: _complain_now(ctx, args), as_is=True)


def _complain_now(ctx: ToolContext, args: ComplaintArgs) -> dict[str, Any]:
    order, no, status = _ordered(ctx, args.order_no)
    if order is None:
        return _not_found(no)
    late = bool(order.eta and status in (AWAITING_SHIPMENT, IN_TRANSIT) and ctx.now > parse_time(order.eta))
    hours = 2 if late else 24
    issue = " ".join(args.issue.split())
    number = f"TS{day_text(ctx.now).replace('-', '')}{_digits(f'complaint/{no}/{issue}/{format_time(ctx.now)}', 6):06d}"
    return {"complaint_no": number, "order_no": no, "status": status, "issue": issue, "escalated_to": "客服主管",
            "urgent": late, "callback_by": format_time(ctx.now + timedelta(hours=hours)), "callback_hours": hours}


FILE_COMPLAINT = Tool(
    name="file_complaint",
    description="登记投诉并升级给客服主管:返回投诉单号、是否加急(订单已超过预计送达时间)和回电时限",
    args_model=ComplaintArgs,
    func=_complain,
)
