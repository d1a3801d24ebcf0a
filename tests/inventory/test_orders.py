"""Customers, orders and returns: the tables, query_order and request_return."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from datetime import date, datetime, time, timedelta

import phonenumbers
import pytest

from twinchat.inventory import catalog, logistics, order_history, orders, regions
from twinchat.inventory.build import read_shop
from twinchat.inventory.orders import CUSTOMERS, FIRST_DAY, LAST_DAY, ORDERS, checkpoints, status_at
from twinchat.inventory.orders_data import CARRIERS, GIVEN_FEMALE, GIVEN_MALE, GIVEN_NEUTRAL, SURNAMES
from twinchat.inventory.tools import TOOLS, call, is_tool_error

FMT = "%Y-%m-%d %H:%M:%S"
NOW = datetime(2026, 11, 28, 15, 0)
ORDER_TABLES = ("customers", "orders", "order_items", "returns")
TIMELINE = ("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at")


def parse(value):
    return None if value is None else datetime.strptime(value, FMT)


def timeline(world, order_no):
    row = world.execute(
        "SELECT order_no, customer, created_at, paid_at, shipped_at, delivered_at, cancelled_at, warehouse, "
        "eta, carrier, tracking_no, total FROM orders WHERE order_no = ?", (order_no,)).fetchone()
    keys = ("order_no", "customer", "created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at",
            "warehouse", "eta", "carrier", "tracking_no", "total")
    order = dict(zip(keys, row))
    for key in (*TIMELINE, "eta"):
        order[key] = parse(order[key])
    return order


def pick(world, where, params=()):
    """The first order (by number) that matches ``where``, with its timeline as datetimes."""
    row = world.execute(f"SELECT order_no FROM orders WHERE {where} ORDER BY order_no LIMIT 1", params).fetchone()
    assert row is not None, where
    return timeline(world, row[0])


def query(world, now=NOW, **args):
    return call(world, "query_order", args, now)


def one(world, order_no, now=NOW):
    result = query(world, now, order_no=order_no)
    assert not is_tool_error(result), result
    assert result["count"] == 1
    return result["orders"][0]


def request(world, now=NOW, **args):
    return call(world, "request_return", {"kind": "return", "reason": "不想要了", **args}, now)


def return_count(world):
    """The returns requested through the tool (not those the world was built with)."""
    return world.execute("SELECT count(*) FROM returns WHERE request_key NOT LIKE 'world/%'").fetchone()[0]


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59))


#: A delivered order whose parcel went through hubs (warehouse and customer in different cities).
HUB_ROUTE = (
    "delivered_at IS NOT NULL AND created_at >= '2026-11-16' AND warehouse IN ("
    "SELECT w.id FROM warehouses w JOIN customers c ON c.id = orders.customer "
    "JOIN regions d ON d.adcode = c.adcode WHERE w.city != d.city)"
)
SAME_CITY = HUB_ROUTE.replace("w.city != d.city", "w.city = d.city")


# -- the tables ----------------------------------------------------------------------------------

def test_same_seed_same_tables_other_seed_other_orders(tables_dump):
    shop = read_shop()  # the built-in shop's catalog files: the same whatever the seed
    populates = (regions.populate, lambda db, seed: catalog.write_catalog(db, shop),
                 lambda db, seed: logistics.populate(db, shop.warehouses, shop.stock), order_history.populate)
    first, again, other = (tables_dump(populates, ORDER_TABLES, seed) for seed in (0, 0, 1))
    assert first == again
    assert 'INSERT INTO "customers"' in first and 'INSERT INTO "order_items"' in first
    assert 'CREATE TABLE "returns"' in first and 'INSERT INTO "returns"' in first
    assert first != other


def test_counts_and_keys(world):
    count = lambda table: world.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731
    assert count("customers") == CUSTOMERS == 2000 and count("orders") == ORDERS == 6000
    lines = Counter(r[0] for r in world.execute("SELECT count(*) FROM order_items GROUP BY order_no"))
    assert set(lines) == {1, 2, 3} and sum(lines.values()) == ORDERS and lines[1] > lines[2] > lines[3]
    ids = [r[0] for r in world.execute("SELECT id FROM customers ORDER BY rowid")]
    assert ids == [f"C{i:05d}" for i in range(1, CUSTOMERS + 1)]
    assert world.execute("PRAGMA foreign_key_check").fetchall() == []


def test_customers_are_coherent(world):
    table = regions.load_regions()
    surnames = sorted((s for s, _ in SURNAMES), key=len, reverse=True)
    rows = world.execute(
        "SELECT name, gender, phone, province, city, district, detail, postcode, adcode, address FROM customers"
    ).fetchall()
    for name, gender, phone, province, city, district, detail, postcode, adcode, address in rows:
        p, c, d = table.chain(adcode)
        assert (p.name, c.name, d.name) == (province, city, district), adcode
        assert postcode == c.postcode and c.postcode_exact and re.fullmatch(r"\d{6}", postcode)
        head = "" if province == city else province
        assert address == head + city + district + detail and detail
        surname = next(s for s in surnames if name.startswith(s))
        given = name[len(surname):]
        own = GIVEN_FEMALE if gender == "female" else GIVEN_MALE
        assert 1 <= len(given) <= 2 and given[-1] in own, name
        assert set(given) <= set(own) | set(GIVEN_NEUTRAL), name
        number = phonenumbers.parse(phone, "CN")
        assert re.fullmatch(r"1[3-9]\d{9}", phone)
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE, phone
    assert len({r[2] for r in rows}) == len(rows)                      # phones identify customers
    genders = Counter(r[1] for r in rows)
    assert set(genders) == {"male", "female"} and 0.45 < genders["female"] / len(rows) < 0.55
    assert len({r[4] for r in rows}) > 150                             # spread over the country


def test_timelines_are_ordered_and_within_the_range(world):
    rows = world.execute(
        "SELECT order_no, created_at, paid_at, shipped_at, delivered_at, cancelled_at, cancel_reason, "
        "warehouse, eta, carrier, tracking_no FROM orders").fetchall()
    prefixes = {name: prefix for name, _, prefix, _, _ in CARRIERS}
    kinds = Counter()
    for no, *stamps, reason, warehouse, eta, carrier, tracking in rows:
        created, paid, shipped, delivered, cancelled = (parse(s) for s in stamps)
        assert re.fullmatch(r"DD\d{12}", no) and no[2:8] == f"{created:%y%m%d}"
        assert FIRST_DAY <= created.date() <= LAST_DAY
        if paid is None:
            kinds["unpaid"] += 1
            assert cancelled == created + orders.PAY_WINDOW and reason and warehouse is None
            assert shipped is None and delivered is None and carrier is None and tracking is None
            continue
        assert created < paid <= created + timedelta(minutes=25) and warehouse and eta
        if cancelled is not None:
            kinds["cancelled"] += 1
            assert paid < cancelled and reason and shipped is None and delivered is None and tracking is None
            continue
        kinds["shipped"] += 1
        assert paid < shipped < delivered and cancelled is None and reason is None
        assert tracking.startswith(prefixes[carrier])
        kinds["late" if delivered > parse(eta) else "on_time"] += 1
    assert kinds["unpaid"] and kinds["cancelled"] and kinds["late"]
    assert kinds["on_time"] > 0.85 * kinds["shipped"]
    assert len({r[10] for r in rows if r[10]}) == kinds["shipped"]      # tracking numbers are unique
    assert len({r[0] for r in rows}) == ORDERS


def test_orders_ship_from_the_fastest_warehouse_holding_every_line(world):
    stock = {(p, w): q for p, w, q in world.execute("SELECT product_id, warehouse, qty FROM stock")}
    cutoff = dict(world.execute("SELECT id, cutoff FROM warehouses"))
    tier = {(w, c): t for w, c, t in world.execute("SELECT warehouse, dest_city, tier FROM lanes")}
    lines: dict[str, list[tuple[str, int]]] = {}
    for no, pid, qty in world.execute("SELECT order_no, product_id, qty FROM order_items"):
        lines.setdefault(no, []).append((pid, qty))
    rows = world.execute(
        "SELECT o.order_no, o.paid_at, o.warehouse, o.eta, d.city FROM orders o "
        "JOIN customers c ON c.id = o.customer JOIN regions d ON d.adcode = c.adcode "
        "WHERE o.paid_at IS NOT NULL").fetchall()
    for no, paid, warehouse, eta, city in rows:
        able = [w for w in sorted(cutoff) if all(stock[(p, w)] >= q for p, q in lines[no])]
        best = min((logistics.eta(parse(paid), cutoff[w], tier[(w, city)]), w) for w in able)
        assert (parse(eta), warehouse) == best, no


def test_totals_are_the_sum_of_the_lines(world):
    bad = world.execute(
        "SELECT o.order_no FROM orders o JOIN order_items i ON i.order_no = o.order_no "
        "GROUP BY o.order_no HAVING abs(o.total - sum(i.qty * i.price)) > 0.005").fetchall()
    assert bad == []
    mismatched = world.execute(
        "SELECT count(*) FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.price != p.price"
    ).fetchone()[0]
    assert mismatched == 0


# -- status at the session clock -----------------------------------------------------------------

def test_one_order_at_three_clocks(world):
    o = pick(world, HUB_ROUTE)
    waiting = o["paid_at"] + (o["shipped_at"] - o["paid_at"]) / 2
    moving = o["shipped_at"] + (o["delivered_at"] - o["shipped_at"]) / 2
    signed = o["delivered_at"] + timedelta(minutes=1)

    a = one(world, o["order_no"], waiting)
    assert a["status"] == "待发货" and a["estimated_delivery"] == o["eta"].strftime(FMT)
    assert a["carrier"] is None and a["tracking_no"] is None and a["last_checkpoint"] is None
    assert a["delivered_at"] is None and a["delayed"] is False

    b = one(world, o["order_no"], moving)
    assert b["status"] == "运输中" and b["carrier"] == o["carrier"] and b["tracking_no"] == o["tracking_no"]
    assert b["estimated_delivery"] == o["eta"].strftime(FMT) and b["delivered_at"] is None
    history = checkpoints(world, o["order_no"])
    passed = [c for c in history if c.time <= moving]
    assert b["last_checkpoint"] == {"time": passed[-1].time.strftime(FMT), "text": passed[-1].text}

    c = one(world, o["order_no"], signed)
    assert c["status"] == "已签收" and c["delivered_at"] == o["delivered_at"].strftime(FMT)
    assert c["estimated_delivery"] is None and c["last_checkpoint"]["text"].startswith("快件已签收")
    assert a["items"] == b["items"] == c["items"] and a["total"] == o["total"]


def test_tracking_history_follows_the_route(world):
    o = pick(world, HUB_ROUTE)
    dest, district = world.execute(
        "SELECT dc.short_name, d.short_name FROM customers c JOIN regions d ON d.adcode = c.adcode "
        "JOIN regions dc ON dc.adcode = d.city WHERE c.id = ?", (o["customer"],)).fetchone()
    wname, origin = world.execute(
        "SELECT w.name, r.short_name FROM warehouses w JOIN regions r ON r.adcode = w.city WHERE w.id = ?",
        (o["warehouse"],)).fetchone()
    hub = next(h for name, _, _, _, h in CARRIERS if name == o["carrier"])
    history = checkpoints(world, o["order_no"])
    texts = [c.text for c in history]
    assert texts == [
        f"您的订单已从【{wname}】出库,{o['carrier']}已揽收",
        f"快件已到达【{origin}{hub}】",
        f"快件已从【{origin}{hub}】发出,下一站【{dest}{hub}】",
        f"快件已到达【{dest}{hub}】",
        f"快件已到达【{dest}{district}营业部】",
        f"【{dest}{district}营业部】快递员正在派送,请保持电话畅通",
        f"快件已签收,签收人: 本人。感谢使用{o['carrier']}",
    ]
    times = [c.time for c in history]
    assert times == sorted(times) and times[0] == o["shipped_at"] and times[-1] == o["delivered_at"]
    # just before delivery the parcel is out for delivery
    late = one(world, o["order_no"], o["delivered_at"] - timedelta(seconds=1))
    assert late["status"] == "运输中" and late["last_checkpoint"]["text"] == texts[-2]
    assert checkpoints(world, o["order_no"]) == history                        # a fixed function


def test_same_city_parcels_skip_the_hubs(world):
    o = pick(world, SAME_CITY)
    texts = [c.text for c in checkpoints(world, o["order_no"])]
    assert len(texts) == 4 and "营业部" in texts[1] and texts[-1].startswith("快件已签收")


def test_unpaid_and_cancelled_orders(world):
    o = pick(world, "paid_at IS NULL AND created_at >= '2026-11-16'")
    pending = one(world, o["order_no"], o["created_at"] + timedelta(minutes=5))
    assert pending["status"] == "待付款"
    assert pending["pay_by"] == (o["created_at"] + orders.PAY_WINDOW).strftime(FMT)
    gone = one(world, o["order_no"], o["cancelled_at"])
    assert gone["status"] == "已取消" and gone["cancelled_at"] == o["cancelled_at"].strftime(FMT)
    assert gone["cancel_reason"] == "超时未支付,系统自动取消" and gone["pay_by"] is None

    o = pick(world, "paid_at IS NOT NULL AND cancelled_at IS NOT NULL AND created_at >= '2026-11-16'")
    assert one(world, o["order_no"], o["cancelled_at"] - timedelta(seconds=1))["status"] == "待发货"
    after = one(world, o["order_no"], o["cancelled_at"] + timedelta(days=5))
    assert after["status"] == "已取消" and after["cancel_reason"] and after["estimated_delivery"] is None


def test_a_late_parcel_is_delayed(world):
    o = pick(world, "delivered_at > eta AND created_at >= '2026-11-16'")
    view = one(world, o["order_no"], o["eta"] + timedelta(minutes=1))
    assert view["status"] == "运输中" and view["delayed"] is True


def test_an_order_created_after_now_does_not_exist_yet(world):
    o = pick(world, "created_at >= '2026-12-01'")
    before = query(world, o["created_at"] - timedelta(seconds=1), order_no=o["order_no"])
    assert before["error"]["code"] == "order_not_found" and before["error"]["field"] == "order_no"
    assert o["order_no"] in before["error"]["message"]
    assert one(world, o["order_no"], o["created_at"])["status"] in ("待付款", "已取消")


def test_status_at_covers_every_order_at_a_mid_range_clock(world):
    rows = world.execute("SELECT created_at, paid_at, shipped_at, delivered_at, cancelled_at FROM orders")
    seen = Counter(status_at(dict(zip(TIMELINE, r)), NOW) for r in rows)
    assert set(seen) >= {None, "待发货", "运输中", "已签收", "已取消"}
    assert seen["已签收"] > seen["运输中"] > seen["待发货"] > 0


@pytest.mark.parametrize("texts", [
    ("2026-11-05 09:00:00", "2026-11-05 09:30:00", "2026-11-06 10:00:00", "2026-11-08 12:00:00", None),
    ("2026-11-05 09:00:00", None, None, None, "2026-11-05 10:00:00"),
    ("2026-11-5 9:00:00", "2026-11-5 9:30:00", "2026-11-6 10:00:00", "2026-11-8 12:00:00", None),
])
def test_an_order_rows_status_is_status_at_around_each_of_its_moments(texts):
    """The order tools read a row's status off its timeline's texts (a text in another shape that
    parse_time reads: off the timeline parsed): at, a second and half a second either side of each
    of its moments, and at clocks of other years, it is status_at's."""
    from twinchat.inventory.tools.orders import OrderRow, order_status

    row = OrderRow(("DD1", "C1", *texts, None, "W1", None, None, None, 10.0))
    assert (row.timeline is None) == all(t is None or len(t) == 19 for t in texts)
    moments = [parse(t) for t in texts if t is not None]
    nows = [m + timedelta(seconds=s) for m in moments for s in (-1, -0.5, 0, 0.5, 1)]
    nows += [datetime(999, 1, 1), datetime(2100, 1, 1, 0, 0, 0, 1)]
    for now in nows:
        assert order_status(row, now) == status_at(dict(zip(TIMELINE, texts)), now), now



