"""The rules each trainer applies to a record, checked before a record is written.

A record that breaks a rule is never written: the export skips it and counts it by rule. The
rules are those of the consumers themselves:

* ``openai`` — OpenAI's chat fine-tuning format: roles ``system``/``user``/``assistant``/``tool``,
  ``tool_calls`` of ``{id, type: "function", function: {name, arguments}}`` with ``arguments`` a JSON
  string, every ``tool`` message answering (by ``tool_call_id``) a call of the assistant message
  before it, ``tools`` as ``{type: "function", function: {name, description, parameters}}``, and
  an assistant message last.
* ``sharegpt`` — LLaMA-Factory's ``SharegptDatasetConverter`` (src/llamafactory/data/converter.py):
  ``human``/``observation`` at odd positions, ``gpt``/``function_call`` at even ones, an even
  count (it drops any other example with only a warning); its ``FunctionFormatter``
  (data/formatter.py) reads a ``function_call`` value as JSON ``{"name", "arguments"}`` or a list of
  them, and its ``ToolFormatter`` reads ``tools`` as a JSON list of functions with
  ``parameters.properties``.
* ``alpaca`` — LLaMA-Factory's ``AlpacaDatasetConverter``: string ``instruction``/``input``/
  ``output``/``system``, ``history`` a list of ``[prompt, response]`` pairs.
* ``react`` — FireAct-style turns: user and assistant alternate after the system message;
  an assistant message is an optional ``Thought:`` line and ``Action: name[args]`` lines (args a
  JSON object) or one ``Action: finish[reply]``; each tool action is answered by an
  ``Observation:`` line in the next user message.
* ``plain`` — ``human:`` and ``bot:`` turns alternating, human first, bot last.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from twinchat.composer.errors import ComposerError

__all__ = ["CHECKS", "RuleViolation", "check_openai", "check_sharegpt", "check_alpaca", "check_react",
           "check_plain", "REACT_ACTION"]

#: ``Action: name[argument]`` (the argument runs to the last ``]`` of the line block).
REACT_ACTION = re.compile(r"^Action: ([A-Za-z0-9_\-]+)\[(.*)\]$", re.DOTALL)
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


class RuleViolation(ComposerError):
    """A record breaks a rule of its consumer; ``rule`` is the short name the export counts it by."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{detail} [{rule}]")
        self.rule, self.detail = rule, detail


def _fail(rule: str, detail: str) -> None:
    raise RuleViolation(rule, detail)


def _json_object(text: Any, rule: str, what: str) -> dict[str, Any]:
    if not isinstance(text, str):
        _fail(rule, f"{what} is not a string")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleViolation(rule, f"{what} is not JSON ({exc})") from exc
    if not isinstance(value, dict):
        _fail(rule, f"{what} is not a JSON object")
    return value


# -- openai --------------------------------------------------------------------------------------
_OPENAI_KEYS = {"system": {"role", "content", "name"}, "user": {"role", "content", "name"},
                "assistant": {"role", "content", "tool_calls", "name", "weight"},
                "tool": {"role", "content", "tool_call_id"}}


def _openai_tools(tools: Any) -> set[str]:
    if not isinstance(tools, list):
        _fail("tools not a list", "tools is not a list")
    names: set[str] = set()
    for k, entry in enumerate(tools):
        fn = entry.get("function") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or entry.get("type") != "function" or not isinstance(fn, dict):
            _fail("bad tool", f"tools[{k}] is not {{type: function, function: {{…}}}}")
        name = fn.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name) or name in names:
            _fail("bad tool", f"tools[{k}]: name {name!r} is not a unique a-z, A-Z, 0-9, _ or - name")
        params = fn.get("parameters")
        if not isinstance(params, dict) or params.get("type") != "object":
            _fail("bad tool", f"tools[{k}] ({name}): parameters is not a JSON schema of type object")
        if not isinstance(fn.get("description", ""), str):
            _fail("bad tool", f"tools[{k}] ({name}): description is not a string")
        names.add(name)
    return names


