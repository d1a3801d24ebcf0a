"""``react``: FireAct-style ReAct ``messages``.

``Thought: …\\nAction: tool[args]`` for a call, ``Observation: …`` (in the next user message) for
its result, and ``Action: finish[reply]`` for what the assistant says to the customer. Every
assistant message starts with a thought, as in FireAct: the flow's own (ReAct flows write them),
or a short one saying what the turn does (call a tool, answer from a result, answer directly).
The rules checked: user and assistant alternate after the system message; an assistant message is
an optional ``Thought:`` line and ``Action: name[args]`` lines (args a JSON object) or one
``Action: finish[reply]``; each tool action is answered by an ``Observation:`` line in the next
user message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from twinchat.composer.export.formats.base import Converter, Record, RuleViolation, annotate, dumps, fail, \
    gold_item, json_object, session_templates, system_prompt
from twinchat.composer.export.formats.chatml import render_react
from twinchat.composer.export.formats.registry import Format

__all__ = ["FORMAT", "REACT_ACTION", "ReactConverter", "check_react"]

#: ``Action: name[argument]`` (the argument runs to the last ``]`` of the line block).
REACT_ACTION = re.compile(r"^Action: ([A-Za-z0-9_\-]+)\[(.*)\]$", re.DOTALL)

_REACT_RULES = ("调用工具时输出 Thought: 思考\\nAction: 工具名[JSON参数];收到 Observation 后继续;"
                "回复客户时输出 Action: finish[回复内容]。")


def _thought(turn: Mapping[str, Any], before: Mapping[str, Any] | None) -> str:
    """A FireAct-style thought for an assistant turn whose flow wrote none: what it is about to do."""
    if turn.get("tool_calls"):
        names = "、".join(dict.fromkeys(str(c.get("name")) for c in turn["tool_calls"]))
        return f"要回答用户,我需要调用{names}查询。"
    if before is not None and before.get("role") == "tool":
        return f"{before.get('name') or '工具'}的结果已经拿到,我可以据此回复用户。"
    return "这一步不需要调用工具,我直接回复用户。"


def _action(name: str, argument: str) -> str:
    return f"Action: {name}[{argument}]"


class ReactConverter(Converter):
    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = annotate(turns)
        tools = "\n".join(f"- {s}" for s in self.toolset.schema_texts(session.get("flow")))
        messages: list[dict[str, str]] = [
            {"role": "system", "content": f"{system_prompt(session['now'])}\n可用工具:\n{tools}\n{_REACT_RULES}"}]
        gold = []
        observations: list[str] = []
        for i, t in enumerate(turns):
            role = t.get("role")
            if role == "tool":
                observations.append(f"Observation: {dumps(t.get('content'))}")
                continue
            if observations:
                messages.append({"role": "user", "content": "\n".join(observations)})
                observations.clear()
            if role == "user":
                messages.append({"role": "user", "content": t.get("content")})
                continue
            if role != "assistant":
                raise RuleViolation("unknown role", f"{session['id']}: turn {i}: unknown role {role!r}")
            lines = [f"Thought: {t.get('thought') or _thought(t, turns[i - 1] if i else None)}"]
            if t.get("tool_calls"):
                lines += [_action(c.get("name"), dumps(c.get("arguments"))) for c in t["tool_calls"]]
                kind = "call"
            else:
                lines.append(_action("finish", t.get("content") or ""))
                kind = "reply"
            msg = {"role": "assistant", "content": "\n".join(lines)}
            gold.append(gold_item(kind, meta[i], {"messages": list(messages)}, msg["content"]))
            messages.append(msg)
        if observations:
            messages.append({"role": "user", "content": "\n".join(observations)})
        return [Record({"messages": messages}, session["id"], self._text(session), session_templates(turns), gold)]


# -- the rules -------------------------------------------------------------------------------------
def _actions(content: str, i: int) -> list[tuple[str, str]]:
    lines = content.split("\n")
    if lines and lines[0].startswith("Thought: "):
        lines = lines[1:]
    blocks: list[str] = []
    for line in lines:
        if line.startswith("Action: ") or not blocks:
            blocks.append(line)
        else:  # a reply spanning lines continues its finish[…]
            blocks[-1] += "\n" + line
    actions = []
    for block in blocks:
        match = REACT_ACTION.match(block)
        if not match:
            fail("bad action", f"message {i}: {block[:40]!r} is not 'Action: name[args]'")
        actions.append((match.group(1), match.group(2)))
    if not actions:
        fail("bad action", f"message {i}: no Action")
    if any(n == "finish" for n, _ in actions) and len(actions) > 1:
        fail("bad action", f"message {i}: finish[…] with other actions")
    for name, arg in actions:
        if name != "finish":
            json_object(arg, "bad action", f"message {i}: arguments of {name}")
    return actions


def check_react(record: Mapping[str, Any]) -> None:
    """FireAct-style ReAct messages (see the module docstring)."""
    messages = record.get("messages")
    if not isinstance(messages, list) or len(messages) < 3 or messages[0].get("role") != "system":
        fail("no messages", "messages must open with a system message and hold a dialogue")
    awaiting = 0  # observations the next user message owes
    for i, m in enumerate(messages[1:], 1):
        want = "user" if i % 2 == 1 else "assistant"
        if m.get("role") != want or not isinstance(m.get("content"), str):
            fail("roles do not alternate", f"message {i}: {m.get('role')!r} where {want} must be")
        content = m["content"]
        if want == "user":
            observations = sum(1 for line in content.split("\n") if line.startswith("Observation: "))
            if awaiting and (not content.startswith("Observation: ") or observations != awaiting):
                fail("missing observation", f"message {i}: {awaiting} observation(s) expected")
            if not awaiting and content.startswith("Observation: "):
                fail("observation without action", f"message {i}: an observation nobody asked for")
            awaiting = 0
        else:
            awaiting = sum(1 for name, _ in _actions(content, i) if name != "finish")
    if messages[-1].get("role") != "assistant" or awaiting:
        fail("not ending with assistant", "the dialogue does not end with the assistant's finish[…]")


FORMAT = Format(
    name="react", converter=ReactConverter, check=check_react, calls=True,
    loading="Any chat trainer that takes `{\"messages\": [{\"role\", \"content\"}]}`: the assistant turns are "
            "ReAct text (`Thought: …`, `Action: tool[JSON]`, `Action: finish[reply]`).",
    render=render_react)
