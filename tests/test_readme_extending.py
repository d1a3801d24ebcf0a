"""The README's "Extending twinchat" examples run as written: each Python block defines a registry
entry of the right kind, and the tool answers on a real world."""

from __future__ import annotations

import re
import sys
import types
from datetime import datetime
from pathlib import Path

from twinchat.composer.engine.sources import SlotSource
from twinchat.composer.export.formats import Format
from twinchat.inventory.tools import Tool, ToolContext, is_tool_error

README = Path(__file__).parents[1] / "README.md"


def _blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Extending twinchat"):text.index("## Why each dependency is there")]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def _run(block: str) -> dict:
    """The names a block defines, run as a module of its own (as the plugin's module would be)."""
    module = types.ModuleType("readme_example")
    sys.modules[module.__name__] = module
    try:
        exec(compile(block, "README.md", "exec"), module.__dict__)  # noqa: S102 - the README's own example
    finally:
        del sys.modules[module.__name__]
    return module.__dict__


def test_the_section_has_one_example_of_each_kind():
    assert len(_blocks()) == 3


def test_the_tool_example_is_a_tool_that_answers(world):
    tool = _run(_blocks()[0])["COUNT_IN_STOCK"]
    assert isinstance(tool, Tool) and tool.name == "count_in_stock"
    ctx = ToolContext(world, datetime(2026, 11, 20, 10, 0))
    found = tool(ctx, {"category": "内存条"})
    assert found["category"] == "内存条" and found["count"] > 0
    assert is_tool_error(tool(ctx, {"category": "平板"}))
    assert is_tool_error(tool(ctx, {"category": 5}))


def test_the_slot_source_example_draws_a_plate():
    import random

    namespace = _run(_blocks()[1])
    source = namespace["LICENCE_PLATE"]
    assert isinstance(source, SlotSource) and source.name == "licence_plate"
    slot = namespace["LicencePlateSlot"](source="licence_plate", province="京", forms=["spaced"])
    value = source.drawer(slot, "plate", None)(random.Random(1), {}, datetime(2026, 11, 20), {})
    assert re.fullmatch(r"京B \d{5}", value.text)


def test_the_format_example_is_a_format_with_a_rule():
    from twinchat.composer.export.formats import RuleViolation

    fmt = _run(_blocks()[2])["QA_PAIRS"]
    assert isinstance(fmt, Format) and fmt.name == "qa_pairs"
    fmt.check({"question": "q", "answer": "a"})
    try:
        fmt.check({"question": "", "answer": "a"})
    except RuleViolation as exc:
        assert exc.rule == "empty field"
    else:
        raise AssertionError("an empty question passed the rule")
