"""``openai``: OpenAI's chat fine-tuning format with tools.

Each session is one ``{"messages", "tools"}`` record; tool calls are ``tool_calls`` with JSON-string
arguments, the flow's thought (if any) the content next to them (left out with ``thoughts`` off, as
sharegpt always leaves it out). The rules checked are OpenAI's:
roles ``system``/``user``/``assistant``/``tool``, ``tool_calls`` of ``{id, type: "function",
function: {name, arguments}}`` with ``arguments`` a JSON string, every ``tool`` message answering
(by ``tool_call_id``) a call of the assistant message before it, ``tools`` as ``{type: "function",
function: {name, description, parameters}}``, and an assistant message last.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from twinchat.composer.export.formats.base import Converter, Record, RuleViolation, annotate, dumps, fail, \
    gold_item, json_object, llamafactory_info, session_templates, system_prompt
from twinchat.composer.export.formats.chatml import render_openai
from twinchat.composer.export.formats.pairs import chat_record
from twinchat.composer.export.formats.registry import Format

__all__ = ["FORMAT", "OpenAIConverter", "check_openai", "columns", "dataset_info"]

_TOOL_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_KEYS = {"system": {"role", "content", "name"}, "user": {"role", "content", "name"},
         "assistant": {"role", "content", "tool_calls", "name", "weight"},
         "tool": {"role", "content", "tool_call_id"}}


class OpenAIConverter(Converter):
    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = annotate(turns)
        messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt(session["now"])}]
        gold = []
        for i, t in enumerate(turns):
            role = t.get("role")
            if role == "user":
                messages.append({"role": "user", "content": t.get("content")})
                continue
            if role == "tool":
                messages.append({"role": "tool", "tool_call_id": t.get("tool_call_id"),
                                 "content": dumps(t.get("content"))})
                continue
            if role != "assistant":
                raise RuleViolation("unknown role", f"{session['id']}: turn {i}: unknown role {role!r}")
            if t.get("tool_calls"):
                msg = {"role": "assistant", "content": (t.get("thought") or None) if self.thoughts else None,
                       "tool_calls": [
                    {"id": c.get("id"), "type": "function",
                     "function": {"name": c.get("name"), "arguments": dumps(c.get("arguments"))}}
                    for c in t["tool_calls"]]}
                kind = "call"
            else:
                msg = {"role": "assistant", "content": t.get("content")}
                kind = "reply"
            gold.append(gold_item(kind, meta[i], {"messages": list(messages)}, msg))
            messages.append(msg)
        data = {"messages": messages, "tools": self.toolset.openai(session.get("flow"))}
        return [Record(data, session["id"], self._text(session), session_templates(turns), gold)]


# -- the rules -------------------------------------------------------------------------------------
def _tools(tools: Any) -> set[str]:
    if not isinstance(tools, list):
        fail("tools not a list", "tools is not a list")
    names: set[str] = set()
    for k, entry in enumerate(tools):
        fn = entry.get("function") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or entry.get("type") != "function" or not isinstance(fn, dict):
            fail("bad tool", f"tools[{k}] is not {{type: function, function: {{…}}}}")
        name = fn.get("name")
        if not isinstance(name, str) or not _TOOL_NAME.match(name) or name in names:
            fail("bad tool", f"tools[{k}]: name {name!r} is not a unique a-z, A-Z, 0-9, _ or - name")
        params = fn.get("parameters")
        if not isinstance(params, dict) or params.get("type") != "object":
            fail("bad tool", f"tools[{k}] ({name}): parameters is not a JSON schema of type object")
        if not isinstance(fn.get("description", ""), str):
            fail("bad tool", f"tools[{k}] ({name}): description is not a string")
        names.add(name)
    return names


def _calls(m: Mapping[str, Any], i: int, names: set[str], seen_ids: set[str], pending: dict[str, str]) -> None:
    """The assistant message ``i``: content or calls, each call well formed, of a known tool, with a fresh id."""
    calls, content = m.get("tool_calls"), m.get("content")
    if content is not None and not isinstance(content, str):
        fail("empty content", f"message {i} (assistant): content is neither a string nor null")
    if not calls and not content:
        fail("empty content", f"message {i} (assistant): neither content nor tool_calls")
    for k, c in enumerate(calls or []):
        fn = c.get("function") if isinstance(c, dict) else None
        if not isinstance(c, dict) or c.get("type") != "function" or not isinstance(fn, dict):
            fail("bad tool call", f"message {i}: tool_calls[{k}] is not {{id, type: function, function}}")
        cid = c.get("id")
        if not isinstance(cid, str) or not cid or cid in seen_ids:
            fail("bad tool call", f"message {i}: tool_calls[{k}] id {cid!r} is missing or repeated")
        if fn.get("name") not in names:
            fail("unknown tool", f"message {i}: tool_calls[{k}] calls {fn.get('name')!r}, not in tools")
        json_object(fn.get("arguments"), "arguments not a JSON string", f"message {i}: tool_calls[{k}] arguments")
        seen_ids.add(cid)
        pending[cid] = fn["name"]


def check_openai(record: Mapping[str, Any]) -> None:
    """OpenAI chat fine-tuning rules (with tools); raise :class:`RuleViolation` at the first broken one."""
    extra = set(record) - {"messages", "tools", "parallel_tool_calls"}
    if extra:
        fail("unknown key", f"unknown top-level keys {sorted(extra)}")
    names = _tools(record.get("tools", []))
    messages = record.get("messages")
    if not isinstance(messages, list) or not messages:
        fail("no messages", "messages is missing or empty")
    pending: dict[str, str] = {}  # call id → tool name, awaiting a tool message
    seen_ids: set[str] = set()
    for i, m in enumerate(messages):
        role = m.get("role") if isinstance(m, dict) else None
        if role not in _KEYS:
            fail("bad role", f"message {i}: role {role!r} is not system, user, assistant or tool")
        unknown = set(m) - _KEYS[role]
        if unknown:
            fail("unknown key", f"message {i} ({role}): unknown keys {sorted(unknown)}")
        if role == "system" and i != 0:
            fail("system not first", f"message {i}: a system message after the first")
        if role != "tool" and pending:
            fail("unanswered tool call", f"message {i}: tool calls {sorted(pending)} have no tool message")
        content = m.get("content")
        if role in ("system", "user") and (not isinstance(content, str) or not content):
            fail("empty content", f"message {i} ({role}): content is not a non-empty string")
        if role == "tool":
            call_id = m.get("tool_call_id")
            if call_id not in pending:
                fail("tool_call_id mismatch", f"message {i}: tool_call_id {call_id!r} answers no call of "
                     "the assistant message before it")
            del pending[call_id]
            if not isinstance(content, str):
                fail("bad tool content", f"message {i} (tool): content is not a string")
        if role == "assistant":
            _calls(m, i, names, seen_ids, pending)
    if pending:
        fail("unanswered tool call", f"tool calls {sorted(pending)} have no tool message")
    if messages[-1].get("role") != "assistant":
        fail("not ending with assistant", "the last message is not the assistant's")


def columns(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record for a columnar file: every message with ``role``, ``content``, ``tool_calls`` (a list,
    empty for none) and ``tool_call_id`` (empty for none); ``tools`` as one JSON string. LLaMA-Factory's
    ``OpenAIDatasetConverter`` reads this shape (it takes ``tools`` as a JSON string and a call message by
    a non-empty ``tool_calls``)."""
    messages = [{"role": m["role"], "content": m.get("content"), "tool_calls": m.get("tool_calls") or [],
                 "tool_call_id": m.get("tool_call_id") or ""} for m in record["messages"]]
    return {"messages": messages, "tools": dumps(record.get("tools") or [])}


