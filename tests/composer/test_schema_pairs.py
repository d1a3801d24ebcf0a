"""Pairs drafted from a tool's schema alone (`generate --tool`): pools from the schema, instructions
drafted per argument and grounded, the three robustness cases, the action shape and its export."""

from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli
from twinchat.composer.engine.pattern_values import pattern_values
from twinchat.composer.engine.schema_fields import draft_field, examples_of, said_of
from twinchat.composer.export.formats.alpaca import check_alpaca
from twinchat.composer.export.formats.openai import check_openai
from twinchat.composer.export.formats.pairs import parse_call
from twinchat.composer.export.formats.sharegpt import check_sharegpt
from twinchat.composer.errors import ComposerError

TOOL = """\
kind: tool
name: BookCallback
description: 预约客服回电,返回预约号
parameters:
  type: object
  properties:
    customer: {type: string, minLength: 1, description: 客户姓名}
    phone: {type: string, pattern: "^1[3-9][0-9]{9}$", description: 回电手机号}
    topic: {type: string, enum: [invoice, refund, repair], description: "咨询事项:invoice 开发票, refund 退款, repair 报修"}
    call_at: {type: string, format: date-time, description: 回电时间}
    urgent: {type: boolean, description: 是否加急}
  required: [customer, phone, topic, call_at]
  additionalProperties: false
implementation:
  rules:
    cases:
      - when: call_at < now
        error: {code: time_in_past, message: "回电时间 {{ call_at }} 已经过去", field: call_at}
      - result:
          booking_no: "{{ serial('CB', 6) }}"
"""
POOLS = ["--pool", "customer=3", "--pool", "phone=2", "--pool", "topic=3", "--pool", "call_at=2", "--pool", "urgent=2"]


@pytest.fixture()
def folder(tmp_path, world_path):
    (tmp_path / "units").mkdir()
    (tmp_path / "units" / "BookCallback.yaml").write_text(TOOL, encoding="utf-8")
    return tmp_path


def _run(folder, world_path, *args):
    return CliRunner().invoke(cli, ["generate", *args, "--units", str(folder / "units"), "--db", str(world_path)])


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_preview_gives_the_pools_of_the_schema(folder, world_path):
    done = _run(folder, world_path, "--tool", "BookCallback", "--exhaustive", "--dry-run")
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0] == "book_callback_call: drafted from the schema of tool BookCallback (instruction shape)"
    # enum → every value, boolean → both, date-time → the time pool at the clock, open strings → 10
    assert re.fullmatch(r"book_callback_call: customer 10 × phone 10 × topic 3 × call_at \d+ × urgent 2 = [\d,]+ requests",
                        lines[1]), lines[1]
    assert lines[2] == "instructions: 6 templates, 6 variants"
    done = _run(folder, world_path, "--tool", "BookCallback", "--exhaustive", "--cap", "100", "--dry-run")
    assert done.exit_code == 1 and "raise --cap to" in done.stderr and "urgent 2" in done.stderr


def test_every_pair_is_verified_and_grounded_in_its_instruction(folder, world_path):
    out = folder / "pairs.jsonl"
    done = _run(folder, world_path, "--tool", "BookCallback", "--exhaustive", *POOLS, "-o", str(out))
    assert done.exit_code == 0, done.output
    records = _lines(out)
    requests = {tuple(sorted(r["tool_call"]["arguments"].items())) for r in records if len(r["tool_call"]["arguments"]) == 5}
    assert len(requests) == 3 * 2 * 3 * 2 * 2
    assert {r["outcome"] for r in records} == {"done"} and "outcomes: done" in done.stdout
    for r in records:
        args, text = r["tool_call"]["arguments"], r["text"]
        assert args["customer"] in text and args["phone"] in text
        assert {"invoice": "开发票", "refund": "退款", "repair": "报修"}[args["topic"]] in text
        assert args.get("urgent") is None or ("是否加急:是" if args["urgent"] else "是否加急:否") in text
    implicit = [r for r in records if "urgent" not in r["tool_call"]["arguments"]]
    assert implicit and all("加急" not in r["text"] for r in implicit)  # an optional field left implicit


