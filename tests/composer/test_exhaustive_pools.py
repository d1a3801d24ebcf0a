"""Exhaustive runs as a product of field pools: the recipe's 10 × 8 × 6 × 2, previewed, capped,
distinct, valid by default; pools from the command line and from a file."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime

import pytest
from click.testing import CliRunner

from twinchat.composer.cli.commands import cli
from twinchat.composer.engine.exhaustive import check_cap, plan
from twinchat.composer.engine.field_pools import parse_pool_option, read_pools_file
from twinchat.composer.engine.generate import UnitGenerator
from twinchat.composer.engine.sample_files import generate_file
from twinchat.composer.errors import ComposerError
from twinchat.units.loader import load_units

RECIPE = {"user_name": 10, "problem": 8, "serve_time": 6, "is_vip": 2}


@pytest.fixture(scope="module")
def units():
    return load_units()


def test_the_recipe_previews_as_its_product(world, units):
    p = plan(UnitGenerator(units["ticket_create_call"], world, seed=0), RECIPE)
    assert p.lines() == [
        "ticket_create_call: user_name 10 × problem 8 × serve_time 6 × is_vip 2 = 960 requests",
        "instructions: 12 templates, 25 variants",
        "total: 960 requests × 25 instructions = 24,000 samples",
    ]
    with pytest.raises(ComposerError) as caught:
        check_cap(p, 5000)
    assert str(caught.value) == (
        "unit 'ticket_create_call': --exhaustive gives more than 5,000 samples; raise --cap to 24,000 or use "
        "smaller pools (user_name 10 × problem 8 × serve_time 6 × is_vip 2 = 960 requests, 25 instructions each)")


def test_the_recipe_gives_960_distinct_valid_requests(world, units, tmp_path):
    out = tmp_path / "pairs.jsonl"
    report = generate_file("ticket_create_call", out, conn=world, exhaustive=True, pools=RECIPE,
                           instructions=1, units=units)
    assert (report.planned, report.written, dict(report.failures)) == (960, 960, {})
    assert report.outcomes == Counter({"created": 960})  # no tool error: the world accepts every request
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    args = [r["tool_call"]["arguments"] for r in records]
    requests = {(a["user_name"], a["problem"], a["serve_time"], a["is_vip"]) for a in args}
    assert len(requests) == 960
    assert [len({a[f] for a in args}) for f in ("user_name", "problem", "serve_time", "is_vip")] == [10, 8, 6, 2]
    assert len({a["phone"] for a in args}) > 900 and len({a["address"] for a in args}) > 500  # drawn per request
    hours = {datetime.fromisoformat(a["serve_time"]).hour for a in args}
    assert hours <= {9, 11, 14, 16, 19}  # the unit's hours, never 凌晨2点
    assert len({r["now"] for r in records}) == 1 and len({r["template"] for r in records}) == 12


def test_a_request_says_the_same_arguments_in_every_instruction(world, units, tmp_path):
    out = tmp_path / "all.jsonl"
    pools = {"user_name": 2, "problem": 1, "serve_time": 1, "is_vip": 1}
    report = generate_file("ticket_create_call", out, conn=world, exhaustive=True, pools=pools, units=units)
    assert (report.written, dict(report.failures)) == (50, {})
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_request = Counter(json.dumps(r["tool_call"]["arguments"], sort_keys=True) for r in records)
    assert sorted(by_request.values()) == [25, 25]
    assert len({r["text"] for r in records}) == 50


def test_address_extraction_is_a_real_product_or_refuses_with_its_count(world_path, tmp_path):
    out = tmp_path / "all.jsonl"
    runner = CliRunner()
    refused = runner.invoke(cli, ["generate", "address_extraction", "--exhaustive", "--cap", "5000",
                                  "--db", str(world_path), "-o", str(out)])
    assert refused.exit_code == 1 and not out.exists()
    assert refused.stderr == (
        "Error: unit 'address_extraction': --exhaustive gives more than 5,000 samples; raise --cap to 21,600 "
        "or use smaller pools (name 10 × phone 10 × addr 10 × sep 5 = 5,000 requests, 15 instructions each)\n")
    done = runner.invoke(cli, ["generate", "address_extraction", "--exhaustive", "--pool", "name=3",
                               "--pool", "phone=2", "--pool", "addr=2", "--pool", "sep=1",
                               "--db", str(world_path), "-o", str(out)])
    assert done.exit_code == 0, done.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    # t12 and t13 do not say the phone: they say each of the 6 other requests once
    assert len(records) == 12 * 13 + 6 * 2 == len({r["text"] for r in records})  # no duplicates
    assert len({r["label"]["name"] for r in records}) == 3 and len({r["label"]["detail"] for r in records}) == 2


def test_dry_run_prints_the_plan_and_writes_nothing(world_path, tmp_path):
    out = tmp_path / "never.jsonl"
    done = CliRunner().invoke(cli, ["generate", "ticket_create_call", "--exhaustive", "--dry-run",
                                    "--pool", "user_name=10", "--pool", "problem=8", "--pool", "serve_time=6",
                                    "--pool", "is_vip=2", "--instructions", "3", "--db", str(world_path),
                                    "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines() == [
        "ticket_create_call: user_name 10 × problem 8 × serve_time 6 × is_vip 2 = 960 requests",
        "instructions: 12 templates, 25 variants, 3 drawn per request",
        "total: 960 requests × 3 instructions = 2,880 samples",
    ]
    assert not out.exists()


def test_named_values_and_a_pools_file(world, units, tmp_path):
    gen = UnitGenerator(units["ticket_create_call"], world, seed=0)
    p = plan(gen, {"is_vip": ["true"], "user_name": 2, "problem": 1, "serve_time": 1})
    vip = next(pool for pool in p.pools if pool.field == "is_vip")
    assert vip.size == 1 and {v["value"] for v in vip.groups[0]} == {True}  # two wordings, one value
    file = tmp_path / "pools.yaml"
    file.write_text("user_name: 10\nproblem: 8\nserve_time: 6\nis_vip: [true, false]\n", encoding="utf-8")
    assert plan(gen, read_pools_file(file)).requests == 960


@pytest.mark.parametrize("args, message", [
    (["--pool", "nobody=3"], "Error: --pool nobody: is not a field of the unit; fields: address, is_vip, "
                             "phone, problem, serve_time, user_name"),
    (["--pool", "user_name"], "Error: --pool 'user_name': expected FIELD=SIZE or FIELD=v1,v2,…"),
    (["--pool", "user_name=0"], "Error: --pool 'user_name=0': a pool holds at least 1 value"),
    (["--pool", "user_name=张三,李四"], "Error: --pool user_name: slot 'person' is drawn from an open source; "
                                      "give a size (--pool user_name=10), not values"),
    (["--pool", "is_vip=maybe"], "Error: --pool is_vip: no value 'maybe' in its pool (values: true, false)"),
])
def test_bad_pools_are_one_located_line(world_path, tmp_path, args, message):
    out = tmp_path / "x.jsonl"
    done = CliRunner().invoke(cli, ["generate", "ticket_create_call", "--exhaustive", *args,
                                    "--db", str(world_path), "-o", str(out)])
    assert (done.exit_code, done.stderr) == (1, message + "\n")
    assert not out.exists()


def test_an_unknown_field_names_every_field_a_pool_can_take(world_path, tmp_path):
    # address_extraction's separator is a slot no label field reads, yet it is an axis of the product
    done = CliRunner().invoke(cli, ["generate", "address_extraction", "--exhaustive", "--pool", "x=2",
                                    "--db", str(world_path), "--dry-run"])
    assert (done.exit_code, done.stderr) == (1, "Error: --pool x: is not a field of the unit; "
                                                "fields: addr, name, phone, sep\n")
    done = CliRunner().invoke(cli, ["generate", "address_extraction", "--exhaustive", "--pool", "sep=2",
                                    "--db", str(world_path), "--dry-run"])
    assert done.exit_code == 0 and done.stdout.startswith("address_extraction: sep 2 = 2 requests\n")


def test_pools_need_exhaustive(world_path, tmp_path):
    done = CliRunner().invoke(cli, ["generate", "ticket_create_call", "--pool", "user_name=2",
                                    "--db", str(world_path), "-o", str(tmp_path / "x.jsonl")])
    assert (done.exit_code, done.stderr) == (1, "Error: --pool and --pools shape an --exhaustive run; add --exhaustive\n")


def test_parse_pool_option_and_bad_pools_file(tmp_path):
    assert parse_pool_option("problem=8") == ("problem", 8)
    assert parse_pool_option("is_vip=true, false") == ("is_vip", ["true", "false"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("user_name: -1\n", encoding="utf-8")
    with pytest.raises(ComposerError, match=r"bad.yaml: field 'user_name': expected a size \(≥ 1\) or a list of values"):
        read_pools_file(bad)


def test_negatives_are_added_on_purpose_with_the_error_and_the_reply(world, units, tmp_path):
    kinds = ["invalid_phone", "missing_user_name", "missing_phone", "missing_address", "missing_problem",
             "missing_serve_time", "wrong_type_when", "wrong_type_vip"]
    out = tmp_path / "neg.jsonl"
    report = generate_file("ticket_create_call", out, conn=world, exhaustive=True, pools=RECIPE,
                           instructions=1, negative=0.1, units=units)
    assert (report.written, dict(report.failures)) == (1056, {})
    assert report.outcomes == Counter({"created": 960, **{kind: 12 for kind in kinds}})
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    plain = tmp_path / "plain.jsonl"
    generate_file("ticket_create_call", plain, conn=world, exhaustive=True, pools=RECIPE, instructions=1, units=units)
    assert plain.read_text(encoding="utf-8").splitlines() == [json.dumps(r, ensure_ascii=False) for r in records[:960]]
    negatives = records[960:]
    assert Counter(r["case"] for r in negatives) == Counter({kind: 12 for kind in kinds})
    for r in negatives:
        if r["case"] == "invalid_phone":
            assert r["result"]["error"]["code"] == "invalid_phone" and r["label"]["phone"] in r["reply"]
        elif r["case"].startswith("missing_"):
            field = r["case"].removeprefix("missing_")
            assert r["tool_call"] is None and r["label"][field] is None and "还需要您的" in r["reply"]
        else:
            field = {"wrong_type_when": "serve_time", "wrong_type_vip": "is_vip"}[r["case"]]
            said = r["tool_call"]["arguments"][field]
            assert said in ("尽快", "越快越好", "不确定") and said in r["text"] and said in r["reply"]
            assert r["result"]["error"]["code"] == "invalid_arguments" and r["result"]["error"]["field"] == field
    assert not any(re.search(r"1[3-9]\d[- ]?\d{4}[- ]?\d{4}", r["text"]) for r in negatives if r["case"] == "missing_phone")
    p = plan(UnitGenerator(units["ticket_create_call"], world, seed=0), RECIPE, instructions=1, negative=0.1)
    assert p.lines()[2:] == ["total: 960 requests × 1 instruction = 960 samples",
                             "negatives: 96 more (invalid_phone), 1,056 samples in all"]  # the unit's own, as declared


def test_negative_needs_a_negative_case(world_path, tmp_path):
    done = CliRunner().invoke(cli, ["generate", "address_extraction", "--exhaustive", "--negative", "0.1",
                                    "--dry-run", "--db", str(world_path)])
    assert (done.exit_code, done.stderr) == (1, (
        "Error: unit 'address_extraction': --negative needs a negative case (a case that leaves a field out with "
        "an outcome of its own, or replaces slots and produces only outcomes the plain cases do not), and the unit "
        "has none\n"))
