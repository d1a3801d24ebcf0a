"""change_address: an order not shipped yet gets the new address and the arrival computed for it
(written in the caller's transaction, seen by later calls); a shipped, delivered or cancelled
order, an unknown order and an address that names no real district are structured tool errors
that write nothing. Every world order ships to its customer's address."""

from __future__ import annotations

from datetime import datetime, timedelta

from twinchat.inventory.logistics import eta
from twinchat.inventory.timefmt import format_time, parse_time
from twinchat.inventory.tools import call

NEW = "深圳市南山区科苑路15号科兴科学园B栋"


def _order(world, where: str, params=()):
    """(order_no, a clock at which ``where`` holds) of the first world order that fits."""
    row = world.execute(f"SELECT order_no, {where} FROM orders WHERE {where.split(' AS ')[0]} IS NOT NULL "
                        "ORDER BY order_no LIMIT 1", params).fetchone()
    return row[0], parse_time(row[1])


def _row(world, order_no):
    return world.execute("SELECT ship_adcode, ship_address, eta, delivered_at, shipped_at FROM orders "
                         "WHERE order_no = ?", (order_no,)).fetchone()


def test_world_orders_ship_to_their_customers_address(world):
    differ = world.execute("SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer "
                           "WHERE o.ship_adcode != c.adcode OR o.ship_address != c.address").fetchone()[0]
    assert differ == 0
    assert world.execute("SELECT count(*) FROM orders WHERE ship_address IS NULL").fetchone()[0] == 0


def test_an_order_awaiting_shipment_gets_the_new_address_and_its_arrival(world):
    order_no, paid = _order(world, "paid_at")
    now = paid + timedelta(minutes=5)  # paid, not shipped yet
    before = _row(world, order_no)
    out = call(world, "change_address", {"order_no": order_no, "address": NEW}, now)
    assert "error" not in out, out
    assert out["status"] == "待发货" and out["address"] == {"text": NEW, "adcode": "440305",
                                                            "district": "广东省深圳市南山区"}
    cutoff, tier = world.execute(
        "SELECT w.cutoff, l.tier FROM orders o JOIN warehouses w ON w.id = o.warehouse JOIN lanes l "
        "ON l.warehouse = w.id AND l.dest_city = '440300' WHERE o.order_no = ?", (order_no,)).fetchone()
    assert out["estimated_delivery"] == format_time(eta(paid, cutoff, tier))
    assert out["previous_address"] == before[1] and out["previous_eta"] == before[2]
    after = _row(world, order_no)
    assert after[:3] == ("440305", NEW, out["estimated_delivery"])
    # the planned delivery moves with the promise
    moved = parse_time(before[3]) + (parse_time(after[2]) - parse_time(before[2]))
    assert after[3] == format_time(max(moved, parse_time(before[4]) + timedelta(hours=1)))
    # later calls see it: the same change again answers the same, and the order's ETA is the new one
    assert call(world, "change_address", {"order_no": order_no, "address": NEW}, now)["estimated_delivery"] == \
        out["estimated_delivery"]
    assert call(world, "query_order", {"order_no": order_no}, now)["orders"][0]["estimated_delivery"] == \
        out["estimated_delivery"]


def test_an_order_placed_and_not_paid_can_be_sent_elsewhere(world):
    now = datetime(2026, 11, 20, 10, 0)
    placed = call(world, "place_order", {"products": ["MEM004"], "name": "王伟", "phone": "13800138000",
                                         "address": "北京市海淀区中关村大街1号"}, now)
    assert _row(world, placed["order_no"])[:2] == ("110108", "北京市海淀区中关村大街1号")
    out = call(world, "change_address", {"order_no": placed["order_no"], "address": NEW}, now + timedelta(minutes=3))
    assert out["status"] == "待付款" and out["address"]["adcode"] == "440305"
    checked = call(world, "check_delivery", {"products": ["MEM004"], "destination": "深圳市南山区"},
                   now + timedelta(minutes=3))
    assert out["estimated_delivery"] >= min(r["eta"] for r in checked["results"])