def check_openai(record: Mapping[str, Any]) -> None:
    """OpenAI chat fine-tuning rules (with tools); raise :class:`RuleViolation` at the first broken one."""
    extra = set(record) - {"messages", "tools", "parallel_tool_calls"}
    if extra:
        _fail("unknown key", f"unknown top-level keys {sorted(extra)}")
    names = _openai_tools(record.get("tools", []))
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        _fail("no messages", "messages is missing or empty")
    pending: dict[str, str] = {}  # call id → tool name, awaiting a tool message
    seen_ids: set[str] = set()
    for i, m in enumerate(messages):
        role = m.get("role") if isinstance(m, dict) else None
        if role not in _OPENAI_KEYS:
            _fail("bad role", f"message {i}: role {role!r} is not system, user, assistant or tool")
        unknown = set(m) - _OPENAI_KEYS[role]
        if unknown:
            _fail("unknown key", f"message {i} ({role}): unknown keys {sorted(unknown)}")
        if role == "system" and i != 0:
            _fail("system not first", f"message {i}: a system message after the first")
        if role != "tool" and pending:
            _fail("unanswered tool call", f"message {i}: tool calls {sorted(pending)} have no tool message")
        content = m.get("content")
        if role in ("system", "user") and (not isinstance(content, str) or not content):
            _fail("empty content", f"message {i} ({role}): content is not a non-empty string")
        if role == "tool":
            call_id = m.get("tool_call_id")
            if call_id not in pending:
                _fail("tool_call_id mismatch", f"message {i}: tool_call_id {call_id!r} answers no call of "
                      "the assistant message before it")
            del pending[call_id]
            if not isinstance(content, str):
                _fail("bad tool content", f"message {i} (tool): content is not a string")
        if role == "assistant":
            calls = m.get("tool_calls")
            if content is not None and not isinstance(content, str):
                _fail("empty content", f"message {i} (assistant): content is neither a string nor null")
            if not calls and not content:
                _fail("empty content", f"message {i} (assistant): neither content nor tool_calls")
            for k, c in enumerate(calls or []):
                fn = c.get("function") if isinstance(c, dict) else None
                if not isinstance(c, dict) or c.get("type") != "function" or not isinstance(fn, dict):
                    _fail("bad tool call", f"message {i}: tool_calls[{k}] is not {{id, type: function, function}}")
                cid = c.get("id")
                if not isinstance(cid, str) or not cid or cid in seen_ids:
                    _fail("bad tool call", f"message {i}: tool_calls[{k}] id {cid!r} is missing or repeated")
                if fn.get("name") not in names:
                    _fail("unknown tool", f"message {i}: tool_calls[{k}] calls {fn.get('name')!r}, not in tools")
                _json_object(fn.get("arguments"), "arguments not a JSON string",
                             f"message {i}: tool_calls[{k}] arguments")
                seen_ids.add(cid)
                pending[cid] = fn["name"]
    if pending:
        _fail("unanswered tool call", f"tool calls {sorted(pending)} have no tool message")
    if messages[-1].get("role") != "assistant":
        _fail("not ending with assistant", "the last message is not the assistant's")


# -- sharegpt (LLaMA-Factory) ---------------------------------------------------------------------
_ODD, _EVEN = ("human", "observation"), ("gpt", "function_call")


def check_sharegpt(record: Mapping[str, Any]) -> None:
    """LLaMA-Factory's sharegpt rules (see the module docstring); raise at the first broken one."""
    conv = record.get("conversations")
    if not isinstance(conv, list) or not conv:
        _fail("no conversations", "conversations is missing or empty")
    if not isinstance(record.get("system", ""), str):
        _fail("bad system", "system is not a string")
    tools = record.get("tools", "")
    if tools:
        if not isinstance(tools, str):
            _fail("tools not a JSON string", "tools is not a JSON string")
        try:
            parsed = json.loads(tools)
        except json.JSONDecodeError as exc:
            raise RuleViolation("tools not a JSON string", f"tools is not JSON ({exc})") from exc
        if not isinstance(parsed, list) or not all(
                isinstance(t, dict) and isinstance(t.get("name"), str)
                and isinstance(t.get("parameters", {}).get("properties"), dict) for t in parsed):
            _fail("bad tools", "tools is not a list of {name, parameters: {properties}}")
    for i, m in enumerate(conv):
        tag = m.get("from") if isinstance(m, dict) else None
        accepted = _ODD if i % 2 == 0 else _EVEN
        if tag not in accepted:
            _fail("roles do not alternate", f"position {i + 1}: {tag!r} where {' or '.join(accepted)} must be")
        if not isinstance(m.get("value"), str):
            _fail("value not a string", f"position {i + 1} ({tag}): value is not a string")
        if tag == "function_call":
            try:
                calls = json.loads(m["value"])
            except json.JSONDecodeError as exc:
                raise RuleViolation("function_call not JSON", f"position {i + 1}: {exc}") from exc
            for c in calls if isinstance(calls, list) else [calls]:
                if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not isinstance(
                        c.get("arguments"), dict):
                    _fail("function_call not JSON", f"position {i + 1}: not {{\"name\", \"arguments\"}}")
            nxt = conv[i + 1].get("from") if i + 1 < len(conv) and isinstance(conv[i + 1], dict) else None
            if nxt != "observation":
                _fail("call without observation", f"position {i + 1}: function_call not followed by observation")
        if tag == "observation" and (i == 0 or conv[i - 1].get("from") != "function_call"):
            _fail("observation without call", f"position {i + 1}: observation not after a function_call")
    if len(conv) % 2 != 0:
        _fail("odd message count", f"{len(conv)} messages (LLaMA-Factory needs an even count)")


