"""Evaluation: every failure category on hand-made predictions, reading every answer shape, ROUGE-L, CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli
from twinchat.composer.eval.evaluate import EvalError, evaluate, render_table
from twinchat.composer.export.pipeline import ExportOptions, export_sessions
from twinchat.composer.export.formats import FORMATS
from twinchat.composer.similarity import fold_for_similarity, lcs_length, rouge_l, tokens
from twinchat.composer.eval.scoring import Unparseable, read_answer, read_fields, score_calls

ARGS = {"products": ["MEM001"], "destination": "深圳市南山区", "deadline": "2026-11-20 23:59:59"}
CALL = {"name": "check_delivery", "arguments": ARGS}
FIELDS = {"name": "林梦", "phone": "15975000894", "postcode": None}
REPLY = "今晚可以送到南山区。"


def _message(*calls: dict) -> dict:
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": f"call_{k}", "type": "function",
         "function": {"name": c["name"], "arguments": json.dumps(c["arguments"], ensure_ascii=False)}}
        for k, c in enumerate(calls)]}


def _args(**change) -> dict:
    out = {**ARGS, **change}
    return {k: v for k, v in out.items() if v is not ...}


#: id → (kind, prediction or ... for none, template seen in train)
CASES = {
    "right": ("call", _message(CALL), True),
    "right_folded": ("call", _message({"name": "check_delivery", "arguments": _args(
        destination="深圳市 南山区", deadline="2026-11-20T23:59:59", quantity=1)}), True),
    "right_sharegpt": ("call", json.dumps(CALL, ensure_ascii=False), True),
    "right_react": ("call", "Thought: 查一下能否今晚送到\nAction: check_delivery["
                    + json.dumps(ARGS, ensure_ascii=False) + "]", True),
    "right_llamafactory": ("call", "Action: check_delivery\nAction Input: " + json.dumps(ARGS, ensure_ascii=False),
                           True),
    "right_qwen": ("call", "<tool_call>\n" + json.dumps(CALL, ensure_ascii=False) + "\n</tool_call>", True),
    "wrong_function": ("call", _message({"name": "search_products", "arguments": ARGS}), False),
    "missing_argument": ("call", _message({"name": "check_delivery", "arguments": _args(destination=...)}), False),
    "unexpected_argument": ("call", _message({"name": "check_delivery", "arguments": _args(color="red")}), False),
    "wrong_type": ("call", _message({"name": "check_delivery", "arguments": _args(quantity="1")}), False),
    "wrong_value": ("call", _message({"name": "check_delivery", "arguments": _args(destination="深圳市福田区")}),
                    False),
    "wrong_date": ("call", _message({"name": "check_delivery", "arguments": _args(deadline="2026-11-21 23:59:59")}),
                   False),
    "wrong_count_extra": ("call", _message(CALL, CALL), False),
    "wrong_count_text": ("call", "请问您在哪个城市?", False),
    "unparseable_arguments": ("call", {"role": "assistant", "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "check_delivery", "arguments": "{products: MEM001"}}]},
        False),
    "unparseable_json": ("call", '{"name": "check_delivery", "arguments": ', False),
    "missing": ("call", ..., False),
    "x_right": ("extract", "```json\n" + json.dumps(FIELDS, ensure_ascii=False) + "\n```", True),
    "x_one_wrong": ("extract", json.dumps({**FIELDS, "phone": "159-7500-0894"}, ensure_ascii=False), True),
    "x_extra": ("extract", json.dumps({**FIELDS, "city": "西安市"}, ensure_ascii=False), False),
    "x_unparseable": ("extract", "name: 林梦", False),
    "r_same": ("reply", {"role": "assistant", "content": REPLY}, True),
    "r_partial": ("reply", "可以送到", True),
    "r_call": ("reply", _message(CALL), False),
}


def _gold_output(kind: str) -> object:
    return {"call": _message(CALL), "extract": json.dumps(FIELDS, ensure_ascii=False), "reply": REPLY}[kind]


@pytest.fixture()
def files(tmp_path) -> tuple[Path, Path]:
    gold = tmp_path / "test.gold.jsonl"
    pred = tmp_path / "pred.jsonl"
    with open(gold, "w", encoding="utf-8") as g:
        for cid, (kind, _, seen) in CASES.items():
            unit = {"call": "shop_delivery_of_options", "extract": "address_extraction", "reply": "shop_order"}[kind]
            g.write(json.dumps({"id": cid, "session": "s", "kind": kind, "unit": unit, "template": f"{unit}:t1",
                                "template_seen": seen, "outcome": "arrives" if kind != "extract" else None,
                                "prompt": {}, "output": _gold_output(kind)}, ensure_ascii=False) + "\n")
    with open(pred, "w", encoding="utf-8") as p:
        for cid, (_, output, _) in CASES.items():
            if output is not ...:
                p.write(json.dumps({"id": cid, "output": output}, ensure_ascii=False) + "\n")
        p.write(json.dumps({"id": "r_same", "output": "别的"}, ensure_ascii=False) + "\n")  # a second answer
        p.write(json.dumps({"id": "nobody", "output": "?"}) + "\n")
        p.write("not json\n")
        p.write(json.dumps({"id": "right"}) + "\n")
    return gold, pred


def test_every_failure_category_is_counted(files):
    report = evaluate(*files)
    o = report.overall
    assert o.items == len(CASES) == 24
    assert (o.call_items, o.call_right) == (17, 6)
    assert dict(o.failures) == {"wrong_function": 1, "missing_argument": 1, "unexpected_argument": 1, "wrong_type": 1,
                                "wrong_value": 2, "wrong_count": 2}
    assert dict(report.errors) == {"missing": 1, "unparseable": 3, "duplicate_id": 1, "unknown_id": 1, "bad_line": 2}
    assert o.errors == 4
    assert report.failure_examples["wrong_value"] == [
        {"id": "wrong_value", "detail": 'check_delivery.destination: "深圳市福田区" instead of "深圳市南山区"'},
        {"id": "wrong_date",
         "detail": 'check_delivery.deadline: "2026-11-21 23:59:59" instead of "2026-11-20 23:59:59"'}]
    assert report.failure_examples["wrong_type"] == [{"id": "wrong_type", "detail": 'check_delivery.quantity: "1"'}]
    assert report.failure_examples["missing_argument"][0]["detail"] == "check_delivery: destination"
    assert report.failure_examples["unexpected_argument"][0]["detail"] == "check_delivery: color"
    assert report.failure_examples["wrong_function"][0]["detail"] == "search_products instead of check_delivery"
    assert [e["detail"] for e in report.failure_examples["wrong_count"]] == ["2 call(s) instead of 1",
                                                                              "0 call(s) instead of 1"]
    # extraction: per field and per record
    assert (o.records, o.records_exact, o.fields, o.fields_right, o.unexpected_fields) == (4, 1, 12, 8, 1)
    # replies: ROUGE-L, a reply answered by a tool call scores 0
    assert o.replies == 3 and o.replies_with_calls == 1
    assert o.rouge_sum == pytest.approx(1 + 2 * 0.4 / 1.4)
    errors = {(e["error"], e.get("id"), e.get("line")) for e in report.error_examples}
    assert ("missing", "missing", None) in errors and ("unknown_id", "nobody", 25) in errors
    assert ("bad_line", None, 26) in errors and ("bad_line", None, 27) in errors
    assert ("unparseable", "unparseable_arguments", None) in errors


def test_breakdowns_by_unit_outcome_and_template(files):
    report = evaluate(*files)
    assert report.by_unit["shop_delivery_of_options"].call_items == 17
    assert report.by_unit["address_extraction"].records == 4
    assert report.by_outcome["-"].items == 4 and report.by_outcome["arrives"].items == 20
    seen, held = report.by_template["seen"], report.by_template["held_out"]
    assert (seen.call_items, seen.call_right, held.call_items, held.call_right) == (6, 6, 11, 0)
    assert (seen.records, seen.records_exact) == (2, 1)
    data = report.to_json()
    assert data["by_template"]["seen"]["calls"]["accuracy"] == 1.0
    assert data["by_template"]["held_out"]["calls"]["accuracy"] == 0.0
    assert data["overall"]["calls"]["failures"]["wrong_count"] == 2
    assert data["overall"]["extraction"]["field_accuracy"] == pytest.approx(8 / 12, abs=1e-4)
    table = render_table(report)
    assert table.splitlines()[0] == ("24 items scored (test.gold.jsonl vs pred.jsonl); errors: 8 (bad_line 2, "
                                     "duplicate_id 1, missing 1, unknown_id 1, unparseable 3)")
    assert "call failures (first per call): wrong_function 1, missing_argument 1, unexpected_argument 1, " \
           "wrong_type 1, wrong_value 2, wrong_count 2" in table
    assert "  held out of train" in table


def test_the_gold_file_scores_itself_perfectly(files):
    report = evaluate(files[0], files[0])
    o = report.overall
    assert not report.errors and o.errors == 0
    assert o.call_right == o.call_items and o.records_exact == o.records and o.fields_right == o.fields
    assert o.rouge_sum == o.replies


@pytest.fixture(scope="module")
def small_store(world_path, tmp_path_factory) -> Path:
    from twinchat.composer.store.batches import compose_run

    db = tmp_path_factory.mktemp("eval") / "store.db"
    shutil.copy(world_path, db)
    compose_run(db, n=24, seed=5)
    return db


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_an_exported_gold_file_scores_itself_100_percent(small_store, tmp_path, fmt):
    export_sessions(small_store, fmt, tmp_path / "out", ExportOptions(split=(0.5, 0, 0.5)))
    gold = tmp_path / "out" / "test.gold.jsonl"
    report = evaluate(gold, gold)
    data = report.to_json()["overall"]
    assert data["items"] > 0 and data["errors"] == 0 and not report.errors
    for key in ("calls", "extraction", "replies"):
        score = data[key].get("accuracy", data[key].get("record_accuracy", data[key].get("rouge_l")))
        assert score in (1.0, None)
    if FORMATS[fmt].calls:
        assert data["calls"]["accuracy"] == 1.0
    if fmt == "alpaca":
        assert data["extraction"]["field_accuracy"] == 1.0 and data["extraction"]["record_accuracy"] == 1.0
    else:
        assert data["replies"]["rouge_l"] == 1.0


def test_reading_answers():
    assert read_answer(_message(CALL)).calls == [CALL]
    assert read_answer({"tool_calls": [{"function": {"name": "x", "arguments": {"a": 1}}}]}).calls == [
        {"name": "x", "arguments": {"a": 1}}]
    assert read_answer('[{"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}]').calls == [
        {"name": "a", "arguments": {}}, {"name": "b", "arguments": {}}]
    assert read_answer("Action: finish[好的,\n已为您预约]").text == "好的,\n已为您预约"
    assert read_answer("好的,已为您预约").calls == []
    with pytest.raises(Unparseable, match=r"^tool_calls\[0\]: arguments are not JSON"):
        read_answer({"tool_calls": [{"function": {"name": "x", "arguments": "{"}}]})
    with pytest.raises(Unparseable, match=r"^'Action: x\(1\)' is not 'Action: tool\[JSON\]'$"):
        read_answer("Action: x(1)")
    with pytest.raises(Unparseable, match=r"^an answer must be a string or an assistant message, not int$"):
        read_answer(3)
    with pytest.raises(Unparseable, match=r"^the extraction answer is JSON but not an object$"):
        read_fields("[1, 2]")
    assert read_fields({"role": "assistant", "content": '{"a": null}'}) == {"a": None}


def test_scoring_calls_in_order():
    assert score_calls([CALL], [CALL]) == []
    # wrong function is reported before anything about the arguments
    assert score_calls([CALL], [{"name": "search_products", "arguments": {}}])[0][0] == "wrong_function"
    # a missing required argument comes before an unexpected one
    both = {"name": "check_delivery", "arguments": {"products": ["MEM001"], "colour": "red"}}
    assert score_calls([CALL], [both]) == [("missing_argument", "check_delivery: destination")]
    # parallel calls pair by name, whatever their order
    other = {"name": "search_solution", "arguments": {"category": "充电桩", "query": "红灯常亮"}}
    assert score_calls([CALL, other], [other, CALL]) == []
    assert score_calls([CALL, other], [other]) == [("wrong_count", "1 call(s) instead of 2")]
    # an omitted optional argument counts as its default
    assert score_calls([{"name": "check_delivery", "arguments": {**ARGS, "quantity": 1}}],
                       [{"name": "check_delivery", "arguments": ARGS}]) == []
    assert score_calls([{"name": "check_delivery", "arguments": {**ARGS, "quantity": 2}}],
                       [{"name": "check_delivery", "arguments": ARGS}])[0][0] == "wrong_value"


OTHER = {"name": "check_delivery", "arguments": _args(products=["MEM002"], destination="北京市海淀区")}


def test_calls_of_one_tool_pair_by_their_arguments():
    # two calls of one tool, answered in the other order: both right
    assert score_calls([CALL, OTHER], [OTHER, CALL]) == []
    # one of them wrong: paired with its closest call, so only that one fails, by the argument that differs
    near = {"name": "check_delivery", "arguments": {**OTHER["arguments"], "destination": "北京市朝阳区"}}
    assert score_calls([CALL, OTHER], [near, CALL]) == [
        ("wrong_value", 'check_delivery.destination: "北京市朝阳区" instead of "北京市海淀区"')]
    # equally close: by position
    assert score_calls([CALL, CALL], [CALL, OTHER]) == [
        ("wrong_value", 'check_delivery.destination: "北京市海淀区" instead of "深圳市南山区"')]
    # fewer calls than the reference: the closest one is kept, the other is missing
    assert score_calls([CALL, OTHER], [OTHER]) == [("wrong_count", "1 call(s) instead of 2")]
    # many calls of one tool (past trying every pairing) still pair by arguments
    many = [{"name": "check_delivery", "arguments": _args(products=[f"MEM{k:03}"])} for k in range(9)]
    assert score_calls(many, many[::-1]) == []


@pytest.mark.parametrize("output", [
    _message({"name": "check_delivery", "arguments": [1]}),
    {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c", "type": "function", "function": {"name": "check_delivery", "arguments": [1]}}]},
    '{"name": "check_delivery", "arguments": [1]}',
    "Action: check_delivery[[1]]",
    "Action: check_delivery\nAction Input: [1]",
])
def test_arguments_that_are_not_an_object_are_unparseable(tmp_path, output):
    gold, pred = tmp_path / "g.jsonl", tmp_path / "p.jsonl"
    gold.write_text(json.dumps({"id": "a", "kind": "call", "output": _message(CALL)}) + "\n", encoding="utf-8")
    pred.write_text(json.dumps({"id": "a", "output": output}) + "\n", encoding="utf-8")
    report = evaluate(gold, pred)
    assert dict(report.errors) == {"unparseable": 1} and not report.overall.failures
    assert report.error_examples[0]["detail"].endswith("arguments are not a JSON object")
    with pytest.raises(Unparseable, match=r"^call 0: arguments are not a JSON object$"):
        score_calls([CALL], [{"name": "check_delivery", "arguments": [1]}])


def test_the_table_shows_every_error_kind_and_says_how_many_more(tmp_path):
    # 25 items without a prediction come before the one unparseable answer
    gold, pred = tmp_path / "g.jsonl", tmp_path / "p.jsonl"
    gold.write_text("".join(json.dumps({"id": f"i{k:02}", "kind": "reply", "output": REPLY}) + "\n"
                            for k in range(26)), encoding="utf-8")
    pred.write_text(json.dumps({"id": "i25", "output": "Action: x(1)"}) + "\n", encoding="utf-8")
    report = evaluate(gold, pred)
    assert dict(report.errors) == {"missing": 25, "unparseable": 1}
    table = render_table(report).splitlines()
    shown = [line for line in table if line.startswith("error ")]
    assert shown == ["error missing: i00: no prediction for this item",
                     "error unparseable: i25: 'Action: x(1)' is not 'Action: tool[JSON]'",
                     "error missing: i01: no prediction for this item",
                     "error missing: i02: no prediction for this item",
                     "error missing: i03: no prediction for this item"]
    assert table[-1] == "… and 21 more (see --json)"
    data = report.to_json()
    assert data["errors"] == {"missing": 25, "unparseable": 1}
    assert [(e["error"], e["id"]) for e in data["error_examples"]] == [
        *(("missing", f"i{k:02}") for k in range(5)), ("unparseable", "i25")]


def test_rouge_l_is_character_level_for_chinese():
    assert tokens("今晚 Ship 12件!") == ["今", "晚", "ship", "12", "件", "!"]
    assert lcs_length(list("ABCBDAB"), list("BDCABA")) == 4
    assert rouge_l(REPLY, REPLY).f1 == 1.0
    r = rouge_l("可以送到", REPLY)
    assert (r.precision, r.recall) == (1.0, 0.4)
    assert rouge_l("", "").f1 == 1.0 and rouge_l("好", "").f1 == 0.0
    assert fold_for_similarity("深圳市 南山区,ＡＢ!") == "深圳市南山区ab"


def test_gold_file_problems_are_errors(tmp_path):
    gold = tmp_path / "g.jsonl"
    gold.write_text('{"messages": []}\n', encoding="utf-8")
    with pytest.raises(EvalError, match=rf"^{gold}:1: not a gold item \(needs id, kind and output\); use the "
                                        r"test.gold.jsonl that `twinchat export` writes$"):
        evaluate(gold, gold)
    gold.write_text('{"id": "a", "kind": "call", "output": "好的"}\n', encoding="utf-8")
    with pytest.raises(EvalError, match=rf"^{gold}:1: reference output of 'a' cannot be read: a call item whose "
                                        "output makes no call$"):
        evaluate(gold, gold)
    line = '{"id": "a", "kind": "reply", "output": "好的"}\n'
    gold.write_text(line * 2, encoding="utf-8")
    with pytest.raises(EvalError, match=rf"^{gold}:2: id 'a' appears twice$"):
        evaluate(gold, gold)


def test_cli_eval(files, tmp_path):
    gold, pred = files
    runner = CliRunner()
    table = runner.invoke(cli, ["eval", "--gold", str(gold), "--pred", str(pred)])
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith("24 items scored (test.gold.jsonl vs pred.jsonl); errors: 8")
    as_json = runner.invoke(cli, ["eval", "--gold", str(gold), "--pred", str(gold), "--json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.stdout)
    assert data["overall"]["calls"]["accuracy"] == 1.0 and data["errors"] == {}
    missing = runner.invoke(cli, ["eval", "--gold", str(tmp_path / "none.jsonl"), "--pred", str(pred)])
    assert missing.exit_code == 1
    assert missing.stderr == f"Error: {tmp_path / 'none.jsonl'}: no such file\n"
    odd = runner.invoke(cli, ["eval", "--gold", str(gold), "--pred", "/dev/null"])
    assert odd.exit_code == 1 and odd.stderr == "Error: /dev/null: not a regular file\n"
    with pytest.raises(EvalError, match=rf"^{tmp_path}: not a regular file$"):
        evaluate(gold, tmp_path)
    usage = runner.invoke(cli, ["eval", "--gold", str(gold)])
    assert usage.exit_code == 2 and "Missing option '--pred'" in usage.stderr
