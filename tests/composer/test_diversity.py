"""Diversity of stored sessions: skeletons (values, times, numbers masked), distinct-n, repeats."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from twinchat.composer.store.batches import compose_run
from twinchat.composer.store.diversity import DiversityMeter, skeleton


def test_skeleton_masks_values_times_and_numbers():
    assert skeleton("金士顿今晚8点前能送到南山区吗?3个,1,299元", {"金士顿", "南山区"}) == "<V><T>能送到<V>吗?<N>个,<N>元"
    assert skeleton("下周五上午10点半可以上门", set()) == "<T>可以上门"
    assert skeleton("金士顿Fury 16G和金士顿", {"金士顿", "金士顿Fury 16G"}) == "<V>和<V>"  # longest first


def _session(flow, product, reply_word, unit="shop_ask_part"):
    return {"flow": flow, "customer": {"name": "王伟"}, "turns": [
        {"role": "user", "content": f"王伟想问{product}有货吗", "unit": unit, "label": {"product": product}},
        {"role": "assistant", "content": "", "thought": f"用户问{product},我查一下", "tool_calls": [{}]},
        {"role": "tool", "content": {"name": product, "stock": 3}},
        {"role": "assistant", "content": f"{product}{reply_word},还有3件"}]}


def test_meter_counts_skeletons_per_unit_and_flow_and_sessions_that_repeat():
    meter = DiversityMeter(top=2)
    meter.add(_session("shop", "金士顿内存", "有货"))
    meter.add(_session("shop", "三星固态", "有货"))
    meter.add(_session("shop", "闪迪U盘", "现货"))
    meter.add(_session("other", "闪迪U盘", "现货", unit="other_unit"))
    report = meter.to_json()
    shop = report["flows"]["shop"]
    assert shop["sessions"] == 3 and shop["user_skeletons"] == 1 and shop["reply_skeletons"] == 2
    assert shop["repeat_share"] == round(2 / 3, 4)  # two sessions say the same replies with other data
    assert report["flows"]["other"]["repeat_share"] == 0.0
    assert shop["top_reply"] == [["<V>有货,还有<N>件", 2], ["<V>现货,还有<N>件", 1]]
    unit = report["units"]["shop_ask_part"]
    assert unit["user_turns"] == 3 and unit["user_skeletons"] == 1 and unit["top_user"] == [["<V>想问<V>有货吗", 3]]
    assert 0 < unit["distinct_2"] <= 1 and 0 < unit["distinct_1"] <= 1
    assert report["thought_skeletons"] == 1 and report["median_user_skeletons"] == 1
    assert report["max_repeat_share"] == shop["repeat_share"]


def test_stats_prints_and_json_carries_diversity(world_path, tmp_path):
    db = tmp_path / "w.db"
    shutil.copy(world_path, db)
    compose_run(db, flow="memory_upgrade", n=30, seed=2)
    compose_run(db, flow="repair_ticket", n=20, seed=2)
    twinchat = str(Path(sys.executable).parent / "twinchat")
    out = subprocess.run([twinchat, "stats", "--db", str(db), "--json"], capture_output=True, text=True, check=True)
    diversity = json.loads(out.stdout)["diversity"]
    assert set(diversity["flows"]) == {"memory_upgrade", "repair_ticket"}
    assert diversity["flows"]["memory_upgrade"]["sessions"] == 30
    assert diversity["units"]["shop_ask_part"]["user_turns"] == 30
    assert diversity["thought_skeletons"] > 5  # repair_ticket's composed thoughts
    text = subprocess.run([twinchat, "stats", "--db", str(db)], capture_output=True, text=True, check=True).stdout
    assert "diversity (skeletons: slot values <V>, times <T>, numbers <N> masked)" in text
    assert any(line.split()[:2] == ["repair_ticket", "20"] for line in text.splitlines())
