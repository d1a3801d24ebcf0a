"""Outcome-targeted drawing: a sample aiming at an outcome draws only cases that can end in it."""

from __future__ import annotations

import collections
import random
from datetime import datetime

from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.engine.outcome_targets import Targets
from twinchat.units.loader import load_units


def test_cases_per_target_follow_outcome_and_produces():
    units = load_units(())
    shop = Targets(units["shop_ask_part"].unit)
    assert [c.id for c in shop.cases["ask_device"][0]] == ["vague"]  # the case whose outcome it is
    assert [c.id for c in shop.cases["found"][0]] == ["named"]  # a case without outcome or produces
    orders = Targets(units["order_ask_status"].unit)
    assert [c.id for c in orders.cases["several"][0]] == ["by_phone"]
    assert [c.id for c in orders.cases["delivered"][0]] == ["delivered", "by_phone"]
    assert orders.cases["delivered"][1] == [1.6, 2.8]


def test_target_is_drawn_as_random_choices_draws_it():
    unit = load_units(())["return_request"].unit
    targets, ids = Targets(unit), sorted(unit.outcome_weights)
    for i in range(200):
        base = f"twinchat/0/x/{i}"
        expected = random.Random(f"{base}/outcome").choices(ids, [unit.outcome_weights[o] for o in ids])[0]
        assert targets.target(base) == expected


def test_targeted_samples_call_the_tool_about_once(world):
    """order_ask_status: each case is declared for the outcomes it gives, so a sample rarely redraws."""
    gen = UnitGenerator(load_units(())["order_ask_status"], world)
    calls = collections.Counter()
    tool = gen.call

    def counting(tool_call, now):
        calls["n"] += 1
        return tool(tool_call, now)

    outcomes = collections.Counter()
    for i in range(200):
        sample = gen._sample(f"t/{i}", i, None, None, None, None, counting, savepoints=False)
        outcomes[sample.outcome] += 1
    assert calls["n"] < 1.3 * 200  # untargeted, about six draws per sample
    assert set(outcomes) == set(gen.unit.outcome_weights)


def test_a_draw_whose_outcome_reads_only_slots_stops_when_those_are_drawn(world, tmp_path):
    """No tool, conditions over slots: the slots they read are drawn first, and a draw that misses
    its target is turned down before the others are drawn (here, one that could not be drawn
    for a missed target: 1 // 0)."""
    from twinchat.units.loader import load_unit_file

    path = tmp_path / "early.yaml"
    path.write_text(
        "id: early\ntitle: t\nslots:\n"
        "  costly: {source: composite, template: \"{{ 'ok' if x == '甲' else 1 // 0 }}\"}\n"
        "  x: {source: choice, values: [甲, 乙, 丙, 丁]}\n"
        "templates:\n  - {id: t1, text: '{{ x }}{{ costly }}'}\n"
        "label:\n  x: {value: x}\n"
        "outcomes:\n  - {id: hit, when: \"x == '甲'\"}\n  - {id: miss}\n"
        "outcome_weights: {hit: 1}\n", encoding="utf-8")
    gen = UnitGenerator(load_unit_file(path), world)
    assert [name for name, _ in gen._drawers[None]] == ["x", "costly"]
    samples = [gen.sample(i) for i in range(50)]
    assert {s.outcome for s in samples} == {"hit"} and {s.text for s in samples} == {"甲ok"}
    in_session = gen.session_sample(random.Random(7), datetime(2026, 11, 20, 9), {}, gen.call)  # one stream
    assert (in_session.outcome, in_session.text) == ("hit", "甲ok")
