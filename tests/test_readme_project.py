"""The README's "Your own shop" walk runs as written: its shell block, in a fresh folder, with the
installed ``twinchat``, from `twinchat new` to an exported training set."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Your own shop")
    return text[start:text.index("\n## ", start + 1)]


def _script() -> str:
    blocks = re.findall(r"```sh\n(.*?)```", _section(), re.S)
    assert len(blocks) == 1, "the walk is one shell block"
    return blocks[0]


def test_the_walk_goes_from_a_new_project_to_a_training_set(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", _script()], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    shop = tmp_path / "coffee_shop"
    assert "catalog OK: 3 categories, 12 products, 20 stock rows" in done.stdout
    assert "composed 300 sessions" in done.stdout
    conn = sqlite3.connect(shop / "twinchat.db")
    assert conn.execute("SELECT short_name FROM products WHERE id = 'CM006'").fetchone() == ("百胜图二代咖啡机",)
    assert conn.execute("SELECT count(*) FROM sessions WHERE status = 'ok'").fetchone()[0] == 300
    conn.close()
    data = shop / "data"
    records = [json.loads(line) for split in ("train", "valid", "test")
               for line in (data / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) > 250 and all("conversations" in r for r in records)  # sharegpt: the project's default
    assert records[0]["system"].startswith("你是豆香咖啡旗舰店(天猫旗舰店)的智能客服")
    assert "## Shop, persona and calendar" in (data / "README.md").read_text(encoding="utf-8")


def test_the_errors_the_section_shows_are_the_ones_twinchat_gives():
    import importlib.util

    path = Path(__file__).parent / "project" / "test_project_catalog_errors.py"
    spec = importlib.util.spec_from_file_location("catalog_error_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    section = _section()
    CASES = module.CASES
    for case in ("price_not_number.products.csv", "unknown_district.warehouses.csv", "unknown_key.twinchat.yaml"):
        name, key, ext = case.split(".")
        shown = "twinchat.yaml" if key == "twinchat" else f"catalog/{key}.{ext}"
        assert CASES[case].format(file=shown) in section, case
