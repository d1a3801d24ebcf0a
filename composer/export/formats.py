"""Export formats: one converter per trainer format, from a stored session (or a unit sample) to records.

Every converter turns one session into records (one JSON object per line of a split file) and,
for each record, the evaluation items of that record: what a model trained on the format is asked
to produce at each assistant turn (``prompt``, in the format's own shape) and the reference
(``output``, exactly what the record teaches there). ``twinchat eval`` scores predictions of those
items; see :mod:`twinchat.composer.eval.evaluate`.

========  ==============================================================================
openai    ``{"messages", "tools"}``: tool calls as ``tool_calls`` with JSON-string arguments
sharegpt  LLaMA-Factory: ``{"conversations": [{"from", "value"}], "system", "tools"}``
alpaca    one record per labelled user turn: ``instruction``, ``input`` (the user's words),
          ``output`` (the label as JSON), ``system``, ``history`` (the dialogue so far)
react     FireAct-style ``messages``: ``Thought: …\\nAction: tool[args]``, ``Observation: …``,
          and ``Action: finish[reply]`` for what the assistant says to the customer
plain     ``{"text"}``: the dialogue as ``human:`` / ``bot:`` lines (tool traffic left out)
========  ==============================================================================

The system prompt states the session clock, because labels and tool arguments hold absolute
times resolved from phrases such as 今晚 or 周五前. Thoughts are kept in ``openai`` (as the
content next to the tool calls) and ``react``; ``sharegpt`` drops them, because LLaMA-Factory
parses a ``function_call`` value as bare JSON. In ``react`` every assistant message starts with a
thought, as in FireAct: the flow's own (ReAct flows write them), or a short one saying what the
turn does (call a tool, answer from a result, answer directly).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from twinchat.composer.export.consumer_rules import CHECKS, RuleViolation
from twinchat.composer.errors import ComposerError

__all__ = ["FORMATS", "Converter", "Record", "ExportError", "RuleViolation", "SYSTEM_PROMPT",
           "openai_tools", "get_converter", "sample_record"]

SYSTEM_PROMPT = "你是电商平台的智能客服,可以调用工具查询商品、库存、配送、售后和维修工单。回答只依据工具返回的结果。"

_REACT_RULES = ("调用工具时输出 Thought: 思考\\nAction: 工具名[JSON参数];收到 Observation 后继续;"
                "回复客户时输出 Action: finish[回复内容]。")

_DEFAULT_INSTRUCTION = "请从客户的话中提取参数,输出一个JSON对象,字段包括 {fields},没有提到的字段填 null。"


class ExportError(ComposerError):
    """An export cannot proceed (existing output, bad split, unknown format, nothing to export)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=1)
def _tool_schemas() -> tuple[str, ...]:
    from twinchat.inventory.tools import TOOLS

    return tuple(_dumps(t.json_schema()) for t in TOOLS.values())


def openai_tools() -> list[dict[str, Any]]:
    """Every tool as an OpenAI ``tools`` entry: ``{"type": "function", "function": {name, description, parameters}}``.

    The schemas are the tools' own (:meth:`Tool.json_schema`, as ``twinchat tools schema`` prints them).
    """
    return [{"type": "function", "function": json.loads(s)} for s in _tool_schemas()]


def _system(now: str) -> str:
    return f"{SYSTEM_PROMPT}\n当前时间:{now}"


@dataclass
class Record:
    """One line of a split file, with what the export needs to place, dedup and evaluate it."""

    #: the JSON object written
    data: dict[str, Any]
    #: stable id: the session id, ``session@turn`` for per-turn records, ``unit/index`` for samples
    source: str
    #: the record's text, for duplicate detection
    text: str
    #: ``unit:template`` of the user turns the record covers
    templates: tuple[str, ...]
    #: evaluation items (``kind``, ``unit``, ``template``, ``outcome``, ``prompt``, ``output``)
    gold: list[dict[str, Any]] = field(default_factory=list)


def _annotate(turns: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str | None]]:
    """(unit, ``unit:template``, outcome of its step) for every turn, from the latest user turn."""
    out: list[tuple[str, str, str | None]] = []
    unit, template = "-", "-:-"
    for turn in turns:
        if turn.get("role") == "user":
            unit = turn.get("unit") or "-"
            template = f"{unit}:{turn.get('template') or '-'}"
        out.append((unit, template, None))
    outcome: str | None = None
    for i in range(len(turns) - 1, -1, -1):  # an outcome holds back to the user turn opening its step
        turn = turns[i]
        if turn.get("role") == "assistant" and turn.get("outcome"):
            outcome = turn["outcome"]
        out[i] = (out[i][0], out[i][1], outcome)
        if turn.get("role") == "user":
            outcome = None
    return out


def _gold(kind: str, meta: tuple[str, str, str | None], prompt: Any, output: Any) -> dict[str, Any]:
    unit, template, outcome = meta
    return {"kind": kind, "unit": unit, "template": template, "outcome": outcome, "prompt": prompt,
            "output": output}


