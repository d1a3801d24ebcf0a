"""``dumps_spaced`` writes what ``json.dumps(value, ensure_ascii=False)`` writes, or raises the same error."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, strategies as st

from twinchat.composer.jsontext import dumps_spaced

_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=20)


@given(_VALUES)
def test_same_text_as_json_dumps(value):
    assert dumps_spaced(value) == json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("value", [
    {"text": "比较急,我是赵丽颖:\n\"引号\" \\ \x00 \u2028", "index": 4, "case": None, "label": {"urgent": True}},
    [1e-05, 1e16, -0.0, math.nan, math.inf, 2**70],
    {1: "a", None: "b", 1.5: "c", True: "d"},
    "a bare string",
])
def test_same_text_for_what_samples_and_results_hold(value):
    assert dumps_spaced(value) == json.dumps(value, ensure_ascii=False)


def test_same_error_for_what_json_refuses():
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps_spaced({"when": object()})
    with pytest.raises(TypeError):
        json.dumps({"when": object()}, ensure_ascii=False)
