"""Resolving what a caller names — a category, a device, a product — to rows of the world.

Each resolver returns ``(value, None)`` or ``(None, tool_error)``, so a tool can hand the
error straight back as its result. The tables they read are static (categories, devices, the
catalog): read once per connection (:mod:`.static`) and looked up in memory.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from twinchat.inventory.catalog import device_key
from twinchat.inventory.tools.base import tool_error
from twinchat.inventory.tools.static import static_data

__all__ = ["resolve_category", "resolve_device", "resolve_products", "PRODUCT_COLUMNS", "Categories", "Devices",
           "Catalog", "nocase"]

Resolved = tuple[Any, "dict[str, Any] | None"]

#: Texts a lookup remembers the answer for before it starts over (callers ask the same few again and again).
_KEEP = 4096

_first = itemgetter(0)  # a product row's id

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
    """The ``products``, ``product_features`` and ``compatibility`` tables as tools read them
    (static data, see :mod:`.static`), read through their indexes as lookups first ask for them
    and then kept: a catalog of 100,000 products costs no more to open than one of 200. Product
    dicts have :data:`PRODUCT_COLUMNS` (``specs`` decoded), one per product, and are shared:
    callers must not change them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._execute = conn.execute
        self._cols = ", ".join(PRODUCT_COLUMNS)
        #: the rows whose id or model (NOCASE) is asked for, each through its own index: no
        #: temporary tables, as an OR's rowset and an ORDER BY's sort take on every first lookup
        self._either = (f"SELECT {self._cols} FROM products WHERE id = ? UNION ALL "
                        f"SELECT {self._cols} FROM products WHERE model = ? COLLATE NOCASE")
        #: product id -> its dict, for every product read so far
        self.products: dict[str, dict[str, Any]] = {}
        self._features: dict[str, frozenset[str]] = {}
        self._in_category: dict[str, list[dict[str, Any]]] = {}
        self._fitting: dict[tuple[str, str], list[tuple[dict[str, Any], Any, Any]]] = {}
        self._found: dict[str, dict[str, Any] | None] = {}  # see find
        #: product id -> its dict, for the products :meth:`add` was told are found by their id alone
        self._own: dict[str, dict[str, Any]] = {}

    def _product(self, row: Any) -> dict[str, Any]:
        """The one dict of the product in ``row`` (a :data:`PRODUCT_COLUMNS` tuple)."""
        item = self.products.get(row[0])
        if item is None:  # row: a tuple, a list or a sqlite3.Row
            item = self.products[row[0]] = dict(zip(PRODUCT_COLUMNS, row))
            item["specs"] = json.loads(item["specs"])
        return item

    def add(self, row: Sequence[Any], own: bool) -> dict[str, Any]:
        """The one dict of the product in ``row`` (a :data:`PRODUCT_COLUMNS` tuple another query
        read: a category's products, as slots draw them). With ``own`` — no product's model is
        its id (NOCASE) — :meth:`find` gives it for its id from then on, with no query (when the
        id is in upper case: find looks ids up so)."""
        item = self._product(row)
        if own and row[0] == row[0].upper():
            self._own[row[0]] = item
        return item

    def in_category(self, category: str) -> list[dict[str, Any]]:
        """A category's products, by price then id."""
        found = self._in_category.get(category)
        if found is None:
            found = self._in_category[category] = [self._product(r) for r in self._execute(
                f"SELECT {self._cols} FROM products WHERE category = ? ORDER BY price, id", (category,))]
        return found

    def fitting(self, device: str, category: str) -> list[tuple[dict[str, Any], Any, Any]]:
        """(product, full_speed, note) of the parts of ``category`` that fit ``device``, full speed
        first, then by price and id."""
        key = (device, category)
        found = self._fitting.get(key)
        if found is None:
            cols = ", ".join(f"p.{c}" for c in PRODUCT_COLUMNS)
            fits = [(self._product(product), full, note) for *product, full, note in self._execute(
                f"SELECT {cols}, c.full_speed, c.note FROM compatibility c JOIN products p ON p.id = c.part_id "
                "WHERE c.device_model = ? AND p.category = ?", key)]
            fits.sort(key=lambda f: (f[1] is None, -(f[1] or 0), f[0]["price"], f[0]["id"]))
            found = self._fitting[key] = fits
        return found

    def features(self, pid: str) -> frozenset[str]:
        """The feature keys of one product."""
        found = self._features.get(pid)
        if found is None:
            found = self._features[pid] = frozenset(k for (k,) in self._execute(
                "SELECT key FROM product_features WHERE product_id = ?", (pid,)))
        return found

    def find(self, ref: str) -> dict[str, Any] | None:
        """The product whose id is ``ref.upper()`` or whose model is ``ref`` (NOCASE), the lowest id
        first (remembered per ``ref``)."""
        item = self._own.get(ref)
        if item is not None:
            return item
        try:
            return self._found[ref]
        except KeyError:
            pass
        rows = self._execute(self._either, (ref.upper(), ref)).fetchall()
        # both an id and a model, or one row twice: the lowest id (Python orders str as SQLite's BINARY)
        row = min(rows, key=_first) if rows else None
        if len(self._found) >= _KEEP:
            self._found.clear()
        item = self._found[ref] = self._product(row) if row is not None else None
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
