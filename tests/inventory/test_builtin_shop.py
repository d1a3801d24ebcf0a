"""The built-in shop is one catalog shipped as package data (``data/shop/``), read and checked
by the same code as a shop's own catalog files."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from twinchat.inventory.build import build_world, read_shop
from twinchat.inventory.catalog_files import builtin_files, builtin_root


def fits(part: dict[str, Any], device: dict[str, Any]) -> tuple[bool, bool, str | None]:
    """Whether ``part`` fits ``device`` by their specs, the way a shop's compatibility checker says it:
    (fits, full_speed, note). The shipped compatibility file must agree with it."""
    ps, ds = part["specs"], device["specs"]
    if part["category"] == "memory" and device["kind"] == "laptop":
        mem = ds["memory"]
        if mem["slots"] == 0 or ps["form"] != "SODIMM" or ps["ddr"] != mem["type"] or ps["capacity_gb"] > mem["max_gb"]:
            return False, False, None
        if ps["mhz"] > mem["max_mhz"]:
            return True, False, f"将以{mem['max_mhz']}MHz运行"
        return True, True, None
    if part["category"] == "ssd" and device["kind"] == "laptop":
        ssd = ds["ssd"]
        if ps["interface"] == "SATA":
            return (True, True, None) if ssd["sata_bay"] else (False, False, None)
        if ssd["m2_slots"] == 0:
            return False, False, None
        if ps["pcie_gen"] > ssd["pcie_gen"]:
            return True, False, f"在PCIe{ssd['pcie_gen']}.0插槽中降速运行"
        return True, True, None
    if part["category"] == "charger":
        return _charger_fits(part, device)
    return False, False, None


def _charger_fits(part: dict[str, Any], device: dict[str, Any]) -> tuple[bool, bool, str | None]:
    ps, ch = part["specs"], device["specs"]["charging"]
    protocols = set(ps["protocols"])
    if device["kind"] == "laptop":
        ok = ch["usb_c_pd"] and "PD" in protocols and "C" in ps["ports"] and ps["watts"] >= ch["min_watts"]
        return (True, True, None) if ok else (False, False, None)
    if ch["fast_protocol"] in protocols:
        full = ps["watts"] >= ch["max_watts"]
        return True, full, None if full else f"最高以{ps['watts']}W快充"
    if ch["pd"] and "PD" in protocols and "C" in ps["ports"]:
        return True, False, "通过PD协议快充,非原厂满速"
    return False, False, None


@pytest.fixture(scope="module")
def shop():
    return read_shop()


def test_the_builtin_shop_is_its_files(shop):
    files = builtin_files()
    assert files.products.parent == builtin_root() and shop.files == [
        files.categories, files.products, files.stock, files.warehouses, files.devices, files.compatibility]
    assert [c[0] for c in shop.categories] == ["memory", "ssd", "charger", "charging_pile", "laptop", "phone"]
    assert {c[0]: c[3] for c in shop.categories} == {"memory": "款", "ssd": "款", "charger": "个",
                                                      "charging_pile": "台", "laptop": "台", "phone": "部"}
    assert len(shop.products) == 223 and len(shop.devices) == 35 and len(shop.warehouses) == 11
    assert len(shop.stock) == 223 * 11 and len(shop.compatibility) == 1883


def test_the_shipped_compatibility_follows_the_specs(shop):
    devices = [{**d, "specs": json.loads(d["specs"])} for d in shop.devices]
    expected = []
    for p in shop.products:
        for d in devices:
            ok, full, note = fits(p, d)
            if ok:
                expected.append((p["id"], d["id"], int(full), note))
    assert shop.compatibility == expected


#: tables stored in their key's order (no rowid)
_KEYED = {"stock": "product_id, warehouse"}


def _rows(path, tables) -> list[list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY {_KEYED.get(t, 'rowid')}").fetchall() for t in tables]
    finally:
        conn.close()


def test_every_seed_has_the_same_catalog(tmp_path):
    """The catalog, warehouses and stock are the shipped files whatever the seed; orders differ."""
    worlds = [build_world(tmp_path / f"{seed}.db", seed) for seed in (0, 1)]
    tables = ("categories", "products", "product_features", "device_models", "device_aliases", "compatibility",
              "warehouses", "stock")
    first, other = (_rows(w, tables) for w in worlds)
    assert first[1][0][:2] == ("MEM001", "memory") and all(first) and first == other
    assert _rows(worlds[0], ("orders",)) != _rows(worlds[1], ("orders",))