def test_an_order_row_refuses_a_timeline_text_that_is_no_time():
    from twinchat.inventory.tools.orders import OrderRow

    for odd in ("2026-13-05 09:00:00", "2026-11-05 25:00:00", "yesterday"):
        with pytest.raises(ValueError):
            OrderRow(("DD1", "C1", "2026-11-05 09:00:00", odd, None, None, None, None, "W1", None, None, None, 10.0))


def test_a_remembered_history_holds_the_minutes_and_texts_of_the_full_one(world):
    """The order tools remember a history as its minutes and route (order_reads): what they say of
    it is what checkpoints() gives, for every shipped order, hubs or not."""
    from twinchat.inventory.tools.order_reads import _EPOCH, _MINUTE, order_checkpoints
    from twinchat.inventory.orders import route_texts

    shipped = [r[0] for r in world.execute("SELECT order_no FROM orders WHERE shipped_at IS NOT NULL "
                                            "AND delivered_at IS NOT NULL ORDER BY order_no")]
    assert len(shipped) > 100
    for order_no in shipped:
        full = checkpoints(world, order_no)
        times, route = order_checkpoints(world, order_no)
        assert [_EPOCH + m * _MINUTE for m in times] == [c.time for c in full]
        assert route_texts(*route) == [c.text for c in full]

