"""Device specs as their makers publish them (issue: the ThinkPad E14 Gen 5 takes DDR5, not
DDR4-3200), and the parts the world says fit them."""

from __future__ import annotations

import json
from datetime import datetime

from twinchat.inventory.build import read_shop
from twinchat.inventory.tools import call

NOW = datetime(2026, 11, 20, 10, 0)
#: processors whose memory controller takes DDR4 (or LPDDR4x) only: Ryzen 7030 ("Barcelo-R")
DDR4_ONLY = {"R5-7530U", "R7-7730U"}


def test_thinkpad_e14_gen_5_takes_ddr5_5200(world):
    specs = json.loads(world.execute("SELECT specs FROM device_models WHERE model = 'E14 Gen 5'").fetchone()[0])
    assert specs["memory"] == {"type": "DDR5", "slots": 1, "max_gb": 40, "max_mhz": 5200}
    found = call(world, "search_products", {"category": "内存条", "compatible_with": "ThinkPad E14 Gen 5",
                                            "limit": 20}, NOW)
    assert found["count"] > 3
    for item in found["products"]:
        spec = json.loads(world.execute("SELECT specs FROM products WHERE id = ?", (item["id"],)).fetchone()[0])
        assert "DDR5" in json.dumps(spec) or "DDR5" in item["model"] + item["name"], item


def test_no_ddr5_laptop_is_sold_with_a_ddr4_only_processor():
    shop = read_shop()
    memory = {d["id"]: json.loads(d["specs"])["memory"]["type"] for d in shop.devices if d["kind"] == "laptop"}
    laptops = [p for p in shop.products if p["category"] == "laptop"]
    assert len(laptops) > 20 and all(p["device_model"] in memory for p in laptops)
    for p in laptops:
        if memory[p["device_model"]] in ("DDR5", "LPDDR5"):
            assert p["specs"]["cpu"] not in DDR4_ONLY, p["id"]
