"""Stock files: a plain CSV is read fast, anything else row by row, and both give the same rows
and the same located errors."""

from __future__ import annotations

import json

import pytest

from twinchat.inventory.catalog_files import _checked_stock, _plain_stock, _stock
from twinchat.inventory.errors import CatalogError

PRODUCTS, WAREHOUSES = {"A1", "B2", "C3"}, {"WH01", "WH02"}


def _file(tmp_path, text: str, name: str = "stock.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_plain_file_is_read_fast_and_gives_the_careful_rows(tmp_path):
    path = _file(tmp_path, "product,warehouse,qty\nA1,WH01,3\nA1,WH02,0\n\nB2,WH02,12\n")
    rows = [("A1", "WH01", 3), ("A1", "WH02", 0), ("B2", "WH02", 12)]
    assert _plain_stock(path, PRODUCTS, WAREHOUSES) == rows == _checked_stock(path, PRODUCTS, WAREHOUSES)


@pytest.mark.parametrize("text", [
    "product,warehouse,qty\nA1,WH01,3\nB2,WH02,1\nA1,WH02,4\n",  # a product's rows apart
    "qty,warehouse,product\n3,WH01,A1\n 1 ,WH02,B2\n",  # a quantity with spaces, columns in another order
])
def test_other_files_are_read_row_by_row_with_the_same_result(tmp_path, text):
    path = _file(tmp_path, text)
    assert _plain_stock(path, PRODUCTS, WAREHOUSES) is None
    assert _stock(path, PRODUCTS, WAREHOUSES) == _checked_stock(path, PRODUCTS, WAREHOUSES)
    assert ("B2", "WH02", 1) in _stock(path, PRODUCTS, WAREHOUSES)


@pytest.mark.parametrize("text, line, first", [
    ("product,warehouse,qty\nA1,WH01,3\nA1,WH01,4\n", 3, 2),  # next to each other
    ("product,warehouse,qty\nA1,WH01,3\nB2,WH01,1\nA1,WH01,4\n", 4, 2),  # apart
])
def test_a_duplicate_row_names_both_lines(tmp_path, text, line, first):
    path = _file(tmp_path, text)
    with pytest.raises(CatalogError, match=rf"^{path}:{line}: column 'product': duplicate stock row 'A1 in WH01' "
                                           rf"\(first on line {first}\)$"):
        _stock(path, PRODUCTS, WAREHOUSES)


def test_a_malformed_row_is_located_by_the_careful_reader(tmp_path):
    path = _file(tmp_path, "product,warehouse,qty\nA1,WH01,3\nB2,WH01\n")
    with pytest.raises(CatalogError, match=rf"^{path}:3: malformed CSV: 2 fields, the header has 3$"):
        _stock(path, PRODUCTS, WAREHOUSES)


def test_json_lines_give_the_same_rows(tmp_path):
    csv_path = _file(tmp_path, "product,warehouse,qty\nA1,WH01,3\nC3,WH02,7\n")
    lines = [{"product": "A1", "warehouse": "WH01", "qty": 3}, {"product": "C3", "warehouse": "WH02", "qty": "7"}]
    json_path = _file(tmp_path, "".join(json.dumps(r) + "\n" for r in lines), "stock.jsonl")
    assert _stock(json_path, PRODUCTS, WAREHOUSES) == _stock(csv_path, PRODUCTS, WAREHOUSES)