# -- query_order by phone ------------------------------------------------------------------------

def busiest(world, now=NOW):
    return world.execute(
        "SELECT c.phone, count(*) AS n FROM orders o JOIN customers c ON c.id = o.customer "
        "WHERE o.created_at <= ? GROUP BY c.id ORDER BY n DESC, c.id LIMIT 1", (now.strftime(FMT),)).fetchone()


def test_phone_lists_the_newest_five_as_of_now(world):
    phone, n = busiest(world)
    assert n > 5
    result = query(world, phone=phone)
    assert result["count"] == n and len(result["orders"]) == 5
    expected = [r[0] for r in world.execute(
        "SELECT o.order_no FROM orders o JOIN customers c ON c.id = o.customer WHERE c.phone = ? "
        "AND o.created_at <= ? ORDER BY o.created_at DESC LIMIT 5", (phone, NOW.strftime(FMT)))]
    assert [o["order_no"] for o in result["orders"]] == expected
    created = [o["created_at"] for o in result["orders"]]
    assert created == sorted(created, reverse=True) and created[0] <= NOW.strftime(FMT)
    earlier = query(world, NOW - timedelta(days=10), phone=phone)
    assert earlier["count"] < n and all(o["created_at"] <= "2026-11-18 15:00:00" for o in earlier["orders"])


