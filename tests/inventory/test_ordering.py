"""place_order: the order is written for the customer with that phone, with the ETA check_delivery
gives for the address's place; the same request at the same clock gives the same order; bad
requests give structured tool errors and write nothing."""

from __future__ import annotations

from datetime import datetime

from twinchat.inventory.tools import call

NOW = datetime(2026, 11, 20, 10, 0)
ORDER = {"products": ["MEM004", "SSD004"], "name": "王伟", "phone": "138 0013 8000",
         "address": "广东省深圳市南山区科苑路15号科兴科学园B栋"}


def _rows(world):
    return world.execute("SELECT count(*) FROM orders").fetchone()[0], world.execute(
        "SELECT count(*) FROM order_items").fetchone()[0]


def test_an_order_is_written_with_the_eta_of_its_address(world):
    before = _rows(world)
    placed = call(world, "place_order", ORDER, NOW)
    assert "error" not in placed, placed
    checked = call(world, "check_delivery", {"products": ORDER["products"], "destination": "深圳市南山区"}, NOW)
    assert placed["eta"] == max(r["eta"] for r in checked["results"])
    assert [i["product_id"] for i in placed["items"]] == ORDER["products"]
    assert placed["address"] == {"text": ORDER["address"], "adcode": "440300", "city": "广东省深圳市"}
    assert placed["phone"] == "13800138000" and placed["status"] == "待付款"
    prices = dict(world.execute("SELECT id, price FROM products WHERE id IN ('MEM004', 'SSD004')").fetchall())
    assert placed["total"] == round(sum(prices.values()), 2)
    assert _rows(world) == (before[0] + 1, before[1] + 2)
    # the order is the customer's: query_order finds it by its number at the same clock
    found = call(world, "query_order", {"order_no": placed["order_no"]}, NOW)
    assert found["orders"][0]["status"] == "待付款" and found["orders"][0]["total"] == placed["total"]


def test_the_same_request_at_the_same_clock_gives_the_same_order(world):
    first = call(world, "place_order", ORDER, NOW)
    rows = _rows(world)
    assert call(world, "place_order", ORDER, NOW) == first
    assert _rows(world) == rows
    later = call(world, "place_order", ORDER, datetime(2026, 11, 20, 10, 5))
    assert later["order_no"] != first["order_no"]


def test_an_existing_customer_keeps_their_id(world):
    cid, phone = world.execute("SELECT id, phone FROM customers ORDER BY id LIMIT 1").fetchone()
    placed = call(world, "place_order", {**ORDER, "phone": phone}, NOW)
    owner = world.execute("SELECT customer FROM orders WHERE order_no = ?", (placed["order_no"],)).fetchone()[0]
    assert owner == cid


def test_bad_requests_give_tool_errors_and_write_nothing(world):
    rows = _rows(world)
    sold_out = world.execute("SELECT product_id FROM stock GROUP BY product_id HAVING max(qty) = 0 "
                             "ORDER BY product_id LIMIT 1").fetchone()[0]
    cases = [({"phone": "12345"}, "invalid_phone", "phone"),
             ({"products": ["NOPE-1"]}, "unknown_product", "products.0"),
             ({"address": "火星基地1号"}, "unknown_place", "address"),
             ({"products": [sold_out]}, "out_of_stock", "products")]
    for change, code, field in cases:
        result = call(world, "place_order", {**ORDER, **change}, NOW)
        assert result["error"]["code"] == code and result["error"]["field"] == field, (change, result)
    assert _rows(world) == rows


def test_an_address_starting_with_a_full_place_name_is_read_as_create_ticket_reads_it(world):
    from twinchat.inventory.regions import PlaceIndex
    from twinchat.inventory.tools.ordering import _Addresses
    from twinchat.inventory.tools.service import _resolve_address
    from twinchat.inventory.tools.static import static_data

    places = static_data(world, PlaceIndex)
    addresses = _Addresses(world)
    codes = [r[0] for r in world.execute("SELECT adcode FROM regions WHERE level = 'district' ORDER BY adcode")]
    for adcode in codes[::7]:
        text = places.full_name(places.row(adcode)) + "中山路15号3栋"
        city, err, place = addresses.resolve(world, text)
        assert (city, err) == _resolve_address(world, text), text
        assert place == adcode, text  # the district the address names: where the order ships
    assert addresses.resolve(world, "火星基地1号")[:2] == _resolve_address(world, "火星基地1号")
    assert addresses.resolve(world, "火星基地1号")[2] is None


def test_a_phone_create_ticket_refuses_is_refused_alike(world):
    """One reader of mobile numbers for every tool: 179x (a satellite range) is not a mainland mobile."""
    before = _rows(world)
    placed = call(world, "place_order", {**ORDER, "phone": "179 0013 8000"}, NOW)
    assert placed["error"]["code"] == "invalid_phone" and placed["error"]["field"] == "phone"
    ticket = call(world, "create_ticket", {
        "user_name": "王伟", "phone": "17900138000", "address": ORDER["address"], "problem": "充电桩不充电",
        "category": "充电桩", "serve_time": "2026-11-21 10:00:00"}, NOW)
    assert ticket["error"]["code"] == "invalid_phone"
    assert _rows(world) == before
