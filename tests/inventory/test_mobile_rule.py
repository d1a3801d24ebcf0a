"""The mainland-mobile type rule of inventory/tools/mobile.py against phonenumbers' own answer."""

from __future__ import annotations

import random

from twinchat.inventory.tools.mobile import _asked_of_phonenumbers, _type_check


def test_the_type_rule_is_phonenumbers_answer_for_national_numbers_of_every_length_and_start():
    """Numbers of 7 to 12 digits, of every two-digit start: the rule without the fixed-line pattern
    (CN's mobile and fixed-line patterns differ) answers as phonenumbers does, fixed lines included."""
    rule = _type_check("CN")
    rng = random.Random(7)
    numbers = [f"{head:02d}{rng.randrange(10**(length - 2)):0{length - 2}d}"
               for length in range(7, 13) for head in range(10, 100) for _ in range(6)]
    numbers += [f"1{head:02d}{rng.randrange(10**8):08d}" for head in range(100) for _ in range(20)]
    answers = [rule(n) for n in numbers]
    assert answers == [_asked_of_phonenumbers(n) for n in numbers]
    assert 0 < sum(answers) < len(answers)
