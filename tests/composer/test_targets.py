"""Outcome-targeted drawing: a sample aiming at an outcome draws only cases that can end in it."""

from __future__ import annotations

import collections
import random

from twinchat.composer.generate import UnitGenerator
from twinchat.composer.targets import Targets
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