@pytest.mark.parametrize("form", ["{a}-{b}-{c}", "{a} {b} {c}", "+86 {a}{b}{c}", "+86-{a}-{b}-{c}"])
def test_phone_forms_find_the_same_orders(world, form):
    phone, _ = busiest(world)
    written = form.format(a=phone[:3], b=phone[3:7], c=phone[7:])
    assert query(world, phone=written) == query(world, phone=phone)


def test_phone_without_orders_is_an_empty_list(world):
    idle = world.execute(
        "SELECT phone FROM customers WHERE id NOT IN (SELECT customer FROM orders) ORDER BY id LIMIT 1").fetchone()
    assert idle is not None
    assert query(world, phone=idle[0]) == {"orders": [], "count": 0}
    taken = {r[0] for r in world.execute("SELECT phone FROM customers")}
    stranger = next(p for p in ("13800138000", "13900139000", "18612345678") if p not in taken)
    assert query(world, phone=stranger) == {"orders": [], "count": 0}
    first = world.execute(
        "SELECT c.phone, min(o.created_at) FROM orders o JOIN customers c ON c.id = o.customer "
        "GROUP BY c.id ORDER BY c.id LIMIT 1").fetchone()
    assert query(world, parse(first[1]) - timedelta(seconds=1), phone=first[0]) == {"orders": [], "count": 0}