def test_shipped_delivered_and_cancelled_orders_are_refused_and_left_alone(world):
    cases = [("shipped_at", "already_shipped"), ("delivered_at", "already_delivered"),
             ("cancelled_at", "order_cancelled")]
    for column, code in cases:
        order_no, at = _order(world, column)
        before = _row(world, order_no)
        out = call(world, "change_address", {"order_no": order_no, "address": NEW}, at + timedelta(minutes=1))
        assert out["error"]["code"] == code and "无法修改收货地址" in out["error"]["message"], out
        assert _row(world, order_no) == before


def test_an_address_that_names_no_real_district_is_refused(world):
    order_no, paid = _order(world, "paid_at")
    now = paid + timedelta(minutes=5)
    before = _row(world, order_no)
    for text, code in (("科技园8栋", "unknown_place"), ("朝阳区建国路88号", "ambiguous_place"),
                       ("深圳市科苑路15号", "address_needs_district")):
        out = call(world, "change_address", {"order_no": order_no, "address": text}, now)
        assert out["error"]["code"] == code and out["error"]["field"] == "address", out
    assert "请提供深圳市的区县和详细地址" in out["error"]["message"]
    assert _row(world, order_no) == before
    missing = call(world, "change_address", {"order_no": "DD000000000000", "address": NEW}, now)
    assert missing["error"] == {"code": "order_not_found", "message": "未找到订单 DD000000000000,请核对订单号",
                                "field": "order_no"}
    odd = call(world, "change_address", {"order_no": order_no, "address": "x" * 500}, now)
    assert odd["error"]["field"] == "address"


def test_the_route_of_a_parcel_ends_at_its_shipping_address(world):
    from twinchat.inventory.orders import checkpoints

    order_no, paid = _order(world, "delivered_at")
    district = world.execute("SELECT d.short_name FROM orders o JOIN regions d ON d.adcode = o.ship_adcode "
                             "WHERE o.order_no = ?", (order_no,)).fetchone()[0]
    assert district + "营业部" in checkpoints(world, order_no)[-2].text


def test_an_unpaid_world_order_without_a_warehouse_gets_the_fastest_lane_of_those_holding_it(world):
    order_no, created = world.execute(
        "SELECT order_no, created_at FROM orders WHERE paid_at IS NULL ORDER BY order_no LIMIT 1").fetchone()
    now = parse_time(created) + timedelta(minutes=1)
    out = call(world, "change_address", {"order_no": order_no, "address": NEW}, now)
    assert out["status"] == "待付款" and out["previous_eta"] is None, out
    lines = world.execute("SELECT product_id, qty FROM order_items WHERE order_no = ?", (order_no,)).fetchall()
    able = set.intersection(*({w for (w,) in world.execute(
        "SELECT warehouse FROM stock WHERE product_id = ? AND qty >= ?", line)} for line in lines))
    lanes = world.execute("SELECT w.id, w.cutoff, l.tier FROM warehouses w JOIN lanes l ON l.warehouse = w.id "
                          "WHERE l.dest_city = '440300'").fetchall()
    assert able and out["estimated_delivery"] == format_time(min(eta(now, c, t) for w, c, t in lanes if w in able))


def test_resolved_addresses_are_kept_per_connection_and_bounded(world, world_path, monkeypatch):
    import sqlite3

    from twinchat.inventory.tools import address_change, places

    plain = sqlite3.connect(world_path)  # keeps nothing: read every time
    addresses = [NEW, "北京市朝阳区建国路88号", "朝阳区建国路88号", "火星市某区1号", "广东省某某路", "南山"]
    monkeypatch.setattr(places, "KEEP_ADDRESSES", 3)
    monkeypatch.setattr(address_change, "KEEP_DISTRICTS", 3)
    for _ in range(2):
        for address in addresses:
            want = (places._read_address(plain, address, "address"),
                    address_change._read_district(plain, address, "address"))
            got = (places.resolve_address(world, address), address_change.resolve_district(world, address))
            assert got == want
            assert len(places.static_data(world, places._Addresses)) <= 3
            assert len(places.static_data(world, address_change._Districts)) <= 3
    plain.close()
    _, err = address_change.resolve_district(world, "火星市某区1号")
    assert err["error"]["code"] == "unknown_place"
    err["error"]["code"] = "changed"  # a caller's change to the error it got is its own
    assert address_change.resolve_district(world, "火星市某区1号")[1]["error"]["code"] == "unknown_place"
    assert places.resolve_address(world, "火星市某区1号")[1]["error"]["code"] == "unknown_place"
