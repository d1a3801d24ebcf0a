"""Declared tools on a real world: the sql, rules and python implementations, the argument checks
against the JSON Schema, and their place in the tool registry."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import datetime

import pytest

from twinchat.composer.tools.declare import declared_tools, using_tools
from twinchat.inventory.tools import TOOLS, ToolContext, call, tools
from twinchat.inventory.tools.declared.tool import arguments_key
from twinchat.inventory.tools.registry import BUILTIN_ORDER
from twinchat.units.errors import ToolFileError

NOW = datetime(2026, 11, 25, 10, 0)

ORDER_TOTAL = """\
kind: tool
name: order_total
description: 订单金额和商品数
parameters:
  type: object
  properties:
    order_no: {type: string, description: 订单号}
    limit: {type: integer, minimum: 1, maximum: 5, default: 2}
  required: [order_no]
  additionalProperties: false
implementation:
  sql:
    queries:
      - sql: SELECT order_no, total FROM orders WHERE order_no = :order_no AND created_at <= :now
        missing: {code: order_not_found, message: "未找到订单 {{ order_no }}", field: order_no}
      - name: items
        rows: list
        sql: SELECT product_id, qty FROM order_items WHERE order_no = :order_no ORDER BY rowid LIMIT :limit
      - name: lines
        rows: count
        sql: SELECT 1 FROM order_items WHERE order_no = :order_no
"""

CANCEL = """\
kind: tool
name: cancel_order
description: 取消订单
writes: true
parameters:
  type: object
  properties:
    order_no: {type: string}
    reason: {type: string, minLength: 2}
  required: [order_no, reason]
implementation:
  sql:
    queries:
      - rows: none
        sql: UPDATE orders SET cancelled_at = :now, cancel_reason = :reason WHERE order_no = :order_no
      - sql: SELECT order_no, cancelled_at, cancel_reason FROM orders WHERE order_no = :order_no
"""

TICKET = """\
kind: tool
name: open_case
description: 登记售后咨询,返回受理号
parameters:
  type: object
  properties:
    phone: {type: string, pattern: "^1[3-9][0-9]{9}$"}
    topic: {type: string, enum: [invoice, refund, other]}
    when: {type: string, format: date-time}
    day: {type: string, format: date}
    products: {type: array, items: {type: string}, minItems: 1}
    contact: {type: object, properties: {email: {type: string, format: email}}, required: [email]}
  required: [phone, topic]
implementation:
  rules:
    lookups:
      - name: customer
        sql: SELECT id, name FROM customers WHERE phone = :phone
      - name: bought
        rows: count
        sql: SELECT 1 FROM json_each(:products) WHERE value IN (SELECT id FROM products)
    cases:
      - when: customer is none
        error: {code: unknown_customer, message: "手机号 {{ phone }} 没有注册", field: phone}
      - when: topic == 'refund'
        result: {case_no: "{{ serial('RF') }}", customer: "{{ customer.name }}", known: "{{ bought }}", urgent: true}
      - result:
          case_no: "{{ serial('CS', 4) }}"
          customer: "{{ customer.name }}"
          text: "{{ customer.name }} 的{{ topic }}咨询"
          products: "{{ args.products if 'products' in args else [] }}"
