"""The rows slots draw products from, and what they tell the tools' catalog: a product read for a
slot is found by its id with no query, with the answer the query gives."""

from __future__ import annotations

import shutil
import sqlite3

from twinchat.composer.engine.slots import WorldCache
from twinchat.composer.store.snapshot import world_snapshot
from twinchat.inventory.tools.lookup import Catalog
from twinchat.inventory.tools.static import static_data
from twinchat.inventory.tools.stock import total_stock


def _category(db) -> tuple[str, list[str]]:
    conn = sqlite3.connect(db)
    category = conn.execute("SELECT category FROM products GROUP BY category "
                            "ORDER BY count(*) DESC, category").fetchone()[0]
    ids = [pid for (pid,) in conn.execute("SELECT id FROM products WHERE category = ? ORDER BY id", (category,))]
    conn.close()
    return category, ids


def test_products_read_for_slots_are_found_as_the_query_finds_them(world_path, tmp_path):
    """Every product of a category read for slots is then found by its id as a query finds it —
    also the one whose id is another product's model (NOCASE), which the lower id's product wins."""
    db = shutil.copy(world_path, tmp_path / "w.db")
    category, ids = _category(db)
    with sqlite3.connect(db) as conn:  # the first product's model: the second's id, in lower case
        conn.execute("UPDATE products SET model = ? WHERE id = ?", (ids[1].lower(), ids[0]))
    conn.close()
    snap = world_snapshot(db)
    world = WorldCache(snap)
    pool = world.products_in(category)
    catalog = static_data(snap, Catalog)
    plain = sqlite3.connect(db)  # a plain connection keeps nothing: every find is a query
    for pid in ids:
        asked = Catalog(plain).find(pid)
        assert catalog.find(pid) == asked
    assert catalog.find(ids[1])["id"] == ids[0]  # the model's product, whose id is lower
    assert [p["id"] for p in pool] == ids
    assert {p["id"]: p["stock"] for p in pool} == total_stock(plain, ids)
    plain.close()


def test_a_product_read_for_slots_is_found_with_no_query(world_path):
    snap = world_snapshot(world_path)
    category, ids = _category(world_path)
    WorldCache(snap).products_in(category)
    asked: list[str] = []
    snap.set_trace_callback(asked.append)
    found = static_data(snap, Catalog).find(ids[-1])
    snap.set_trace_callback(None)
    assert (found["id"], asked) == (ids[-1], [])
