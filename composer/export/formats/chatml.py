"""Each record as a chat template lays it out, for counting its tokens: ChatML as Qwen's template in
LLaMA-Factory writes it (``<|im_start|>role\\n…<|im_end|>\\n``; tools in the system message as a
``<tools>`` block of one ``{"type": "function", "function": …}`` line each; calls as
``<tool_call>`` blocks; tool results as ``<tool_response>`` blocks of a user message).

A format's ``render(record)`` gives two texts: the *prefix* every example of the record starts with
(the system message with its tools) and the *whole* example. They are what a trainer's template
makes of the record, give or take a few tokens of another template's markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["Rendered", "render_alpaca", "render_openai", "render_plain", "render_react", "render_sharegpt"]

#: (prefix, whole)
Rendered = tuple[str, str]

_TOOLS_HEAD = ("\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
               "You are provided with function signatures within <tools></tools> XML tags:\n<tools>")
_TOOLS_TAIL = ("\n</tools>\n\nFor each function call, return a json object with function name and arguments "
               "within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, "
               "\"arguments\": <args-json-object>}\n</tool_call>")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _turn(role: str, text: str) -> str:
    return f"<|im_start|>{role}\n{text}<|im_end|>\n"


@lru_cache(maxsize=256)
def _system_of_json(system: str, tools: str) -> str:
    """:func:`_system` of tools given as JSON text (records of one flow and clock share it)."""
    return _system(system, json.loads(tools) if tools else [])


def _system(system: str, tools: Sequence[Mapping[str, Any]]) -> str:
    if not tools:
        return _turn("system", system)
    lines = "".join("\n" + _dumps({"type": "function", "function": t}) for t in tools)
    return _turn("system", system + _TOOLS_HEAD + lines + _TOOLS_TAIL)


def _call(name: Any, arguments: Any) -> str:
    return f"<tool_call>\n{_dumps({'name': name, 'arguments': arguments})}\n</tool_call>"


def _chat(prefix: str, turns: Iterable[tuple[str, str]]) -> Rendered:
    """The prefix, and the prefix followed by ``turns`` (role, text); tool results joined into one user turn."""
    parts, results = [prefix], []
    for role, text in turns:
        if role == "tool":
            results.append(f"<tool_response>\n{text}\n</tool_response>")
            continue
        if results:
            parts.append(_turn("user", "\n".join(results)))
            results.clear()
        parts.append(_turn(role, text))
    if results:
        parts.append(_turn("user", "\n".join(results)))
    return prefix, "".join(parts)


def _assistant(m: Mapping[str, Any]) -> str:
    calls = [c.get("function", {}) for c in m.get("tool_calls") or []]
    blocks = [_call(c.get("name"), _arguments(c.get("arguments"))) for c in calls]
    return "\n".join(([m["content"]] if m.get("content") else []) + blocks)


def _arguments(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def render_openai(record: Mapping[str, Any]) -> Rendered:
    """An ``openai`` record (``tools`` a list, or a JSON string of one)."""
    messages = record["messages"]
    tools = _arguments(record.get("tools") or [])
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    functions = [t.get("function", t) for t in tools]
    rest = messages[1:] if system else messages
    return _chat(_system(system, functions),
                 ((m["role"], _assistant(m) if m["role"] == "assistant" else m.get("content") or "") for m in rest))


_SHAREGPT_ROLES = {"human": "user", "gpt": "assistant", "function_call": "assistant", "observation": "tool"}


def render_sharegpt(record: Mapping[str, Any]) -> Rendered:
    """A ``sharegpt`` record."""
    def text(m: Mapping[str, str]) -> str:
        if m["from"] != "function_call":
            return m["value"]
        calls = json.loads(m["value"])
        return "\n".join(_call(c["name"], c["arguments"]) for c in (calls if isinstance(calls, list) else [calls]))

    return _chat(_system_of_json(record.get("system") or "", record.get("tools") or ""),
                 ((_SHAREGPT_ROLES[m["from"]], text(m)) for m in record["conversations"]))


def render_alpaca(record: Mapping[str, Any]) -> Rendered:
    """An ``alpaca`` record: history pairs, then ``instruction`` and ``input`` (one user turn), ``output``."""
    turns = [(role, text) for pair in record.get("history") or [] for role, text in zip(("user", "assistant"), pair)]
    query = "\n".join(p for p in (record["instruction"], record["input"]) if p)
    return _chat(_system(record.get("system") or "", ()), [*turns, ("user", query), ("assistant", record["output"])])


def render_react(record: Mapping[str, Any]) -> Rendered:
    """A ``react`` record (its tools are in the system text)."""
    messages = record["messages"]
    return _chat(_system(messages[0]["content"], ()), ((m["role"], m["content"]) for m in messages[1:]))


def render_plain(record: Mapping[str, Any]) -> Rendered:
    """A ``plain`` record: one text, no prefix."""
    return "", record["text"]
