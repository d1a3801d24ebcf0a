"""The after-sales tools against the seed-0 world: every answer is recomputed from the tables
(orders, order_items, products) at a clock chosen inside the state under test."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from twinchat.inventory.orders import PAY_WINDOW
from twinchat.inventory.timefmt import format_time, parse_time
from twinchat.inventory.tools import call
from twinchat.inventory.tools.aftersales import PROTECT_DAYS, SHIP_HOURS, price_on

MINUTE = timedelta(minutes=1)


def _order(world, where: str, *params):
    """The first order (as a dict) matching ``where``."""
    cur = world.execute(f"SELECT * FROM orders WHERE {where} ORDER BY order_no LIMIT 1", params)
    row = cur.fetchone()
    assert row is not None, where
    return dict(zip([c[0] for c in cur.description], row))


def _awaiting(world, lines: int = 1):
    """An order paid and not shipped yet at the minute after payment (with at least ``lines`` lines)."""
    return _order(world, "paid_at IS NOT NULL AND shipped_at IS NOT NULL AND cancelled_at IS NULL AND "
                  "(SELECT count(*) FROM order_items i WHERE i.order_no = orders.order_no) >= ?", lines)


def _shipped(world):
    return _order(world, "shipped_at IS NOT NULL AND delivered_at IS NOT NULL AND cancelled_at IS NULL")


def _at(stamp: str, delta: timedelta = MINUTE) -> datetime:
    return parse_time(stamp) + delta


# -- urge_shipment -------------------------------------------------------------------------------

def test_urging_a_paid_order_in_the_warehouse_gives_its_ship_by_time(world):
    order = _awaiting(world)
    now = _at(order["paid_at"])
    got = call(world, "urge_shipment", {"order_no": order["order_no"].lower()}, now)
    ship_by = parse_time(order["paid_at"]) + timedelta(hours=SHIP_HOURS)
    assert got["status"] == "待发货" and got["priority"] is True
    assert got["ship_by"] == format_time(ship_by) and got["overdue"] is False
    assert got["estimated_delivery"] == order["eta"]
    late = call(world, "urge_shipment", {"order_no": order["order_no"]}, ship_by + MINUTE)
    if ship_by + MINUTE < parse_time(order["shipped_at"]):
        assert late["overdue"] is True


def test_urging_a_shipped_delivered_or_unknown_order_says_why(world):
    order = _shipped(world)
    got = call(world, "urge_shipment", {"order_no": order["order_no"]}, _at(order["shipped_at"]))
    assert got["error"]["code"] == "already_shipped"
    assert (got["carrier"], got["tracking_no"], got["shipped_at"]) == (order["carrier"], order["tracking_no"],
                                                                         order["shipped_at"])
    got = call(world, "urge_shipment", {"order_no": order["order_no"]}, _at(order["delivered_at"]))
    assert got["error"]["code"] == "already_delivered" and got["delivered_at"] == order["delivered_at"]
    got = call(world, "urge_shipment", {"order_no": "DD000000000000"}, _at(order["delivered_at"]))
    assert got == {"error": {"code": "order_not_found", "message": "未找到订单 DD000000000000,请核对订单号",
                             "field": "order_no"}}
    before = call(world, "urge_shipment", {"order_no": order["order_no"]}, parse_time(order["created_at"]) - MINUTE)
    assert before["error"]["code"] == "order_not_found"  # not placed yet at that clock


def test_urging_an_unpaid_order_gives_its_pay_by(world):
    order = _order(world, "paid_at IS NOT NULL AND paid_at > datetime(created_at, '+2 minutes')")
    got = call(world, "urge_shipment", {"order_no": order["order_no"]}, _at(order["created_at"]))
    assert got["error"]["code"] == "not_paid"
    assert got["pay_by"] == format_time(parse_time(order["created_at"]) + PAY_WINDOW)


# -- request_cancellation ------------------------------------------------------------------------

def test_cancelling_an_order_in_the_warehouse_refunds_what_was_paid(world):
    order = _awaiting(world)
    now = _at(order["paid_at"])
    got = call(world, "request_cancellation", {"order_no": order["order_no"], "reason": "拍错了"}, now)
    assert got["status"] == "已取消" and got["scope"] == "order" and got["refund_amount"] == order["total"]
    assert got["cancelled_at"] == format_time(now)
    assert tuple(world.execute("SELECT cancelled_at, cancel_reason FROM orders WHERE order_no = ?",
                         (order["order_no"],)).fetchone()) == (format_time(now), "拍错了")
    assert call(world, "query_order", {"order_no": order["order_no"]}, now)["orders"][0]["status"] == "已取消"
    again = call(world, "request_cancellation", {"order_no": order["order_no"]}, now)
    assert again["error"]["code"] == "already_cancelled"


def test_cancelling_one_line_of_several_keeps_the_rest(world):
    order = _awaiting(world, lines=2)
    lines = [tuple(r) for r in world.execute("SELECT product_id, qty, price FROM order_items WHERE order_no = ? ORDER BY rowid",
                          (order["order_no"],))]
    pid, qty, price = lines[-1]
    now = _at(order["paid_at"])
    got = call(world, "request_cancellation", {"order_no": order["order_no"], "product_id": pid.lower()}, now)
    assert got["scope"] == "line" and got["refund_amount"] == round(price * qty, 2)
    assert [i["product_id"] for i in got["cancelled"]] == [pid]
    assert [i["product_id"] for i in got["kept"]] == [p for p, _, _ in lines[:-1]]
    total = world.execute("SELECT total FROM orders WHERE order_no = ?", (order["order_no"],)).fetchone()[0]
    assert total == pytest.approx(order["total"] - price * qty)
    wrong = call(world, "request_cancellation", {"order_no": order["order_no"], "product_id": "NOPE1"}, now)
    assert wrong["error"]["code"] == "product_not_in_order" and "NOPE1" in wrong["error"]["message"]


def test_a_shipped_or_delivered_order_is_not_cancelled(world):
    order = _shipped(world)
    got = call(world, "request_cancellation", {"order_no": order["order_no"]}, _at(order["shipped_at"]))
    assert got["error"]["code"] == "already_shipped" and "拒收" in got["error"]["message"]
    got = call(world, "request_cancellation", {"order_no": order["order_no"]}, _at(order["delivered_at"]))
    assert got["error"]["code"] == "already_delivered" and "退货" in got["error"]["message"]
    assert world.execute("SELECT cancelled_at FROM orders WHERE order_no = ?",
                         (order["order_no"],)).fetchone()[0] is None


def test_cancelling_an_unpaid_order_refunds_nothing(world):
    order = _order(world, "paid_at IS NOT NULL AND paid_at > datetime(created_at, '+2 minutes')")
    got = call(world, "request_cancellation", {"order_no": order["order_no"]}, _at(order["created_at"]))
    assert got["status"] == "已取消" and got["refund_amount"] == 0.0 and got["refund_to"] is None


# -- get_invoice ---------------------------------------------------------------------------------

def test_an_invoice_is_issued_after_delivery_and_pending_before(world):
    order = _shipped(world)
    on_way = call(world, "get_invoice", {"order_no": order["order_no"]}, _at(order["shipped_at"]))
    assert on_way["issued"] is False and on_way["amount"] == order["total"] and on_way["status"] == "运输中"
    later = _at(order["delivered_at"], timedelta(hours=3))
    issued = call(world, "get_invoice", {"order_no": order["order_no"]}, later)
    assert issued["issued"] is True and issued["amount"] == order["total"]
    assert issued["issued_at"] == format_time(parse_time(order["delivered_at"]) + timedelta(hours=2))
    assert issued == call(world, "get_invoice", {"order_no": order["order_no"]}, later + timedelta(days=3))
    cancelled = _order(world, "cancelled_at IS NOT NULL")
    got = call(world, "get_invoice", {"order_no": cancelled["order_no"]}, _at(cancelled["cancelled_at"]))
    assert got["error"]["code"] == "order_cancelled" and got["cancelled_at"] == cancelled["cancelled_at"]


# -- check_price_protection ----------------------------------------------------------------------

def test_price_protection_is_the_drop_since_purchase_within_the_period(world):
    order = _shipped(world)
    items = world.execute("SELECT i.product_id, i.qty, i.price, p.price FROM order_items i JOIN products p "
                          "ON p.id = i.product_id WHERE order_no = ? ORDER BY i.rowid", (order["order_no"],)).fetchall()
    drops = 0
    for day in range(PROTECT_DAYS):
        now = parse_time(order["paid_at"]) + timedelta(days=day, minutes=1)
        if now.date() > parse_time(order["created_at"]).date() + timedelta(days=PROTECT_DAYS):
            break
        got = call(world, "check_price_protection", {"order_no": order["order_no"]}, now)
        want = [round((paid - price_on(pid, base, now)) * qty, 2) if price_on(pid, base, now) < paid else 0.0
                for pid, qty, paid, base in items]
        assert [line["difference"] for line in got["lines"]] == want
        assert got["eligible"] == (sum(want) > 0)
        drops += got["eligible"]
    assert drops < PROTECT_DAYS  # not every day is a promotion day
    assert price_on("MEM001", 100.0, datetime(2026, 11, 20)) == price_on("MEM001", 100.0, datetime(2026, 11, 20, 23))
    end = parse_time(order["created_at"]).date() + timedelta(days=PROTECT_DAYS + 1)
    got = call(world, "check_price_protection", {"order_no": order["order_no"]}, datetime.combine(end, datetime.min.time()))
    assert got["error"]["code"] == "protection_expired" and got["protect_days"] == PROTECT_DAYS


def test_price_protection_reads_the_catalog_prices_once_per_connection(world):
    """The prices a check compares with are the catalog's, read once per connection (no one
    writes the catalog): later checks, of any order, ask the products table nothing."""
    orders = world.execute("SELECT order_no, paid_at FROM orders WHERE paid_at IS NOT NULL AND cancelled_at IS NULL "
                           "ORDER BY order_no LIMIT 3").fetchall()
    statements: list[str] = []
    for i, (order_no, paid_at) in enumerate(orders):
        if i == 1:
            world.set_trace_callback(statements.append)
        got = call(world, "check_price_protection", {"order_no": order_no}, _at(paid_at, timedelta(days=1)))
        assert got["lines"]
    world.set_trace_callback(None)
    assert statements and not any("products" in sql for sql in statements)


def test_some_products_are_on_promotion_some_days():
    offs = [price_on(f"P{i}", 1000.0, datetime(2026, 11, 16) + timedelta(days=i % 28)) for i in range(2000)]
    share = sum(p < 1000.0 for p in offs) / len(offs)
    assert 0.25 < share < 0.45 and set(offs) == {1000.0, 950.0, 900.0}


# -- transfer_to_human and file_complaint --------------------------------------------------------

def test_human_agents_work_from_nine_to_ten_at_night(world):
    early = call(world, "transfer_to_human", {}, datetime(2026, 11, 20, 8, 30))
    assert early["error"]["code"] == "agents_offline" and early["opens_at"] == "2026-11-20 09:00:00"
    late = call(world, "transfer_to_human", {"reason": "说不清楚"}, datetime(2026, 11, 20, 22, 5))
    assert late["opens_at"] == "2026-11-21 09:00:00" and late["hours"] == "09:00-22:00"
    got = call(world, "transfer_to_human", {"reason": " 说不清楚 "}, datetime(2026, 11, 20, 14, 0))
    assert got["transferred"] and 1 <= got["queue_position"] <= 9 and got["reason"] == "说不清楚"
    assert got["wait_minutes"] == 2 * got["queue_position"]


def test_a_complaint_about_a_late_order_is_urgent(world):
    order = _order(world, "eta IS NOT NULL AND delivered_at IS NOT NULL AND delivered_at > datetime(eta, '+2 hours')")
    late = _at(order["eta"], timedelta(hours=1))
    got = call(world, "file_complaint", {"order_no": order["order_no"], "issue": "到现在还没送到"}, late)
    assert got["urgent"] is True and got["callback_hours"] == 2
    assert got["callback_by"] == format_time(late + timedelta(hours=2))
    assert got["complaint_no"].startswith(f"TS{late:%Y%m%d}") and len(got["complaint_no"]) == 16
    calm = call(world, "file_complaint", {"order_no": order["order_no"], "issue": "包装破损"},
                _at(order["delivered_at"]))
    assert calm["urgent"] is False and calm["callback_hours"] == 24 and calm["escalated_to"] == "客服主管"
