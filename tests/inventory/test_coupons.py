"""The coupons table and check_coupons: coupons are drawn per seed within the world's period;
check_coupons prices the purchase at the day's price, measures each coupon valid at the clock
against the lines it covers, picks the one saving most and says how far an unusable one is."""

from __future__ import annotations

from datetime import datetime

from twinchat.inventory.tools import call
from twinchat.inventory.tools.aftersales import price_on


def _valid(world, now: datetime, scope: str):
    stamp = f"{now:%Y-%m-%d %H:%M:%S}"
    return world.execute("SELECT id, scope_id, threshold, discount FROM coupons WHERE scope = ? AND valid_from <= ? "
                         "AND valid_until >= ? ORDER BY id", (scope, stamp, stamp)).fetchall()


def test_coupons_cover_the_shop_the_categories_and_some_products(world):
    scopes = dict(world.execute("SELECT scope, count(*) FROM coupons GROUP BY scope").fetchall())
    assert scopes["all"] == 3 and scopes["category"] > 30 and scopes["product"] > 10
    bad = world.execute("SELECT count(*) FROM coupons WHERE discount <= 0 OR discount > threshold AND threshold > 0 "
                        "OR valid_from > valid_until").fetchone()[0]
    assert bad == 0


def test_the_best_coupon_is_used_and_the_price_after_it_computed(world):
    now = datetime(2026, 11, 5, 12, 0)  # 双十一: the shop-wide coupons are valid
    phone = world.execute("SELECT id, price FROM products WHERE category = 'phone' ORDER BY price DESC LIMIT 1").fetchone()
    out = call(world, "check_coupons", {"products": [phone[0]]}, now)
    today = price_on(phone[0], phone[1], now)
    assert out["lines"][0]["price_now"] == today and out["subtotal"] == today
    usable = [c for c in out["coupons"] if c["usable"]]
    assert today >= 3000 and {c["id"] for c in out["coupons"]} >= {"CP0001", "CP0002"}  # both festival coupons
    assert out["best"] == max(usable, key=lambda c: c["saving"]) and out["saving"] == out["best"]["saving"]
    assert out["pay"] == round(today - out["saving"], 2)
    for c in out["coupons"]:
        assert c["usable"] == (c["covered_amount"] >= c["threshold"])
        assert c["short_by"] == (0.0 if c["usable"] else round(c["threshold"] - c["covered_amount"], 2))


def test_a_category_coupon_counts_only_the_lines_it_covers(world):
    now = datetime(2026, 11, 25, 12, 0)
    coupon = _valid(world, now, "category")[0]
    pid, price = world.execute("SELECT id, price FROM products WHERE category = ? ORDER BY id LIMIT 1",
                               (coupon[1],)).fetchone()
    other = world.execute("SELECT id FROM products WHERE category != ? ORDER BY id LIMIT 1", (coupon[1],)).fetchone()[0]
    out = call(world, "check_coupons", {"products": [pid, other], "quantity": 2}, now)
    found = next(c for c in out["coupons"] if c["id"] == coupon[0])
    assert found["covers"] == [pid] and found["covered_amount"] == round(price_on(pid, price, now) * 2, 2)
    assert out["nearest"] is None or (not out["nearest"]["usable"] and out["nearest"]["short_by"] == min(
        c["short_by"] for c in out["coupons"] if not c["usable"]))


def test_no_coupon_outside_the_windows_and_unknown_products_are_tool_errors(world):
    far = datetime(2027, 6, 1, 12, 0)  # after every coupon's window
    out = call(world, "check_coupons", {"products": ["MEM004"]}, far)
    assert out["coupons"] == [] and out["best"] is None and out["nearest"] is None
    assert out["pay"] == out["subtotal"]
    err = call(world, "check_coupons", {"products": ["NOPE999"]}, far)
    assert err["error"] == {"code": "unknown_product", "message": "未找到商品“NOPE999”", "field": "products.0"}
    assert call(world, "check_coupons", {"products": ["MEM004"], "quantity": 0}, far)["error"]["field"] == "quantity"
