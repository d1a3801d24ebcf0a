"""Every load-time error is one line naming file:line, unit, template and field, with the fix.

One small invalid file per case lives in ``tests/units/invalid/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinchat.composer.engine.unit_checks import check_unit
from twinchat.composer.cli.commands import cli
from twinchat.units import UnitError
from twinchat.units.loader import load_unit_file, load_units

INVALID = Path(__file__).parent / "invalid"

# file → (line, the rest of the message). Lines are counted by hand in each file.
SPEC_ERRORS = {
    "bad_yaml.yaml": (5, "invalid YAML: "),  # then libyaml's or PyYAML's own words
    "unknown_source.yaml": (4, "unit 'unknown_source', field slots.name: unknown slot source 'fakr' "
                               "(did you mean 'faker'?); sources: choice, composite, context, faker, inventory, place, reference, time"),
    "missing_source.yaml": (4, "unit 'missing_source', field slots.name: slot has no 'source'"),
    "unknown_field.yaml": (8, "unit 'unknown_field', field labels: unknown field 'labels'"),
    "duplicate_template.yaml": (8, "unit 'duplicate_template', field templates.1.id: duplicate template id 't1'"),
    "missing_not_a_field.yaml": (8, "unit 'missing_not_a_field', field templates.0.missing: template 't1': "
                                    "missing field 'phone' is not a label field"),
    "reply_unknown_outcome.yaml": (12, "unit 'reply_unknown_outcome', field replies.okay: replies for unknown outcome "
                                      "'okay' (outcomes: ['ok'])"),
    "case_undefined_slot.yaml": (12, "unit 'case_undefined_slot', field cases.0.slots.b: case 'other' overrides undefined "
                                    "slot 'b'"),
    "weights_mismatch.yaml": (4, "unit 'weights_mismatch', field slots.a: weights has 2 entries but values has 3"),
    "produces_unknown_outcome.yaml": (13, "unit 'produces_unknown_outcome', field cases.0.produces: case 'one': "
                                          "produces unknown outcome 'okay' (outcomes: ['ok', 'other'])"),
    "produces_with_outcome.yaml": (14, "unit 'produces_with_outcome', field cases.0.produces: case 'one': a case "
                                       "with `outcome` produces only that; drop `produces`"),
    "weights_unreachable.yaml": (10, "unit 'weights_unreachable', field outcome_weights.other: outcome_weights: no "
                                     "case can end in 'other'"),
    "fits_not_a_device.yaml": (5, "unit 'fits_not_a_device', field slots.p: fits applies only to kind: device "
                                  "(this slot is kind: product)"),
    "fitting_without_fits.yaml": (4, "unit 'fitting_without_fits', field slots.device: fitting: false needs fits: "
                                     "naming the slot with the product category"),
    "noise_bad_kind.yaml": (5, "unit 'noise_bad_kind', field noise.kinds.0: Input should be 'punctuation', "
                               "'emoji', 'typo', 'abbreviation' or 'spaces'"),
    "not_a_mapping.yaml": (1, "a unit, flow or tool file must be a mapping (a unit's id, title, slots, templates; "
                              "or kind: flow / kind: tool with theirs)"),
    "weights_all_zero.yaml": (10, "unit 'weights_all_zero', field outcome_weights: outcome_weights: at least one "
                                  "weight must be above 0"),
}

ENGINE_ERRORS = {
    "syntax_error.yaml": (9, "unit 'syntax_error', template 'broken': template syntax error: unexpected '}'"),
    "undeclared_variable.yaml": (9, "unit 'undeclared_variable', template 't2': template uses undeclared "
                                    "variable 'phon' (did you mean 'phone'?)"),
    "unknown_filter.yaml": (7, "unit 'unknown_filter', template 't1': template uses unknown filter 'fullwidht' "
                               "(did you mean 'fullwidth'?)"),
    "unknown_tool.yaml": (11, "unit 'unknown_tool': unknown tool 'check_delivry' (did you mean "
                              "'check_delivery'?); tools: search_products, check_delivery,"),
    "tool_bad_argument.yaml": (13, "unit 'tool_bad_argument': tool 'check_delivery' has no argument 'deadlin' "
                                   "(did you mean 'deadline'?)"),
    "tool_missing_argument.yaml": (10, "unit 'tool_missing_argument': tool 'check_delivery' needs argument "
                                       "'destination'"),
    "label_undeclared.yaml": (9, "unit 'label_undeclared': label field 'name' uses undeclared variable 'persn' "
                                 "(did you mean 'person'?)"),
    "unknown_provider.yaml": (4, "unit 'unknown_provider': slot 'company': unknown Faker provider 'compnay' "
                                 "(did you mean 'company'?)"),
    "unknown_form.yaml": (4, "unit 'unknown_form': slot 'phone': unknown form 'dotted'; forms: plain, dashed, "
                             "spaced, plus86, plus86_plain"),
    "slot_cycle.yaml": (3, "unit 'slot_cycle': slots depend on each other in a cycle: a → b → a"),
    "fits_unknown_slot.yaml": (5, "unit 'fits_unknown_slot': slot 'device': fits 'parts' is not a slot (did you "
                                  "mean 'part'?)"),
    "sandbox_escape.yaml": (9, "unit 'sandbox_escape', template 'leak': template reads attribute 'gi_frame', which "
                               "the sandbox refuses (private names and interpreter internals cannot be used in "
                               "templates)"),
    "alternatives_unclosed.yaml": (9, "unit 'alternatives_unclosed', template 'open': template alternatives, "
                                      "column 1: '[' is never closed (write \\[ for the character)"),
    "alternatives_undeclared.yaml": (9, "unit 'alternatives_undeclared', template 't2': template uses undeclared "
                                        "variable 'phon' (did you mean 'phone'?)"),
    "alternatives_weight.yaml": (9, "unit 'alternatives_weight', template 'w': template alternatives, column 4: "
                                    "weight '@0' must be a number above 0"),
    "alternatives_label.yaml": (9, "unit 'alternatives_label', template 't1': label field 'phone' reads slot "
                                   "'phone', which only some alternatives say"),
    "unknown_category.yaml": (4, "unit 'unknown_category': slot 'p': unknown category 'memroy' (did you mean "
                                 "'memory'?)"),
}


@pytest.mark.parametrize("name", sorted(SPEC_ERRORS))
def test_spec_errors_name_file_line_and_field(name):
    line, rest = SPEC_ERRORS[name]
    path = INVALID / name
    with pytest.raises(UnitError) as info:
        load_unit_file(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: {rest}"), message


@pytest.mark.parametrize("name", sorted(ENGINE_ERRORS))
def test_engine_errors_name_file_line_template_and_variable(name):
    line, rest = ENGINE_ERRORS[name]
    path = INVALID / name
    src = load_unit_file(path)
    with pytest.raises(UnitError) as info:
        check_unit(src)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: {rest}"), message


def test_every_invalid_file_is_covered():
    assert sorted(p.name for p in INVALID.glob("*.yaml")) == sorted({**SPEC_ERRORS, **ENGINE_ERRORS})


def test_units_check_cli_prints_one_line_per_problem_and_exits_1():
    result = CliRunner().invoke(cli, ["units", "check", str(INVALID / "undeclared_variable.yaml")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "undeclared variable 'phon'" in lines[0]


def test_units_check_cli_stops_at_a_spec_error_with_exit_1():
    result = CliRunner().invoke(cli, ["units", "check", str(INVALID / "unknown_source.yaml")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {INVALID / 'unknown_source.yaml'}:4: ")
    assert "Traceback" not in result.output


def test_duplicate_unit_ids_name_both_files(tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "u.yaml").write_text(
            "id: twin\ntitle: t\nslots:\n  a: {source: choice, values: [x]}\ntemplates:\n  - {id: t1, text: '{{ a }}'}\n",
            encoding="utf-8")
    with pytest.raises(UnitError, match=re.escape(f"{tmp_path / 'b' / 'u.yaml'}:1: unit 'twin' is already "
                                                  f"defined in {tmp_path / 'a' / 'u.yaml'}")):
        load_units([tmp_path / "a", tmp_path / "b"], builtins=False)


def test_missing_units_path():
    with pytest.raises(UnitError, match=r"nowhere: no such unit file or directory"):
        load_units(["nowhere"])


def test_builtin_units_are_sound():
    units = load_units()
    assert {"address_extraction", "product_by_feature", "product_by_stock_and_delivery"} <= set(units)
    for src in units.values():
        check_unit(src)
