"""A plugin tool goes everywhere a built-in tool goes: the demo plugin's ``count_in_stock``
through ``tools``, unit checks, generate, compose (one worker and two), verify, export and eval;
and a plugin that cannot load is one ``Error:`` line naming it, exit 1."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from twinchat.composer.export.formats.toolset import compact_schema
from twinchat.inventory.tools.registry import BUILTIN_ORDER

NOW = "2026-11-21 15:00"


@pytest.fixture
def plugin_units(plugin_site) -> str:
    """The demo plugin's unit and flow folder, as installed."""
    return str(plugin_site / "twinchat_demo_plugin" / "units")


def _tool_names(record: dict) -> list[str]:
    return [t["function"]["name"] for t in record["tools"]]


def test_tools_list_and_schema_show_the_plugin_tool(run_twinchat):
    names = [line.split()[0] for line in run_twinchat("tools", "list").stdout.splitlines()]
    assert names == [*BUILTIN_ORDER, "count_in_stock"]
    schema = json.loads(run_twinchat("tools", "schema", "count_in_stock").stdout)
    assert schema["name"] == "count_in_stock"
    assert schema["parameters"]["required"] == ["category"]
    assert schema["parameters"]["properties"]["category"]["type"] == "string"
    every = json.loads(run_twinchat("tools", "schema").stdout)
    assert [s["name"] for s in every] == names


def test_tools_call_runs_the_plugin_tool_on_the_world(run_twinchat, tmp_path):
    run_twinchat("init")
    with sqlite3.connect(tmp_path / "twinchat.db") as conn:
        (expected,) = conn.execute("SELECT COUNT(DISTINCT p.id) FROM products p JOIN stock s ON s.product_id = p.id "
                                   "WHERE p.category = 'memory' AND s.qty > 0").fetchone()
    found = json.loads(run_twinchat("tools", "call", "count_in_stock", '{"category": "内存"}', "--now", NOW).stdout)
    assert found == {"category": "内存条", "count": expected}
    unknown = json.loads(run_twinchat("tools", "call", "count_in_stock", '{"category": "平板"}', "--now", NOW).stdout)
    assert unknown["error"]["code"] == "unknown_category"
    bad = json.loads(run_twinchat("tools", "call", "count_in_stock", '{"category": 5}', "--now", NOW).stdout)
    assert bad["error"]["code"] == "invalid_arguments"


def test_units_check_accepts_the_plugin_units(run_twinchat, plugin_units):
    done = run_twinchat("units", "check", plugin_units)
    assert "2 unit(s) OK" in done.stdout  # the tool's unit and the slot source's unit (the flow is not a unit)


def test_a_unit_calling_an_unknown_tool_names_the_registered_ones(run_twinchat, plugin_units, tmp_path):
    text = (Path(plugin_units) / "stock_count_ask.yaml").read_text(encoding="utf-8")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "typo.yaml").write_text(text.replace("name: count_in_stock", "name: count_in_stok"),
                                                 encoding="utf-8")
    done = run_twinchat("units", "check", "mine", check=False)
    assert done.returncode == 1
    assert "unknown tool 'count_in_stok' (did you mean 'count_in_stock'?)" in done.stderr
    assert done.stderr.rstrip().endswith("create_ticket, query_order, request_return, place_order, urge_shipment, "
                                         "request_cancellation, get_invoice, check_price_protection, "
                                         "transfer_to_human, file_complaint, change_address, check_coupons, "
                                         "count_in_stock")


def test_generate_calls_the_plugin_tool(run_twinchat, plugin_units, tmp_path):
    run_twinchat("generate", "stock_count_ask", "-n", "30", "--units", plugin_units, "-o", "samples.jsonl")
    samples = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(samples) == 30
    assert {s["tool_call"]["name"] for s in samples} == {"count_in_stock"}
    assert {"some", "unknown_category"} <= {s["outcome"] for s in samples}
    some = next(s for s in samples if s["outcome"] == "some")
    assert str(some["result"]["count"]) in some["reply"]


def _sessions(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT * FROM sessions ORDER BY rowid").fetchall()


def test_compose_and_verify_with_the_plugin_tool_on_one_and_two_workers(run_twinchat, plugin_units, tmp_path):
    run_twinchat("init")
    one = run_twinchat("compose", "--flow", "stock_count", "-n", "40", "--units", plugin_units)
    assert "verified: 40 ok, 0 failed" in one.stdout
    run_twinchat("init", "--db", "two.db")
    two = run_twinchat("compose", "--flow", "stock_count", "-n", "40", "--units", plugin_units,
                       "--workers", "2", "--db", "two.db")
    assert "verified: 40 ok, 0 failed" in two.stdout
    sessions = _sessions(tmp_path / "twinchat.db")
    assert len(sessions) == 40 and sessions == _sessions(tmp_path / "two.db")
    assert "count_in_stock" in json.dumps(sessions, ensure_ascii=False)
    checked = run_twinchat("verify", "--units", plugin_units)
    assert "40 ok, 0 failed" in checked.stdout


def test_export_carries_the_plugin_schema_and_eval_scores_it(run_twinchat, plugin_units, tmp_path):
    run_twinchat("compose", "--flow", "stock_count", "-n", "60", "--units", plugin_units)
    done = run_twinchat("export", "--format", "openai", "--units", plugin_units, "-o", "out")
    assert "0 breaking openai rules" in done.stdout
    records = [json.loads(line) for line in (tmp_path / "out" / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert records
    schema = json.loads(run_twinchat("tools", "schema", "count_in_stock").stdout)
    for record in records:  # the flow's tools only, found in the registry by name, schemas made compact
        assert _tool_names(record) == ["count_in_stock"]
        assert record["tools"][-1] == {"type": "function", "function": compact_schema(schema)}
    called = {tc["function"]["name"] for r in records for m in r["messages"] for tc in m.get("tool_calls") or ()}
    assert called == {"count_in_stock"}
    scored = json.loads(run_twinchat("eval", "--gold", "out/test.gold.jsonl", "--pred", "out/test.gold.jsonl",
                                     "--json").stdout)
    assert scored["overall"]["calls"]["items"] > 0
    assert scored["overall"]["calls"]["accuracy"] == 1.0


def test_a_plugin_that_cannot_be_imported_is_one_error_line(run_broken_twinchat):
    done = run_broken_twinchat("tools", "list")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == ("Error: plugin 'twinchat-broken-plugin' (entry point twinchat.tools: broken = "
                           "twinchat_broken_plugin.tools:BROKEN): cannot import: ImportError: the warehouse "
                           "client is not installed\n")
    checking = run_broken_twinchat("units", "check")  # the built-in units call tools: the registry is read
    assert checking.returncode == 1
    assert checking.stderr == done.stderr
