"""Each category's measure word (款/台/个…) is data of the catalog, and a unit template says it
as ``{{ product.measure_word }}``: a coffee-machine shop says 这台, a charger is 这个, memory 这款."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

from click.testing import CliRunner

from twinchat.composer.cli.commands import cli


def _samples(args: list[str], out: Path, template: str) -> list[dict]:
    """The samples of ``template`` that ``twinchat generate`` writes with ``args``."""
    result = CliRunner().invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    samples = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return [s for s in samples if s["template"] == template]


def test_a_coffee_machine_shop_says_tai_and_its_catalog_decides(tmp_path):
    root = tmp_path / "shop"
    assert CliRunner().invoke(cli, ["new", str(root)]).exit_code == 0
    project = ["--project", str(root / "twinchat.yaml")]
    assert CliRunner().invoke(cli, [*project, "init"]).exit_code == 0
    gen = [*project, "generate", "coffee_delivery", "-n", "120", "--seed", "3"]
    first = _samples(gen, tmp_path / "a.jsonl", "c02")
    said = [s["text"] for s in first]
    assert len(said) > 10 and all(f"{s['label']['product']}这台," in s["text"] for s in first), said[:3]

    categories = root / "catalog" / "categories.csv"  # the shop calls its machines 款 instead
    categories.write_text(categories.read_text(encoding="utf-8").replace("咖啡机|全自动咖啡机,台", "咖啡机|全自动咖啡机,款"),
                          encoding="utf-8")
    assert CliRunner().invoke(cli, [*project, "init", "--force"]).exit_code == 0
    again = _samples(gen, tmp_path / "b.jsonl", "c02")
    assert [s["text"] for s in again] == [t.replace("这台", "这款", 1) for t in said]


def test_one_template_says_each_categorys_word(world_path, tmp_path):
    """The built-in delivery question with its 这款 made the product's word: memory stays 这款, a
    charger becomes 这个 (the built-in shop's categories say 款 and 个)."""
    unit = resources.files("twinchat.units").joinpath("builtin", "product_by_stock_and_delivery.yaml")
    text = unit.read_text(encoding="utf-8").replace("id: product_by_stock_and_delivery", "id: stock_word", 1)
    assert text.count("{{ product }}这款{{ deadline }}") == 1
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "stock_word.yaml").write_text(
        text.replace("{{ product }}这款{{ deadline }}", "{{ product }}这{{ product.measure_word }},{{ deadline }}"),
        encoding="utf-8")
    db = tmp_path / "w.db"
    shutil.copyfile(world_path, db)
    samples = _samples(["generate", "stock_word", "-n", "600", "--seed", "5", "--db", str(db), "--units",
                        str(tmp_path / "units")], tmp_path / "s.jsonl", "d02")
    words = {"memory": "款", "ssd": "款", "charger": "个", "bare_district": "款"}
    assert {s["case"] for s in samples} >= {"memory", "charger"}
    for s in samples:
        assert f"{s['label']['product']}这{words[s['case']]}," in s["text"], s["text"]
