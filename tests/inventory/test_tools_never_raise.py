"""Every registered tool, driven with arguments drawn from its own schema and with malformed values,
returns a result or a structured tool error: it never raises."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twinchat.inventory import open_world
from twinchat.inventory.tools import TOOLS, call_tool

NOW = datetime(2026, 11, 20, 14, 30)

#: values a model gets wrong: zones, digits-only dates, other separators, full width, empty, huge, odd types
MALFORMED = st.sampled_from([
    "2026-11-24T11:00:00Z", "2026-11-24T11:00:00+00:00", "2026-11-24 11:00:00-05:00", "20261124110000",
    "20261124", "2026/11/24 11:00:00", "２０２６-１１-２４ １１:００:００", "ＤＤ２６１１１２６３７３５９", "", " ",
    "x" * 5000, "9" * 400, "null", "[]", "{}", "今晚", "\u0000", "😀", 0, -1, 10**30, -(10**30), 1.5e308,
    float("nan"), True, None, [], {}, [""], ["x" * 5000], [None], {"a": 1}])


def _value(schema: dict) -> st.SearchStrategy:
    """Values for one argument: what its schema describes, or a malformed one."""
    options = [schema] + schema.get("anyOf", [])
    good = []
    for option in options:
        kind = option.get("type")
        if "enum" in option:
            good.append(st.sampled_from(option["enum"]))
        elif kind == "string" and option.get("format") == "date-time":
            good.append(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)).map(
                lambda d: d.strftime("%Y-%m-%d %H:%M:%S")))
        elif kind == "string" and option.get("format") == "date":
            good.append(st.dates().map(lambda d: d.isoformat()))
        elif kind == "string":
            good.append(st.text(max_size=30))
        elif kind == "integer":
            good.append(st.integers(min_value=-10, max_value=10**6))
        elif kind == "number":
            good.append(st.floats(allow_nan=False, allow_infinity=False))
        elif kind == "boolean":
            good.append(st.booleans())
        elif kind == "array":
            good.append(st.lists(st.text(max_size=20), max_size=12))
        elif kind == "null":
            good.append(st.none())
    return st.one_of(*good, MALFORMED)


def _arguments(name: str) -> st.SearchStrategy:
    params = TOOLS[name].json_schema()["parameters"]
    props = params["properties"]
    fields = {key: _value(schema) for key, schema in props.items()}
    drawn = st.fixed_dictionaries({}, optional=fields)  # any subset, required ones sometimes missing
    extra = st.dictionaries(st.text(max_size=8), MALFORMED, max_size=2)  # unknown arguments sometimes
    return st.tuples(drawn, extra).map(lambda pair: {**pair[1], **pair[0]})


@pytest.fixture(scope="module")
def conn(world_path, tmp_path_factory):
    db = tmp_path_factory.mktemp("never_raise") / "world.db"
    shutil.copy(world_path, db)
    connection = open_world(db)
    yield connection
    connection.close()


@pytest.mark.parametrize("name", list(TOOLS))
def test_a_tool_answers_every_argument_with_a_result_or_a_tool_error(conn, name):
    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_arguments(name))
    def check(arguments: dict) -> None:
        result = call_tool(TOOLS, conn, name, arguments, NOW)
        assert isinstance(result, dict)
        json.dumps(result, ensure_ascii=False)  # a result the dialogue can carry
        if "error" in result:
            assert set(result["error"]) == {"code", "message", "field"} and result["error"]["code"]

    check()


def test_a_deadline_with_a_zone_is_converted_and_digits_are_refused(conn):
    args = {"products": ["MEM001"], "destination": "深圳市南山区"}
    local = call_tool(TOOLS, conn, "check_delivery", {**args, "deadline": "2026-11-24 19:00:00"}, NOW)
    zoned = call_tool(TOOLS, conn, "check_delivery", {**args, "deadline": "2026-11-24T11:00:00Z"}, NOW)
    assert "error" not in local and zoned["deadline"] == "2026-11-24 19:00:00" == local["deadline"]
    digits = call_tool(TOOLS, conn, "check_delivery", {**args, "deadline": "20261124110000"}, NOW)
    assert digits["error"]["code"] == "invalid_arguments" and digits["error"]["field"] == "deadline"
    assert "不能是一串数字" in digits["error"]["message"]
