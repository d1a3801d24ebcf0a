"""Every built-in unit says the same thing in many ways (issue #19, item 2).

A user *phrasing* is what is left of a rendered text once the labelled values are masked: a
template, times each inline alternative (``[a|b|]``) it may take, times each value of an
unlabelled choice slot it shows (an opener such as 在吗 / 麻烦问下). Choice slots that a label
reads (the part asked for, the kind of return) are slot values, not phrasings, and do not count.
"""

from __future__ import annotations

import math
import re

import jinja2
import jinja2.meta
import pytest

from twinchat.composer.engine.alternatives import parse_alternatives
from twinchat.units import load_units
from twinchat.units.spec import ChoiceSlot

MIN_PHRASINGS = 20
MIN_REPLIES = 5

#: Outcomes whose reply is the tool's own message and nothing else (tests/composer/
#: test_builtin_units.py pins it for these single-unit twins): one reply is all there can be.
MESSAGE_ONLY = {("product_by_feature", "tool_error"), ("product_by_stock_and_delivery", "tool_error")}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

UNITS = load_units()

def phrasings(unit) -> int:
    """User phrasings of a unit: per template, its alternatives times its unlabelled choice slots."""
    labelled = set()
    for field in unit.label.values():
        labelled.update(_NAME.findall(str(field.value)))
    env = jinja2.Environment()
    total = 0
    for template in unit.templates:
        names = jinja2.meta.find_undeclared_variables(env.parse(template.text))
        openers = [len(set(map(str, unit.slots[n].values))) for n in names
                   if isinstance(unit.slots.get(n), ChoiceSlot) and n not in labelled]
        total += parse_alternatives(template.text).variants * math.prod(openers)
    return total


@pytest.mark.parametrize("unit_id", sorted(UNITS))
def test_every_builtin_unit_has_many_user_phrasings(unit_id):
    unit = UNITS[unit_id].unit
    assert phrasings(unit) >= MIN_PHRASINGS, f"{unit_id}: {phrasings(unit)} user phrasings"


@pytest.mark.parametrize("unit_id", sorted(UNITS))
def test_every_outcome_has_several_replies(unit_id):
    unit = UNITS[unit_id].unit
    few = {outcome: len(replies) for outcome, replies in unit.replies.items()
           if len(replies) < MIN_REPLIES and (unit_id, outcome) not in MESSAGE_ONLY}
    assert few == {}, f"{unit_id}: outcomes with fewer than {MIN_REPLIES} replies"
