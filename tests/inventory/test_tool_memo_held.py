"""The world version a tracker holds in Python is always the one its table holds, whatever was
written, committed or rolled back since it was read."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from twinchat.inventory.connection import WorldConnection, close_scratch, open_scratch, scratch
from twinchat.inventory.tools import call
from twinchat.inventory.tools.memo import track_writes, world_version

NOW = datetime(2026, 11, 20, 15, 30)


def _tracked(world_path) -> WorldConnection:
    mem = sqlite3.connect(":memory:", factory=WorldConnection)
    src = sqlite3.connect(world_path)
    src.backup(mem)
    src.close()
    track_writes(mem)
    return mem


def _in_table(conn) -> str:
    return conn.execute("SELECT v FROM temp.twinchat_world_version").fetchone()[0]


def test_the_held_version_is_the_tables_after_every_write_commit_and_rollback(world_path):
    conn = _tracked(world_path)
    order_no = conn.execute("SELECT order_no FROM orders WHERE delivered_at IS NOT NULL AND delivered_at <= ? "
                            "ORDER BY delivered_at DESC LIMIT 1", ("2026-11-20 15:30:00",)).fetchone()[0]
    ret = {"order_no": order_no, "kind": "return", "reason": "不想要了"}
    seen = []

    def same() -> str:
        version = world_version(conn)
        assert version == _in_table(conn)
        seen.append(version)
        return version

    start = same()
    assert same() == start  # read twice, nothing written: held
    with scratch(conn, "a"):  # a transaction: a tool's write, read inside it, then rolled back
        assert "return_no" in call(conn, "request_return", ret, NOW)
        inside = same()
        call(conn, "query_order", {"order_no": order_no}, NOW)
        assert same() == inside != start
    assert same() == start
    conn.execute("BEGIN")  # a savepoint inside a transaction, rolled back with nothing written after the read
    began = open_scratch(conn, "b")
    conn.execute("UPDATE technicians SET rating = rating")  # a write outside any tool call
    stepped = same()
    close_scratch(conn, "b", began)
    assert same() != stepped
    call(conn, "request_return", ret, NOW)
    conn.commit()  # committed: the stepped version stays
    committed = same()
    assert committed != start
    with scratch(conn, "c"):
        conn.execute("UPDATE technicians SET rating = rating")
        same()
    assert same() == committed
    assert len(set(seen)) >= 4
    conn.close()


def test_calls_whose_writes_are_undone_never_read_the_version_from_its_table(world_path):
    """generate's calls (a scratch transaction, the call's writes owed and undone): the version
    committed when tracking began stands, held, and no call reads it again."""
    from twinchat.inventory.tools.memo import undone_call

    conn = _tracked(world_path)  # the version is not asked for first (that read would be held too)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    args = {"user_name": "王", "phone": "13800138000", "address": "广东省深圳市南山区科苑路15号", "problem": "坏了",
            "category": "充电桩", "serve_time": "2026-11-21 14:00:00"}
    for _ in range(2):  # made, then answered from memory
        began = open_scratch(conn, "s")
        try:
            assert "ticket_no" in undone_call(conn, lambda: call(conn, "create_ticket", args, NOW))
        finally:
            close_scratch(conn, "s", began)
    conn.set_trace_callback(None)
    assert statements and not [s for s in statements if "twinchat_world_version" in s]
    assert world_version(conn) == "" == _in_table(conn)
    conn.close()
