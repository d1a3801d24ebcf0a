"""A bad catalog file or project file: one line naming the file, the line and the column (or key),
exit 1, and the world that was there before is left byte for byte as it was.

Each case is one small file under ``bad_catalog/``: ``<case>.<catalog key>.<ext>`` replaces that
file of the starter project (``twinchat.yaml`` replaces the project file itself).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli

BAD = Path(__file__).parent / "bad_catalog"

#: case -> the error line (``{file}``: the bad file as the project names it)
CASES = {
    "malformed.products.csv": "{file}:2: malformed CSV: unexpected end of data",
    "missing_column.products.csv": "{file}:1: missing column 'price' (columns: id, category, brand, model, name)",
    "price_not_number.products.csv": "{file}:3: column 'price': '三千' is not a number",
    "duplicate_id.products.csv": "{file}:4: column 'id': duplicate id 'CM001' (first on line 2)",
    "unknown_category.products.csv": "{file}:3: column 'category': unknown category 'cofee_machine' (did you mean "
                                     "'coffee_machine'?); categories: beans, coffee_machine, grinder",
    "negative_stock.stock.csv": "{file}:3: column 'qty': '-3' must not be negative",
    "unknown_district.warehouses.csv": "{file}:3: column 'district': '广州市白去区' is not a district (a name such as "
                                       "深圳市南山区, or an adcode) (did you mean '广州市白云区'?)",
    "unknown_key.twinchat.yaml": "{file}:4: unknown key 'world.sead' (did you mean 'seed'?); keys here: db, seed",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A starter project with its world built."""
    root = tmp_path_factory.mktemp("shop") / "shop"
    assert CliRunner().invoke(cli, ["new", str(root)]).exit_code == 0
    result = CliRunner().invoke(cli, ["--project", str(root / "twinchat.yaml"), "init"])
    assert result.exit_code == 0, result.output
    return root


def _with_bad_file(project: Path, tmp: Path, case: str) -> tuple[Path, str]:
    """A copy of the project whose file for ``case`` is the bad one; (project file, bad file as named)."""
    root = tmp / "shop"
    shutil.copytree(project, root)
    name, key, ext = case.split(".")
    if key == "twinchat":
        target = root / "twinchat.yaml"
    else:
        target = root / "catalog" / f"{key}.{ext}"
    shutil.copyfile(BAD / case, target)
    return root / "twinchat.yaml", str(target)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_file_is_one_located_line_and_the_world_is_untouched(project, tmp_path, case):
    project_file, bad = _with_bad_file(project, tmp_path, case)
    world = project_file.parent / "twinchat.db"
    before = world.read_bytes()
    result = CliRunner().invoke(cli, ["--project", str(project_file), "init", "--force"])
    assert result.exit_code == 1, result.output
    assert result.stderr == "Error: " + CASES[case].format(file=bad) + "\n"
    assert result.stdout == ""
    assert world.read_bytes() == before
    assert sorted(p.name for p in world.parent.iterdir() if p.name.startswith(".twinchat.db")) == []


@pytest.mark.parametrize("case", [c for c in sorted(CASES) if "twinchat" not in c])
def test_check_reports_the_same_line(project, tmp_path, case):
    project_file, bad = _with_bad_file(project, tmp_path, case)
    result = CliRunner().invoke(cli, ["--project", str(project_file), "check"])
    assert result.exit_code == 1
    assert CASES[case].format(file=bad) + "\n" in result.stderr


def test_a_catalog_in_json_lines_builds_the_same_products(tmp_path):
    import json

    from twinchat.inventory.build import read_shop
    from twinchat.inventory.catalog_files import CatalogFiles

    products = tmp_path / "products.jsonl"
    rows = [{"id": "BN9", "category": "beans", "brand": "三顿半", "model": "X", "name": "三顿半 深烘", "price": 79,
             "features": ["深烘", "250g"], "specs": {"roast": "dark"}}]
    products.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    stock = tmp_path / "stock.jsonl"
    stock.write_text('{"product": "BN9", "warehouse": "WH01", "qty": 4}\n', encoding="utf-8")
    categories = tmp_path / "categories.csv"
    categories.write_text("id,name,aliases,measure_word\nbeans,咖啡豆,咖啡豆|豆子,袋\n", encoding="utf-8")
    shop = read_shop(CatalogFiles(products, stock, categories))
    assert shop.categories == [("beans", "咖啡豆", ("咖啡豆", "豆子"), "袋")]
    assert shop.products[0]["features"] == ["深烘", "250g"] and shop.products[0]["specs"] == {"roast": "dark"}
    assert shop.stock == [("BN9", "WH01", 4)] and shop.warehouses == read_shop().warehouses  # the built-in ones
    assert shop.warehouses[0] == ("WH01", "北京大兴仓", "110115", "15:00")


def test_a_stock_row_of_an_unknown_warehouse_names_the_known_ones(tmp_path):
    from twinchat.inventory.build import read_shop
    from twinchat.inventory.catalog_files import CatalogFiles
    from twinchat.inventory.errors import CatalogError

    products = tmp_path / "products.csv"
    products.write_text("id,category,brand,model,name,price\nMEM1,memory,金士顿,K1,金士顿 16G,299\n", encoding="utf-8")
    stock = tmp_path / "stock.csv"
    stock.write_text("product,warehouse,qty\nMEM1,WH1,3\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"stock.csv:2: column 'warehouse': unknown warehouse 'WH1' "
                                           r"\(did you mean 'WH11'\?\); warehouses: WH01, WH02"):
        read_shop(CatalogFiles(products, stock))
