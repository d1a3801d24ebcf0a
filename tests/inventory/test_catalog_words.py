"""ProductWords: a product's words, read per product as asked, equal to reading the whole table."""

from __future__ import annotations

import json

from twinchat.inventory.catalog_words import ProductWords


def _category_words(conn) -> dict[str, tuple[str, ...]]:
    return {cid: (name, *json.loads(aliases)) for cid, name, aliases in conn.execute(
        "SELECT id, name, aliases FROM categories")}


def test_words_equal_those_of_the_whole_table(world):
    words = _category_words(world)
    expected = {pid: tuple(w for w in (short, model, *words.get(cat, ())) if w)
                for pid, short, model, cat in world.execute("SELECT id, short_name, model, category FROM products")}
    found = ProductWords(world, words)
    assert {pid: found.get(pid) for pid in expected} == expected
    assert found.get("MEM017")[:2] == tuple(world.execute(
        "SELECT short_name, model FROM products WHERE id = 'MEM017'").fetchone())


def test_an_unknown_or_odd_id_gives_the_default_and_is_not_kept(world):
    found = ProductWords(world, _category_words(world))
    assert found.get("NOPE001") == ()
    assert found.get("NOPE001", ("x",)) == ("x",)
    assert found.get(None) == () and found.get(17) == () and found.get(["MEM017"]) == ()
    assert found._words == {}


def test_a_product_is_read_once(world):
    found = ProductWords(world, _category_words(world))
    first = found.get("MEM017")
    world.execute("UPDATE products SET short_name = 'changed' WHERE id = 'MEM017'")
    assert found.get("MEM017") is first  # kept: the catalog is static under a composer
