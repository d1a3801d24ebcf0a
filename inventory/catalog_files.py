"""A shop's catalog, read from files: categories, products, stock and, optionally, warehouses,
devices and which product fits which device. The built-in shop is one such catalog, shipped as
package data (``data/shop/``, :func:`builtin_files`) and read the same way.

Each table is one file, CSV (a header row, UTF-8) or JSON Lines (``.jsonl``/``.ndjson``: one
object per line). Lists (aliases, features) are ``|``-separated in CSV, lists or ``|``-separated
strings in JSON. Everything is checked before a world is touched; the first problem is one
:class:`CatalogError` naming the file, the line and the column (``path:line: column 'price': …``).

A catalog without a categories file uses the built-in categories; without a warehouses file, the
built-in warehouses (and their delivery lanes); without a devices file, no devices (and no
compatibility). Stock rows left out are stock of zero.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from twinchat.inventory.catalog_devices import read_compatibility, read_devices
from twinchat.inventory.catalog_rows import RowReader, csv_fields, did_you_mean, file_rows
from twinchat.inventory.errors import CatalogError

__all__ = ["CatalogFiles", "Shop", "builtin_files", "builtin_root", "read_catalog", "read_categories", "MEASURE_WORD"]

#: The measure word of a category that names none (这款 / 一款).
MEASURE_WORD = "款"
_CUTOFF = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class CatalogFiles:
    """Where a shop's catalog is: one file per table (``None``: the built-in table; for devices and
    compatibility, none)."""

    products: Path
    stock: Path
    categories: Path | None = None
    warehouses: Path | None = None
    #: device models customers own (id, kind, brand, name[, series, model, aliases, specs])
    devices: Path | None = None
    #: which product fits which device (product, device[, full_speed, note]); needs ``devices``
    compatibility: Path | None = None


def builtin_root() -> Path:
    """The folder of the built-in shop's catalog files (package data)."""
    return Path(str(resources.files("twinchat.inventory").joinpath("data", "shop")))


def builtin_files() -> CatalogFiles:
    """The built-in shop's catalog files (package data under ``data/shop/``)."""
    root = builtin_root()
    return CatalogFiles(products=root / "products.jsonl", stock=root / "stock.csv",
                        categories=root / "categories.csv", warehouses=root / "warehouses.csv",
                        devices=root / "devices.jsonl", compatibility=root / "compatibility.csv")