#: LLaMA-Factory's description of the columns (its ``openai`` formatting); every tag is spelled out.
_SPEC: dict[str, Any] = {
    "formatting": "openai",
    "columns": {"messages": "messages", "tools": "tools"},
    "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant",
             "observation_tag": "tool", "function_tag": "function_call", "system_tag": "system"},
}


def dataset_info(splits: Sequence[str], name: str, extension: str) -> dict[str, Any]:
    """LLaMA-Factory's ``dataset_info.json``, for the Parquet files (whose rows have one shape)."""
    return {"dataset_info.json": llamafactory_info(_SPEC, splits, name, extension)} if extension == "parquet" else {}


FORMAT = Format(
    name="openai", converter=OpenAIConverter, check=check_openai, calls=True, from_sample=chat_record,
    loading="OpenAI fine-tuning: upload `train.jsonl` (and `valid.jsonl` as validation file). Each line is "
            "`{\"messages\", \"tools\"}`; tool calls carry their arguments as JSON strings. With "
            "`--file-format parquet` (or `both`), the Parquet files hold every message with the same keys and "
            "`tools` as a JSON string, so `datasets` pads nothing, and `dataset_info.json` lets LLaMA-Factory "
            "load them (`dataset: twinchat_train`).",
    render=render_openai, columns=columns, files=dataset_info)
