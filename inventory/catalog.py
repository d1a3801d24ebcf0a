"""The catalog's tables: categories, products and their features, device models customers own,
and which part fits which device.

Written from a catalog read from files (:mod:`.catalog_files`): the built-in shop's, shipped as
package data in ``data/shop/``, or a shop's own. Nothing here is random: a product keeps its id
(``MEM017``) and its price in every world, so tests and unit files can name it.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:  # sqlite-utils imports pandas when it is installed: only building needs it
    import sqlite_utils

    from twinchat.inventory.catalog_files import Shop

__all__ = ["write_catalog", "feature_key", "device_key"]

_KEY_DROP = re.compile(r"[\s\-_·.()（）]+")


def device_key(text: str) -> str:
    """The key a device name is matched by: case, spaces and dashes do not matter."""
    return _KEY_DROP.sub("", text.strip().lower())


def feature_key(text: str) -> str:
    """The key a feature is matched by: '16GB' ≈ '16g' ≈ '16 G'; '5600MHz' ≈ '5600'.

    Upper case, spaces dropped, full-width brackets made ASCII, and units shortened (GB → G,
    TB → T, MHz dropped), so a feature a customer asks for finds the product feature it names."""
    key = text.strip().upper().replace(" ", "").replace("（", "(").replace("）", ")")
    for long, short in (("MHZ", ""), ("GB", "G"), ("TB", "T"), ("KW", "KW")):
        key = key.replace(long, short)
    return key


_PRODUCT_COLUMNS = ("id", "category", "brand", "series", "model", "name", "short_name", "price", "specs", "description",
                    "device_model")


def write_catalog(db: sqlite_utils.Database, shop: Shop) -> None:
    """Create and fill ``categories``, ``device_models``, ``products``, ``product_features``,
    ``compatibility`` and ``device_aliases`` from a catalog read from files."""
    categories, products, models = shop.categories, shop.products, shop.devices
    db["categories"].create({"id": str, "name": str, "aliases": str, "measure_word": str}, pk="id")
    db["categories"].insert_all(
        {"id": cid, "name": name, "aliases": json.dumps(list(aliases), ensure_ascii=False), "measure_word": word}
        for cid, name, aliases, word in categories
    )
    db["device_models"].create(
        {"id": str, "kind": str, "brand": str, "series": str, "model": str, "name": str,
         "aliases": str, "specs": str},
        pk="id", not_null={"kind", "name", "specs"},
    )
    db["device_models"].insert_all(models)
    db["products"].create(
        {"id": str, "category": str, "brand": str, "series": str, "model": str, "name": str,
         "short_name": str, "price": float, "specs": str, "description": str, "device_model": str},
        pk="id", not_null={"category", "name", "price"},
        foreign_keys=[("category", "categories", "id"), ("device_model", "device_models", "id")],
    )
    # rows in one statement (sqlite-utils made the table): a catalog of 100,000 products in a second
    db.conn.executemany(
        f"INSERT INTO products ({', '.join(_PRODUCT_COLUMNS)}) VALUES ({', '.join('?' * len(_PRODUCT_COLUMNS))})",
        ((*(p[c] for c in _PRODUCT_COLUMNS[:8]), json.dumps(p["specs"], ensure_ascii=False, sort_keys=True),
          p["description"], p["device_model"]) for p in products))
    db["product_features"].create(
        {"product_id": str, "feature": str, "key": str}, pk=("product_id", "key"),
        foreign_keys=[("product_id", "products", "id")],
    )
    # (product, key) -> the row of its first feature with that key; features repeat across
    # products (brands, capacities), so each text's key is worked out once
    feature_rows: dict[tuple[str, str], tuple[str, str, str]] = {}
    keys: dict[str, str] = {}
    for p in products:
        pid = p["id"]
        for f in p["features"]:
            key = keys.get(f)
            if key is None:
                key = keys[f] = feature_key(f)
            feature_rows.setdefault((pid, key), (pid, f, key))
    db.conn.executemany("INSERT INTO product_features (product_id, feature, key) VALUES (?, ?, ?)",
                        feature_rows.values())
    _compatibility(db, shop.compatibility)
    _device_aliases(db, models)
    db["products"].create_index(["category", "price"])
    db.execute("CREATE INDEX idx_products_model ON products (model COLLATE NOCASE)")
    db["product_features"].create_index(["key"])
    db["compatibility"].create_index(["device_model"])


def _compatibility(db: sqlite_utils.Database, rows: list[tuple[str, str, int, str | None]]) -> None:
    """The ``compatibility`` table: which part fits which device model (full speed or not, a note)."""
    db["compatibility"].create(
        {"part_id": str, "device_model": str, "full_speed": int, "note": str},
        pk=("part_id", "device_model"),
        foreign_keys=[("part_id", "products", "id"), ("device_model", "device_models", "id")],
    )
    db.conn.executemany("INSERT INTO compatibility (part_id, device_model, full_speed, note) VALUES (?, ?, ?, ?)",
                        rows)


def _device_aliases(db: sqlite_utils.Database, models: list[dict[str, Any]]) -> None:
    """The ``device_aliases`` table: every name a customer may give a device model, by its key."""
    db["device_aliases"].create({"key": str, "device_model": str}, pk=("key", "device_model"),
                                foreign_keys=[("device_model", "device_models", "id")])
    aliases: dict[tuple[str, str], dict[str, str]] = {}
    for m in models:
        names = [m["name"], m["model"], f"{m['brand']}{m['model']}", f"{m['series']}{m['model']}",
                 f"{m['brand']}{m['series']}{m['model']}", m["series"], *json.loads(m["aliases"])]
        for n in names:
            if len(device_key(n)) >= 2:
                aliases.setdefault((device_key(n), m["id"]), {"key": device_key(n), "device_model": m["id"]})
    db["device_aliases"].insert_all(sorted(aliases.values(), key=lambda r: (r["key"], r["device_model"])))
