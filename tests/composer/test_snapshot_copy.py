"""The composer's world snapshot and what reads the catalog lazily from it.

A world file whose store is small is copied page by page and the store dropped from the copy; a
larger store makes the copy go table by table. Both must give the same world. The slot pools and
the tools' catalog read products when first asked for: they must give what reading every
product up front gave.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from twinchat.composer.engine.slots import WorldCache
from twinchat.composer.store import snapshot
from twinchat.composer.store.snapshot import world_snapshot
from twinchat.inventory import open_world


def _dump(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    tables = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                          "AND name NOT LIKE 'sqlite_%' ORDER BY name").fetchall()
    return {n: [tuple(r) for r in conn.execute(_all_rows(conn, n, sql))] for n, sql in tables}


def _all_rows(conn: sqlite3.Connection, name: str, sql: str) -> str:
    """Every row of a table with its rowid, in rowid order; a table without one (``stock``), in
    its key's order."""
    if not sql.rstrip().upper().endswith("WITHOUT ROWID"):
        return f'SELECT rowid, * FROM "{name}" ORDER BY rowid'
    key = sorted((r[5], r[1]) for r in conn.execute(f'PRAGMA table_info("{name}")') if r[5])
    return f'SELECT * FROM "{name}" ORDER BY ' + ", ".join(f'"{c}"' for _, c in key)


def _objects(conn: sqlite3.Connection) -> list[tuple]:
    return [tuple(r) for r in conn.execute("SELECT type, name, sql FROM sqlite_master "
                                           "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")]


@pytest.fixture()
def stored(world_path, tmp_path):
    """A copy of the world with three sessions stored in it."""
    from twinchat.composer.store.batches import compose_run

    db = shutil.copy(world_path, tmp_path / "w.db")
    compose_run(db, n=3, seed=0, workers=1, flow="memory_upgrade")
    return db


def test_page_copy_and_table_copy_give_the_same_world(stored, monkeypatch):
    pages = world_snapshot(stored)
    monkeypatch.setattr(snapshot, "PAGE_COPY_SESSIONS", 2)  # three sessions: table by table
    tables = world_snapshot(stored)
    assert _dump(pages) == _dump(tables)
    assert _objects(pages) == _objects(tables)
    for conn in (pages, tables):
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert not names & {"sessions", "runs", "sqlite_stat1"}
        assert conn.execute("SELECT count(*) FROM products").fetchone()[0] > 200
    pages.close()
    tables.close()


def test_free_pages_of_deleted_sessions_are_not_copied(stored, monkeypatch):
    conn = sqlite3.connect(stored)
    with conn:
        conn.execute("DELETE FROM sessions")  # no VACUUM: their pages stay in the file, free
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert free > 0
    source = sqlite3.connect(stored)
    assert snapshot._small_store(source)  # a few free pages: copied with the rest
    monkeypatch.setattr(snapshot, "PAGE_COPY_FREE_BYTES", free - 1)
    assert not snapshot._small_store(source)  # more than the limit: table by table
    source.close()
    tables = world_snapshot(stored)
    assert tables.execute("PRAGMA freelist_count").fetchone()[0] == 0
    monkeypatch.undo()
    pages = world_snapshot(stored)
    assert _dump(pages) == _dump(tables)
    pages.close()
    tables.close()


def test_slot_pools_read_lazily_are_every_product_in_id_order(world_path):
    conn = open_world(world_path)
    world = WorldCache(conn)
    stock = dict(conn.execute("SELECT product_id, sum(qty) FROM stock GROUP BY product_id").fetchall())
    for category in world.categories:
        expected = [(pid, json.loads(specs), stock.get(pid, 0)) for pid, specs in conn.execute(
            "SELECT id, specs FROM products WHERE category = ? ORDER BY id", (category,))]
        assert [(p["id"], p["specs"], p["stock"]) for p in world.products_in(category)] == expected
        assert expected
    assert world.products_in("no_such_category") == []
    pairs = conn.execute("SELECT c.device_model, p.category, c.part_id FROM compatibility c "
                         "JOIN products p ON p.id = c.part_id ORDER BY c.device_model, c.part_id").fetchall()
    found: dict[tuple[str, str], list[str]] = {}
    for device, category, part in pairs:
        found.setdefault((device, category), []).append(part)
    for (device, category), parts in found.items():
        pool = world.compatible_with(device, category)
        assert [p["id"] for p in pool] == parts
        assert all(p is world.products_in(category)[[q["id"] for q in world.products_in(category)].index(p["id"])]
                   for p in pool)  # one dict per product
    stocked = world.stocked(("memory",), world.products_in("memory"), True)
    assert stocked == [p for p in world.products_in("memory") if p["stock"] > 0] and len(stocked) > 3
    conn.close()


def test_catalog_find_gives_the_lowest_id_when_an_id_is_also_a_model(world_path, tmp_path):
    from twinchat.inventory.tools.lookup import Catalog

    db = tmp_path / "w.db"
    shutil.copy(world_path, db)
    conn = open_world(db)
    first, second, third = (r[0] for r in conn.execute("SELECT id FROM products ORDER BY id LIMIT 3"))
    with conn:  # the second product's model is the third's id, the third's model its own id
        conn.execute("UPDATE products SET model = ? WHERE id = ?", (third.lower(), second))
        conn.execute("UPDATE products SET model = ? WHERE id = ?", (third, third))
        conn.execute("UPDATE products SET model = ? WHERE id = ?", (first.lower(), first))
    catalog = Catalog(conn)
    assert catalog.find(third)["id"] == second  # an id and two models: the lowest id of the three
    assert catalog.find(first.lower())["id"] == first  # one product by its id and by its model
    assert catalog.find(second.lower())["id"] == second
    conn.close()


def test_catalog_lookups_read_lazily_match_the_tables(world_path):
    from twinchat.inventory.tools.lookup import Catalog

    conn = open_world(world_path)
    catalog = Catalog(conn)
    rows = conn.execute("SELECT id, model, category, price FROM products").fetchall()
    for pid, model, category, _ in rows[::9]:
        assert catalog.find(pid.lower())["id"] == pid
        if model:
            same = sorted(p for p, m, _, _ in rows if m and m.lower() == model.lower())
            assert catalog.find(model.swapcase())["id"] == min(same)
    assert catalog.find("NO-SUCH-MODEL") is None
    for category in {r[2] for r in rows}:
        ids = [r[0] for r in sorted((r for r in rows if r[2] == category), key=lambda r: (r[3], r[0]))]
        assert [p["id"] for p in catalog.in_category(category)] == ids
    pid, key = conn.execute("SELECT product_id, key FROM product_features LIMIT 1").fetchone()
    assert key in catalog.features(pid) and catalog.features("NO-SUCH-ID") == frozenset()
    device, category = conn.execute("SELECT c.device_model, p.category FROM compatibility c "
                                    "JOIN products p ON p.id = c.part_id LIMIT 1").fetchone()
    fits = catalog.fitting(device, category)
    assert fits and all(p["category"] == category for p, _, _ in fits)
    keys = [(full is None, -(full or 0), p["price"], p["id"]) for p, full, _ in fits]
    assert keys == sorted(keys)
    conn.close()