"""


@pytest.fixture()
def tool_dir(tmp_path):
    folder = tmp_path / "tools"
    folder.mkdir()
    for name, text in (("order_total", ORDER_TOTAL), ("cancel_order", CANCEL), ("open_case", TICKET)):
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture()
def declared(tool_dir, world_path):
    with using_tools([tool_dir], world_path) as built:
        yield {t.name: t for t in built}


def _an_order(world, delivered: bool = True) -> str:
    now = NOW.strftime("%Y-%m-%d %H:%M:%S")
    where = "delivered_at <= :now" if delivered else \
        "cancelled_at IS NULL AND paid_at <= :now AND (shipped_at IS NULL OR shipped_at > :now)"
    return world.execute(f"SELECT order_no FROM orders WHERE {where} AND created_at <= :now ORDER BY order_no LIMIT 1",
                         {"now": now}).fetchone()[0]


def test_sql_rows_are_shaped_one_list_and_count(declared, world):
    order_no = _an_order(world)
    got = call(world, "order_total", {"order_no": order_no}, NOW)
    rows = world.execute("SELECT product_id, qty FROM order_items WHERE order_no = ? ORDER BY rowid", (order_no,))
    items = [{"product_id": p, "qty": q} for p, q in rows]
    total = world.execute("SELECT total FROM orders WHERE order_no = ?", (order_no,)).fetchone()[0]
    assert got == {"order_no": order_no, "total": total, "items": items[:2], "lines": len(items)}
    assert call(world, "order_total", {"order_no": order_no, "limit": 1}, NOW)["items"] == items[:1]


def test_no_row_gives_the_declared_error(declared, world):
    assert call(world, "order_total", {"order_no": "DD000000000000"}, NOW) == {
        "error": {"code": "order_not_found", "message": "未找到订单 DD000000000000", "field": "order_no"}}


def test_an_order_placed_after_the_clock_is_not_found(declared, world):
    late = world.execute("SELECT order_no, created_at FROM orders ORDER BY created_at DESC LIMIT 1").fetchone()
    before = datetime.strptime(late[1], "%Y-%m-%d %H:%M:%S").replace(second=0)
    assert call(world, "order_total", {"order_no": late[0]}, before)["error"]["code"] == "order_not_found"


@pytest.mark.parametrize("arguments, field, words", [
    ({}, "order_no", "'order_no' is a required property"),
    ({"order_no": 7}, "order_no", "7 is not of type 'string'"),
    ({"order_no": "DD1", "limit": 9}, "limit", "9 is greater than the maximum of 5"),
    ({"order_no": "DD1", "extra": 1}, "extra", "Additional properties are not allowed"),
])
def test_arguments_that_break_the_schema_are_a_tool_error_naming_the_field(declared, world, arguments, field, words):
    error = call(world, "order_total", arguments, NOW)["error"]
    assert error["code"] == "invalid_arguments" and error["field"] == field
    assert error["message"].startswith(f"参数 {field} 无效: ") and words in error["message"]


@pytest.mark.parametrize("arguments, field", [
    ({"topic": "refund", "phone": "12345"}, "phone"),
    ({"topic": "complaint", "phone": "13800138000"}, "topic"),
    ({"topic": "other", "phone": "13800138000", "when": "明天下午"}, "when"),
    ({"topic": "other", "phone": "13800138000", "day": "2026-02-30"}, "day"),
    ({"topic": "other", "phone": "13800138000", "products": []}, "products"),
    ({"topic": "other", "phone": "13800138000", "contact": {"email": "not an address"}}, "contact.email"),
    ({"topic": "other", "phone": "13800138000", "contact": {}}, "contact.email"),
])
def test_formats_enums_arrays_and_nested_objects_are_checked(declared, world, arguments, field):
    assert call(world, "open_case", arguments, NOW)["error"]["field"] == field


def test_the_worlds_time_format_and_iso_8601_are_both_date_times(declared, world):
    phone = world.execute("SELECT phone FROM customers ORDER BY id LIMIT 1").fetchone()[0]
    for moment in ("2026-11-25 10:00:00", "2026-11-25T10:00:00+08:00", "2026-11-25T02:00:00Z"):
        got = call(world, "open_case", {"topic": "other", "phone": phone, "when": moment, "day": "2026-11-26"}, NOW)
        assert "case_no" in got


def test_rules_conditions_lookups_and_native_values(declared, world):
    phone, name = world.execute("SELECT phone, name FROM customers ORDER BY id LIMIT 1").fetchone()
    product = world.execute("SELECT id FROM products ORDER BY id LIMIT 1").fetchone()[0]
    refund = call(world, "open_case", {"topic": "refund", "phone": phone, "products": [product, "NOPE"]}, NOW)
    assert refund["customer"] == name and refund["known"] == 1 and refund["urgent"] is True
    assert refund["case_no"].startswith("RF20261125") and len(refund["case_no"]) == 2 + 8 + 6
    other = call(world, "open_case", {"topic": "other", "phone": phone}, NOW)
    assert other["text"] == f"{name} 的other咨询" and other["products"] == []
    assert len(other["case_no"]) == 2 + 8 + 4
    assert call(world, "open_case", {"topic": "other", "phone": "13900000000"}, NOW)["error"] == {
        "code": "unknown_customer", "message": "手机号 13900000000 没有注册", "field": "phone"}


def test_serial_numbers_come_from_a_hash_of_the_request(declared, world):
    phone = world.execute("SELECT phone FROM customers ORDER BY id LIMIT 1").fetchone()[0]
    first = call(world, "open_case", {"topic": "refund", "phone": phone}, NOW)["case_no"]
    assert call(world, "open_case", {"topic": "refund", "phone": phone}, NOW)["case_no"] == first
    assert call(world, "open_case", {"topic": "refund", "phone": phone, "products": ["X"]}, NOW)["case_no"] != first
    later = call(world, "open_case", {"topic": "refund", "phone": phone}, NOW.replace(hour=11))["case_no"]
    assert later != first


def test_a_serial_number_is_the_documented_hash_of_the_request():
    """serial(prefix, digits): the prefix, the clock's date, then the SHA-256 of the request's
    canonical JSON (json.dumps, keys sorted, text as written) modulo 10**digits."""
    import hashlib
    import json

    from twinchat.inventory.tools.declared.build import _serial

    arguments = {"user_name": "王女士", "note": 'say "hi"', "budget": 2.5, "items": [{"id": "M1", "qty": 2}]}
    request = json.dumps({"tool": "book", "arguments": arguments, "now": "2026-11-25 10:00:00"},
                         ensure_ascii=False, sort_keys=True)
    number = int(hashlib.sha256(request.encode()).hexdigest(), 16)
    serial = _serial("book", arguments, "2026-11-25 10:00:00")
    assert serial("CB") == f"CB20261125{number % 10**6:06d}"
    assert serial("", 4) == f"20261125{number % 10**4:04d}"


def test_a_text_calling_serial_runs_as_python_and_gives_what_the_sandbox_gives(monkeypatch):
    """The texts of tool files call the runner's helpers (``serial``) in compiled code, not through
    Jinja2's sandbox — with the same value; a call of anything else is still the sandbox's."""
    from twinchat.composer.tools.templates import SandboxTemplates
    from twinchat.inventory.tools.declared.build import HELPERS, _serial

    templates = SandboxTemplates()
    names = frozenset({"serial", "code", "args", "now"})
    texts = ["{{ serial(code, 4) }}", "{{ serial('CB') }}", "预约号 {{ serial(prefix=code, digits=8) }}"]
    scope = {"code": "CS", "args": {"code": "CS"}, "now": "2026-11-25 10:00:00",
             "serial": _serial("open_case", {"code": "CS"}, "2026-11-25 10:00:00")}
    want = [templates.env.from_string(text).render(scope) for text in texts]
    renders = [templates.template(text, names) for text in texts]
    sandbox = templates.env.compile_expression, templates.env.from_string
    monkeypatch.setattr(templates.env, "compile_expression", lambda *a, **k: pytest.fail("the sandbox compiled it"))
    monkeypatch.setattr(templates.env, "from_string", lambda *a, **k: pytest.fail("the sandbox compiled it"))
    assert [str(render(scope)) for render in renders] == want and want[0].startswith("CS20261125")
    monkeypatch.setattr(templates.env, "compile_expression", sandbox[0])
    monkeypatch.setattr(templates.env, "from_string", sandbox[1])
    assert HELPERS == ("serial",)
    with pytest.raises(Exception, match="not safely callable|unsafe"):
        templates.template("{{ serial('CB') }}", names)({**scope, "serial": _unsafe_serial})


def _unsafe_serial(prefix: str = "", digits: int = 6) -> str:
    return prefix


_unsafe_serial.unsafe_callable = True  # the sandbox refuses to call it


def test_a_writing_tool_writes_where_the_caller_keeps_it(declared, world):
    order_no = _an_order(world, delivered=False)
    got = call(world, "cancel_order", {"order_no": order_no, "reason": "不想要了"}, NOW)
    assert got == {"order_no": order_no, "cancelled_at": "2026-11-25 10:00:00", "cancel_reason": "不想要了"}
    assert call(world, "query_order", {"order_no": order_no}, NOW)["orders"][0]["status"] == "已取消"
    assert TOOLS["cancel_order"].writes and not TOOLS["order_total"].writes


def test_declared_tools_follow_the_built_ins_and_leave_with_the_block(tool_dir, world_path):
    before = tools().version
    with using_tools([tool_dir], world_path):
        assert list(tools()) == [*BUILTIN_ORDER, "cancel_order", "open_case", "order_total"]  # in file order
        assert tools().version != before
        from twinchat.composer.export.formats import openai_tools
        assert [t["function"]["name"] for t in openai_tools()][-3:] == ["cancel_order", "open_case", "order_total"]
    assert list(tools()) == list(BUILTIN_ORDER)
    from twinchat.composer.export.formats import openai_tools
    assert [t["function"]["name"] for t in openai_tools()] == list(BUILTIN_ORDER)


def test_the_schema_is_the_declared_one(declared):
    schema = TOOLS["order_total"].json_schema()
    assert schema["name"] == "order_total" and schema["description"] == "订单金额和商品数"
    assert schema["parameters"]["properties"]["limit"] == {"type": "integer", "minimum": 1, "maximum": 5, "default": 2}
    schema["parameters"]["properties"].clear()  # a copy: the tool's own schema is untouched
    assert TOOLS["order_total"].json_schema()["parameters"]["properties"]


def test_a_python_implementation_is_called_with_checked_arguments(tmp_path, world, monkeypatch):
    (tmp_path / "invoicing_backend.py").write_text(textwrap.dedent("""
        def issue(ctx, arguments):
            row = ctx.conn.execute("SELECT count(*) FROM orders").fetchone()
            return {"orders": row[0], "title": arguments["title"], "at": str(ctx.now)}
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "issue.yaml").write_text(textwrap.dedent("""\
        kind: tool
        name: issue_by_python
        description: 开票
        parameters: {type: object, properties: {title: {type: string}}, required: [title]}
        implementation: {python: "invoicing_backend:issue"}
    """), encoding="utf-8")
    with using_tools([tmp_path / "issue.yaml"]):
        got = call(world, "issue_by_python", {"title": "张三"}, NOW)
        assert got["title"] == "张三" and got["orders"] > 0 and got["at"] == "2026-11-25 10:00:00"
        assert call(world, "issue_by_python", {}, NOW)["error"]["field"] == "title"
    (tmp_path / "invoicing_backend.py").write_text("def issue(ctx, arguments):\n    return [1]\n", encoding="utf-8")
    import importlib

    import invoicing_backend
    importlib.reload(invoicing_backend)
    with using_tools([tmp_path / "issue.yaml"]):
        with pytest.raises(ToolFileError, match=r"issue\.yaml:5: tool 'issue_by_python', field implementation\.python: "
                                                r"'invoicing_backend:issue' returned list, not an object \(a dict\)$"):
            call(world, "issue_by_python", {"title": "张三"}, NOW)


