"""What every export format shares: the record, the converter base, the rule error, the system prompt.

A format turns one stored session into records (one JSON object per line of a split file) and,
for each record, the evaluation items of that record: what a model trained on the format is asked
to produce at each assistant turn (``prompt``, in the format's own shape) and the reference
(``output``, exactly what the record teaches there). ``twinchat eval`` scores predictions of those
items; see :mod:`twinchat.composer.eval.evaluate`.

The system prompt states the session clock, because labels and tool arguments hold absolute
times resolved from phrases such as 今晚 or 周五前.

This module and the format modules import nothing heavy (no Faker, no Textual): the command line
reads the format registry to build its ``--format`` choices.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NoReturn

import orjson

from twinchat.composer.errors import ComposerError

if TYPE_CHECKING:
    from twinchat.composer.export.formats.toolset import ToolSet

__all__ = ["Check", "Converter", "ExportError", "Record", "RuleViolation", "SYSTEM_PROMPT", "DATASET_PREFIX",
           "annotate", "dumps", "fail", "gold_item", "json_object", "llamafactory_info", "openai_tools",
           "session_templates", "system_prompt", "prompt_in_force", "tool_schemas"]

SYSTEM_PROMPT = "你是电商平台的智能客服,可以调用工具查询商品、库存、配送、售后和维修工单。回答只依据工具返回的结果。"

#: ``dataset_info.json`` names its entries ``twinchat_train``, ``twinchat_valid``, ``twinchat_test``.
DATASET_PREFIX = "twinchat"

#: A format's consumer rules: returns if the record passes, raises :class:`RuleViolation` at the first broken one.
Check = Callable[[Mapping[str, Any]], None]


class ExportError(ComposerError):
    """An export cannot proceed (existing output, bad split, unknown format, nothing to export)."""


class RuleViolation(ComposerError):
    """A record breaks a rule of its consumer; ``rule`` is the short name the export counts it by."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{detail} [{rule}]")
        self.rule, self.detail = rule, detail


def fail(rule: str, detail: str) -> NoReturn:
    """Raise :class:`RuleViolation` (``rule`` is what the export counts it by, ``detail`` says where)."""
    raise RuleViolation(rule, detail)


def json_object(text: Any, rule: str, what: str) -> dict[str, Any]:
    """``text`` parsed as a JSON object, or :class:`RuleViolation` ``rule`` naming ``what``."""
    if not isinstance(text, str):
        fail(rule, f"{what} is not a string")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleViolation(rule, f"{what} is not JSON ({exc})") from exc
    if not isinstance(value, dict):
        fail(rule, f"{what} is not a JSON object")
    return value


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


#: JSON as the exported files hold it (UTF-8 text, no ASCII escapes).
dumps = _dumps


@lru_cache(maxsize=1)
def _registered_schemas(version: int) -> tuple[str, ...]:
    from twinchat.inventory.tools import TOOLS

    return tuple(_dumps(t.json_schema()) for t in TOOLS.values())


def _tool_schemas() -> tuple[str, ...]:
    from twinchat.inventory.tools import tools

    return _registered_schemas(tools().version)  # computed again only when declared tools change


def tool_schemas() -> tuple[str, ...]:
    """Every tool's JSON schema as a JSON string (computed once per set of registered tools)."""
    return _tool_schemas()


def openai_tools() -> list[dict[str, Any]]:
    """Every tool as an OpenAI ``tools`` entry: ``{"type": "function", "function": {name, description, parameters}}``.

    The schemas are the tools' own (:meth:`Tool.json_schema`, as ``twinchat tools schema`` prints them).
    """
    return [{"type": "function", "function": json.loads(s)} for s in _tool_schemas()]


#: The system prompt in force (a project's persona, see :func:`prompt_in_force`); None: the built-in one.
_PROMPT: ContextVar[Callable[[str], str] | None] = ContextVar("twinchat_system_prompt", default=None)


