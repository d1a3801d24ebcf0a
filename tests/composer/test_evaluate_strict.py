"""The evaluator is as strict as the schema: a fixed set of predictions (right and perturbed, built from a
real export's gold calls) whose verdicts follow a) function b) required fields c) extra fields d) types
e) values; identifiers exact, free text folded, dates only in the schema's formats, zones converted,
defaults from the argument model; other models' call formats read, an unknown one an error of its kind."""

from __future__ import annotations

import copy
import json
import shutil
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from twinchat.composer.eval.arguments import argument_rules
from twinchat.composer.eval.evaluate import evaluate
from twinchat.composer.eval.scoring import Unparseable, read_answer, score_calls
from twinchat.composer.export.pipeline import ExportOptions, export_sessions
from twinchat.inventory.tools import TOOLS

_FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"}


@pytest.fixture(scope="module")
def gold_calls(world_path, tmp_path_factory) -> list[tuple[str, list[dict]]]:
    """(id, calls) of every call item of an openai export's test split."""
    from twinchat.composer.store.batches import compose_run

    root = tmp_path_factory.mktemp("strict")
    db = root / "store.db"
    shutil.copy(world_path, db)
    compose_run(db, n=120, seed=4)
    export_sessions(db, "openai", root / "oa", ExportOptions(split=(0.5, 0.0, 0.5)))
    items = [json.loads(line) for line in (root / "oa" / "test.gold.jsonl").read_text(encoding="utf-8").splitlines()]
    return [(item["id"], read_answer(item["output"]).calls) for item in items if item["kind"] == "call"]


def verdict(output, gold: list[dict]) -> str:
    """``right``, the first failure, or the error kind of an answer that cannot be read."""
    try:
        failures = score_calls(gold, read_answer(output).calls)
    except Unparseable as exc:
        return exc.kind
    return failures[0][0] if failures else "right"


def _message(calls: list[dict]) -> dict:
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"c{k}", "type": "function", "function": {"name": c["name"], "arguments": json.dumps(
            c["arguments"], ensure_ascii=False)}} for k, c in enumerate(calls)]}


def _other_tool(name: str) -> str:
    return next(t for t in TOOLS if t != name)