def test_negatives_give_the_three_robustness_cases(folder, world_path):
    out = folder / "neg.jsonl"
    done = _run(folder, world_path, "--tool", "BookCallback", "--exhaustive", *POOLS, "--negative", "0.5",
                "-o", str(out))
    assert done.exit_code == 0, done.output
    negatives = [r for r in _lines(out) if r["case"]]
    kinds = Counter(r["case"].rsplit("_", 1)[0].replace("_call", "") for r in negatives)
    assert {"missing", "wrong_type", "rejected"} <= set(kinds)
    outcomes = done.stdout.splitlines()[1]
    assert outcomes.startswith("outcomes: done ") and "missing_phone" in outcomes and "wrong_type_urgent" in outcomes
    missing = next(r for r in negatives if r["case"] == "missing_phone")
    assert missing["tool_call"] is None and missing["label"]["phone"] is None and "回电手机号" in missing["reply"]
    assert not re.search(r"1[3-9]\d{9}", missing["text"])
    wrong = next(r for r in negatives if r["case"] == "wrong_type_urgent")
    assert wrong["tool_call"]["arguments"]["urgent"] == "不确定" and "不确定" in wrong["text"]
    assert wrong["result"]["error"] == {"code": "invalid_arguments", "field": "urgent",
                                        "message": "参数 urgent 无效: '不确定' is not of type 'boolean'"}
    assert "是否加急" in wrong["reply"]
    rejected = next(r for r in negatives if r["case"] == "rejected_topic")
    assert rejected["tool_call"]["arguments"]["topic"] in rejected["text"]
    assert rejected["result"]["error"]["field"] == "topic" and "咨询事项" in rejected["reply"]


