"""Every built-in unit passes every check of `twinchat units check`.

A generator re-checks a built-in unit only where the world and the tools in force matter (its
slots' categories, its tool call): its texts are package data, and this test is where they are
checked — every template, label, condition, tool argument and reply, alternatives included.
"""

from __future__ import annotations

import pytest

from twinchat.composer.engine.unit_checks import BUILTIN_PREFIX, unit_problems
from twinchat.units.loader import load_units

UNITS = load_units()
BUILTIN = sorted(uid for uid, src in UNITS.items() if src.path.startswith(BUILTIN_PREFIX))


def test_the_built_in_units_are_all_there():
    assert len(BUILTIN) >= 28
    assert {"shop_ask_part", "order_ask_status", "repair_book", "address_extraction"} <= set(BUILTIN)


@pytest.mark.parametrize("unit_id", BUILTIN)
def test_a_built_in_unit_has_no_problem(unit_id):
    assert unit_problems(UNITS[unit_id]) == []


def test_a_problem_in_a_built_in_text_would_be_found():
    """The check this test relies on finds a bad reply in a built-in unit's text."""
    src = UNITS["shop_order"]
    outcome = next(iter(src.unit.replies))
    broken = src.unit.model_copy(update={"replies": {**src.unit.replies, outcome: ["{{ no_such_slot }}"]}})
    problems = unit_problems(type(src)(**{**vars(src), "unit": broken}))
    assert any("no_such_slot" in p for p in problems), problems
