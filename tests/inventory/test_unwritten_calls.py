"""A call of a tool that only owes its writes, undone as soon as it returns, needs no transaction:
it writes nothing, answers as it does inside one, and a tool that writes itself keeps its scratch."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from functools import partial

import pytest
from world_copies import private_copy

from twinchat.inventory.connection import WorldConnection, close_scratch, open_scratch
from twinchat.inventory.tools import call, tools
from twinchat.inventory.tools.memo import settle, world_version
from twinchat.inventory.tools.tracking import undone_call, unwritten_call
from twinchat.inventory.tools.undone import undone_run

NOW = datetime(2026, 11, 20, 15, 30)
TICKET = {"user_name": "王", "phone": "13800138000", "address": "广东省深圳市南山区科苑路15号", "problem": "坏了",
          "category": "充电桩", "serve_time": "2026-11-21 14:00:00"}
#: a ticket made, the same again (remembered), an invalid phone, a slot that is no slot, an unknown place
CALLS = [TICKET, TICKET, {**TICKET, "phone": "123"}, {**TICKET, "serve_time": "2026-11-21 15:00:00"},
         {**TICKET, "address": "火星市某区1号"}, {**TICKET, "user_name": "李"}]


def _copy(world_path, tracked: bool = True) -> WorldConnection:
    return private_copy(world_path, tracked)


def _in_scratch(conn, name, arguments):
    began = open_scratch(conn, "s")
    try:
        return undone_call(conn, lambda: call(conn, name, arguments, NOW))
    finally:
        close_scratch(conn, "s", began)


def test_only_create_ticket_owes_all_its_writes():
    assert [name for name, tool in tools().items() if tool.owes_writes] == ["create_ticket"]
    assert all(tool.writes for tool in tools().values() if tool.owes_writes)


def test_a_ticket_call_without_a_transaction_writes_nothing_and_answers_as_in_one(world_path):
    plain, bare = _copy(world_path), _copy(world_path)
    expected = [_in_scratch(plain, "create_ticket", args) for args in CALLS]
    assert "ticket_no" in expected[0] and expected[1] == expected[0] and "error" in expected[2]
    version, changes = world_version(bare), bare.total_changes
    statements: list[str] = []
    bare.set_trace_callback(statements.append)
    got = [undone_run(bare, partial(call, bare, "create_ticket", args, NOW), True, "s") for args in CALLS]
    bare.set_trace_callback(None)
    assert got == expected
    assert statements and all(s.lstrip().upper().startswith("SELECT") for s in statements)
    assert bare.total_changes == changes and not bare.in_transaction
    settle(bare)  # the calls' debts were dropped, not kept
    assert bare.total_changes == changes and world_version(bare) == version
    assert bare.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
    # the connection goes on as before: a call that is not undone owes its row, made when settled
    assert call(bare, "create_ticket", TICKET, NOW) == expected[0]
    settle(bare)
    assert bare.execute("SELECT ticket_no FROM tickets").fetchall() == [(expected[0]["ticket_no"],)]


def test_a_tool_that_writes_itself_keeps_its_scratch(world_path):
    conn = _copy(world_path)
    order_no = conn.execute("SELECT order_no FROM orders WHERE delivered_at IS NOT NULL AND delivered_at <= ? "
                            "ORDER BY delivered_at DESC LIMIT 1", ("2026-11-20 15:30:00",)).fetchone()[0]
    returns = conn.execute("SELECT COUNT(*) FROM returns").fetchone()[0]
    assert tools()["request_return"].writes and not tools()["request_return"].owes_writes
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    run = partial(call, conn, "request_return", {"order_no": order_no, "kind": "return", "reason": "不想要了"}, NOW)
    assert "return_no" in undone_run(conn, run, False, "s")
    conn.set_trace_callback(None)
    assert statements[0] == "BEGIN" and "ROLLBACK" in statements[-1].upper()
    assert conn.execute("SELECT COUNT(*) FROM returns").fetchone()[0] == returns and not conn.in_transaction


def test_no_call_is_made_without_a_transaction_where_something_could_be_written(world_path):
    ran: list[int] = []

    def run() -> dict:
        ran.append(1)
        return {}

    untracked = _copy(world_path, tracked=False)
    assert unwritten_call(untracked, run) == (False, None)
    owing = _copy(world_path)
    owing.execute("BEGIN")
    call(owing, "create_ticket", TICKET, NOW)  # in a transaction, not undone: its row is owed
    assert unwritten_call(owing, run) == (False, None)
    owing.rollback()
    written = _copy(world_path)
    written.execute("UPDATE technicians SET rating = rating")  # a write the version does not name yet
    assert unwritten_call(written, run) == (False, None)
    written.rollback()
    assert not ran


def test_a_call_that_writes_without_a_transaction_is_an_error(world_path):
    conn = _copy(world_path)
    with pytest.raises(sqlite3.ProgrammingError, match="without a transaction wrote"):
        unwritten_call(conn, lambda: conn.execute("UPDATE technicians SET rating = rating"))
    conn.rollback()
