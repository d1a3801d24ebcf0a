"""``alpaca``: extraction data, one record per labelled user turn.

``instruction`` (the unit's, or one naming the label fields), ``input`` (the user's words),
``output`` (the label as JSON), ``system``, ``history`` (the dialogue so far). The rules checked are
the columns of LLaMA-Factory's ``AlpacaDatasetConverter`` (string ``instruction``/``input``/
``output``/``system``, ``history`` a list of ``[prompt, response]`` pairs), and an output that is
a JSON object. Single-unit samples of ``twinchat generate`` export in this format too; a sample in
the action shape (``Action: …``) as its call, ``Name{arguments}`` (see :mod:`.pairs`).
``dataset_info.json`` is written beside the splits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from twinchat.composer.export.formats.base import Converter, ExportError, Record, RuleViolation, annotate, \
    dumps, fail, gold_item, json_object, llamafactory_info, system_prompt
from twinchat.composer.export.formats.chatml import render_alpaca
from twinchat.composer.export.formats.pairs import action_record, is_action, parse_call
from twinchat.composer.export.formats.registry import Format

__all__ = ["FORMAT", "AlpacaConverter", "check_alpaca", "dataset_info", "sample_record"]

_DEFAULT_INSTRUCTION = "请从客户的话中提取参数,输出一个JSON对象,字段包括 {fields},没有提到的字段填 null。"

_SPEC = {"formatting": "alpaca",
         "columns": {"prompt": "instruction", "query": "input", "response": "output", "system": "system",
                     "history": "history"}}


class AlpacaConverter(Converter):
    def instruction(self, unit: str, label: Mapping[str, Any]) -> str:
        known, fields = self.instructions.get(unit, (None, ()))
        return known or _DEFAULT_INSTRUCTION.format(fields="、".join(fields or label))

    def convert(self, session: Mapping[str, Any]) -> list[Record]:
        turns = session["turns"]
        meta = annotate(turns)
        system = system_prompt(session["now"])
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
                    records.append(self.record(f"{session['id']}@{i}", unit, t.get("template") or "-",
                                               meta[i][2], system, pending, t["label"],
                                               [list(p) for p in history]))
            elif role == "assistant" and not t.get("tool_calls") and pending is not None:
                history.append([pending, t.get("content") or ""])
                pending = None
        return records

    def record(self, source: str, unit: str, template: str, outcome: str | None, system: str, text: str,
               label: Mapping[str, Any], history: list[list[str]]) -> Record:
        """The record teaching to extract ``label`` from ``text`` (after ``history``)."""
        prompt = {"instruction": self.instruction(unit, label), "input": text, "system": system,
                  "history": history}
        output = dumps(label)
        data = {**prompt, "output": output}
        data = {k: data[k] for k in ("instruction", "input", "output", "system", "history")}
        key = f"{prompt['instruction']}\n{dumps(history)}\n{text}\n{output}"
        tpl = f"{unit}:{template}"
        return Record(data, source, key, (tpl,), [gold_item("extract", (unit, tpl, outcome), prompt, output)])


def check_alpaca(record: Mapping[str, Any]) -> None:
    """LLaMA-Factory's alpaca columns, and an output that is a JSON object (extraction data) or a call
    written ``Name{JSON object}`` (an action step's, see :mod:`.pairs`)."""
    for key in ("instruction", "input", "output", "system"):
        if not isinstance(record.get(key), str):
            fail("not a string", f"{key} is not a string")
    if not record["instruction"] or not record["output"]:
        fail("empty field", "instruction or output is empty")
    history = record.get("history")
    if not isinstance(history, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in history):
        fail("bad history", "history is not a list of [prompt, response] string pairs")
    if parse_call(record["output"]) is None:  # an action step's call is written Name{arguments}
        json_object(record["output"], "output not JSON", "output")


def sample_record(converter: Converter, sample: Mapping[str, Any], where: str) -> Record:
    """The alpaca record of one ``twinchat generate`` sample (``where`` names it in errors)."""
    if not isinstance(converter, AlpacaConverter):
        raise TypeError(f"{where}: samples export through the alpaca converter, not {type(converter).__name__}")
    if is_action(sample):
        return action_record(converter, sample, where)
    try:
        unit, index, text, label = sample["unit"], sample["index"], sample["text"], sample["label"]
        template, now = sample["template"], sample["now"]
    except (KeyError, TypeError) as exc:
        raise ExportError(f"{where}: not a twinchat sample (missing {exc})") from exc
    if not isinstance(label, dict) or not label:
        raise RuleViolation("no label", f"{where}: sample of unit {unit!r} has no label to extract")
    rec = converter.record(f"{unit}/{index}", unit, template, sample.get("outcome"), system_prompt(now), text,
                           label, [])
    converter.check(rec.data)
    return rec


def dataset_info(splits: Sequence[str], name: str, extension: str) -> dict[str, Any]:
    """The files beside the splits: LLaMA-Factory's ``dataset_info.json``."""
    return {"dataset_info.json": llamafactory_info(_SPEC, splits, name, extension)}


FORMAT = Format(
    name="alpaca", converter=AlpacaConverter, check=check_alpaca, calls=False, uses_units=True,
    files=dataset_info, from_sample=sample_record,
    loading="LLaMA-Factory: point `dataset_dir` at this directory and set `dataset: twinchat_train`; "
            "`dataset_info.json` maps instruction/input/output/system/history.",
    render=render_alpaca)
