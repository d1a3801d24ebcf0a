"""Devices and compatibility in a shop's own catalog: the machines customers own and which
product fits which, imported like the other catalog files and answered by search_products.

The shop is the coffee-machine shop of ``devices_shop/``; each bad case is one small file under
``bad_devices/``: ``<case>.<catalog key>.csv`` replaces that file of the shop.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli
from twinchat.inventory import open_world
from twinchat.inventory.tools import call

HERE = Path(__file__).parent
PROJECT = """shop: 豆香咖啡
catalog:
  categories: catalog/categories.csv
  products: catalog/products.csv
  stock: catalog/stock.csv
  devices: catalog/devices.csv
  compatibility: catalog/compatibility.csv
units: [units]
"""
NOW = datetime(2026, 11, 20, 10, 0)

#: case -> the error line (``{file}``: the bad file as the project names it)
CASES = {
    "unknown_device.compatibility.csv": "{file}:3: column 'device': unknown device 'PHEPP' (did you mean 'PHEP'?)",
    "unknown_product.compatibility.csv": "{file}:3: column 'product': unknown product 'FT0002' (did you mean "
                                         "'FT002'?)",
    "duplicate.compatibility.csv": "{file}:4: column 'product': duplicate compatibility row 'FT001 in DLE' "
                                   "(first on line 2)",
    "full_speed.compatibility.csv": "{file}:2: column 'full_speed': 'maybe' is not a yes or no (1/0, true/false)",
    "missing_column.compatibility.csv": "{file}:1: missing column 'device' (columns: product, full_speed)",
    "duplicate_id.devices.csv": "{file}:4: column 'id': duplicate id 'DLE' (first on line 2)",
    "specs_not_json.devices.csv": "{file}:2: column 'specs': not JSON (Expecting property name enclosed in "
                                  "double quotes)",
    "unknown_device.products.csv": "{file}:3: column 'device': unknown device 'PHE' (did you mean 'PHEP'?)",
}


def _shop(root: Path) -> Path:
    (root / "catalog").mkdir(parents=True)
    for f in (HERE / "devices_shop").iterdir():
        shutil.copyfile(f, root / "catalog" / f.name)
    (root / "units").mkdir()
    unit = resources.files("twinchat.composer.project").joinpath("starter", "units", "coffee_delivery.yaml")
    (root / "units" / "coffee_delivery.yaml").write_text(unit.read_text(encoding="utf-8"), encoding="utf-8")
    (root / "twinchat.yaml").write_text(PROJECT, encoding="utf-8")
    return root / "twinchat.yaml"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """The coffee-machine shop with devices, its world built."""
    project = _shop(tmp_path_factory.mktemp("devices") / "shop")
    result = CliRunner().invoke(cli, ["--project", str(project), "init"])
    assert result.exit_code == 0, result.output
    return project


def test_devices_and_compatibility_are_imported(shop):
    result = CliRunner().invoke(cli, ["--project", str(shop), "check"])
    assert result.exit_code == 0, result.output
    assert "catalog OK: 2 categories, 5 products, 5 stock rows, 2 devices, 4 compatibility rows\n" in result.stdout
    conn = open_world(shop.parent / "twinchat.db")
    try:
        assert [tuple(r) for r in conn.execute("SELECT id, device_model FROM products WHERE device_model IS NOT NULL")] == [
            ("CM001", "DLE"), ("CM002", "PHEP")]
        assert [tuple(r) for r in conn.execute("SELECT * FROM compatibility ORDER BY rowid")] == [
            ("FT001", "DLE", 1, None), ("FT003", "DLE", 0, "需配合转接头使用"), ("FT002", "PHEP", 1, None),
            ("FT003", "PHEP", 0, "需配合转接头使用")]
    finally:
        conn.close()


def test_search_products_answers_what_fits_a_device_named_by_its_alias(shop):
    conn = open_world(shop.parent / "twinchat.db")
    try:
        found = call(conn, "search_products", {"category": "滤芯", "compatible_with": "我家的德龙E Plus"}, NOW)
        none = call(conn, "search_products", {"category": "滤芯", "compatible_with": "EP2124",
                                              "in_stock_only": True}, NOW)
    finally:
        conn.close()
    assert found["device"] == {"id": "DLE", "name": "德龙E Plus ECAM22.110.B"} and found["count"] == 2
    assert [(p["id"], p["full_speed"], p.get("note")) for p in found["products"]] == [
        ("FT001", True, None), ("FT003", False, "需配合转接头使用")]
    assert [p["id"] for p in none["products"]] == ["FT003"]  # FT002 fits at full speed but is out of stock


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_device_or_compatibility_row_is_one_located_line(shop, tmp_path, case):
    root = tmp_path / "shop"
    shutil.copytree(shop.parent, root)
    _name, key, ext = case.split(".")
    bad = root / "catalog" / f"{key}.{ext}"
    shutil.copyfile(HERE / "bad_devices" / case, bad)
    world = root / "twinchat.db"
    before = world.read_bytes()
    result = CliRunner().invoke(cli, ["--project", str(root / "twinchat.yaml"), "init", "--force"])
    assert result.exit_code == 1, result.output
    assert result.stderr == "Error: " + CASES[case].format(file=bad) + "\n"
    assert world.read_bytes() == before


def test_a_compatibility_file_needs_a_devices_file(tmp_path):
    project = _shop(tmp_path / "shop")
    project.write_text(PROJECT.replace("  devices: catalog/devices.csv\n", ""), encoding="utf-8")
    (tmp_path / "shop" / "catalog" / "products.csv").write_text(
        "id,category,brand,model,name,price\nFT001,filter,德龙,DLSC002,德龙 DLSC002 滤芯,99\n", encoding="utf-8")
    (tmp_path / "shop" / "catalog" / "stock.csv").write_text("product,warehouse,qty\nFT001,WH01,3\n",
                                                             encoding="utf-8")
    result = CliRunner().invoke(cli, ["--project", str(project), "init"])
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {tmp_path / 'shop' / 'catalog' / 'compatibility.csv'}: a compatibility file "
                             "needs a devices file (the devices its rows name)\n")
    assert not (tmp_path / "shop" / "twinchat.db").exists()
