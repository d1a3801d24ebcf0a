"""The tools an exported record carries: its flow's, by registry name, with compact schemas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from twinchat.composer.export.formats.toolset import ToolSet, ToolSetError, compact_schema
from twinchat.composer.export.pipeline import ExportOptions, export_sessions
from twinchat.composer.store.sessions import SessionStore
from twinchat.inventory import open_world
from twinchat.inventory.tools import TOOLS
from twinchat.units.loader import load_content

_FLOW = """kind: flow
id: order_help
title: 订单帮助
tools: [{tools}]
start: ask
steps:
  - id: ask
    unit: order_ask_status
"""


def _flow_dir(tmp_path: Path, tools: str) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "order_help.yaml").write_text(_FLOW.format(tools=tools), encoding="utf-8")
    return folder


def test_a_nullable_optional_argument_is_written_as_its_type():
    schema = {"type": "object", "properties": {
        "when": {"anyOf": [{"format": "date-time", "type": "string"}, {"type": "null"}], "default": None,
                 "description": "最晚时间"},
        "limit": {"default": 5, "maximum": 20, "minimum": 1, "type": "integer"},
        "either": {"anyOf": [{"type": "string"}, {"type": "integer"}], "description": "两种都行"}},
        "required": ["limit"], "additionalProperties": False}
    assert compact_schema(schema) == {"type": "object", "properties": {
        "when": {"format": "date-time", "type": "string", "description": "最晚时间"},
        "limit": {"default": 5, "maximum": 20, "minimum": 1, "type": "integer"},
        "either": {"anyOf": [{"type": "string"}, {"type": "integer"}], "description": "两种都行"}},
        "required": ["limit"], "additionalProperties": False}


def test_compact_schemas_keep_every_argument_and_are_shorter():
    tools = ToolSet()
    for name, tool in TOOLS.items():
        full, compact = tool.json_schema(), tools.schema(name)
        assert set(compact["parameters"]["properties"]) == set(full["parameters"]["properties"])
        assert compact["parameters"].get("required") == full["parameters"].get("required")
        assert "null" not in json.dumps(compact)
    total_full = sum(len(json.dumps(t.json_schema(), ensure_ascii=False)) for t in TOOLS.values())
    total = sum(len(json.dumps(tools.schema(n), ensure_ascii=False)) for n in TOOLS)
    assert total < total_full * 0.95


def test_the_builtin_flows_carry_the_tools_their_units_call():
    units, flows = load_content(())
    tools = ToolSet.of_content(units, flows)
    # order status, and the flows it may continue into (a second task calls their tools)
    assert tools.names("order_status") == ("query_order", "request_return", "urge_shipment", "request_cancellation",
                                           "get_invoice", "check_price_protection")
    assert tools.names("urge_shipment") == ("query_order", "request_return", "urge_shipment",
                                            "request_cancellation")
    assert tools.names("human_agent") == ("transfer_to_human",)
    assert tools.names("repair_ticket") == ("search_solution", "query_technician_slots", "create_ticket")
    # shopping, and the address change of the order it placed (its second task)
    assert tools.names("memory_upgrade") == ("search_products", "check_delivery", "place_order", "change_address")
    assert tools.names("change_address") == ("query_order", "request_return", "change_address")
    assert tools.names("coupon_question") == ("check_coupons",)
    assert tools.names("not_loaded") == tuple(TOOLS)


def test_a_flow_tools_list_is_what_its_records_carry(tmp_path):
    units, flows = load_content([_flow_dir(tmp_path, "request_return, query_order")])
    tools = ToolSet.of_content(units, flows)
    assert tools.names("order_help") == ("query_order", "request_return")  # registry order
    assert [e["function"]["name"] for e in tools.openai("order_help")] == ["query_order", "request_return"]
    assert json.loads(tools.json_list("order_help"))[1]["name"] == "request_return"


def test_a_flow_tools_list_must_hold_the_tools_its_units_call(tmp_path):
    units, flows = load_content([_flow_dir(tmp_path, "search_products")])
    with pytest.raises(ToolSetError, match=r"order_help\.yaml:4: flow 'order_help': tools leaves out "
                                          r"'query_order', which unit 'order_ask_status' calls"):
        ToolSet.of_content(units, flows)


def test_a_flow_tools_list_names_registered_tools(tmp_path):
    units, flows = load_content([_flow_dir(tmp_path, "query_order, fly_drone")])
    with pytest.raises(ToolSetError, match=r"flow 'order_help': tool 'fly_drone' is not registered"):
        ToolSet.of_content(units, flows)


@pytest.fixture(scope="module")
def order_store(world_path, tmp_path_factory) -> Path:
    from twinchat.composer.store.batches import compose_run

    db = tmp_path_factory.mktemp("orders") / "store.db"
    shutil.copy(world_path, db)
    compose_run(db, n=12, seed=3, flow="repair_ticket")
    return db


@pytest.mark.parametrize("fmt", ["openai", "sharegpt", "react"])
def test_exported_records_and_tools_json_hold_the_flow_tools_only(order_store, tmp_path, fmt):
    out = tmp_path / fmt
    export_sessions(order_store, fmt, out, ExportOptions(split=(1.0, 0.0, 0.0)))
    lines = (out / "train.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines
    for line in lines:
        rec = json.loads(line)
        if fmt == "openai":
            assert [t["function"]["name"] for t in rec["tools"]] == ["search_solution", "query_technician_slots", "create_ticket"]
        elif fmt == "sharegpt":
            assert [t["name"] for t in json.loads(rec["tools"])] == ["search_solution", "query_technician_slots", "create_ticket"]
        else:
            assert '"name": "create_ticket"' in rec["messages"][0]["content"]
            assert "search_products" not in rec["messages"][0]["content"]
    tools = json.loads((out / "tools.json").read_text(encoding="utf-8"))
    assert [t["function"]["name"] for t in tools] == ["search_solution", "query_technician_slots", "create_ticket"]


def test_a_session_of_a_flow_not_loaded_carries_every_tool(order_store, tmp_path):
    conn = open_world(order_store)
    try:
        session = next(iter(SessionStore(conn).iter_sessions())).session
    finally:
        conn.close()
    from twinchat.composer.export.formats import get_converter

    record = get_converter("openai").records({**session, "flow": "gone"})[0]
    assert [t["function"]["name"] for t in record.data["tools"]] == list(TOOLS)