def test_order_number_and_phone_must_belong_together(world):
    o = pick(world, HUB_ROUTE)
    own, other = (world.execute("SELECT phone FROM customers WHERE id = ?", (o["customer"],)).fetchone()[0],
                  world.execute("SELECT phone FROM customers WHERE id != ? ORDER BY id LIMIT 1",
                                (o["customer"],)).fetchone()[0])
    both = query(world, order_no=o["order_no"], phone=own)
    assert both == query(world, order_no=o["order_no"])
    wrong = query(world, order_no=o["order_no"], phone=other)
    assert wrong["error"]["code"] == "order_not_found" and other in wrong["error"]["message"]


def test_order_number_is_read_leniently(world):
    o = pick(world, HUB_ROUTE)
    assert query(world, order_no=f" {o['order_no'].lower()} ") == query(world, order_no=o["order_no"])


@pytest.mark.parametrize(
    "args, code, field",
    [
        ({}, "invalid_arguments", None),
        ({"order_no": None, "phone": None}, "invalid_arguments", None),
        ({"order_no": ""}, "invalid_arguments", "order_no"),
        ({"order_no": "DD000000000000"}, "order_not_found", "order_no"),
        ({"order_no": "我的订单"}, "order_not_found", "order_no"),
        ({"phone": "12345"}, "invalid_phone", "phone"),
        ({"phone": "010-12345678"}, "invalid_phone", "phone"),
        ({"phone": "+1 650 253 0000"}, "invalid_phone", "phone"),
        ({"order_no": "DD000000000000", "phone": "1380013800"}, "invalid_phone", "phone"),
        ({"tracking_no": "SF123"}, "invalid_arguments", "tracking_no"),
    ],
)
def test_query_errors(world, args, code, field):
    result = call(world, "query_order", args, NOW)
    assert result["error"]["code"] == code and result["error"]["field"] == field
    assert result["error"]["message"]


