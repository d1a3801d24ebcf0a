"""Inline alternatives in templates: ``[在吗|你好|]`` — parsing, rendering, drawing, checks, exhaustive mode."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from twinchat.composer.engine.alternatives import CHOICES, AlternativesError, parse_alternatives
from twinchat.composer.engine.compiled import compile_template_code
from twinchat.composer.engine.exhaustive import exhaustive
from twinchat.composer.engine.filters import FILTERS
from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.engine.render import TemplateCache, make_env
from twinchat.composer.verify.samples import verify_sample
from twinchat.units.loader import load_unit_file

HERE = Path(__file__).parent / "alternatives"
INVALID = Path(__file__).parents[1] / "units" / "invalid"


def texts(template: str, context: dict, draws: int = 400) -> Counter:
    cache, alts, rng = TemplateCache(), parse_alternatives(template), random.Random(7)
    return Counter(cache.render(alts.source, alts.scope(context, alts.draw(rng))) for _ in range(draws))


def test_a_group_says_one_branch_and_an_empty_branch_makes_it_optional():
    assert set(texts("[在吗|你好|亲,|]{{ x }}", {"x": "有货吗"})) == {"在吗有货吗", "你好有货吗", "亲,有货吗", "有货吗"}


def test_nested_groups_and_slot_expressions_in_branches():
    got = set(texts("[{{ p }}|它]能[送到|到][吗|[吗?|呢]]", {"p": "金士顿"}))
    assert got == {f"{a}能{b}{c}" for a in ("金士顿", "它") for b in ("送到", "到") for c in ("吗", "吗?", "呢")}
    assert parse_alternatives("[{{ p }}|它]能[送到|到][吗|[吗?|呢]]").variants == 2 * 2 * 3


def test_escaped_brackets_bars_and_at_signs_are_the_characters():
    alts = parse_alternatives(r"价格\[含税\] a\|b 邮箱\@2 {{ x }}")
    assert alts.groups == ()
    assert TemplateCache().render(alts.source, {"x": 1}) == "价格[含税] a|b 邮箱@2 1"


def test_text_without_alternatives_is_its_own_source_and_draws_nothing():
    text = "有没有{{ part }}? a|b {{ xs[0] }} {% if x %}y{% endif %}"
    alts = parse_alternatives(text)
    assert alts.source == text and alts.groups == () and alts.variants == 1
    rng = random.Random(3)
    assert alts.draw(rng) == () and rng.random() == random.Random(3).random()


def test_brackets_inside_jinja_tags_are_jinja():
    alts = parse_alternatives("{{ xs[0] }}[{{ 'a|b' }}|{# [ #}c]{% if xs[1] %}!{% endif %}")
    assert len(alts.groups) == 1
    assert set(texts("{{ xs[0] }}[{{ 'a|b' }}|{# [ #}c]{% if xs[1] %}!{% endif %}", {"xs": [1, 2]})) == {"1a|b!", "1c!"}


def test_whitespace_and_newlines_around_groups_are_kept():
    assert set(texts("a\n  [x|y]\nb [c|d] e", {})) == {f"a\n  {x}\nb {c} e" for x in "xy" for c in "cd"}


def test_weights_set_the_shares():
    counts = texts("[a@3|b|c@0.5]", {}, draws=9000)
    assert abs(counts["a"] / 9000 - 3 / 4.5) < 0.03
    assert abs(counts["b"] / 9000 - 1 / 4.5) < 0.03
    assert abs(counts["c"] / 9000 - 0.5 / 4.5) < 0.03


@pytest.mark.parametrize(("text", "message"), [
    ("a[b|c", "line 1, column 2: '[' is never closed (write \\[ for the character)"),
    ("ab]", "line 1, column 3: ']' closes no '[' (write \\] for the character)"),
    ("x\n  [图片]", "line 2, column 3: '[…]' has one branch: write [a|b] for alternatives, [a|] for an optional "
                   "part, or \\[ \\] for the characters"),
    ("[a@0|b]", "line 1, column 3: weight '@0' must be a number above 0"),
    ("[a|b@1.2.3]", "line 1, column 5: weight '@1.2.3' must be a number above 0"),
])
def test_malformed_alternatives_name_line_and_column(text, message):
    with pytest.raises(AlternativesError) as info:
        parse_alternatives(text)
    assert str(info.value) == message


def test_alternatives_compile_into_the_fast_path():
    alts = parse_alternatives("[在吗|你好|]{{ p.name }}[能|可以][送到|到[家|公司]]吗")
    fast = compile_template_code(make_env(), alts.source, FILTERS)
    assert fast is not None  # no fallback to Jinja2 for the choices
    rng = random.Random(1)
    for _ in range(50):
        scope = alts.scope({"p": {"name": "金士顿"}}, alts.draw(rng))
        assert fast(scope) == make_env().from_string(alts.source).render(scope)
    assert CHOICES in scope


@pytest.fixture(scope="module")
def unit():
    return load_unit_file(HERE / "feature_alternatives.yaml")


def test_generated_samples_draw_every_branch_and_verify(world, unit):
    gen = UnitGenerator(unit, world, seed=5)
    samples = [gen.sample(i) for i in range(400)]
    openers = Counter(s.text[:2] for s in samples if s.template == "f01")
    assert {"在吗", "你好", "亲,", "麻烦"} <= set(openers)
    assert openers["你好"] > openers["在吗"]  # weighs 2
    assert {s.template for s in samples} == {"f01", "f02", "f03"}  # template ids stay the unit of hold-out
    assert not any("[" in s.text or "|" in s.text for s in samples)
    assert all(verify_sample(s.to_json(), unit.unit) == [] for s in samples)
    replies = {s.reply.split(",")[0] for s in samples if s.outcome == "none"}
    assert replies >= {"抱歉", "很遗憾"} or not replies


def test_same_seed_same_samples_alone_or_in_order(world, unit):
    one = [UnitGenerator(unit, world, seed=9).sample(i).to_json() for i in range(70)]
    other = UnitGenerator(unit, world, seed=9)
    assert [other.sample(i).to_json() for i in (69, 3, 40)] == [one[69], one[3], one[40]]


def test_exhaustive_counts_each_combination_of_alternatives_as_one_variant(world, unit):
    gen = UnitGenerator(unit, world, seed=0)
    count, samples = exhaustive(gen, cap=10_000_000)
    variants = 5 * (1 + 2 + 1) + 3 + 1
    assert count % variants == 0
    per_combo = count // variants
    drawn = list(samples)
    assert len(drawn) == count
    f01 = [s.text for s in drawn[: 20 * per_combo]]
    assert len(set(f01)) > 20 and {s.template for s in drawn[: 20 * per_combo]} == {"f01"}


def test_units_check_names_the_template_and_column_of_a_bad_alternative():
    path = INVALID / "alternatives_unclosed.yaml"
    twinchat = Path(sys.executable).parent / "twinchat"  # the command the user runs
    run = subprocess.run([str(twinchat), "units", "check", str(path)], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr == (f"{path}:9: unit 'alternatives_unclosed', template 'open': template alternatives, "
                          "column 1: '[' is never closed (write \\[ for the character)\n")


def test_a_draw_takes_one_random_per_group_in_group_order():
    import random
    from bisect import bisect

    for text in ("[a|b|c]", "[a@3|b]", "[a|b][c|d@2|e]", "x[a|[b|c]]y", "[a@2|b|]{{ x }}[c|d]"):
        alts = parse_alternatives(text)
        for seed in range(20):
            rng, ref = random.Random(seed), random.Random(seed)
            want = tuple(int(ref.random() * n) if cum is None else bisect(cum, ref.random() * cum[-1], 0, n - 1)
                         for n, cum in alts.groups)
            assert alts.draw(rng) == want and rng.random() == ref.random()
