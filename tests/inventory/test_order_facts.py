"""The order tools' facts kept across world states while the order tables are unwritten
(:mod:`twinchat.inventory.tools.order_facts`): answers always those of a plain connection."""

from __future__ import annotations

from datetime import datetime

from world_copies import private_copy

from twinchat.inventory.connection import close_scratch, open_scratch
from twinchat.inventory.tools import call
from twinchat.inventory.tools.order_facts import BaseFacts

NOW = datetime(2026, 11, 20, 15, 30)


def _pending(conn) -> str:
    """An order not shipped by NOW (so it can be cancelled), with more than one line."""
    return conn.execute(
        "SELECT o.order_no FROM orders o WHERE o.created_at <= ? AND (o.shipped_at IS NULL OR o.shipped_at > ?) "
        "AND (o.cancelled_at IS NULL OR o.cancelled_at > ?) "
        "AND (SELECT count(*) FROM order_items i WHERE i.order_no = o.order_no) > 1 ORDER BY o.order_no LIMIT 1",
        ("2026-11-20 15:30:00",) * 3).fetchone()[0]


def _both(tracked, plain, name, arguments):
    got = call(tracked, name, arguments, NOW)
    assert got == call(plain, name, arguments, NOW)
    return got


def test_a_write_to_the_orders_is_seen_and_a_rollback_brings_the_kept_facts_back(world_path):
    plain, tracked = private_copy(world_path, False), private_copy(world_path, True)
    order_no = _pending(plain)
    before = _both(tracked, plain, "query_order", {"order_no": order_no})
    base = tracked.static[BaseFacts]
    assert base.armed and base.clear() and order_no in base._facts["order_row"]
    assert not tracked.in_transaction  # arming wrote no row: a reading call leaves no transaction open
    for conn in (tracked, plain):  # a session that cancels the order
        began = open_scratch(conn, "t")
        assert began
    cancelled = _both(tracked, plain, "request_cancellation", {"order_no": order_no})
    assert "error" not in cancelled
    after = _both(tracked, plain, "query_order", {"order_no": order_no})
    assert not base.clear() and after != before and after["orders"][0]["status"] == "已取消"
    for conn in (tracked, plain):
        close_scratch(conn, "t", True)
    assert base.clear()
    assert _both(tracked, plain, "query_order", {"order_no": order_no}) == before
    plain.close()
    tracked.close()


def test_a_rolled_back_savepoint_inside_a_session_clears_the_flag_again(world_path):
    """A write to another table keeps the kept facts; a removed order line is read as removed
    until its savepoint is rolled back."""
    plain, tracked = private_copy(world_path, False), private_copy(world_path, True)
    order_no = _pending(plain)
    pid = plain.execute("SELECT product_id FROM order_items WHERE order_no = ? ORDER BY rowid LIMIT 1",
                        (order_no,)).fetchone()[0]
    before = _both(tracked, plain, "query_order", {"order_no": order_no})
    base = tracked.static[BaseFacts]
    for conn in (tracked, plain):
        open_scratch(conn, "session")
        conn.execute("INSERT INTO returns (return_no, request_key, order_no, product_id, kind, reason, created_at, "
                     "status) VALUES ('TH1', 'k', ?, NULL, 'return', 'r', '2026-11-20 15:00:00', 'created')",
                     (order_no,))
    assert base.clear()  # another table written: the order tables are as they were
    assert _both(tracked, plain, "query_order", {"order_no": order_no}) == before
    for conn in (tracked, plain):
        open_scratch(conn, "attempt")
    line = _both(tracked, plain, "request_cancellation", {"order_no": order_no, "product_id": pid})
    assert line["scope"] == "line"
    shrunk = _both(tracked, plain, "query_order", {"order_no": order_no})
    assert not base.clear() and len(shrunk["orders"][0]["items"]) == len(before["orders"][0]["items"]) - 1
    for conn in (tracked, plain):
        close_scratch(conn, "attempt", False)
    assert base.clear()
    assert _both(tracked, plain, "query_order", {"order_no": order_no}) == before
    for conn in (tracked, plain):
        close_scratch(conn, "session", True)
    plain.close()
    tracked.close()


def test_an_untracked_connection_gets_no_triggers(world_path):
    conn = private_copy(world_path, False)
    order_no = _pending(conn)
    call(conn, "query_order", {"order_no": order_no}, NOW)
    assert BaseFacts not in conn.static
    assert conn.execute("SELECT count(*) FROM temp.sqlite_master WHERE type = 'trigger'").fetchone()[0] == 0
    conn.close()


def test_the_flag_waits_for_a_moment_outside_a_transaction(world_path):
    """Asked first inside a transaction, the triggers are not made (a rollback would take them
    back): the facts are kept per world state until a call comes outside one."""
    plain, tracked = private_copy(world_path, False), private_copy(world_path, True)
    order_no = _pending(plain)
    tracked.execute("BEGIN")
    _both(tracked, plain, "query_order", {"order_no": order_no})
    assert not tracked.static[BaseFacts].armed
    tracked.rollback()
    _both(tracked, plain, "query_order", {"order_no": order_no, "phone": "13800138000"})  # not remembered
    assert tracked.static[BaseFacts].armed
    plain.close()
    tracked.close()


def test_a_committed_write_to_the_orders_keeps_the_flag_set(world_path):
    """A write to the order tables that is committed, not rolled back, leaves the flag set for
    good: the facts kept before it are never given out again, every answer is read per state."""
    plain, tracked = private_copy(world_path, False), private_copy(world_path, True)
    order_no = _pending(plain)
    before = _both(tracked, plain, "query_order", {"order_no": order_no})
    base = tracked.static[BaseFacts]
    assert base.clear() and order_no in base._facts["order_row"]
    for conn in (tracked, plain):
        conn.execute("UPDATE orders SET cancelled_at = ?, cancel_reason = '不想要了' WHERE order_no = ?",
                     ("2026-11-20 15:00:00", order_no))
        conn.commit()
    assert not base.clear()
    after = _both(tracked, plain, "query_order", {"order_no": order_no})
    assert after != before and after["orders"][0]["status"] == "已取消"
    assert not base.clear()  # still set: nothing takes a committed write back
    plain.close()
    tracked.close()