# -- request_return ------------------------------------------------------------------------------

def delivered(world, before=NOW):
    """An order delivered in the week before ``before``, with two lines and no return yet."""
    return pick(world, "delivered_at BETWEEN ? AND ? AND order_no IN "
                       "(SELECT order_no FROM order_items GROUP BY order_no HAVING count(*) = 2) "
                       "AND order_no NOT IN (SELECT order_no FROM returns)",
                ((before - timedelta(days=6)).strftime(FMT), before.strftime(FMT)))


def lines(world, order_no):
    return world.execute("SELECT product_id, qty, price FROM order_items WHERE order_no = ? ORDER BY rowid",
                         (order_no,)).fetchall()


def test_request_return_writes_one_row_and_is_idempotent(world):
    o = delivered(world)
    pid, qty, price = lines(world, o["order_no"])[0]
    result = request(world, order_no=o["order_no"], product_id=pid, reason="尺寸不合适")
    assert re.fullmatch(r"TH20261128\d{6}", result["return_no"])
    assert result["order_no"] == o["order_no"] and result["kind"] == "return" and result["kind_name"] == "退货"
    assert [i["product_id"] for i in result["items"]] == [pid] and result["items"][0]["qty"] == qty
    assert result["refund_amount"] == round(price * qty, 2) and result["status"] == "待寄回"
    assert result["ship_back_by"] == "2026-12-05 23:59:59" and result["created_at"] == NOW.strftime(FMT)
    wname, district = world.execute("SELECT name, district FROM warehouses WHERE id = ?",
                                    (o["warehouse"],)).fetchone()
    assert result["return_address"]["warehouse_id"] == o["warehouse"] and result["return_address"]["name"] == wname
    assert wname in result["return_address"]["address"]
    assert return_count(world) == 1
    again = request(world, order_no=f" {o['order_no'].lower()} ", product_id=pid.lower(), reason=" 尺寸不合适 ")
    assert again == result and return_count(world) == 1
    row = world.execute("SELECT order_no, product_id, kind, reason, created_at, status FROM returns "
                        "WHERE request_key NOT LIKE 'world/%'").fetchone()
    assert tuple(row) == (o["order_no"], pid, "return", "尺寸不合适", NOW.strftime(FMT), "created")
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result


def test_a_second_request_for_the_same_goods_is_refused(world):
    o = delivered(world)
    pid, other = (r[0] for r in lines(world, o["order_no"]))
    first = request(world, order_no=o["order_no"], product_id=pid)
    for args, now in (({"reason": "质量问题"}, NOW), ({}, NOW + timedelta(minutes=1)),
                      ({"kind": "exchange"}, NOW), ({"product_id": None}, NOW)):
        result = request(world, now, **{"order_no": o["order_no"], "product_id": pid, **args})
        assert result["error"]["code"] == "return_exists" and first["return_no"] in result["error"]["message"]
    assert not is_tool_error(request(world, order_no=o["order_no"], product_id=other))
    assert return_count(world) == 2