def _session_templates(turns: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    return tuple(f"{t.get('unit') or '-'}:{t.get('template') or '-'}" for t in turns if t.get("role") == "user")


class Converter:
    """Base of the converters: ``records(session)`` gives the checked records of one session."""

    name = ""
    #: whether the format's records carry tool calls (its evaluation items include calls)
    calls = True

    def __init__(self, instructions: Mapping[str, tuple[str | None, tuple[str, ...]]] | None = None) -> None:
        #: unit id → (alpaca instruction, label fields), for the alpaca converter
        self.instructions = dict(instructions or {})

    def records(self, session: Mapping[str, Any]) -> list[Record]:
        sid = session.get("id", "?")
        records = self.convert(session)
        for rec in records:
            try:
                CHECKS[self.name](rec.data)
            except RuleViolation as exc:
                raise RuleViolation(exc.rule, f"{rec.source}: {exc.detail}") from exc
        if not records:
            raise RuleViolation("no records", f"{sid}: nothing to export in this format")
        return records

    def convert(self, session: Mapping[str, Any]) -> list[Record]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _text(self, session: Mapping[str, Any]) -> str:
        parts = []
        for t in session["turns"]:
            content = t.get("content")
            parts.append(f"{t.get('role')}\t{content if isinstance(content, str) else _dumps(content)}\t"
                         f"{_dumps(t.get('tool_calls') or [])}")
        return "\n".join(parts)


class OpenAIConverter(Converter):
    name = "openai"

    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = _annotate(turns)
        messages: list[dict[str, Any]] = [{"role": "system", "content": _system(session["now"])}]
        gold = []
        for i, t in enumerate(turns):
            role = t.get("role")
            if role == "user":
                messages.append({"role": "user", "content": t.get("content")})
                continue
            if role == "tool":
                messages.append({"role": "tool", "tool_call_id": t.get("tool_call_id"),
                                 "content": _dumps(t.get("content"))})
                continue
            if role != "assistant":
                raise RuleViolation("unknown role", f"{session['id']}: turn {i}: unknown role {role!r}")
            if t.get("tool_calls"):
                msg = {"role": "assistant", "content": t.get("thought") or None, "tool_calls": [
                    {"id": c.get("id"), "type": "function",
                     "function": {"name": c.get("name"), "arguments": _dumps(c.get("arguments"))}}
                    for c in t["tool_calls"]]}
                kind = "call"
            else:
                msg = {"role": "assistant", "content": t.get("content")}
                kind = "reply"
            gold.append(_gold(kind, meta[i], {"messages": list(messages)}, msg))
            messages.append(msg)
        data = {"messages": messages, "tools": openai_tools()}
        return [Record(data, session["id"], self._text(session), _session_templates(turns), gold)]


class SharegptConverter(Converter):
    name = "sharegpt"

    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = _annotate(turns)
        conv: list[dict[str, str]] = []
        system = _system(session["now"])
        gold = []
        observations: list[Any] = []

        def flush() -> None:
            if observations:
                value = observations[0] if len(observations) == 1 else observations
                conv.append({"from": "observation", "value": _dumps(value)})
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
                msg = {"from": "function_call", "value": _dumps(calls[0] if len(calls) == 1 else calls)}
                kind = "call"
            else:
                msg = {"from": "gpt", "value": t.get("content")}
                kind = "reply"
            gold.append(_gold(kind, meta[i], {"conversations": list(conv), "system": system}, msg["value"]))
            conv.append(msg)
        flush()
        data = {"conversations": conv, "system": system, "tools": "[" + ", ".join(_tool_schemas()) + "]"}
        return [Record(data, session["id"], self._text(session), _session_templates(turns), gold)]


def _thought(turn: Mapping[str, Any], before: Mapping[str, Any] | None) -> str:
    """A FireAct-style thought for an assistant turn whose flow wrote none: what it is about to do."""
    if turn.get("tool_calls"):
        names = "、".join(dict.fromkeys(str(c.get("name")) for c in turn["tool_calls"]))
        return f"要回答用户,我需要调用{names}查询。"
    if before is not None and before.get("role") == "tool":
        return f"{before.get('name') or '工具'}的结果已经拿到,我可以据此回复用户。"
    return "这一步不需要调用工具,我直接回复用户。"


def _react_action(name: str, argument: str) -> str:
    return f"Action: {name}[{argument}]"


class ReactConverter(Converter):
    name = "react"

    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = _annotate(turns)
        tools = "\n".join(f"- {s}" for s in _tool_schemas())
        messages: list[dict[str, str]] = [
            {"role": "system", "content": f"{_system(session['now'])}\n可用工具:\n{tools}\n{_REACT_RULES}"}]
        gold = []
        observations: list[str] = []
        for i, t in enumerate(turns):
            role = t.get("role")
            if role == "tool":
                observations.append(f"Observation: {_dumps(t.get('content'))}")
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
                lines += [_react_action(c.get("name"), _dumps(c.get("arguments"))) for c in t["tool_calls"]]
                kind = "call"
            else:
                lines.append(_react_action("finish", t.get("content") or ""))
                kind = "reply"
            msg = {"role": "assistant", "content": "\n".join(lines)}
            gold.append(_gold(kind, meta[i], {"messages": list(messages)}, msg["content"]))
            messages.append(msg)
        if observations:
            messages.append({"role": "user", "content": "\n".join(observations)})
        return [Record({"messages": messages}, session["id"], self._text(session), _session_templates(turns),
                       gold)]


class PlainConverter(Converter):
    name = "plain"
    calls = False

    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = _annotate(turns)
        lines: list[str] = []
        gold = []
        for i, t in enumerate(turns):
            role = t.get("role")
            if role == "user":
                lines.append(f"human: {t.get('content')}")
            elif role == "assistant" and not t.get("tool_calls"):
                gold.append(_gold("reply", meta[i], "\n".join([*lines, "bot: "]), t.get("content")))
                lines.append(f"bot: {t.get('content')}")
            elif role not in ("assistant", "tool"):
                raise RuleViolation("unknown role", f"{session['id']}: turn {i}: unknown role {role!r}")
        text = "\n".join(lines)
        return [Record({"text": text}, session["id"], text, _session_templates(turns), gold)]


class AlpacaConverter(Converter):
    name = "alpaca"
    calls = False

    def instruction(self, unit: str, label: Mapping[str, Any]) -> str:
        known, fields = self.instructions.get(unit, (None, ()))
        return known or _DEFAULT_INSTRUCTION.format(fields="、".join(fields or label))

    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = _annotate(turns)
        system = _system(session["now"])
        history: list[list[str]] = []
        records = []
        pending: str | None = None  # the user's words awaiting the assistant's answer
        for i, t in enumerate(turns):
            role = t.get("role")
            if role == "user":
                if pending is not None:
                    raise RuleViolation("user turn without answer",
                                        f"{session['id']}: turn {i}: two user turns without an answer between")
                pending = t.get("content") or ""
                if t.get("label"):
                    unit = t.get("unit") or "-"
                    records.append(self._record(f"{session['id']}@{i}", unit, t.get("template") or "-",
                                                meta[i][2], system, pending, t["label"],
                                                [list(p) for p in history]))
            elif role == "assistant" and not t.get("tool_calls") and pending is not None:
                history.append([pending, t.get("content") or ""])
                pending = None
        return records

    def _record(self, source: str, unit: str, template: str, outcome: str | None, system: str, text: str,
                label: Mapping[str, Any], history: list[list[str]]) -> Record:
        prompt = {"instruction": self.instruction(unit, label), "input": text, "system": system,
                  "history": history}
        output = _dumps(label)
        data = {**prompt, "output": output}
        data = {k: data[k] for k in ("instruction", "input", "output", "system", "history")}
        key = f"{prompt['instruction']}\n{_dumps(history)}\n{text}\n{output}"
        tpl = f"{unit}:{template}"
        return Record(data, source, key, (tpl,), [_gold("extract", (unit, tpl, outcome), prompt, output)])


def sample_record(converter: AlpacaConverter, sample: Mapping[str, Any], where: str) -> Record:
    """The alpaca record of one ``twinchat generate`` sample (``where`` names it in errors)."""
    try:
        unit, index, text, label = sample["unit"], sample["index"], sample["text"], sample["label"]
        template, now = sample["template"], sample["now"]
    except (KeyError, TypeError) as exc:
        raise ExportError(f"{where}: not a twinchat sample (missing {exc})") from exc
    if not isinstance(label, dict) or not label:
        raise RuleViolation("no label", f"{where}: sample of unit {unit!r} has no label to extract")
    rec = converter._record(f"{unit}/{index}", unit, template, sample.get("outcome"), _system(now), text,
                            label, [])
    CHECKS["alpaca"](rec.data)
    return rec


FORMATS: dict[str, type[Converter]] = {c.name: c for c in (OpenAIConverter, SharegptConverter, AlpacaConverter,
                                                             ReactConverter, PlainConverter)}


def get_converter(fmt: str, units: Mapping[str, Any] | None = None) -> Converter:
    """The converter of format ``fmt``; alpaca takes each unit's instruction and label fields from
    ``units`` (loaded units, as :func:`twinchat.units.loader.load_units` returns; the built-ins if None)."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
    instructions = {}
    if fmt == "alpaca":
        if units is None:
            from twinchat.units.loader import load_units

            units = load_units(())
        for uid, src in units.items():
            unit = getattr(src, "unit", None)
            label = getattr(unit, "label", None) or {}
            instructions[uid] = (getattr(unit, "instruction", None), tuple(label))
    return FORMATS[fmt](instructions)
