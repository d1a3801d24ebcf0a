"""Reading a model's answer and scoring it against the reference: calls, extraction JSON, replies.

**Reading.** An answer is a string or an OpenAI assistant message (``{"content", "tool_calls"}``).
Tool calls are read from ``tool_calls`` (arguments a JSON string or object), or from the text in
the shapes the export formats teach: ``{"name", "arguments"}`` JSON (or a list of them, as in
sharegpt), ``<tool_call>…</tool_call>`` blocks, ReAct ``Action: tool[JSON]`` lines (with
``Action: finish[reply]`` for a reply), and LLaMA-Factory's ``Action: tool`` / ``Action Input: JSON``;
and in the shapes other models write (GLM-4, Mistral, Llama 3.1, fenced JSON: :mod:`.callformats`).
Any other text is a reply, unless it tries a call in some other shape (an ``unknown_format`` error).
Something that claims to be a call or JSON and does not parse is *unparseable* (:class:`Unparseable`)
— an error in the report, never a silent pass.

**Scoring a call** (AST-style), the first failure per call in this order: ``wrong_function``,
``missing_argument`` (required by the tool's schema), ``unexpected_argument`` (not in the
schema), ``wrong_type`` (against the schema's type and date formats), ``wrong_value`` (compared
per argument as :mod:`.arguments` says: identifiers exactly, free text folded, times with zones
converted; an omitted optional argument counts as the argument model's default); then ``wrong_count`` for the answer as a whole when it makes more or
fewer calls than the reference. Parallel calls are paired by function name, and several calls of
one name by their arguments (fewest mismatching, ties by position), so their order does not matter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from itertools import permutations
from math import perm
from typing import Any

from twinchat.composer.eval.arguments import Argument, argument_rules, format_ok, same_argument
from twinchat.composer.eval.callformats import looks_like_a_call, other_call_format
from twinchat.composer.eval.scan import action_inputs, json_fence_body, tool_call_blocks
from twinchat.composer.export.formats.react import REACT_ACTION
from twinchat.composer.similarity import fold_for_similarity

__all__ = ["CALL_FAILURES", "Answer", "Unparseable", "read_answer", "read_fields", "score_calls", "score_fields",
           "tool_parameters"]

CALL_FAILURES = ("wrong_function", "missing_argument", "unexpected_argument", "wrong_type", "wrong_value",
                 "wrong_count")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?([+-]\d{2}:?\d{2}|Z)?$")


class Unparseable(ValueError):
    """An answer that claims a shape (a call, JSON) it does not have; ``kind`` is the error it counts as
    (``unparseable``, or ``unknown_format`` for a call in no shape the evaluator reads)."""

    def __init__(self, message: str, kind: str = "unparseable") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class Answer:
    """What an answer says: the calls it makes (``{"name", "arguments"}``), and its text."""

    calls: list[dict[str, Any]]
    text: str


def _call(obj: Any, where: str) -> dict[str, Any]:
    if isinstance(obj, dict) and isinstance(obj.get("function"), dict):
        obj = obj["function"]
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        raise Unparseable(f"{where}: not a call with a name")
    args = obj.get("arguments", obj.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args) if args.strip() else {}
        except json.JSONDecodeError as exc:
            raise Unparseable(f"{where}: arguments are not JSON ({exc.msg})") from exc
    if not isinstance(args, dict):
        raise Unparseable(f"{where}: arguments are not a JSON object")
    return {"name": obj["name"], "arguments": args}


def _json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise Unparseable(f"{where} is not JSON ({exc.msg} at column {exc.colno})") from exc


def _read_text(text: str) -> Answer:
    s = text.strip()
    tags = tool_call_blocks(s)
    if tags:
        return Answer([_call(_json(t, "<tool_call>"), "<tool_call>") for t in tags], text)
    found = other_call_format(s)
    if found is not None:
        shape, raw = found
        if not raw:
            raise Unparseable(f"a {shape} call whose JSON cannot be read")
        return Answer([_call(c, f"{shape} call") for c in raw], text)
    if s[:1] in "{[":
        value = _json(s, "the answer")
        items = value if isinstance(value, list) else [value]
        if items and all(isinstance(v, dict) and "name" in v for v in items):
            return Answer([_call(v, "call") for v in items], text)
        raise Unparseable("the answer is JSON but not {\"name\", \"arguments\"}")
    lines = s.split("\n")
    if lines and lines[0].startswith("Thought:"):
        lines = lines[1:]
    body = "\n".join(lines).strip()
    if body.startswith("Action:"):
        pairs = action_inputs(body)
        if pairs:
            return Answer([_call({"name": n, "arguments": a.strip().strip("`")}, f"Action {n}") for n, a in pairs],
                          text)
        blocks = re.split(r"\n(?=Action: )", body)
        calls = []
        for block in blocks:
            match = REACT_ACTION.match(block.strip())
            if not match:
                raise Unparseable(f"{block[:40]!r} is not 'Action: tool[JSON]'")
            name, arg = match.groups()
            if name == "finish":
                if len(blocks) > 1:
                    raise Unparseable("finish[…] together with other actions")
                return Answer([], arg)
            calls.append(_call({"name": name, "arguments": arg}, f"Action {name}"))
        return Answer(calls, text)
    return _reply(s, text)


def _reply(s: str, text: str) -> Answer:
    """A reply, unless the text tries a call in a shape no reader knows (an ``unknown_format`` error)."""
    if looks_like_a_call(s):
        raise Unparseable(f"a tool call in no known format: {s[:60]!r}", kind="unknown_format")
    return Answer([], text)


def read_answer(output: Any) -> Answer:
    """The calls and text of an answer (see the module docstring); raise :class:`Unparseable`."""
    if isinstance(output, str):
        return _read_text(output)
    if isinstance(output, dict):
        calls = output.get("tool_calls")
        content = output.get("content")
        if content is not None and not isinstance(content, str):
            raise Unparseable("message content is neither a string nor null")
        if calls:
            if not isinstance(calls, list):
                raise Unparseable("tool_calls is not a list")
            return Answer([_call(c, f"tool_calls[{k}]") for k, c in enumerate(calls)], content or "")
        if content is None:
            raise Unparseable("message has neither content nor tool_calls")
        return _read_text(content)
    raise Unparseable(f"an answer must be a string or an assistant message, not {type(output).__name__}")


def read_fields(output: Any) -> dict[str, Any]:
    """The JSON object of an extraction answer (a string, possibly fenced, or an object)."""
    if isinstance(output, dict) and "role" in output:
        output = output.get("content")
    if isinstance(output, dict):
        return output
    if not isinstance(output, str):
        raise Unparseable("an extraction answer must be a JSON object or its text")
    s = output.strip()
    fenced = json_fence_body(s)
    value = _json(s if fenced is None else fenced, "the extraction answer")
    if not isinstance(value, dict):
        raise Unparseable("the extraction answer is JSON but not an object")
    return value


# -- values ----------------------------------------------------------------------------------------
def _datetime(value: str) -> datetime | None:
    if not _DATE.match(value.strip()):
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def same_value(gold: Any, pred: Any) -> bool:
    """Gold and predicted values agree (strings folded, dates as datetimes, numbers by value)."""
    if isinstance(gold, str) and isinstance(pred, str):
        dg, dp = _datetime(gold), _datetime(pred)
        if dg is not None and dp is not None:
            return dg == dp
        return fold_for_similarity(gold) == fold_for_similarity(pred)
    if isinstance(gold, bool) or isinstance(pred, bool):
        return gold is pred
    if isinstance(gold, (int, float)) and isinstance(pred, (int, float)):
        return gold == pred
    if isinstance(gold, list) and isinstance(pred, list):
        return len(gold) == len(pred) and all(same_value(g, p) for g, p in zip(gold, pred))
    if isinstance(gold, dict) and isinstance(pred, dict):
        return gold.keys() == pred.keys() and all(same_value(gold[k], pred[k]) for k in gold)
    return gold == pred


_TYPES: dict[str, Any] = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
                          "array": list, "object": dict, "null": type(None)}


def _type_ok(value: Any, schema: Mapping[str, Any]) -> bool:
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return any(_type_ok(value, s) for s in options)
    kinds = schema.get("type")
    if kinds is None:
        return True
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        want = _TYPES.get(kind)
        if want is None or (isinstance(value, bool) and kind in ("integer", "number")):
            continue
        if isinstance(value, want):
            if kind == "array" and isinstance(schema.get("items"), dict):
                return all(_type_ok(v, schema["items"]) for v in value)
            return True
    return False


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return type(value).__name__


def _registry() -> dict[str, dict[str, Any]]:
    from twinchat.inventory.tools import tools

    return _parameters(tools().version)  # computed again only when declared tools change


@lru_cache(maxsize=1)
def _parameters(version: int) -> dict[str, dict[str, Any]]:
    from twinchat.inventory.tools import TOOLS

    return {name: tool.json_schema()["parameters"] for name, tool in TOOLS.items()}


def tool_parameters(name: str) -> dict[str, Any] | None:
    """The parameters schema of tool ``name`` (from the tools' argument models), or None."""
    return _registry().get(name)


def _value(rules: Mapping[str, Argument], args: Mapping[str, Any], k: str) -> Any:
    """Argument ``k`` of a call, or its default when omitted."""
    rule = rules.get(k)
    return args[k] if k in args else (rule.default if rule else None)


def _first_failure(gold: Mapping[str, Any], pred: Mapping[str, Any]) -> tuple[str, str] | None:
    if pred["name"] != gold["name"]:
        return "wrong_function", f"{pred['name']} instead of {gold['name']}"
    g, p = gold["arguments"], pred["arguments"]
    schema = tool_parameters(gold["name"])
    rules = argument_rules(gold["name"])
    props: Mapping[str, Any] = schema.get("properties", {}) if schema else {k: {} for k in g}
    required = schema.get("required", []) if schema else list(g)
    missing = [k for k in required if k not in p]
    if missing:
        return "missing_argument", f"{gold['name']}: {', '.join(missing)}"
    unexpected = [k for k in p if k not in props]
    if unexpected:
        return "unexpected_argument", f"{gold['name']}: {', '.join(unexpected)}"
    for k, v in p.items():
        ok = (_type_ok(v, props[k]) and (k not in rules or format_ok(rules[k], v))) if schema else \
            (k not in g or _kind(v) == _kind(g[k]))
        if not ok:
            return "wrong_type", f"{gold['name']}.{k}: {json.dumps(v, ensure_ascii=False)}"
    for k in sorted(set(g) | set(p)):
        want, got = _value(rules, g, k), _value(rules, p, k)
        if not (same_argument(rules[k], want, got) if k in rules else same_value(want, got)):
            return "wrong_value", (f"{gold['name']}.{k}: {json.dumps(got, ensure_ascii=False)} "
                                   f"instead of {json.dumps(want, ensure_ascii=False)}")
    return None


def _mismatches(gold: Mapping[str, Any], pred: Mapping[str, Any]) -> int:
    """How many arguments of two calls of one tool disagree (an omitted optional one counts as its default)."""
    rules = argument_rules(gold["name"])
    g, p = gold["arguments"], pred["arguments"]
    return sum(1 for k in set(g) | set(p)
               if not (same_argument(rules[k], _value(rules, g, k), _value(rules, p, k)) if k in rules
                       else same_value(g.get(k), p.get(k))))


_EXHAUSTIVE = 720  # calls of one name paired by trying every assignment up to this many; greedily beyond


def _pair_by_arguments(gold: list[dict[str, Any]], pred: list[dict[str, Any]], gis: list[int],
                       pis: list[int]) -> dict[int, int]:
    """Pair the calls ``gis`` and ``pis`` (all of one name): fewest mismatching arguments, ties by position."""
    cost = {(gi, pi): _mismatches(gold[gi], pred[pi]) for gi in gis for pi in pis}
    n = min(len(gis), len(pis))
    if perm(max(len(gis), len(pis)), n) <= _EXHAUSTIVE:
        best: tuple[int, dict[int, int]] | None = None
        if len(gis) <= len(pis):  # every gold call gets one of the predicted calls, and the other way round
            options = (dict(zip(gis, chosen)) for chosen in permutations(pis, n))
        else:
            options = ({gi: pi for pi, gi in zip(pis, chosen)} for chosen in permutations(gis, n))
        for option in options:  # in position order, so the first of equal totals wins
            total = sum(cost[gi, pi] for gi, pi in option.items())
            if best is None or total < best[0]:
                best = (total, option)
        return best[1] if best else {}
    pairs: dict[int, int] = {}
    for gi in gis:
        free = [pi for pi in pis if pi not in pairs.values()]
        if free:
            pairs[gi] = min(free, key=lambda pi: (cost[gi, pi], pi))
    return pairs


def score_calls(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The failures of ``pred`` against ``gold`` (first failure per call, then ``wrong_count``).

    Calls pair by name; several calls of one name pair by their arguments (fewest mismatches,
    ties by position); calls left over pair in order. A predicted call that is not
    ``{"name": str, "arguments": object}`` raises :class:`Unparseable`.
    """
    for k, c in enumerate(pred):
        if not isinstance(c, Mapping) or not isinstance(c.get("name"), str):
            raise Unparseable(f"call {k}: not a call with a name")
        if not isinstance(c.get("arguments"), Mapping):
            raise Unparseable(f"call {k}: arguments are not a JSON object")
    pairs: dict[int, int] = {}  # gold index → pred index: same names first, then the rest in order
    for name in dict.fromkeys(g["name"] for g in gold):
        pairs.update(_pair_by_arguments(gold, pred, [i for i, g in enumerate(gold) if g["name"] == name],
                                        [i for i, c in enumerate(pred) if c["name"] == name]))
    spare = iter([i for i in range(len(pred)) if i not in pairs.values()])
    for gi in range(len(gold)):
        if gi not in pairs:
            pi = next(spare, None)
            if pi is not None:
                pairs[gi] = pi
    failures = []
    for gi, g in enumerate(gold):
        failure = _first_failure(g, pred[pairs[gi]]) if gi in pairs else None
        if failure:
            failures.append(failure)
    if len(pairs) < len(gold) or len(pairs) < len(pred):
        failures.append(("wrong_count", f"{len(pred)} call(s) instead of {len(gold)}"))
    return failures


def score_fields(gold: Mapping[str, Any], pred: Mapping[str, Any]) -> tuple[int, list[str], list[str]]:
    """Extraction by exact match: (fields right, fields wrong or missing, unexpected fields)."""
    right = sum(1 for k, v in gold.items() if k in pred and pred[k] == v and type(pred[k]) is type(v))
    wrong = [k for k, v in gold.items() if not (k in pred and pred[k] == v and type(pred[k]) is type(v))]
    return right, wrong, [k for k in pred if k not in gold]