def test_whole_order_and_exchange(world):
    o = delivered(world)
    world.execute("SAVEPOINT probe")
    whole = request(world, order_no=o["order_no"])
    assert whole["refund_amount"] == o["total"] and len(whole["items"]) == 2
    world.execute("ROLLBACK TO probe")
    swap = request(world, order_no=o["order_no"], kind="exchange", reason="颜色发错了")
    assert swap["refund_amount"] is None and swap["kind_name"] == "换货"
    assert re.fullmatch(r"HH20261128\d{6}", swap["return_no"])


def test_return_windows(world):
    o = pick(world, "delivered_at BETWEEN '2026-11-16' AND '2026-11-20'")
    day = o["delivered_at"].date()
    order_no = o["order_no"]

    def attempt(kind, now):
        world.execute("SAVEPOINT probe")
        try:
            return request(world, now, order_no=order_no, kind=kind)
        finally:
            world.execute("ROLLBACK TO probe")

    assert not is_tool_error(attempt("return", o["delivered_at"] + timedelta(minutes=1)))
    assert not is_tool_error(attempt("return", end_of_day(day + timedelta(days=7))))           # day 7
    closed = attempt("return", datetime.combine(day + timedelta(days=8), time(0, 0)))          # day 8
    assert closed["error"]["code"] == "return_window_closed" and closed["error"]["field"] == "kind"
    message = closed["error"]["message"]
    assert f"{day:%Y-%m-%d} 签收" in message and f"{day + timedelta(days=7):%Y-%m-%d} 23:59:59" in message
    assert f"{day + timedelta(days=15):%Y-%m-%d} 23:59:59 前仍可申请换货" in message
    assert not is_tool_error(attempt("exchange", datetime.combine(day + timedelta(days=8), time(0, 0))))
    assert not is_tool_error(attempt("exchange", end_of_day(day + timedelta(days=15))))       # day 15
    late = attempt("exchange", datetime.combine(day + timedelta(days=16), time(9, 0)))
    assert late["error"]["code"] == "return_window_closed"
    assert f"{day + timedelta(days=15):%Y-%m-%d} 23:59:59" in late["error"]["message"]
    assert return_count(world) == 0


def test_request_return_errors(world):
    shipped = pick(world, "shipped_at IS NOT NULL AND created_at >= '2026-11-20'")
    cancelled = pick(world, "cancelled_at IS NOT NULL AND paid_at IS NOT NULL AND created_at >= '2026-11-16'")
    future = pick(world, "created_at > ?", (NOW.strftime(FMT),))
    o = delivered(world)
    in_transit = shipped["shipped_at"] + timedelta(minutes=1)
    cases = [
        ({"order_no": "DD000000000000"}, NOW, "order_not_found", "order_no"),
        ({"order_no": future["order_no"]}, NOW, "order_not_found", "order_no"),
        ({"order_no": shipped["order_no"]}, shipped["paid_at"], "not_delivered", "order_no"),
        ({"order_no": shipped["order_no"]}, in_transit, "not_delivered", "order_no"),
        ({"order_no": cancelled["order_no"]}, cancelled["cancelled_at"], "order_cancelled", "order_no"),
        ({"order_no": o["order_no"], "product_id": "PILE999"}, NOW, "product_not_in_order", "product_id"),
        ({"order_no": o["order_no"], "kind": "refund"}, NOW, "invalid_arguments", "kind"),
        ({"order_no": o["order_no"], "reason": ""}, NOW, "invalid_arguments", "reason"),
        ({"order_no": o["order_no"], "phone": "13800138000"}, NOW, "invalid_arguments", "phone"),
    ]
    for args, now, code, field in cases:
        result = request(world, now, **args)
        assert result["error"]["code"] == code and result["error"]["field"] == field, (args, result)
        assert result["error"]["message"]
    message = request(world, in_transit, order_no=shipped["order_no"])["error"]["message"]
    assert "运输中" in message
    listed = request(world, order_no=o["order_no"], product_id="PILE999")["error"]["message"]
    assert all(pid in listed for pid, _, _ in lines(world, o["order_no"]))
    assert return_count(world) == 0