def test_the_same_name_in_two_files_names_both(tmp_path):
    (tmp_path / "a.yaml").write_text(ORDER_TOTAL, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(ORDER_TOTAL, encoding="utf-8")
    with pytest.raises(ToolFileError, match=r"^.*b\.yaml:2: tool 'order_total', field name: tool 'order_total' is "
                                            r"already defined in .*a\.yaml$"):
        declared_tools([tmp_path])


def test_a_query_may_not_read_the_session_store(tmp_path, world_path):
    import shutil
    import sqlite3

    db = tmp_path / "world.db"
    shutil.copy(world_path, db)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE sessions (id TEXT)")
    (tmp_path / "peek.yaml").write_text(ORDER_TOTAL.replace("SELECT 1 FROM order_items WHERE order_no = :order_no",
                                                            "SELECT 1 FROM sessions WHERE id = :order_no"),
                                        encoding="utf-8")
    with pytest.raises(ToolFileError, match=r"queries\.2\.sql: it reads 'sessions', which is not a table of the world$"):
        declared_tools([tmp_path / "peek.yaml"], db)


def test_a_worker_process_declares_the_same_tools_from_the_same_paths(tool_dir, world_path):
    code = ("import sys, json; from twinchat.composer.tools.declare import install_tools; "
            "from twinchat.inventory.tools import tools; install_tools(sys.argv[1:2], sys.argv[2]); "
            "print(json.dumps([t.json_schema() for t in tools().declared()], ensure_ascii=False))")
    out = subprocess.run([sys.executable, "-c", code, str(tool_dir), str(world_path)], capture_output=True, text=True,
                         check=True).stdout
    with using_tools([tool_dir], world_path) as built:
        assert json.loads(out) == [t.json_schema() for t in built]


def test_rules_answers_are_remembered_per_world_state_on_a_tracked_copy(declared, world_path):
    from twinchat.composer.store.snapshot import world_snapshot

    copy = world_snapshot(world_path)
    try:
        cid, phone, name = copy.execute("SELECT id, phone, name FROM customers ORDER BY id LIMIT 1").fetchone()
        first = call(copy, "open_case", {"topic": "other", "phone": phone}, NOW)
        assert TOOLS["open_case"].remembered and not TOOLS["cancel_order"].remembered
        first["customer"] = "changed by the caller"
        again = call(copy, "open_case", {"topic": "other", "phone": phone}, NOW)
        assert again["customer"] == name  # a copy of what is remembered, not the caller's
        with copy:
            copy.execute("UPDATE customers SET name = '新名字' WHERE id = ?", (cid,))
        assert call(copy, "open_case", {"topic": "other", "phone": phone}, NOW)["customer"] == "新名字"
        assert call(copy, "open_case", {"topic": "other", "phone": phone, "when": 1}, NOW)["error"]["field"] == "when"
    finally:
        copy.close()


def test_answers_are_remembered_by_arguments_told_apart_where_equality_would_not():
    told = [{"n": 1}, {"n": True}, {"n": 1.0}, {"n": "1"}, {"n": None}, {"n": [1]}, {"n": [True]}, {"m": 1},
            {"n": 1, "m": 2}, {"m": 2, "n": 1}]
    keys = [arguments_key(arguments) for arguments in told]
    assert len(set(keys)) == len(told)
    assert arguments_key({"phone": "13800138000", "urgent": False}) == arguments_key(
        {"phone": "13800138000", "urgent": False})
    assert arguments_key({"n": [1, {"a": 1.5}]}) == arguments_key({"n": [1, {"a": 1.5}]})  # by repr


def test_a_remembered_answer_is_given_again_only_in_the_state_it_was_computed_in(declared, world_path):
    from twinchat.composer.store.snapshot import world_snapshot
    from twinchat.inventory.connection import scratch

    copy = world_snapshot(world_path)
    try:
        cid, phone, name = copy.execute("SELECT id, phone, name FROM customers ORDER BY id LIMIT 1").fetchone()
        args = {"topic": "other", "phone": phone}
        assert call(copy, "open_case", args, NOW)["customer"] == name  # computed
        with scratch(copy, "renamed"):
            copy.execute("UPDATE customers SET name = '新名字' WHERE id = ?", (cid,))
            assert call(copy, "open_case", args, NOW)["customer"] == "新名字"
            assert call(copy, "open_case", args, NOW)["customer"] == "新名字"  # remembered in this state
        assert call(copy, "open_case", args, NOW)["customer"] == name  # rolled back: the first state's answer
        copy.execute("BEGIN")
        copy.execute("UPDATE customers SET name = '又一个' WHERE id = ?", (cid,))
        assert call(copy, "open_case", args, NOW)["customer"] == "又一个"
        copy.rollback()
        assert call(copy, "open_case", args, NOW)["customer"] == name
    finally:
        copy.close()
