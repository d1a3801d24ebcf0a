"""search_products and check_delivery on hand-checked cases, their errors and their schemas."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from twinchat.inventory import UnknownToolError
from twinchat.inventory.tools import TOOLS, call, is_tool_error

NOW = datetime(2026, 11, 20, 10, 0)  # Friday morning


def search(world, **args):
    return call(world, "search_products", args, NOW)


def deliver(world, now=NOW, **args):
    return call(world, "check_delivery", args, now)


# -- search_products ---------------------------------------------------------------------------

def test_memory_for_a_ddr5_laptop_is_ddr5_sodimm(world):
    result = search(world, category="内存条", compatible_with="ThinkPad T14 Gen 4", limit=20)
    assert result["device"]["name"] == "联想ThinkPad T14 Gen 4"
    assert result["count"] > 3
    for item in result["products"]:
        assert "DDR5" in item["name"] and "笔记本" in item["name"]
        specs = json.loads(world.execute("SELECT specs FROM products WHERE id = ?", (item["id"],)).fetchone()[0])
        assert specs["form"] == "SODIMM" and specs["capacity_gb"] <= 40
        if specs["mhz"] > 5200:
            assert item["full_speed"] is False and item["note"] == "将以5200MHz运行"


def test_full_speed_parts_come_first_then_cheapest(world):
    items = search(world, category="memory", compatible_with="T14", limit=20)["products"]
    keys = [(not i["full_speed"], i["price"]) for i in items]
    assert keys == sorted(keys)


def test_soldered_memory_gives_none_with_the_reason(world):
    result = search(world, category="内存", compatible_with="MacBook Air")
    assert result["products"] == [] and result["count"] == 0
    assert result["reason"] == "该机型内存为板载设计,无法加装或更换内存条"


def test_features_and_price_filter(world):
    result = search(world, category="charger", features=["65w", "氮化镓"], max_price=200, limit=20)
    assert result["count"] > 0
    for item in result["products"]:
        assert "65W" in item["name"] and "氮化镓" in item["name"] and item["price"] <= 200


def test_laptop_charger_needs_pd_and_enough_watts(world):
    items = search(world, category="充电器", compatible_with="小新Pro14", limit=20)["products"]
    assert items
    for item in items:
        specs = json.loads(world.execute("SELECT specs FROM products WHERE id = ?", (item["id"],)).fetchone()[0])
        assert "PD" in specs["protocols"] and specs["watts"] >= 100


def test_in_stock_only(world):
    all_items = search(world, category="ssd", limit=20)
    stocked = search(world, category="ssd", in_stock_only=True, limit=20)
    assert all(i["in_stock"] for i in stocked["products"])
    assert stocked["count"] < all_items["count"]


@pytest.mark.parametrize(
    "args, code, field",
    [
        ({"category": "冰箱"}, "unknown_category", "category"),
        ({"category": "内存条", "compatible_with": "诺基亚N95"}, "unknown_device", "compatible_with"),
        ({"category": "内存条", "compatible_with": "ThinkPad"}, "ambiguous_device", "compatible_with"),
        ({"category": "内存条", "limit": 0}, "invalid_arguments", "limit"),
        ({"category": "内存条", "colour": "red"}, "invalid_arguments", "colour"),
        ({}, "invalid_arguments", "category"),
    ],
)
def test_search_errors(world, args, code, field):
    result = call(world, "search_products", args, NOW)
    assert is_tool_error(result)
    assert result["error"]["code"] == code and result["error"]["field"] == field


def test_ambiguous_device_lists_candidates(world):
    message = search(world, category="内存条", compatible_with="ThinkPad")["error"]["message"]
    assert "ThinkPad T14 Gen 4" in message and "ThinkPad E14 Gen 5" in message


def test_device_found_inside_a_phrase(world):
    result = search(world, category="充电器", compatible_with="我的华为Mate60 Pro")
    assert result["device"]["id"] == "DEV-P01"


# -- check_delivery ----------------------------------------------------------------------------

def _stocked_only_in(world, warehouse: str) -> str:
    """A product left in stock only in ``warehouse`` (inside the test's rolled-back transaction)."""
    pid = world.execute("SELECT min(product_id) FROM stock WHERE warehouse = ? AND qty > 0",
                        (warehouse,)).fetchone()[0]
    world.execute("UPDATE stock SET qty = 0 WHERE product_id = ? AND warehouse != ?", (pid, warehouse))
    return pid


def _cutoff(world, warehouse: str) -> datetime:
    hh, mm = world.execute("SELECT cutoff FROM warehouses WHERE id = ?", (warehouse,)).fetchone()[0].split(":")
    return NOW.replace(hour=int(hh), minute=int(mm))


def test_same_city_before_cutoff_arrives_tonight(world):
    pid = _stocked_only_in(world, "WH04")
    before = _cutoff(world, "WH04") - timedelta(minutes=30)
    result = deliver(world, before, products=[pid], destination="深圳市南山区", deadline="2026-11-20 23:59:59")
    assert result["destination"] == {"adcode": "440305", "name": "广东省深圳市南山区"}
    item = result["results"][0]
    assert item == {**item, "in_stock": True, "warehouse": "WH04", "eta": "2026-11-20 21:00:00",
                    "arrives_in_time": True}


def test_same_city_after_cutoff_does_not(world):
    pid = _stocked_only_in(world, "WH04")
    after = _cutoff(world, "WH04") + timedelta(minutes=1)
    item = deliver(world, after, products=[pid], destination="深圳南山区", deadline="2026-11-20 23:59:59")["results"][0]
    assert item["eta"] == "2026-11-21 12:00:00" and item["arrives_in_time"] is False


def test_far_city_takes_days(world):
    pid = _stocked_only_in(world, "WH04")
    item = deliver(world, products=[pid], destination="乌鲁木齐市")["results"][0]
    assert item["eta"] == "2026-11-24 18:00:00" and item["arrives_in_time"] is None


def test_sold_out_product(world):
    pid = world.execute("SELECT product_id FROM stock GROUP BY product_id HAVING sum(qty) = 0 "
                        "ORDER BY product_id LIMIT 1").fetchone()[0]
    item = deliver(world, products=[pid], destination="北京朝阳", deadline="2026-11-22 23:59:59")["results"][0]
    assert item == {**item, "in_stock": False, "warehouse": None, "eta": None, "arrives_in_time": False}


def test_picks_the_earliest_warehouse_and_accepts_model_codes(world):
    pid, model = world.execute(
        "SELECT p.id, p.model FROM products p JOIN stock s ON s.product_id = p.id "
        "WHERE s.warehouse = 'WH01' AND s.qty > 0 AND p.category = 'memory' ORDER BY p.id LIMIT 1").fetchone()
    item = deliver(world, products=[model.lower()], destination="北京市海淀区")["results"][0]
    assert item["product_id"] == pid and item["warehouse"] == "WH01"


@pytest.mark.parametrize(
    "args, code, field",
    [
        ({"products": ["NOPE42"], "destination": "深圳市南山区"}, "unknown_product", "products.0"),
        ({"products": ["MEM001"], "destination": "南山区"}, "ambiguous_place", "destination"),  # 深圳 and 鹤岗
        ({"products": ["MEM001"], "destination": "火星"}, "unknown_place", "destination"),
        ({"products": ["MEM001"], "destination": "朝阳区"}, "ambiguous_place", "destination"),
        ({"products": ["MEM001"], "destination": "广东省"}, "destination_too_broad", "destination"),
        ({"products": ["MEM001"], "destination": "深圳市南山区", "deadline": "2026-11-20 09:00:00"},
         "deadline_in_past", "deadline"),
        ({"products": ["MEM001"], "destination": "深圳市南山区", "deadline": "明天"}, "invalid_arguments", "deadline"),
        ({"products": [], "destination": "深圳市南山区"}, "invalid_arguments", "products"),
    ],
)
def test_delivery_errors(world, args, code, field):
    result = call(world, "check_delivery", args, NOW)
    assert result["error"]["code"] == code and result["error"]["field"] == field
    assert result["error"]["message"]


def test_unknown_tool_raises():
    with pytest.raises(UnknownToolError, match=r"unknown tool 'teleport' \(known tools: "):
        call(None, "teleport", {}, NOW)


def test_schemas_are_function_definitions():
    for name, tool in TOOLS.items():
        schema = tool.json_schema()
        assert schema["name"] == name and schema["description"]
        params = schema["parameters"]
        assert params["type"] == "object" and params["properties"]
        assert "title" not in json.dumps(params, ensure_ascii=False)
        for prop in params["properties"].values():
            assert prop.get("description"), (name, prop)
    required = TOOLS["check_delivery"].json_schema()["parameters"]["required"]
    assert sorted(required) == ["destination", "products"]


def test_arrivals_are_the_best_lane_by_eta_at_every_clock_around_the_cut_offs(world):
    """check_delivery ranks each city's lanes once per cut-off state: at clocks on, just before
    and just after each cut-off, on several days and cities, its answer is the earliest eta() over
    the lanes whose warehouse holds the product (the first lane in warehouse order on a tie)."""
    import random

    from twinchat.inventory.logistics import eta

    rng = random.Random(7)
    cities = [c for (c,) in world.execute("SELECT DISTINCT dest_city FROM lanes ORDER BY dest_city")]
    names = dict(world.execute("SELECT adcode, name FROM regions"))
    products = [p for (p,) in world.execute("SELECT id FROM products WHERE category = 'memory' ORDER BY id")]
    cutoffs = sorted({c for (c,) in world.execute("SELECT cutoff FROM warehouses")})
    checked = 0
    for day in range(3):
        for cutoff in cutoffs:
            hh, mm = (int(x) for x in cutoff.split(":"))
            for delta in (-1, 0, 1):
                now = datetime(2026, 11, 20 + day, hh, mm) + timedelta(minutes=delta)
                city, product = rng.choice(cities), rng.choice(products)
                lanes = world.execute(
                    "SELECT w.id, w.cutoff, l.tier FROM lanes l JOIN warehouses w ON w.id = l.warehouse "
                    "JOIN stock s ON s.warehouse = w.id AND s.product_id = ? AND s.qty >= 1 "
                    "WHERE l.dest_city = ? ORDER BY w.id", (product, city)).fetchall()
                best = min(((eta(now, c, t), w) for w, c, t in lanes), key=lambda a: a[0], default=None)
                result = deliver(world, now=now, products=[product], destination=names[city])
                if is_tool_error(result):
                    continue  # a city name shared by several places: not this test's business
                item = result["results"][0]
                if best is None:
                    assert item["in_stock"] is False
                else:
                    assert (item["warehouse"], item["eta"]) == (best[1], best[0].strftime("%Y-%m-%d %H:%M:%S"))
                checked += 1
    assert checked > 20
