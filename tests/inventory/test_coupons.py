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


def test_the_coupons_listed_are_those_the_query_finds_valid_and_in_scope(world_path):
    """check_coupons reads the coupons once per connection and picks in memory those valid at the
    clock for the shop, a category bought or a product bought: the ones a query of the table picks,
    in id order, at clocks across the period (and its edges) and for purchases of one and two lines."""
    import sqlite3
    from datetime import timedelta

    from twinchat.inventory import open_world

    plain = sqlite3.connect(world_path)  # keeps no static data: the coupons are read on each call
    kept = open_world(world_path)
    purchases = [[pid] for (pid,) in plain.execute("SELECT id FROM products ORDER BY id LIMIT 6")]
    purchases += [[a, b] for (a,), (b,) in zip(purchases, plain.execute(
        "SELECT p.id FROM coupons c JOIN products p ON p.id = c.scope_id WHERE c.scope = 'product' ORDER BY c.id"))]
    edges = [row for (a, b) in plain.execute("SELECT valid_from, valid_until FROM coupons ORDER BY id LIMIT 8")
             for row in (a, b)]
    clocks = [datetime(2026, 10, 25) + timedelta(days=d, hours=d % 24) for d in range(0, 70, 3)]
    clocks += [datetime.fromisoformat(e) + timedelta(seconds=s) for e in edges for s in (-1, 0, 1)]
    for now in clocks:
        stamp = f"{now:%Y-%m-%d %H:%M:%S}"
        for products in purchases:
            bought = plain.execute(f"SELECT id, category FROM products WHERE id IN ({', '.join('?' * len(products))})",
                                   products).fetchall()
            ids, categories = [b[0] for b in bought], sorted({b[1] for b in bought})
            expected = [r[0] for r in plain.execute(
                f"SELECT id FROM coupons WHERE valid_from <= ? AND valid_until >= ? AND (scope = 'all' OR (scope = "
                f"'category' AND scope_id IN ({', '.join('?' * len(categories))})) OR (scope = 'product' AND scope_id "
                f"IN ({', '.join('?' * len(ids))}))) ORDER BY id", (stamp, stamp, *categories, *ids))]
            for conn in (plain, kept):
                out = call(conn, "check_coupons", {"products": products}, now)
                assert [c["id"] for c in out["coupons"]] == expected, (now, products)
    assert any(call(kept, "check_coupons", {"products": p}, c)["coupons"] for p in purchases for c in clocks)
    plain.close()
    kept.close()
