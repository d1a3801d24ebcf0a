"""A tool with a frozen arguments model validates the same arguments once and shares the instance;
other arguments, errors and unfrozen models are validated every time."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from twinchat.inventory.tools.base import Tool
from twinchat.inventory.tools.registry import tools


def test_the_same_arguments_are_validated_once_and_others_again():
    tool = tools()["check_delivery"]
    args = {"products": ["MEM001"], "destination": "深圳南山", "deadline": "2026-12-05 09:00:00"}
    first = tool.arguments(args)
    assert tool.arguments(dict(args)) is first  # verification's re-run: the same instance
    other = tool.arguments({**args, "destination": "广州天河"})
    assert other is not first and other.destination == "广州天河" and first.destination == "深圳南山"
    assert tool.arguments({**args, "quantity": 1}) is not first  # other JSON text, validated again


def test_refused_arguments_are_a_tool_error_every_time():
    tool = tools()["check_delivery"]
    bad = {"products": [], "destination": "深圳南山"}
    for _ in range(2):
        error = tool.arguments(bad)
        assert error["error"]["code"] == "invalid_arguments" and error["error"]["field"] == "products"


def test_an_unfrozen_model_is_validated_every_time():
    class Loose(BaseModel):
        model_config = ConfigDict(extra="forbid")
        n: int

    tool = Tool(name="loose", description="", args_model=Loose, func=lambda ctx, args: {"n": args.n})
    assert tool.arguments({"n": 1}) is not tool.arguments({"n": 1})
    # every built-in tool promises not to change its arguments (so each is validated once)
    assert [name for name, t in tools().items()
            if t.args_model is not None and not t.args_model.model_config.get("frozen")] == []


def test_a_request_key_is_the_sha256_of_the_canonical_json():
    """request_key hashes exactly ``json.dumps(canonical, ensure_ascii=False, sort_keys=True)``:
    keys in order, text as written (quotes, backslashes, control characters escaped), numbers,
    booleans, null, nested lists and objects; what JSON cannot hold is refused as json refuses it."""
    import hashlib
    import json
    from datetime import datetime

    import pytest

    from twinchat.inventory.tools.base import request_key

    requests = [
        {"user_name": "王先生", "phone": "13800138000", "is_vip": True, "technician_id": None, "now": "2026-11-20 10:00:00"},
        {"b": 'say "hi"\\n\t\x00\u2028 😀', "a": [1, 2.5, -0.0, 1e300, {"z": False, "y": [None]}], "c": 10**30},
        {"products": [{"id": "MEM004", "qty": 2}], "address": " 深圳市 南山区 ", "nan": float("nan")},
        {},
    ]
    for canonical in requests:
        want = json.dumps(canonical, ensure_ascii=False, sort_keys=True)
        assert request_key(canonical) == hashlib.sha256(want.encode()).hexdigest()
    with pytest.raises(TypeError, match="not JSON serializable"):
        request_key({"now": datetime(2026, 11, 20)})


def test_remembered_arguments_hold_no_more_than_their_text_and_instance():
    """A key is kept at its own size (orjson's bytes carry a 4 kB buffer): 1,000 arguments
    remembered take well under a kilobyte each; and the memo keeps at most KEEP_VALIDATED."""
    import tracemalloc

    from twinchat.inventory.tools import base

    class Small(BaseModel):
        model_config = ConfigDict(extra="forbid", frozen=True)
        order_no: str

    tool = Tool(name="small", description="", args_model=Small, func=lambda ctx, args: {})
    texts = [f"DD2611{i:08d}" for i in range(1000)]  # made before measuring
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for text in texts:
            tool.arguments({"order_no": text})
        per_entry = (tracemalloc.get_traced_memory()[0] - before) / len(texts)
    finally:
        tracemalloc.stop()
    assert per_entry < 1024, f"{per_entry:.0f} bytes per remembered arguments"
    assert tool.arguments({"order_no": texts[-1]}) is tool.arguments({"order_no": texts[-1]})
    for i in range(base.KEEP_VALIDATED + 5):
        tool.arguments({"order_no": f"X{i}"})
    assert 0 < len(tool._validated) <= base.KEEP_VALIDATED
