"""``sharegpt``: LLaMA-Factory's sharegpt format, ``{"conversations": [{"from", "value"}], "system", "tools"}``.

Thoughts are dropped, because LLaMA-Factory parses a ``function_call`` value as bare JSON. The
rules checked are those of LLaMA-Factory's ``SharegptDatasetConverter``
(src/llamafactory/data/converter.py): ``human``/``observation`` at odd positions, ``gpt``/
``function_call`` at even ones, an even count (it drops any other example with only a warning);
its ``FunctionFormatter`` (data/formatter.py) reads a ``function_call`` value as JSON ``{"name",
"arguments"}`` or a list of them, and its ``ToolFormatter`` reads ``tools`` as a JSON list of
functions with ``parameters.properties``. ``dataset_info.json`` is written beside the splits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from twinchat.composer.export.formats.base import Converter, Record, RuleViolation, annotate, dumps, fail, \
    gold_item, llamafactory_info, session_templates, system_prompt
from twinchat.composer.export.formats.chatml import render_sharegpt
from twinchat.composer.export.formats.pairs import chat_record
from twinchat.composer.export.formats.registry import Format

__all__ = ["FORMAT", "SharegptConverter", "check_sharegpt", "dataset_info"]

_ODD, _EVEN = ("human", "observation"), ("gpt", "function_call")

#: LLaMA-Factory's description of the columns; every tag is spelled out, because its parser sets a
#: tag missing from ``tags`` to None.
_SPEC: dict[str, Any] = {
    "formatting": "sharegpt",
    "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
    "tags": {"role_tag": "from", "content_tag": "value", "user_tag": "human", "assistant_tag": "gpt",
             "observation_tag": "observation", "function_tag": "function_call", "system_tag": "system"},
}


class SharegptConverter(Converter):
    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = annotate(turns)
        conv: list[dict[str, str]] = []
        system = system_prompt(session["now"])
        gold = []
        observations: list[Any] = []

        def flush() -> None:
            if observations:
                value = observations[0] if len(observations) == 1 else observations
                conv.append({"from": "observation", "value": dumps(value)})
                observations.clear()

        for i, t in enumerate(turns):
            role = t.get("role")
            if role == "tool":
                observations.append(t.get("content"))
                continue
            flush()
            if role == "user":
                conv.append({"from": "human", "value": t.get("content")})
                continue
            if role != "assistant":
                raise RuleViolation("unknown role", f"{session['id']}: turn {i}: unknown role {role!r}")
            if t.get("tool_calls"):
                calls = [{"name": c.get("name"), "arguments": c.get("arguments")} for c in t["tool_calls"]]
                msg = {"from": "function_call", "value": dumps(calls[0] if len(calls) == 1 else calls)}
                kind = "call"
            else:
                msg = {"from": "gpt", "value": t.get("content")}
                kind = "reply"
            gold.append(gold_item(kind, meta[i], {"conversations": list(conv), "system": system}, msg["value"]))
            conv.append(msg)
        flush()
        data = {"conversations": conv, "system": system, "tools": self.toolset.json_list(session.get("flow"))}
        return [Record(data, session["id"], self._text(session), session_templates(turns), gold)]


# -- the rules -------------------------------------------------------------------------------------
def _tools(tools: Any) -> None:
    if not isinstance(tools, str):
        fail("tools not a JSON string", "tools is not a JSON string")
    try:
        parsed = json.loads(tools)
    except json.JSONDecodeError as exc:
        raise RuleViolation("tools not a JSON string", f"tools is not JSON ({exc})") from exc
    if not isinstance(parsed, list) or not all(
            isinstance(t, dict) and isinstance(t.get("name"), str)
            and isinstance(t.get("parameters", {}).get("properties"), dict) for t in parsed):
        fail("bad tools", "tools is not a list of {name, parameters: {properties}}")


def _function_call(conv: list[Any], i: int) -> None:
    try:
        calls = json.loads(conv[i]["value"])
    except json.JSONDecodeError as exc:
        raise RuleViolation("function_call not JSON", f"position {i + 1}: {exc}") from exc
    for c in calls if isinstance(calls, list) else [calls]:
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not isinstance(c.get("arguments"), dict):
            fail("function_call not JSON", f"position {i + 1}: not {{\"name\", \"arguments\"}}")
    nxt = conv[i + 1].get("from") if i + 1 < len(conv) and isinstance(conv[i + 1], dict) else None
    if nxt != "observation":
        fail("call without observation", f"position {i + 1}: function_call not followed by observation")


def check_sharegpt(record: Mapping[str, Any]) -> None:
    """LLaMA-Factory's sharegpt rules (see the module docstring); raise at the first broken one."""
    conv = record.get("conversations")
    if not isinstance(conv, list) or not conv:
        fail("no conversations", "conversations is missing or empty")
    if not isinstance(record.get("system", ""), str):
        fail("bad system", "system is not a string")
    if record.get("tools", ""):
        _tools(record["tools"])
    for i, m in enumerate(conv):
        tag = m.get("from") if isinstance(m, dict) else None
        accepted = _ODD if i % 2 == 0 else _EVEN
        if tag not in accepted:
            fail("roles do not alternate", f"position {i + 1}: {tag!r} where {' or '.join(accepted)} must be")
        if not isinstance(m.get("value"), str):
            fail("value not a string", f"position {i + 1} ({tag}): value is not a string")
        if tag == "function_call":
            _function_call(conv, i)
        if tag == "observation" and (i == 0 or conv[i - 1].get("from") != "function_call"):
            fail("observation without call", f"position {i + 1}: observation not after a function_call")
    if len(conv) % 2 != 0:
        fail("odd message count", f"{len(conv)} messages (LLaMA-Factory needs an even count)")


def dataset_info(splits: Sequence[str], name: str, extension: str) -> dict[str, Any]:
    """The files beside the splits: LLaMA-Factory's ``dataset_info.json``."""
    return {"dataset_info.json": llamafactory_info(_SPEC, splits, name, extension)}


FORMAT = Format(
    name="sharegpt", converter=SharegptConverter, check=check_sharegpt, calls=True, files=dataset_info,
    from_sample=chat_record,
    loading="LLaMA-Factory: point `dataset_dir` at this directory and set `dataset: twinchat_train` "
            "(`eval_dataset: twinchat_valid`); `dataset_info.json` describes the columns and tags.",
    render=render_sharegpt)
