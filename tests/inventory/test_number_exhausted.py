"""A writing tool whose day has no number left answers with a tool error, never an exception."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import datetime

from twinchat.inventory.connection import WorldConnection, scratch
from twinchat.inventory.tools import call
from twinchat.inventory.tools.base import NUMBER_DRAWS

NOW = datetime(2026, 11, 20, 15, 30)


def test_a_return_whose_every_drawn_number_is_taken_is_a_tool_error(world_path):
    conn = sqlite3.connect(":memory:", factory=WorldConnection)
    src = sqlite3.connect(world_path)
    src.backup(conn)
    src.close()
    order_no = conn.execute("SELECT o.order_no FROM orders o WHERE o.delivered_at <= ? AND o.delivered_at >= ? "
                            "AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.order_no = o.order_no) LIMIT 1",
                            ("2026-11-20 15:30:00", "2026-11-15 00:00:00")).fetchone()[0]
    request = {"order_no": order_no, "kind": "return", "reason": "不想要了"}
    with scratch(conn, "key"):  # the request's key, as the tool records it
        made = call(conn, "request_return", request, NOW)
        key = conn.execute("SELECT request_key FROM returns WHERE return_no = ?", (made["return_no"],)).fetchone()[0]
    other = conn.execute("SELECT order_no FROM orders WHERE order_no != ? LIMIT 1", (order_no,)).fetchone()[0]
    taken = {f"TH{NOW:%Y%m%d}{int(hashlib.sha256(f'{key}#{d}'.encode()).hexdigest(), 16) % 10**6:06d}"
             for d in range(NUMBER_DRAWS)}
    with scratch(conn, "full"):
        conn.executemany("INSERT INTO returns (return_no, request_key, order_no, kind, reason, created_at, status) "
                         "VALUES (?, ?, ?, 'return', '占号', '2026-11-20 09:00:00', 'created')",
                         [(n, f"other{i}", other) for i, n in enumerate(sorted(taken))])
        answer = call(conn, "request_return", request, NOW)
        assert answer == {"error": {"code": "return_number_exhausted", "message": "2026-11-20 的编号已用完,请稍后再试",
                                    "field": None}}
        assert conn.execute("SELECT count(*) FROM returns WHERE request_key = ?", (key,)).fetchone()[0] == 0
