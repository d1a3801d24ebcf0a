"""ReAct thoughts of a flow's tool-calling turns, composed from what the step knows.

A react flow's step may write its own ``thought`` (a template with inline alternatives,
:mod:`.alternatives`); a step without one says :data:`DEFAULT_THOUGHT`. Either is rendered with
the step's slots and :func:`thought_scope`: what the customer asked (``label``), which label
fields they left out (``missing``), the last tool call of the session before this one
(``last_tool``, its result ``last`` and outcome ``last_outcome``; None on the first call) and the
tool about to be called (``tool``). So a thought says the facts of its own session — what came
back last, what is still unknown — in words drawn from the session's seeded stream.
"""

from __future__ import annotations

from typing import Any

import jinja2

from twinchat.composer.engine.alternatives import CHOICES, AlternativesError, parse_alternatives
from twinchat.composer.engine.render import make_env, variables_of

__all__ = ["DEFAULT_THOUGHT", "THOUGHT_NAMES", "thought_scope", "thought_problems"]

#: Names a thought may use besides the step's slots.
THOUGHT_NAMES = frozenset({"label", "missing", "last", "last_tool", "last_outcome", "tool"})

#: The thought of a react step that writes none.
DEFAULT_THOUGHT = (
    "{% if last_tool %}[上一步|刚才][调用的|]{{ last_tool }}[已经|]返回了[结果|数据]"
    "{% if last_outcome %}({{ last_outcome }}){% endif %}[,|。]{% endif %}"
    "{% if missing %}[用户还没说全|有些信息用户没给],[先按已知的查|先用已有的信息][,|。]{% endif %}"
    "[我需要|接下来|现在][调用|用]{{ tool }}[来处理用户的请求|查询用户问的内容|来回答用户]。")


def thought_scope(sample: Any, last: tuple[Any, Any, Any]) -> dict[str, Any]:
    """What a thought of ``sample``'s tool call may say; ``last`` is the session's previous
    tool call as (name, result, outcome), Nones when there was none."""
    label = sample.label
    return {**sample.slots, "label": label, "tool": sample.tool_call["name"],
            "missing": [name for name, value in label.items() if value is None],
            "last_tool": last[0], "last": last[1], "last_outcome": last[2]}


def thought_problems(src: Any, i: int, unit_src: Any) -> list[str]:
    """The problems of step ``i``'s thought in flow ``src`` (alternatives, syntax, variables)."""
    step = src.flow.steps[i]
    if step.thought is None:
        return []
    where = src.where(["steps", i, "thought"])
    try:
        source = parse_alternatives(step.thought).source
        names, _ = variables_of(make_env(), source)
    except AlternativesError as exc:
        return [f"{where}: step {step.id!r}: thought alternatives, column {exc.column}: {exc.problem}"]
    except jinja2.TemplateSyntaxError as exc:
        return [f"{where}: step {step.id!r}: thought syntax error: {exc.message}"]
    allowed = THOUGHT_NAMES | set(unit_src.unit.slots) | {CHOICES}
    return [f"{where}: step {step.id!r}: thought uses undeclared variable {name!r}"
            for name in sorted(names - allowed)]
