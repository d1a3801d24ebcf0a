"""Resolving what a caller names — a category, a device, a product — to rows of the world.

Each resolver returns ``(value, None)`` or ``(None, tool_error)``, so a tool can hand the
error straight back as its result.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from twinchat.inventory.catalog import device_key
from twinchat.inventory.tools.base import tool_error

__all__ = ["resolve_category", "resolve_device", "resolve_products", "PRODUCT_COLUMNS"]

Resolved = tuple[Any, "dict[str, Any] | None"]

PRODUCT_COLUMNS = ("id", "category", "brand", "model", "name", "short_name", "price", "specs")


def resolve_category(conn: sqlite3.Connection, text: str, field: str = "category") -> Resolved:
    """A category id from its id, Chinese name or an alias (内存 → memory)."""
    wanted = text.strip().lower()
    for cid, name, aliases in conn.execute("SELECT id, name, aliases FROM categories ORDER BY id"):
        if wanted in (cid, name.lower(), *(a.lower() for a in json.loads(aliases))):
            return cid, None
    known = "、".join(r[0] for r in conn.execute("SELECT name FROM categories ORDER BY id"))
    return None, tool_error("unknown_category", f"没有“{text}”这个品类,可选: {known}", field)


def resolve_device(conn: sqlite3.Connection, text: str, field: str = "compatible_with") -> Resolved:
    """A device model row (dict, ``specs`` decoded) from an id, a name, a model or an alias.

    Exact key first; then the longest known name contained in the text ("我的联想T14" → T14);
    then names that contain the text. Several devices at the best level → ``ambiguous_device``.
    """
    key = device_key(text)
    ids: list[str] = []
    if key:
        ids = [r[0] for r in conn.execute(
            "SELECT DISTINCT device_model FROM device_aliases WHERE key = ? OR lower(device_model) = ? "
            "ORDER BY device_model", (key, key))]
    if not ids and key:
        best = conn.execute(
            "SELECT max(length(key)) FROM device_aliases WHERE length(key) >= 3 AND instr(?, key) > 0",
            (key,)).fetchone()[0]
        if best:
            ids = [r[0] for r in conn.execute(
                "SELECT DISTINCT device_model FROM device_aliases "
                "WHERE length(key) = ? AND instr(?, key) > 0 ORDER BY device_model", (best, key))]
    if not ids and len(key) >= 2:
        ids = [r[0] for r in conn.execute(
            "SELECT DISTINCT device_model FROM device_aliases WHERE instr(key, ?) > 0 ORDER BY device_model",
            (key,))]
    if not ids:
        return None, tool_error("unknown_device", f"未找到机型“{text}”,请提供完整的品牌和型号", field)
    rows = [_device(conn, i) for i in ids]
    if len(rows) > 1:
        names = "、".join(r["name"] for r in rows[:6])
        return None, tool_error("ambiguous_device", f"“{text}”对应多个机型: {names},请确认具体型号", field)
    return rows[0], None


def _device(conn: sqlite3.Connection, did: str) -> dict[str, Any]:
    row = conn.execute("SELECT id, kind, brand, name, specs FROM device_models WHERE id = ?", (did,)).fetchone()
    return {"id": row[0], "kind": row[1], "brand": row[2], "name": row[3], "specs": json.loads(row[4])}


def resolve_products(conn: sqlite3.Connection, refs: list[str], field: str = "products") -> Resolved:
    """Product rows (dicts) for ids or model codes, in the order given; duplicates collapse."""
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    cols = ", ".join(PRODUCT_COLUMNS)
    for i, ref in enumerate(refs):
        ref = ref.strip()
        row = conn.execute(
            f"SELECT {cols} FROM products WHERE id = ? OR model = ? COLLATE NOCASE "
            "ORDER BY id LIMIT 1", (ref.upper(), ref)).fetchone()
        if row is None:
            return None, tool_error("unknown_product", f"未找到商品“{ref}”", f"{field}.{i}")
        item = dict(zip(PRODUCT_COLUMNS, row))
        item["specs"] = json.loads(item["specs"])
        if item["id"] not in seen:
            seen.add(item["id"])
            found.append(item)
    return found, None
