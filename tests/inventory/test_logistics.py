"""The delivery rule, on hand-computed cases, and the lanes and stock it runs on."""

from __future__ import annotations

from datetime import datetime

import pytest

from twinchat.inventory.logistics import eta, lane_tier

FRI = datetime(2026, 11, 20)  # a Friday


@pytest.mark.parametrize(
    "now, cutoff, tier, expected",
    [
        ("10:00", "16:00", "same_city", "2026-11-20 21:00"),   # before cut-off: this evening
        ("15:59", "16:00", "same_city", "2026-11-20 21:00"),
        ("16:00", "16:00", "same_city", "2026-11-21 12:00"),   # at cut-off: next noon
        ("22:30", "16:00", "same_city", "2026-11-21 12:00"),
        ("09:00", "15:00", "nearby", "2026-11-21 18:00"),      # next day
        ("15:30", "15:00", "nearby", "2026-11-22 18:00"),      # ships tomorrow, arrives the day after
        ("09:00", "18:00", "regional", "2026-11-22 18:00"),
        ("09:00", "18:00", "far", "2026-11-23 18:00"),
        ("19:00", "18:00", "remote", "2026-11-25 18:00"),
    ],
)
def test_eta(now, cutoff, tier, expected):
    hh, mm = (int(x) for x in now.split(":"))
    assert eta(FRI.replace(hour=hh, minute=mm), cutoff, tier) == datetime.strptime(expected, "%Y-%m-%d %H:%M")


def test_eta_crosses_month_and_year_end():
    assert eta(datetime(2026, 12, 31, 20, 0), "16:00", "nearby") == datetime(2027, 1, 2, 18, 0)


@pytest.mark.parametrize(
    "same_city, same_province, km, tier",
    [(True, True, 5, "same_city"), (False, True, 600, "nearby"), (False, False, 120, "nearby"),
     (False, False, 351, "regional"), (False, False, 1000, "regional"), (False, False, 1500, "far"),
     (False, False, 2600, "remote")],
)
def test_lane_tier(same_city, same_province, km, tier):
    assert lane_tier(same_city, same_province, km) == tier


def test_lanes_cover_every_city_from_every_warehouse(world):
    cities = world.execute("SELECT count(*) FROM regions WHERE level = 'city'").fetchone()[0]
    warehouses = world.execute("SELECT count(*) FROM warehouses").fetchone()[0]
    assert world.execute("SELECT count(*) FROM lanes").fetchone()[0] == cities * warehouses


def test_lanes_follow_geography(world):
    tier = dict(world.execute(
        "SELECT r.name, l.tier FROM lanes l JOIN regions r ON r.adcode = l.dest_city WHERE l.warehouse = 'WH04'"))
    assert tier["深圳市"] == "same_city"
    assert tier["广州市"] == "nearby"       # same province
    assert tier["长沙市"] == "regional"     # ~640 km
    assert tier["北京市"] == "far"          # ~1,950 km
    assert tier["乌鲁木齐市"] == "remote"


def test_warehouses_sit_in_real_districts(world):
    rows = [tuple(r) for r in world.execute(
        "SELECT w.name, d.name, c.name FROM warehouses w JOIN regions d ON d.adcode = w.district "
        "JOIN regions c ON c.adcode = w.city ORDER BY w.id")]
    assert ("深圳宝安仓", "宝安区", "深圳市") in rows
    assert ("北京大兴仓", "大兴区", "北京市") in rows
    assert all(name.startswith(city[:2]) for name, _, city in rows)


def test_some_stock_is_zero_and_some_products_are_sold_out(world):
    zero = world.execute("SELECT count(*) FROM stock WHERE qty = 0").fetchone()[0]
    total = world.execute("SELECT count(*) FROM stock").fetchone()[0]
    assert 0.15 < zero / total < 0.6
    sold_out = world.execute(
        "SELECT count(*) FROM (SELECT product_id FROM stock GROUP BY product_id HAVING sum(qty) = 0)").fetchone()[0]
    assert sold_out >= 3