@dataclass
class Shop:
    """A catalog read and checked: rows ready for the world's tables."""

    #: (id, name, aliases, measure word), in file order
    categories: list[tuple[str, str, tuple[str, ...], str]]
    products: list[dict[str, Any]]
    #: (product, warehouse, qty)
    stock: list[tuple[str, str, int]]
    #: (id, name, district adcode, cut-off)
    warehouses: list[tuple[str, str, str, str]]
    #: device rows (id, kind, brand, series, model, name; aliases and specs as JSON text)
    devices: list[dict[str, Any]] = field(default_factory=list)
    #: (product, device, full_speed 0/1, note or None)
    compatibility: list[tuple[str, str, int, str | None]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def read_categories(path: Path) -> list[tuple[str, str, tuple[str, ...], str]]:
    """The categories of a categories file: (id, Chinese name, aliases, measure word)."""
    r, seen, out = RowReader(path), {}, []
    columns = {"id": True, "name": True, "aliases": False, "measure_word": False}
    for r.line, r.row in file_rows(path, columns):
        cid = r.ident("id")
        r.unique(seen, cid, "id")
        name = r.text("name")
        out.append((cid, name, r.words("aliases") or (name,), r.text("measure_word", MEASURE_WORD)))
    if not out:
        raise CatalogError(f"{path}: no categories")
    return out


_PRODUCT_COLUMNS = {"id": True, "category": True, "brand": True, "model": True, "name": True, "short_name": False,
                    "price": True, "features": False, "series": False, "description": False, "specs": False,
                    "device": False}


def _products(path: Path, categories: set[str], devices: set[str]) -> list[dict[str, Any]]:
    r, seen, out = RowReader(path), {}, []
    for r.line, r.row in file_rows(path, _PRODUCT_COLUMNS):
        pid = r.ident("id")
        r.unique(seen, pid, "id")
        category = r.text("category")
        if category not in categories:
            raise r.fail("category", f"unknown category {category!r}{did_you_mean(category, categories)}; "
                                     f"categories: {', '.join(sorted(categories))}")
        name = r.text("name")
        out.append({"id": pid, "category": category, "brand": r.text("brand"), "series": r.text("series", ""),
                    "model": r.text("model"), "name": name, "short_name": r.text("short_name", name),
                    "price": float(r.number("price")), "specs": r.json_object("specs"),
                    "features": list(r.words("features")), "description": r.text("description", ""),
                    "device_model": _device_of(r, devices)})
    if not out:
        raise CatalogError(f"{path}: no products")
    return out


def _device_of(r: RowReader, devices: set[str]) -> str | None:
    """The device a product is (a laptop for sale is one of the device models), or None."""
    did = r.text("device", "") or None
    if did is not None and did not in devices:
        raise r.fail("device", f"unknown device {did!r}{did_you_mean(did, devices)}"
                               f"{'' if devices else ' (the catalog has no devices file)'}")
    return did


def _warehouses(path: Path, districts: Callable[[str], str | None],
                district_names: Callable[[], list[str]]) -> list[tuple[str, str, str, str]]:
    r, seen, out = RowReader(path), {}, []
    columns = {"id": True, "name": True, "district": True, "cutoff": False}
    for r.line, r.row in file_rows(path, columns):
        wid = r.ident("id")
        r.unique(seen, wid, "id")
        place = r.text("district")
        adcode = districts(place)
        if adcode is None:
            raise r.fail("district", f"{place!r} is not a district (a name such as 深圳市南山区, or an adcode)"
                                     f"{did_you_mean(place, district_names())}")
        cutoff = r.text("cutoff", "17:00")
        if not _CUTOFF.match(cutoff):
            raise r.fail("cutoff", f"{cutoff!r} is not a time of day HH:MM")
        out.append((wid, r.text("name"), adcode, cutoff))
    if not out:
        raise CatalogError(f"{path}: no warehouses")
    return out


_STOCK_COLUMNS = {"product": True, "warehouse": True, "qty": True}


def _stock(path: Path, products: set[str], warehouses: set[str]) -> list[tuple[str, str, int]]:
    """The stock rows of a stock file: read fast when every row is plain (a million rows in
    seconds), else row by row, where the first problem is one located line."""
    fast = _plain_stock(path, products, warehouses)
    return fast if fast is not None else _checked_stock(path, products, warehouses)


def _plain_stock(path: Path, products: set[str], warehouses: set[str]) -> list[tuple[str, str, int]] | None:
    """The rows of a plain CSV stock file, each product's rows together (as files list them), in a
    few operations a row; None at the first row that needs a careful look (then
    :func:`_checked_stock` reads the file and says what is wrong, if anything is)."""
    records = csv_fields(path, _STOCK_COLUMNS, ("product", "warehouse", "qty"))
    if records is None:
        return None
    out: list[tuple[str, str, int]] = []
    current, held, done = "", set(), set()  # a duplicate is looked for among one product's rows
    for fields in records:
        if fields is None:
            return None
        pid, wid, raw = fields
        if pid != current:
            if pid in done:  # this product's rows are not together
                return None
            done.add(current)
            current, held = pid, set()
        if not (raw.isascii() and raw.isdigit()) or pid not in products or wid not in warehouses or wid in held:
            return None
        held.add(wid)
        out.append((pid, wid, int(raw)))
    return out


def _checked_stock(path: Path, products: set[str], warehouses: set[str]) -> list[tuple[str, str, int]]:
    r, seen, out = RowReader(path), {}, []
    for line, row in file_rows(path, _STOCK_COLUMNS):
        # the common row in a few operations; any doubt takes the careful path
        pid, wid, raw = row["product"], row["warehouse"], row["qty"]
        qty = int(raw) if type(raw) is int or (type(raw) is str and raw.isascii() and raw.isdigit()) else -1
        key = (pid, wid)
        if qty >= 0 and pid in products and wid in warehouses and key not in seen:
            seen[key] = line
            out.append((pid, wid, qty))
            continue
        r.line, r.row = line, row
        pid, wid = r.text("product"), r.text("warehouse")
        if pid not in products:
            raise r.fail("product", f"unknown product {pid!r}{did_you_mean(pid, products)}")
        if wid not in warehouses:
            raise r.fail("warehouse", f"unknown warehouse {wid!r}{did_you_mean(wid, warehouses)}; "
                                      f"warehouses: {', '.join(sorted(warehouses))}")
        r.unique(seen, (pid, wid), "product", "stock row")
        out.append((pid, wid, r.number("qty", int)))
    return out


def read_catalog(files: CatalogFiles, *, fallback_categories: Path, fallback_warehouses: Path,
                 districts: Callable[[str], str | None], district_names: Callable[[], list[str]]) -> Shop:
    """Read and check every file of ``files``; the first problem raises :class:`CatalogError`.

    Without categories or warehouses of its own, a catalog has those of the fallback files (the
    built-in shop's). ``districts(text)`` gives the adcode of a district named by name or adcode
    (None if none).
    """
    categories = read_categories(files.categories or fallback_categories)
    devices = read_devices(files.devices) if files.devices is not None else []
    device_ids = {d["id"] for d in devices}
    products = _products(files.products, {c[0] for c in categories}, device_ids)
    warehouses = _warehouses(files.warehouses or fallback_warehouses, districts, district_names)
    product_ids = {p["id"] for p in products}
    stock = _stock(files.stock, product_ids, {w[0] for w in warehouses})
    compatibility = []
    if files.compatibility is not None:
        if files.devices is None:
            raise CatalogError(f"{files.compatibility}: a compatibility file needs a devices file (the devices "
                               "its rows name)")
        compatibility = read_compatibility(files.compatibility, product_ids, device_ids)
    paths = [p for p in (files.categories, files.products, files.stock, files.warehouses, files.devices,
                         files.compatibility) if p is not None]
    return Shop(categories, products, stock, warehouses, devices, compatibility, paths)
