"""The compiled argument check says "valid" exactly where ``jsonschema`` does (on generated
arguments, for the schemas it compiles), and compiles nothing it cannot decide."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from twinchat.inventory.tools.declared.arguments import FORMATS
from twinchat.inventory.tools.declared.fastcheck import fast_check

SCHEMAS = [
    {"type": "object", "properties": {
        "order_no": {"type": "string", "pattern": "^DD[0-9]{3}$", "description": "订单号"},
        "title": {"type": "string", "minLength": 1, "maxLength": 4},
        "kind": {"type": "string", "enum": ["personal", "company"]},
        "tax_id": {"type": ["string", "null"], "pattern": "^[0-9A-Z]{2}$"}},
     "required": ["order_no", "kind"], "additionalProperties": False},
    {"type": "object", "properties": {
        "qty": {"type": "integer", "minimum": 1, "maximum": 5},
        "price": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10.5},
        "vip": {"type": "boolean"},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "tags": {"type": "array", "items": {"type": "string", "const": "a"}, "minItems": 1, "maxItems": 2},
        "contact": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}},
                    "required": ["email"]}},
     "required": ["qty"]},
    {"type": "object", "properties": {"any": {}, "n": {"type": ["integer", "null"]},
                                      "ip": {"type": "string", "format": "ipv4"},  # a format whose checker raises
                                      "hue": {"type": "string", "format": "colour"},  # a format no one checks
                                      "code": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]"}}},
]

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=False, min_value=-1, max_value=12),
                     st.sampled_from(["", "a", "DD123", "DD12", "personal", "company", "AB", "ab", "张伟", "x@y.cn",
                                      "2026-11-25", "2026-02-30", "2026-11-25 10:00:00", "2026-11-25T10:00:00Z", "明天",
                                      "1.2.3.4", "1.2.3", "abcdef", "ab1"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["email", "a", "qty"]), inner, max_size=2), max_leaves=6)
_KEYS = st.sampled_from(["order_no", "title", "kind", "tax_id", "qty", "price", "vip", "when", "day", "tags",
                         "contact", "any", "n", "ip", "hue", "code", "other"])
_OPTIONAL = {k: _VALUES for k in ("price", "vip", "when", "day", "tags", "contact", "other")}
#: arguments near the schemas' valid ones: the required keys mostly there, values mostly fitting
_NEAR = st.fixed_dictionaries(
    {"order_no": st.sampled_from(["DD123", "DD123", "DD12", 5]), "kind": st.sampled_from(["personal", "company", "x"])},
    optional={"title": st.sampled_from(["张伟", "", "abcde", None]), "tax_id": st.sampled_from(["AB", "ab", None, 1]),
              "qty": st.integers(0, 6)})
_NEAR_2 = st.fixed_dictionaries({"qty": st.integers(0, 6)}, optional=_OPTIONAL)
_ARGUMENTS = st.one_of(st.dictionaries(_KEYS, _VALUES, max_size=6), _VALUES, _NEAR, _NEAR_2)


@settings(max_examples=1500, deadline=None)
@given(arguments=_ARGUMENTS)
def test_the_compiled_check_agrees_with_jsonschema(arguments):
    for schema in SCHEMAS:
        fast = fast_check(schema, FORMATS)
        assert fast is not None
        assert fast(arguments) == Draft202012Validator(schema, format_checker=FORMATS).is_valid(arguments), schema


def test_what_it_cannot_decide_is_left_to_jsonschema():
    for schema in ({"anyOf": [{"type": "string"}]}, {"$ref": "#/$defs/x"}, {"type": "integer", "enum": [1, 2]},
                   {"type": "object", "additionalProperties": {"type": "string"}},
                   {"type": "object", "properties": {"a": {"type": "string", "not": {"const": "x"}}}},
                   {"type": "array", "uniqueItems": True}, {"$schema": "http://json-schema.org/draft-04/schema#"}):
        assert fast_check(schema, FORMATS) is None, schema


def test_formats_are_judged_as_jsonschema_judges_them():
    """twinchat's own formats are asked directly, one whose checker raises goes through the format
    checker, one nobody checks passes: each as jsonschema says."""
    values = ["2026-11-25 10:00:00", "2026-11-25T10:00:00Z", "2026-02-30 10:00:00", "2026-11-25", "2026-13-01",
              "1.2.3.4", "1.2.3", "::1", "x@y.cn", "x", "12:30:00Z", "25:00:00", "明天", 5, None]
    for name in ("date-time", "date", "ipv4", "ipv6", "email", "time", "colour"):
        schema = {"type": "object", "properties": {"v": {"format": name}}}
        fast = fast_check(schema, FORMATS)
        want = [Draft202012Validator(schema, format_checker=FORMATS).is_valid({"v": v}) for v in values]
        assert [fast({"v": v}) for v in values] == want, name
        assert not all(want) or name == "colour"


@settings(max_examples=300, deadline=None)
@given(calls=st.lists(_ARGUMENTS, min_size=2, max_size=30))
def test_one_compiled_check_asked_again_agrees_with_jsonschema(calls):
    """A compiled check remembers the verdicts on strings it was asked about: asked again (the
    same strings in other properties and other arguments), it still says what jsonschema says."""
    for schema in SCHEMAS:
        fast = fast_check(schema, FORMATS)
        reference = Draft202012Validator(schema, format_checker=FORMATS)
        for arguments in calls + calls:
            assert fast(arguments) == reference.is_valid(arguments), (schema, arguments)


def test_remembered_verdicts_are_bounded_and_stay_right(monkeypatch):
    from twinchat.inventory.tools.declared import fastcheck

    monkeypatch.setattr(fastcheck, "_KEEP", 4)
    fast = fast_check(SCHEMAS[0], FORMATS)
    for round_ in range(3):
        for n in range(1000, 1010):
            assert fast({"order_no": f"DD{n}", "kind": "company"}) is False
            assert fast({"order_no": f"DD{n % 1000:03d}", "kind": "company"}) is True
    tables = _verdict_tables(fast)
    assert [name for name, said in tables.items() if said] == ["order_no", "kind"]
    assert all(len(said) <= 4 for said in tables.values())


def _verdict_tables(check) -> dict:
    """property -> its remembered verdicts, found in the closures of a compiled check."""
    for cell in check.__closure__ or ():
        value = cell.cell_contents
        if isinstance(value, dict) and value and all(type(v) is tuple for v in value.values()):
            return {name: said for name, (_, said) in value.items()}
        if callable(value) and getattr(value, "__closure__", None):
            found = _verdict_tables(value)
            if found:
                return found
    return {}