# -- alpaca ----------------------------------------------------------------------------------------
def check_alpaca(record: Mapping[str, Any]) -> None:
    """LLaMA-Factory's alpaca columns, and an output that is a JSON object (extraction data)."""
    for key in ("instruction", "input", "output", "system"):
        if not isinstance(record.get(key), str):
            _fail("not a string", f"{key} is not a string")
    if not record["instruction"] or not record["output"]:
        _fail("empty field", "instruction or output is empty")
    history = record.get("history")
    if not isinstance(history, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in history):
        _fail("bad history", "history is not a list of [prompt, response] string pairs")
    _json_object(record["output"], "output not JSON", "output")


# -- react -----------------------------------------------------------------------------------------
def _react_actions(content: str, i: int) -> list[tuple[str, str]]:
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
            _fail("bad action", f"message {i}: {block[:40]!r} is not 'Action: name[args]'")
        actions.append((match.group(1), match.group(2)))
    if not actions:
        _fail("bad action", f"message {i}: no Action")
    if any(n == "finish" for n, _ in actions) and len(actions) > 1:
        _fail("bad action", f"message {i}: finish[…] with other actions")
    for name, arg in actions:
        if name != "finish":
            _json_object(arg, "bad action", f"message {i}: arguments of {name}")
    return actions


def check_react(record: Mapping[str, Any]) -> None:
    """FireAct-style ReAct messages (see the module docstring)."""
    messages = record.get("messages")
    if not isinstance(messages, list) or len(messages) < 3 or messages[0].get("role") != "system":
        _fail("no messages", "messages must open with a system message and hold a dialogue")
    awaiting = 0  # observations the next user message owes
    for i, m in enumerate(messages[1:], 1):
        want = "user" if i % 2 == 1 else "assistant"
        if m.get("role") != want or not isinstance(m.get("content"), str):
            _fail("roles do not alternate", f"message {i}: {m.get('role')!r} where {want} must be")
        content = m["content"]
        if want == "user":
            observations = sum(1 for line in content.split("\n") if line.startswith("Observation: "))
            if awaiting and (not content.startswith("Observation: ") or observations != awaiting):
                _fail("missing observation", f"message {i}: {awaiting} observation(s) expected")
            if not awaiting and content.startswith("Observation: "):
                _fail("observation without action", f"message {i}: an observation nobody asked for")
            awaiting = 0
        else:
            awaiting = sum(1 for name, _ in _react_actions(content, i) if name != "finish")
    if messages[-1].get("role") != "assistant" or awaiting:
        _fail("not ending with assistant", "the dialogue does not end with the assistant's finish[…]")


# -- plain -----------------------------------------------------------------------------------------
_SPEAKER = re.compile(r"^(human|bot): ", re.MULTILINE)


def check_plain(record: Mapping[str, Any]) -> None:
    """``human:`` / ``bot:`` turns alternating, human first and bot last."""
    text = record.get("text")
    if not isinstance(text, str) or not text.startswith("human: "):
        _fail("bad text", "text does not start with 'human: '")
    speakers = _SPEAKER.findall(text)
    for k, who in enumerate(speakers):
        if who != ("human" if k % 2 == 0 else "bot"):
            _fail("roles do not alternate", f"turn {k + 1}: {who}: out of turn")
    if speakers[-1] != "bot":
        _fail("not ending with assistant", "the last turn is not the bot's")


CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "openai": check_openai, "sharegpt": check_sharegpt, "alpaca": check_alpaca, "react": check_react,
    "plain": check_plain,
}
