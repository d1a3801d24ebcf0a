"""search_products serves any catalog: its schema names none of the built-in shop's categories,
devices or specs, so a coffee-machine shop's training data does not teach memory sticks."""

from __future__ import annotations

import json

from twinchat.inventory.tools import TOOLS


def test_search_products_schema_describes_any_catalog(world):
    text = json.dumps(TOOLS["search_products"].json_schema(), ensure_ascii=False)
    names = [r[0] for r in world.execute("SELECT name FROM categories")]
    devices = [r[0] for r in world.execute("SELECT model FROM device_models")]
    assert len(names) == 6 and len(devices) > 30
    for word in [*names, *devices, "DDR5", "65W", "氮化镓", "ThinkPad", "电脑", "手机"]:
        assert word not in text, word
    assert "商品目录" in text