def _mutated(value):
    """A value of the same type that differs."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, list):
        return [*value, "另一个"]
    if value is None:
        return "某个值"
    try:  # a date or time: the next day, in the same format
        moment = datetime.fromisoformat(value)
    except ValueError:
        return f"{value}X"
    return (moment + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S" if " " in value else "%Y-%m-%d")


def _wrong_type(value):
    return "很多" if isinstance(value, (int, float, bool, list)) else 123


def _cases(call: dict) -> list[tuple[str, str, dict | str]]:
    """(case, expected verdict, prediction) for one gold call, each built by hand from it."""
    name, args = call["name"], call["arguments"]
    params = TOOLS[name].json_schema()["parameters"]
    required = params.get("required", [])
    rules = argument_rules(name)
    out: list[tuple[str, str, dict | str]] = [("right", "right", _message([call]))]

    def with_args(new: dict, tool: str = name) -> dict:
        return _message([{"name": tool, "arguments": new}])

    present = sorted(args)
    first = present[0] if present else None
    out.append(("a: function before b", "wrong_function",
                with_args({k: v for k, v in args.items() if k not in required[:1]}, _other_tool(name))))
    if required:
        out.append(("b: required before c", "missing_argument",
                    with_args({**{k: v for k, v in args.items() if k != required[0]}, "zzz_extra": 1})))
    if first:
        out.append(("c: extra before d", "unexpected_argument",
                    with_args({**args, first: _wrong_type(args[first]), "zzz_extra": 1})))
        out.append(("d: type before e", "wrong_type",
                    with_args({**{k: _mutated(v) for k, v in args.items()}, first: _wrong_type(args[first])})))
        out.append(("e: value", "wrong_value", with_args({**args, first: _mutated(args[first])})))
    for k in present:
        value, rule = args[k], rules[k]
        if rule.compare == "exact" and isinstance(value, str) and any(c in _FULL_WIDTH for c in value):
            out.append(("identifier in full width", "wrong_value",
                        with_args({**args, k: "".join(_FULL_WIDTH.get(c, c) for c in value)})))
        if rule.compare == "text" and isinstance(value, str) and len(value) > 1:
            out.append(("free text with a space and another case", "right",
                        with_args({**args, k: f"{value[0]} {value[1:]}".upper()})))
        if rule.compare == "datetime" and isinstance(value, str):
            local = datetime.fromisoformat(value)
            utc = (local - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out += [("date-time with T", "right", with_args({**args, k: local.isoformat()})),
                    ("date-time in UTC, converted", "right", with_args({**args, k: utc})),
                    ("date-time as UTC but meant local", "wrong_value",
                     with_args({**args, k: local.strftime("%Y-%m-%dT%H:%M:%SZ")})),
                    ("date-time as digits", "wrong_type", with_args({**args, k: local.strftime("%Y%m%d%H%M%S")})),
                    ("date-time with slashes", "wrong_type",
                     with_args({**args, k: local.strftime("%Y/%m/%d %H:%M:%S")}))]
    for k, rule in rules.items():
        if k not in args and k not in required:
            out.append((f"default given explicitly ({k})", "right", with_args({**args, k: copy.deepcopy(rule.default)})))
            break
    text = json.dumps({"name": name, "arguments": args}, ensure_ascii=False)
    out += [("hermes <tool_call>", "right", f"<tool_call>\n{text}\n</tool_call>"),
            ("glm-4", "right", f"{name}\n{json.dumps(args, ensure_ascii=False)}"),
            ("mistral", "right", f"[TOOL_CALLS] [{text}]"),
            ("llama 3.1", "right", f"<|python_tag|>{json.dumps({'name': name, 'parameters': args}, ensure_ascii=False)}"),
            ("fenced json", "right", f"```json\n{text}\n```"),
            ("an unknown format", "unknown_format",
             f"✿FUNCTION✿: {name}\n✿ARGS✿: {json.dumps(args, ensure_ascii=False)}"),
            ("glm-4 with broken JSON", "unparseable", f"{name}\n{{\"a\": "[:len(name) + 6] + "}")]
    return out


def test_the_argument_rules_of_the_builtin_tools():
    rules = {name: argument_rules(name) for name in TOOLS}
    exact = {("query_order", "order_no"), ("query_order", "phone"), ("request_return", "order_no"),
             ("request_return", "product_id"), ("request_return", "kind"), ("check_delivery", "products"),
             ("create_ticket", "phone"), ("create_ticket", "technician_id"), ("search_products", "compatible_with")}
    text = {("check_delivery", "destination"), ("create_ticket", "address"), ("create_ticket", "user_name"),
            ("search_solution", "query"), ("search_products", "category"), ("query_technician_slots", "city")}
    for tool, arg in exact:
        assert rules[tool][arg].compare == "exact", (tool, arg)
    for tool, arg in text:
        assert rules[tool][arg].compare == "text", (tool, arg)
    assert rules["check_delivery"]["deadline"].compare == "datetime"
    assert rules["query_technician_slots"]["date"].compare == "date"
    assert rules["search_products"]["features"].default == []  # default_factory, not in the JSON schema
    assert rules["search_products"]["limit"].default == 5


def test_at_least_300_predictions_get_the_verdicts_built_into_them(gold_calls):
    checked: Counter[str] = Counter()
    for gid, calls in gold_calls:
        if len(calls) != 1:  # parallel calls: only the right answer (pairing is tested elsewhere)
            assert verdict(_message(calls), calls) == "right", gid
            checked["right"] += 1
            continue
        for case, expected, prediction in _cases(calls[0]):
            assert verdict(prediction, calls) == expected, f"{gid}: {case}: {prediction}"
            checked[expected] += 1
    assert sum(checked.values()) >= 300
    for kind in ("right", "wrong_function", "missing_argument", "unexpected_argument", "wrong_type", "wrong_value",
                 "unknown_format", "unparseable"):
        assert checked[kind] > 0, kind


def test_a_date_only_argument_takes_only_yyyy_mm_dd():
    gold = [{"name": "query_technician_slots", "arguments": {"city": "深圳市", "category": "充电桩",
                                                              "date": "2026-11-24"}}]
    for given, expected in (("2026-11-24", "right"), ("20261124", "wrong_type"), ("2026/11/24", "wrong_type"),
                            ("2026-11-24 00:00:00", "wrong_type"), ("2026-11-25", "wrong_value")):
        args = {**gold[0]["arguments"], "date": given}
        assert verdict(_message([{"name": gold[0]["name"], "arguments": args}]), gold) == expected, given


def test_an_unknown_call_format_is_an_error_of_its_kind_in_the_report(gold_calls, tmp_path):
    gid, calls = next((g, c) for g, c in gold_calls if len(c) == 1)
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": gid, "kind": "call", "output": _message(calls)}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    pred = tmp_path / "pred.jsonl"
    pred.write_text(json.dumps({"id": gid, "output": f"✿FUNCTION✿: {calls[0]['name']}"}, ensure_ascii=False)
                    + "\n", encoding="utf-8")
    report = evaluate(gold, pred)
    assert report.errors == Counter({"unknown_format": 1})
    assert report.error_examples[0]["detail"].startswith("a tool call in no known format: '✿FUNCTION✿: ")
