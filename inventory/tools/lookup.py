"""Resolving what a caller names — a category, a device, a product — to rows of the world.

Each resolver returns ``(value, None)`` or ``(None, tool_error)``, so a tool can hand the
error straight back as its result. The tables they read are static (categories, devices, the
catalog): read once per connection (:mod:`.static`) and looked up in memory.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from twinchat.inventory.catalog import device_key
from twinchat.inventory.tools.base import tool_error
from twinchat.inventory.tools.static import static_data

__all__ = ["resolve_category", "resolve_device", "resolve_products", "PRODUCT_COLUMNS", "Categories", "Devices",
           "Catalog", "nocase"]

Resolved = tuple[Any, "dict[str, Any] | None"]

#: Texts a lookup remembers the answer for before it starts over (callers ask the same few again and again).
_KEEP = 4096

PRODUCT_COLUMNS = ("id", "category", "brand", "model", "name", "short_name", "price", "specs")


class Categories:
    """The ``categories`` table in memory (static data, see :mod:`.static`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        #: (id, name, aliases) in id order
        self.rows = [(cid, name, tuple(json.loads(aliases)))
                     for cid, name, aliases in conn.execute("SELECT id, name, aliases FROM categories ORDER BY id")]
        #: an id, a lower-case name or a lower-case alias -> the first category (in id order) with it
        self.by_word: dict[str, str] = {}
        for cid, name, aliases in self.rows:
            for word in (cid, name.lower(), *(a.lower() for a in aliases)):
                self.by_word.setdefault(word, cid)
        self.names = {cid: name for cid, name, _ in self.rows}


def resolve_category(conn: sqlite3.Connection, text: str, field: str = "category") -> Resolved:
    """A category id from its id, Chinese name or an alias (内存 → memory)."""
    categories = static_data(conn, Categories)
    cid = categories.by_word.get(text.strip().lower())
    if cid is not None:
        return cid, None
    known = "、".join(categories.names.values())
    return None, tool_error("unknown_category", f"没有“{text}”这个品类,可选: {known}", field)


class Devices:
    """The ``device_models`` and ``device_aliases`` tables in memory (static data, see :mod:`.static`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.aliases = [(k, d) for k, d in conn.execute("SELECT key, device_model FROM device_aliases")]
        #: an alias key, or a device id in lower case (of a device with aliases) -> device ids
        self.by_key: dict[str, set[str]] = {}
        for key, did in self.aliases:
            self.by_key.setdefault(key, set()).add(did)
        for did in {d for _, d in self.aliases}:
            self.by_key.setdefault(did.lower(), set()).add(did)
        self.rows = {row[0]: {"id": row[0], "kind": row[1], "brand": row[2], "name": row[3],
                              "specs": json.loads(row[4])}
                     for row in conn.execute("SELECT id, kind, brand, name, specs FROM device_models")}
        self._named: dict[str, tuple[str, ...]] = {}  # see named

    def named(self, text: str) -> tuple[str, ...]:
        """The ids of the devices ``text`` names at the best level (see :func:`resolve_device`),
        remembered per text."""
        ids = self._named.get(text)
        if ids is None:
            if len(self._named) >= _KEEP:
                self._named.clear()
            ids = self._named[text] = self._match(device_key(text))
        return ids

    def _match(self, key: str) -> tuple[str, ...]:
        if not key:
            return ()
        ids = self.by_key.get(key)
        if ids:
            return tuple(sorted(ids))
        inside = [(k, d) for k, d in self.aliases if len(k) >= 3 and k in key]
        if inside:
            best = max(len(k) for k, _ in inside)
            return tuple(sorted({d for k, d in inside if len(k) == best}))
        if len(key) >= 2:
            return tuple(sorted({d for k, d in self.aliases if key in k}))
        return ()


def resolve_device(conn: sqlite3.Connection, text: str, field: str = "compatible_with") -> Resolved:
    """A device model row (dict, ``specs`` decoded) from an id, a name, a model or an alias.

    Exact key first; then the longest known name contained in the text ("我的联想T14" → T14);
    then names that contain the text. Several devices at the best level → ``ambiguous_device``.
    The row is shared: callers must not change it.
    """
    devices = static_data(conn, Devices)
    ids = devices.named(text)
    if not ids:
        return None, tool_error("unknown_device", f"未找到机型“{text}”,请提供完整的品牌和型号", field)
    rows = [devices.rows[i] for i in ids]
    if len(rows) > 1:
        names = "、".join(r["name"] for r in rows[:6])
        return None, tool_error("ambiguous_device", f"“{text}”对应多个机型: {names},请确认具体型号", field)
    return rows[0], None


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def nocase(text: str) -> str:
    """``text`` as SQLite's NOCASE collation compares it (only ASCII letters fold)."""
    return text.translate(_ASCII_LOWER)


class Catalog:
    """The ``products``, ``product_features`` and ``compatibility`` tables in memory (static data,
    see :mod:`.static`). Product dicts have :data:`PRODUCT_COLUMNS` (``specs`` decoded) and are
    shared: callers must not change them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        cols = ", ".join(PRODUCT_COLUMNS)
        self.products: dict[str, dict[str, Any]] = {}
        #: a model code as NOCASE compares it -> the ids of the products with it
        self.by_model: dict[str, list[str]] = {}
        for row in conn.execute(f"SELECT {cols} FROM products ORDER BY id"):
            item = dict(zip(PRODUCT_COLUMNS, row))
            item["specs"] = json.loads(item["specs"])
            self.products[item["id"]] = item
            if item["model"] is not None:
                self.by_model.setdefault(nocase(item["model"]), []).append(item["id"])
        self.features: dict[str, set[str]] = {}
        for pid, key in conn.execute("SELECT product_id, key FROM product_features"):
            self.features.setdefault(pid, set()).add(key)
        #: category -> its products, by price then id
        self.in_category: dict[str, list[dict[str, Any]]] = {}
        for item in sorted(self.products.values(), key=lambda p: (p["price"], p["id"])):
            self.in_category.setdefault(item["category"], []).append(item)
        #: (device, category) -> (product, full_speed, note) of the parts that fit, full speed
        #: first, then by price and id
        self.fitting: dict[tuple[str, str], list[tuple[dict[str, Any], Any, Any]]] = {}
        fits = [(self.products[part], device, full, note) for part, device, full, note in conn.execute(
            "SELECT part_id, device_model, full_speed, note FROM compatibility")]
        fits.sort(key=lambda f: (f[2] is None, -(f[2] or 0), f[0]["price"], f[0]["id"]))
        for product, device, full, note in fits:
            self.fitting.setdefault((device, product["category"]), []).append((product, full, note))
        self._found: dict[str, dict[str, Any] | None] = {}  # see find

    def find(self, ref: str) -> dict[str, Any] | None:
        """The product whose id is ``ref.upper()`` or whose model is ``ref`` (NOCASE), the lowest id
        first (remembered per ``ref``)."""
        try:
            return self._found[ref]
        except KeyError:
            pass
        ids = [*self.by_model.get(nocase(ref), ())]
        if ref.upper() in self.products:
            ids.append(ref.upper())
        if len(self._found) >= _KEEP:
            self._found.clear()
        item = self._found[ref] = self.products[min(ids)] if ids else None
        return item


def resolve_products(conn: sqlite3.Connection, refs: list[str], field: str = "products") -> Resolved:
    """Product rows (dicts, shared: not to be changed) for ids or model codes, in the order given;
    duplicates collapse."""
    catalog = static_data(conn, Catalog)
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, ref in enumerate(refs):
        ref = ref.strip()
        item = catalog.find(ref)
        if item is None:
            return None, tool_error("unknown_product", f"未找到商品“{ref}”", f"{field}.{i}")
        if item["id"] not in seen:
            seen.add(item["id"])
            found.append(item)
    return found, None