def test_the_action_shape_exports_with_only_its_tool(folder, world_path):
    out = folder / "action.jsonl"
    done = _run(folder, world_path, "--tool", "BookCallback", "--shape", "action", "--exhaustive", *POOLS,
                "-o", str(out))
    assert done.exit_code == 0, done.output
    samples = _lines(out)
    assert all(s["text"].startswith("Action: 预约客服回电") for s in samples)
    checks = {"alpaca": check_alpaca, "openai": check_openai, "sharegpt": check_sharegpt}
    for fmt, check in checks.items():
        target = folder / f"ex_{fmt}"
        done = CliRunner().invoke(cli, ["export", "--format", fmt, "-o", str(target), "--from-samples", str(out),
                                        "--units", str(folder / "units"), "--db", str(world_path)])
        assert done.exit_code == 0, done.output
        records = [json.loads(line) for split in ("train", "valid", "test")
                   for line in (target / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()]
        assert len(records) == len(samples)
        for rec in records:
            check(rec)
            if fmt == "alpaca":
                name, arguments = parse_call(rec["output"])
                assert name == "BookCallback" and arguments["customer"] in rec["input"]
                assert [t["name"] for t in json.loads(rec["instruction"].split("函数列表:", 1)[1])] == ["BookCallback"]
            elif fmt == "openai":
                assert [t["function"]["name"] for t in rec["tools"]] == ["BookCallback"]
            else:
                assert [t["name"] for t in json.loads(rec["tools"])] == ["BookCallback"]


def test_a_built_in_tool_drafts_from_its_model(world_path, tmp_path):
    done = CliRunner().invoke(cli, ["generate", "--tool", "search_solution", "--exhaustive", "--dry-run",
                                    "--db", str(world_path)])
    assert done.exit_code == 0, done.output
    assert "search_solution_call: category 6 × query 10 × limit 10 = 600 requests" in done.stdout


@pytest.mark.parametrize("shape", ["instruction", "action"])
def test_a_count_the_description_asks_for_is_said_in_its_place(world_path, tmp_path, shape):
    # search_solution's limit is described as 最多返回几条解决方案: 最多返回3条解决方案, never 几条…为3
    out = tmp_path / "s.jsonl"
    done = CliRunner().invoke(cli, ["generate", "--tool", "search_solution", "--shape", shape, "-n", "40",
                                    "--db", str(world_path), "-o", str(out)])
    assert done.exit_code == 0, done.output
    samples = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    said = [s for s in samples if s["tool_call"]["arguments"].get("limit") is not None]
    assert said and not any("几" in s["text"] for s in samples)
    assert all(f"最多返回{s['tool_call']['arguments']['limit']}条解决方案" in s["text"] for s in said)


@pytest.mark.parametrize("args, message", [
    (["ticket_create_call", "--tool", "create_ticket"], "give a UNIT_ID or --tool NAME (one of them)"),
    (["ticket_create_call", "--shape", "action", "-n", "1"],
     "--shape drafts instructions for --tool; a unit's instructions are its templates"),
    (["--tool", "BookCalback", "--exhaustive", "--dry-run"], "unknown tool 'BookCalback' (did you mean 'BookCallback'?)"),
    (["--tool", "BookCallback", "--shape", "action", "--exhaustive", "--negative", "0.1", "--dry-run"],
     "Error: --negative drafts what a customer gets wrong; an action step has no customer (use --shape instruction)"),
])
def test_bad_tool_options_are_one_line(folder, world_path, args, message):
    done = _run(folder, world_path, *args)
    assert done.exit_code in (1, 2) and message in done.output and "Traceback" not in done.output


def test_a_required_object_refuses_the_draft(folder, world_path):
    nested = TOOL.replace("    urgent: {type: boolean, description: 是否加急}",
                          "    urgent: {type: boolean, description: 是否加急}\n"
                          "    contact: {type: object, properties: {name: {type: string}}}")
    nested = nested.replace("required: [customer, phone, topic, call_at]", "required: [customer, contact]")
    (folder / "units" / "BookCallback.yaml").write_text(nested, encoding="utf-8")
    done = _run(folder, world_path, "--tool", "BookCallback", "--exhaustive", "--dry-run")
    assert (done.exit_code, done.stderr) == (1, (
        "Error: tool 'BookCallback', field 'contact': a object of several fields cannot be drafted from the schema; "
        "write a unit for this tool (see `twinchat units`)\n"))


def test_fields_are_drafted_from_the_schema_alone():
    rng = random.Random(0)
    kind = draft_field("kind", {"type": "string", "enum": ["personal", "company"],
                                "description": "抬头类型:personal 个人, company 公司"}, True, rng, "t")
    assert [v["text"] for v in kind.slot["values"]] == ["个人", "公司"] and kind.grounded == "derived"
    assert kind.rejected == [{"value": "个人", "text": "个人"}]  # the customer's word, which the enum refuses
    count = draft_field("limit", {"type": "integer", "minimum": 1, "maximum": 5}, False, rng, "t")
    assert [v["value"] for v in count.slot["values"]] == [1, 2, 3, 4, 5] and count.rejected == [{"value": 6, "text": "6"}, {"value": 0, "text": "0"}]
    assert count.wrong == [{"value": "三", "text": "三"}]
    code = draft_field("order_no", {"type": "string", "pattern": "^XY[0-9]{4}$"}, True, rng, "t")
    assert code.slot["source"] == "choice" and all(re.fullmatch(r"XY\d{4}", v["value"]) for v in code.slot["values"])
    assert draft_field("extra", {"type": "object"}, False, rng, "t") is None
    assert said_of("title", {"description": "发票抬头:个人姓名或公司名称"}) == "发票抬头"
    assert examples_of({"description": "取消原因,如 不想要了、拍错了"}) == ["不想要了", "拍错了"]
    with pytest.raises(ComposerError, match="field 'n': its minimum is above its maximum"):
        draft_field("n", {"type": "integer", "minimum": 5, "maximum": 2}, True, rng, "t")


def test_pattern_values_match_their_pattern():
    rng = random.Random(1)
    for pattern in (r"^DD[0-9]{12}$", r"^[0-9A-Z]{18}$", r"^(ab|cd)-\d+$", r"^[^x]{3}\w?$"):
        values = pattern_values(pattern, 5, rng)
        assert len(values) == 5 and all(re.search(pattern, v) for v in values)
    assert pattern_values(r"^(?=x)a$", 3, rng) == []  # a lookahead is not drawn: no value rather than a wrong one
    assert pattern_values(r"^(a|b)$", 5, rng) == ["a", "b"] or sorted(pattern_values(r"^(a|b)$", 5, rng)) == ["a", "b"]


def test_a_written_unit_gains_the_cases_its_schema_implies_in_the_preview(world_path):
    done = CliRunner().invoke(cli, ["generate", "ticket_create_call", "--exhaustive", "--pool", "user_name=2",
                                    "--negative", "0.1", "--dry-run", "--db", str(world_path)])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[-1] == (
        "negatives: 8 more (invalid_phone, missing_user_name, missing_phone, missing_address, missing_problem, "
        "missing_serve_time, wrong_type_when, wrong_type_vip), 58 samples in all")


def test_the_drafted_unit_is_saved_as_a_unit_file_that_runs(folder, world_path):
    saved = folder / "units" / "book_callback_call.yaml"
    done = _run(folder, world_path, "--tool", "BookCallback", "--save-unit", str(saved), "--exhaustive", "--dry-run")
    assert done.exit_code == 0 and f"wrote the drafted unit book_callback_call to {saved}" in done.stderr
    assert saved.read_text(encoding="utf-8").startswith("# 预约客服回电(BookCallback): drafted by")
    out = folder / "from_file.jsonl"
    done = _run(folder, world_path, "book_callback_call", "-n", "20", "-o", str(out))
    assert done.exit_code == 0, done.output
    assert {r["tool_call"]["name"] for r in _lines(out)} == {"BookCallback"} and len(_lines(out)) == 20
    done = _run(folder, world_path, "--tool", "BookCallback", "--save-unit", str(saved), "--exhaustive", "--dry-run")
    assert (done.exit_code, done.stderr) == (1, f"Error: {saved}: file exists; pass --force to replace it\n")
    done = _run(folder, world_path, "book_callback_call", "--save-unit", str(saved), "-n", "1", "-o", str(out))
    assert (done.exit_code, done.stderr) == (1, "Error: --save-unit writes the unit --tool drafts; add --tool NAME\n")
