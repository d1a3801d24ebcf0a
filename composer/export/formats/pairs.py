"""Function-call pairs of ``twinchat generate`` as training records, with only their tool.

A sample that calls a tool, or answers without a call (a robustness case that asks for a missing
argument), exports as a short dialogue: openai and sharegpt make it one record of the user's
message, the call, the tool's result and the reply, through the same conversion and checks as a
stored session's, and carry only the sample's tool in ``tools``.

A sample in the *action* shape — its text a ReAct step, ``Action: 预约客服回电,…`` — is what an
agent writes before a call. openai and sharegpt export it as any pair (the step as the user's
message); alpaca exports it as the recipe teaches it: the step and the function list in, the call
written ``Name{arguments}`` out (:func:`action_record`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from twinchat.composer.export.formats.base import Converter, ExportError, Record, RuleViolation, dumps, \
    system_prompt

__all__ = ["ACTION", "ACTION_INSTRUCTION", "action_record", "chat_record", "is_action", "sample_turns"]

#: how a sample in the action shape begins
ACTION = "Action:"
#: the alpaca instruction of an action sample (the function list follows it)
ACTION_INSTRUCTION = ("根据 Action 从函数列表中选出要调用的函数,按 函数名{JSON参数} 的格式输出这次调用。\n"
                      "函数列表:")


def is_action(sample: Mapping[str, Any]) -> bool:
    """Whether ``sample`` is in the action shape (a ReAct step that leads to a call)."""
    return isinstance(sample.get("text"), str) and sample["text"].startswith(ACTION) and bool(sample.get("tool_call"))


def _fields(sample: Mapping[str, Any], where: str) -> tuple[str, Any, str, str]:
    try:
        return sample["unit"], sample["index"], sample["text"], sample["now"]
    except (KeyError, TypeError) as exc:
        raise ExportError(f"{where}: not a twinchat sample (missing {exc})") from exc


def sample_turns(sample: Mapping[str, Any], where: str) -> list[dict[str, Any]]:
    """The sample as session turns: the user's text, the call and its result (if any), the reply."""
    unit, index, text, _ = _fields(sample, where)
    call, reply = sample.get("tool_call"), sample.get("reply")
    if not reply or not isinstance(reply, str):
        raise RuleViolation("no dialogue", f"{where}: sample {unit}/{index} has no reply (an extraction sample; "
                                           "export it as alpaca)")
    turns: list[dict[str, Any]] = [{"role": "user", "content": text, "unit": unit, "template": sample.get("template"),
                                    "label": sample.get("label")}]
    if call:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            raise ExportError(f"{where}: sample {unit}/{index}: tool_call is not {{name, arguments}}")
        turns.append({"role": "assistant", "tool_calls": [{"id": "call_1", "name": call["name"],
                                                           "arguments": call.get("arguments") or {}}]})
        turns.append({"role": "tool", "tool_call_id": "call_1", "content": sample.get("result")})
    turns.append({"role": "assistant", "content": reply, "outcome": sample.get("outcome")})
    return turns


def _only(converter: Converter, name: str | None, where: str) -> tuple[list[dict[str, Any]], str]:
    """(openai entries, sharegpt JSON list) of tool ``name`` alone (none for a sample without a call)."""
    if name is None:
        return [], "[]"
    try:
        schema = converter.toolset.schema(name)
    except KeyError as exc:
        raise ExportError(f"{where}: tool {name!r} is not registered; pass the --units that declare it") from exc
    return [{"type": "function", "function": schema}], dumps([schema])


def chat_record(converter: Converter, sample: Mapping[str, Any], where: str) -> Record:
    """The openai or sharegpt record of one sample (its converter says which), with only its tool."""
    unit, index, _, now = _fields(sample, where)
    session = {"id": f"{unit}/{index}", "now": now, "flow": None, "turns": sample_turns(sample, where)}
    rec = converter.convert(session)[0]
    call = sample.get("tool_call")
    entries, listed = _only(converter, call["name"] if call else None, where)
    rec.data["tools"] = entries if isinstance(rec.data.get("tools"), list) else listed
    converter.check(rec.data)
    return rec


def action_record(converter: Converter, sample: Mapping[str, Any], where: str) -> Record:
    """The alpaca record of an action sample: step and function list in, ``Name{arguments}`` out."""
    unit, index, text, now = _fields(sample, where)
    call = sample["tool_call"]
    listed = _only(converter, call.get("name"), where)[1]
    output = f"{call['name']}{dumps(call.get('arguments') or {})}"
    data = {"instruction": ACTION_INSTRUCTION + listed, "input": text, "output": output,
            "system": system_prompt(now), "history": []}
    key = f"{data['instruction']}\n{text}\n{output}"
    rec = Record(data, f"{unit}/{index}", key, (f"{unit}:{sample.get('template') or '-'}",), [])
    converter.check(rec.data)
    return rec


def parse_call(output: str) -> tuple[str, dict[str, Any]] | None:
    """``Name{JSON object}`` as (name, arguments), or None when ``output`` is not written so."""
    brace = output.find("{")
    name = output[:brace]
    if brace <= 0 or not (name.replace("_", "a").replace("-", "a").isalnum() and name.isascii()):
        return None
    try:
        arguments = json.loads(output[brace:])
    except json.JSONDecodeError:
        return None
    return (name, arguments) if isinstance(arguments, dict) else None
