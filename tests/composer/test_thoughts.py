"""ReAct thoughts composed from what the step knows: the last tool call, what is missing, alternatives."""

from __future__ import annotations

import shutil
from pathlib import Path

from twinchat.composer.engine.compose import SessionComposer, flow_problems
from twinchat.composer.store.diversity import DiversityMeter
from twinchat.units.loader import load_content, load_file

BUILTIN_FLOW = Path(__file__).parents[2] / "units" / "builtin" / "repair_ticket.yaml"


def _thoughts(session):
    turns = session["turns"]
    calls = [(i, t) for i, t in enumerate(turns) if t.get("tool_calls")]
    return [(t["step"], t["thought"], turns[i + 1]) for i, t in calls]


def test_thoughts_say_what_the_last_tool_call_gave(world):
    composer = SessionComposer(world, seed=3)
    seen_steps = set()
    meter = DiversityMeter()
    for index in range(150):
        session = composer.compose("repair_ticket", index)
        meter.add(session)
        previous = None
        for step, thought, result in _thoughts(session):
            seen_steps.add(step)
            if step == "report":
                assert previous is None and "知识库" in thought
            if step == "slots" and previous is not None and previous[0] == "onsite":
                assert "需要师傅上门" in thought, thought
            if step == "slots" and previous is not None and previous[0] == "none":
                assert "知识库里" in thought and "对应的解决方案" in thought, thought
            if step == "book" and "slots" in (previous[1] or {}):
                assert f"{len(previous[1]['slots'])}个" in thought, thought
            outcome = next(t["outcome"] for t in session["turns"] if t.get("step") == step and "outcome" in t)
            previous = (outcome, result["content"])
    assert seen_steps == {"report", "slots", "book"}
    assert len(meter.thoughts) >= 40  # skeletons: the fault, city and numbers masked


def test_same_seed_same_thoughts(world):
    one = [SessionComposer(world, seed=4).compose("repair_ticket", i) for i in range(5)]
    two = [SessionComposer(world, seed=4).compose("repair_ticket", i) for i in range(5)]
    assert one == two


def test_a_malformed_thought_is_a_located_flow_problem(tmp_path):
    text = BUILTIN_FLOW.read_text(encoding="utf-8")
    bad = text.replace('thought: "[用户|客户][反映', 'thought: "[用户|客户[反映', 1)
    assert bad != text
    path = tmp_path / "repair_ticket.yaml"
    path.write_text(bad, encoding="utf-8")
    units, _ = load_content([])
    problems = flow_problems(load_file(path), units)
    line = next(n for n, l in enumerate(bad.splitlines(), 1) if 'thought: "[用户|客户[反映' in l)
    assert problems == [f"{path}:{line}: flow 'repair_ticket': step 'report': thought alternatives, column 1: "
                        "'[' is never closed (write \\[ for the character)"]


def test_a_thought_with_an_unknown_name_is_a_flow_problem(tmp_path):
    text = BUILTIN_FLOW.read_text(encoding="utf-8")
    bad = text.replace("查询{{ who.city }}", "查询{{ whom.city }}", 1)
    path = tmp_path / "repair_ticket.yaml"
    path.write_text(bad, encoding="utf-8")
    units, _ = load_content([])
    problems = flow_problems(load_file(path), units)
    assert len(problems) == 1 and problems[0].endswith("step 'slots': thought uses undeclared variable 'whom'")