def test_a_clashing_return_number_takes_the_next_draw(world):
    o = delivered(world)
    world.execute("SAVEPOINT probe")
    number = request(world, order_no=o["order_no"])["return_no"]
    world.execute("ROLLBACK TO probe")
    other = pick(world, "delivered_at < ?", ((NOW - timedelta(days=3)).strftime(FMT),))
    world.execute(
        "INSERT INTO returns (return_no, request_key, order_no, product_id, kind, reason, created_at, status) "
        "VALUES (?, 'other', ?, NULL, 'return', '不想要了', '2026-11-20 09:00:00', 'created')",
        (number, other["order_no"]))
    again = request(world, order_no=o["order_no"])
    assert again["return_no"] != number and again["return_no"].startswith("TH20261128")
    assert return_count(world) == 2


# -- schemas -------------------------------------------------------------------------------------

_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "name, required, writes",
    [("query_order", [], False), ("request_return", ["kind", "order_no", "reason"], True)],
)
def test_schema(name, required, writes):
    tool = TOOLS[name]
    schema = tool.json_schema()
    assert schema["name"] == name and _HAN.search(schema["description"])
    params = schema["parameters"]
    assert params["type"] == "object" and sorted(params.get("required", [])) == required
    assert params["additionalProperties"] is False
    for prop, spec in params["properties"].items():
        assert _HAN.search(spec.get("description", "")), (name, prop)
    assert "title" not in json.dumps(params, ensure_ascii=False)
    assert tool.writes is writes


def test_kind_is_an_enum_in_the_schema():
    kind = TOOLS["request_return"].json_schema()["parameters"]["properties"]["kind"]
    assert kind["enum"] == ["return", "exchange"]


def test_results_are_json_and_do_not_depend_on_the_row_factory(world, world_path):
    o = pick(world, HUB_ROUTE)
    phone, _ = busiest(world)
    moving = o["shipped_at"] + timedelta(hours=3)
    results = [query(world, moving, order_no=o["order_no"]), query(world, phone=phone)]
    for result in results:
        assert json.loads(json.dumps(result, ensure_ascii=False)) == result
    conn = sqlite3.connect(world_path)          # no Row factory
    try:
        assert query(conn, moving, order_no=o["order_no"]) == results[0]
        assert query(conn, phone=phone) == results[1]
    finally:
        conn.close()


# -- the returns the world is built with ---------------------------------------------------------

def test_a_few_delivered_orders_already_have_a_return_requested(world):
    rows = world.execute(
        "SELECT r.return_no, r.request_key, r.product_id, r.kind, r.created_at, r.status, o.delivered_at, o.order_no "
        "FROM returns r JOIN orders o ON o.order_no = r.order_no").fetchall()
    delivered_orders = world.execute("SELECT count(*) FROM orders WHERE delivered_at IS NOT NULL").fetchone()[0]
    assert 0.04 * delivered_orders < len(rows) < 0.08 * delivered_orders
    assert len({r[7] for r in rows}) == len(rows)  # one request per order
    for number, key, product, kind, created, status, delivered_at, order_no in rows:
        assert re.fullmatch(("TH" if kind == "return" else "HH") + parse(created).strftime("%Y%m%d") + r"\d{6}", number)
        assert key == f"world/{number}" and status == "created"
        after = parse(created) - parse(delivered_at)
        assert timedelta(hours=1) <= after <= timedelta(days=6) and 8 <= parse(created).hour
        assert product is None or product in {r[0] for r in lines(world, order_no)}
    kinds = Counter(r[3] for r in rows)
    assert kinds["return"] > kinds["exchange"] > 0
    assert 0 < sum(r[2] is not None for r in rows) < len(rows) / 2


def test_asking_again_for_a_return_the_world_holds_is_refused_from_its_time_on(world):
    number, order_no, product, created = world.execute(
        "SELECT r.return_no, r.order_no, r.product_id, r.created_at FROM returns r "
        "WHERE r.product_id IS NULL AND r.kind = 'return' ORDER BY r.created_at DESC LIMIT 1").fetchone()
    at = parse(created)
    refused = request(world, at, order_no=order_no)
    assert refused["error"]["code"] == "return_exists"
    assert refused["error"]["message"] == f"订单 {order_no} 的商品已有售后申请 {number}(退货),请勿重复提交"
    before = request(world, at - timedelta(minutes=1), order_no=order_no)
    assert not is_tool_error(before) and before["return_no"] != number
