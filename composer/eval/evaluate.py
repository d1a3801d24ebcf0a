"""``twinchat eval``: score a model's predictions against an exported test split.

**Gold file** (``test.gold.jsonl``, written by ``twinchat export``): one evaluation item per line::

    {"id": "memory_upgrade/0/7#2", "session": "memory_upgrade/0/7", "kind": "call" | "reply" | "extract",
     "unit": "shop_delivery_of_options", "template": "shop_delivery_of_options:o02",
     "template_seen": true, "outcome": "some_arrive",
     "prompt": <the dialogue up to this assistant turn, in the export's format>,
     "output": <the reference answer, in the export's format>}

**Prediction file**: one JSON object per line, ``{"id": <a gold id>, "output": <the answer>}``,
where the answer is what the model produced for that item's prompt — a string (reply text, a
JSON object for extraction, ``{"name", "arguments"}`` JSON, ``Action: tool[JSON]``…) or an OpenAI
assistant message ``{"role": "assistant", "content", "tool_calls"}`` as a chat server returns it
(see :mod:`~twinchat.composer.eval.scoring`). Other keys are ignored, so the gold file scores 100%
against itself.

Scores: calls AST-style (an item is right when every call is), extraction by exact match per
field and per record, replies by character-level ROUGE-L; overall and by unit, by outcome and by
template seen in train vs held out. A missing, duplicated or unparseable prediction is an error:
counted, shown, and scored as wrong.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twinchat.composer.eval.jsonl import EvalError, json_lines, load_line
from twinchat.composer.similarity import rouge_l
from twinchat.composer.eval.scoring import CALL_FAILURES, Unparseable, read_answer, read_fields, score_calls, \
    score_fields

__all__ = ["EvalError", "EvalReport", "Tally", "evaluate", "render_table"]

KINDS = ("call", "reply", "extract")
#: examples kept per error kind (in the JSON report), and error lines the table shows at most
_EXAMPLES_PER_KIND = 5
_TABLE_EXAMPLES = 5


@dataclass
class Tally:
    """Scores of a set of items."""

    items: int = 0
    errors: int = 0
    call_items: int = 0
    call_right: int = 0
    calls: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    records: int = 0
    records_exact: int = 0
    fields: int = 0
    fields_right: int = 0
    unexpected_fields: int = 0
    replies: int = 0
    rouge_sum: float = 0.0
    replies_with_calls: int = 0

    def to_json(self) -> dict[str, Any]:
        def ratio(a: float, b: int) -> float | None:
            return round(a / b, 4) if b else None

        return {
            "items": self.items, "errors": self.errors,
            "calls": {"items": self.call_items, "right": self.call_right, "accuracy": ratio(self.call_right,
                      self.call_items), "reference_calls": self.calls,
                      "failures": {k: self.failures[k] for k in CALL_FAILURES}},
            "extraction": {"records": self.records, "exact": self.records_exact,
                           "record_accuracy": ratio(self.records_exact, self.records), "fields": self.fields,
                           "fields_right": self.fields_right, "field_accuracy": ratio(self.fields_right, self.fields),
                           "unexpected_fields": self.unexpected_fields},
            "replies": {"items": self.replies, "rouge_l": ratio(self.rouge_sum, self.replies),
                        "with_tool_calls": self.replies_with_calls},
        }


@dataclass
class EvalReport:
    """What ``twinchat eval`` found."""

    gold: Path
    pred: Path
    overall: Tally = field(default_factory=Tally)
    by_unit: dict[str, Tally] = field(default_factory=dict)
    by_outcome: dict[str, Tally] = field(default_factory=dict)
    by_template: dict[str, Tally] = field(default_factory=dict)
    #: errors by kind: missing, unparseable, unknown_format, duplicate_id, unknown_id, bad_line
    errors: Counter[str] = field(default_factory=Counter)
    #: the first few errors of each kind, in the order found (``error``: the kind, ``detail``, ``id`` or ``line``)
    error_examples: list[dict[str, Any]] = field(default_factory=list)
    #: first examples of each call failure
    failure_examples: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "gold": str(self.gold), "pred": str(self.pred), "overall": self.overall.to_json(),
            "by_unit": {k: t.to_json() for k, t in sorted(self.by_unit.items())},
            "by_outcome": {k: t.to_json() for k, t in sorted(self.by_outcome.items())},
            "by_template": {k: self.by_template[k].to_json() for k in ("seen", "held_out") if k in self.by_template},
            "errors": dict(sorted(self.errors.items())), "error_examples": self.error_examples,
            "failure_examples": self.failure_examples,
        }

    def _error(self, kind: str, detail: str, **where: Any) -> None:
        self.errors[kind] += 1
        if self.errors[kind] <= _EXAMPLES_PER_KIND:
            self.error_examples.append({**where, "error": kind, "detail": detail})


def _read_gold(path: Path) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    ids: set[str] = set()
    for lineno, line in json_lines(path):
        where = f"{path}:{lineno}"
        try:
            item = load_line(line, where)
        except json.JSONDecodeError as exc:
            raise EvalError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict) or item.get("kind") not in KINDS or "id" not in item or "output" not in item:
            raise EvalError(f"{where}: not a gold item (needs id, kind and output); use the "
                            "test.gold.jsonl that `twinchat export` writes")
        _check_labels(item, where)
        if item["id"] in ids:
            raise EvalError(f"{where}: id {item['id']!r} appears twice")
        ids.add(item["id"])
        try:
            if item["kind"] == "extract":
                expected: Any = read_fields(item["output"])
            else:
                answer = read_answer(item["output"])
                expected = answer.calls if item["kind"] == "call" else answer.text
                if item["kind"] == "call" and not expected:
                    raise Unparseable("a call item whose output makes no call")
        except Unparseable as exc:
            raise EvalError(f"{where}: reference output of {item['id']!r} cannot be read: {exc}") from exc
        items.append({"id": item["id"], "kind": item["kind"], "unit": item.get("unit") or "-",
                      "outcome": item.get("outcome") or "-", "seen": bool(item.get("template_seen", True)),
                      "expected": expected})
    if not items:
        raise EvalError(f"{path}: no gold items")
    return items


def _check_labels(item: dict[str, Any], where: str) -> None:
    """The id of a gold item is a string; its unit and outcome are strings or null."""
    if not isinstance(item["id"], str):
        raise EvalError(f"{where}: id must be a string")
    for key in ("unit", "outcome"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise EvalError(f"{where}: {key} must be a string or null")


def _read_predictions(path: Path, gold_ids: set[str], report: EvalReport) -> dict[str, Any]:
    preds: dict[str, Any] = {}
    for lineno, line in json_lines(path):
        try:
            obj = load_line(line, f"{path}:{lineno}")
        except json.JSONDecodeError as exc:
            report._error("bad_line", f"not JSON ({exc.msg})", line=lineno)
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or "output" not in obj:
            report._error("bad_line", "not {\"id\", \"output\"}", line=lineno)
            continue
        pid = obj["id"]
        if pid not in gold_ids:
            report._error("unknown_id", "no gold item has this id", line=lineno, id=pid)
        elif pid in preds:
            report._error("duplicate_id", "a second prediction for this item (the first one is scored)",
                          line=lineno, id=pid)
        else:
            preds[pid] = obj["output"]
    return preds


def _score(item: dict[str, Any], output: Any, tallies: list[Tally], report: EvalReport) -> None:
    kind, expected = item["kind"], item["expected"]
    error: str | None = None
    failures: list[tuple[str, str]] = []
    right = fields_right = unexpected = 0
    rouge = 0.0
    with_calls = False
    if output is _MISSING:
        error = "missing"
        report._error("missing", "no prediction for this item", id=item["id"])
    else:
        try:
            if kind == "extract":
                pred_fields = read_fields(output)
                fields_right, _, extra = score_fields(expected, pred_fields)
                unexpected = len(extra)
            else:
                answer = read_answer(output)
                if kind == "call":
                    failures = score_calls(expected, answer.calls)
                    right = int(not failures)
                elif answer.calls:
                    with_calls = True
                else:
                    rouge = rouge_l(answer.text, expected).f1
        except Unparseable as exc:
            error = exc.kind
            report._error(exc.kind, str(exc), id=item["id"])
    for category, detail in failures:
        examples = report.failure_examples.setdefault(category, [])
        if len(examples) < 3:
            examples.append({"id": item["id"], "detail": detail})
    for t in tallies:
        t.items += 1
        t.errors += error is not None
        if kind == "call":
            t.call_items += 1
            t.call_right += right
            t.calls += len(expected)
            t.failures.update(c for c, _ in failures)
        elif kind == "extract":
            t.records += 1
            t.fields += len(expected)
            t.fields_right += fields_right
            t.unexpected_fields += unexpected
            t.records_exact += int(error is None and fields_right == len(expected) and not unexpected)
        else:
            t.replies += 1
            t.rouge_sum += rouge
            t.replies_with_calls += with_calls


_MISSING = object()


def evaluate(gold_path: str | os.PathLike[str], pred_path: str | os.PathLike[str]) -> EvalReport:
    """Score the predictions in ``pred_path`` against the gold items in ``gold_path``."""
    gold, pred = Path(gold_path), Path(pred_path)
    for p in (gold, pred):
        if not p.is_file():
            raise EvalError(f"{p}: not a regular file" if p.exists() else f"{p}: no such file")
    report = EvalReport(gold=gold, pred=pred)
    items = _read_gold(gold)
    preds = _read_predictions(pred, {it["id"] for it in items}, report)
    for item in items:
        tallies = [report.overall,
                   report.by_unit.setdefault(item["unit"], Tally()),
                   report.by_outcome.setdefault(item["outcome"], Tally()),
                   report.by_template.setdefault("seen" if item["seen"] else "held_out", Tally())]
        _score(item, preds.get(item["id"], _MISSING), tallies, report)
    return report


def _pct(a: float, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def render_table(report: EvalReport) -> str:
    """The report as a plain-text table (one screen for the built-in content)."""
    o = report.overall
    lines = [f"{o.items:,} items scored ({report.gold.name} vs {report.pred.name}); "
             f"errors: {sum(report.errors.values()):,}"
             + (" (" + ", ".join(f"{k} {v:,}" for k, v in sorted(report.errors.items())) + ")" if report.errors
                else ""), ""]
    head = f"{'':<38}{'items':>7}{'errors':>8}{'calls':>9}{'fields':>9}{'records':>9}{'ROUGE-L':>9}"
    lines.append(head)

    def row(name: str, t: Tally) -> str:
        rouge = f"{t.rouge_sum / t.replies:.3f}" if t.replies else "-"
        return (f"{name[:37]:<38}{t.items:>7,}{t.errors:>8,}{_pct(t.call_right, t.call_items):>9}"
                f"{_pct(t.fields_right, t.fields):>9}{_pct(t.records_exact, t.records):>9}{rouge:>9}")

    lines.append(row("all", o))
    for title, table in (("unit", report.by_unit), ("outcome", report.by_outcome)):
        lines.append(f"by {title}")
        lines += [row(f"  {k}", t) for k, t in sorted(table.items())]
    lines.append("by template")
    lines += [row(f"  {label}", report.by_template[k]) for k, label in (("seen", "seen in train"),
                                                                         ("held_out", "held out of train"))
              if k in report.by_template]
    if o.call_items:
        lines += ["", "call failures (first per call): "
                  + ", ".join(f"{k} {o.failures[k]:,}" for k in CALL_FAILURES)]
    if o.replies_with_calls:
        lines.append(f"replies answered with a tool call: {o.replies_with_calls:,}")
    if o.unexpected_fields:
        lines.append(f"unexpected extraction fields: {o.unexpected_fields:,}")
    shown = _table_examples(report)
    for ex in shown:
        where = ex.get("id") or f"line {ex.get('line')}"
        lines.append(f"error {ex['error']}: {where}: {ex['detail']}")
    more = sum(report.errors.values()) - len(shown)
    if more:
        lines.append(f"… and {more:,} more (see --json)")
    return "\n".join(lines)


def _table_examples(report: EvalReport) -> list[dict[str, Any]]:
    """One example of each error kind first, then the next ones found, up to the table's share."""
    first: dict[str, dict[str, Any]] = {}
    for ex in report.error_examples:
        first.setdefault(ex["error"], ex)
    picked = [first[k] for k in sorted(first)]
    rest = [ex for ex in report.error_examples if all(ex is not p for p in picked)]
    return picked + rest[:max(0, _TABLE_EXAMPLES - len(picked))]