def system_prompt(now: str) -> str:
    """The system prompt of a session whose clock reads ``now``: the project's persona in force, else
    the built-in prompt."""
    made = _PROMPT.get()
    return made(now) if made is not None else f"{SYSTEM_PROMPT}\n当前时间:{now}"


@contextmanager
def prompt_in_force(prompt: Callable[[str], str] | None) -> Iterator[None]:
    """Within the block, :func:`system_prompt` is ``prompt(now)`` (a persona's template); None: the built-in one."""
    token = _PROMPT.set(prompt)
    try:
        yield
    finally:
        _PROMPT.reset(token)


def llamafactory_info(spec: Mapping[str, Any], splits: Sequence[str], name: str = DATASET_PREFIX,
                      extension: str = "jsonl") -> dict[str, Any]:
    """LLaMA-Factory's ``dataset_info.json``: one entry ``<name>_<split>`` per split file
    (``<split>.<extension>``), described by ``spec``."""
    return {f"{name}_{s}": {"file_name": f"{s}.{extension}", **spec} for s in splits}


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


def annotate(turns: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str | None]]:
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


def gold_item(kind: str, meta: tuple[str, str, str | None], prompt: Any, output: Any) -> dict[str, Any]:
    """One evaluation item: ``kind`` (call, reply, extract), the turn's :func:`annotate` triple, prompt, output."""
    unit, template, outcome = meta
    return {"kind": kind, "unit": unit, "template": template, "outcome": outcome, "prompt": prompt,
            "output": output}


def session_templates(turns: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """``unit:template`` of every user turn, in order."""
    return tuple(f"{t.get('unit') or '-'}:{t.get('template') or '-'}" for t in turns if t.get("role") == "user")


class Converter:
    """Base of the converters: ``records(session)`` gives the checked records of one session.

    A format's converter implements :meth:`convert`; :meth:`records` checks each record against
    the format's consumer rules (``check``, given by its :class:`~.registry.Format`).
    """

    def __init__(self, check: Check,
                 instructions: Mapping[str, tuple[str | None, tuple[str, ...]]] | None = None,
                 toolset: ToolSet | None = None) -> None:
        #: the format's consumer rules
        self.check = check
        #: unit id → (instruction, label fields), for formats that teach extraction (alpaca)
        self.instructions = dict(instructions or {})
        self._toolset = toolset
        #: whether the flow's thought text goes next to a tool call (formats that can carry it)
        self.thoughts = True

    @property
    def toolset(self) -> ToolSet:
        """The tools each session's records carry, by flow (every registered tool if none was given)."""
        if self._toolset is None:
            from twinchat.composer.export.formats.toolset import ToolSet

            self._toolset = ToolSet()
        return self._toolset

    def records(self, session: Mapping[str, Any]) -> list[Record]:
        sid = session.get("id", "?")
        records = self.convert(session)
        check = self.check
        for rec in records:
            try:
                check(rec.data)
            except RuleViolation as exc:
                raise RuleViolation(exc.rule, f"{rec.source}: {exc.detail}") from exc
        if not records:
            raise RuleViolation("no records", f"{sid}: nothing to export in this format")
        return records

    def convert(self, session: Mapping[str, Any]) -> list[Record]:  # pragma: no cover - abstract
        raise NotImplementedError

    def _text(self, session: Mapping[str, Any]) -> str:
        """The session's text for duplicate detection: it is only compared with other such texts
        (digests of it and of its fold), so its JSON parts are orjson's compact text."""
        parts = []
        for t in session["turns"]:
            content = t.get("content")
            parts.append(f"{t.get('role')}\t{content if isinstance(content, str) else _key_json(content)}\t"
                         f"{_key_json(t.get('tool_calls') or [])}")
        return "\n".join(parts)


def _key_json(value: Any) -> str:
    """JSON text of ``value`` for comparing values: orjson's (equal values, equal texts; the
    separators it leaves out are punctuation a fold drops anyway), or the standard library's for
    what orjson does not take (keys that are not strings, integers past 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return dumps(value)
