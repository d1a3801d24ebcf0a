"""Tool answers remembered per world state: the version names one state of the tables, a
remembered answer is the one the tools compute, and a remembered write is still made."""

from __future__ import annotations

import sqlite3
from datetime import datetime

import pytest

from twinchat.inventory import open_world
from twinchat.inventory.connection import WorldConnection, scratch
from twinchat.inventory.tools import call
from twinchat.inventory.tools.memo import fresh, is_tracked, memo, track_writes, world_version

NOW = datetime(2026, 11, 20, 15, 30)


def _copy(world_path, tracked: bool) -> WorldConnection:
    mem = sqlite3.connect(":memory:", factory=WorldConnection)
    src = sqlite3.connect(world_path)
    src.backup(mem)
    src.close()
    if tracked:
        track_writes(mem)
    return mem


def _calls(conn) -> list[tuple[str, dict]]:
    """Calls of every remembering tool, hits and misses, valid and not."""
    delivered = conn.execute("SELECT o.order_no, c.phone, o.delivered_at FROM orders o JOIN customers c "
                             "ON c.id = o.customer WHERE o.delivered_at IS NOT NULL AND o.delivered_at <= ? "
                             "ORDER BY o.delivered_at DESC LIMIT 4", ("2026-11-20 15:30:00",)).fetchall()
    tech = conn.execute("SELECT t.city, t.skills FROM technicians t ORDER BY t.id LIMIT 1").fetchone()
    out: list[tuple[str, dict]] = []
    for order_no, phone, _ in delivered:
        out += [("query_order", {"order_no": order_no}), ("query_order", {"phone": phone}),
                ("query_order", {"order_no": order_no, "phone": "13800138000"}),
                ("request_return", {"order_no": order_no, "kind": "exchange", "reason": "尺寸不合适"}),
                ("request_return", {"order_no": order_no, "kind": "return", "reason": "不想要了"})]
    out += [("query_order", {"order_no": "DD0"}), ("query_order", {}),
            ("search_solution", {"query": "充电桩无法充电 E03"}), ("search_solution", {"query": "充电桩", "limit": 2}),
            ("query_technician_slots", {"city": tech[0], "category": tech[1].split()[0]})]
    return out


def _ticket_calls(conn) -> list[tuple[str, dict]]:
    answer = call(conn, "query_technician_slots", {"city": "深圳", "category": "充电桩"}, NOW)
    first = answer["slots"][0]
    ticket = {"user_name": "王先生", "phone": "13800138000", "address": "深圳市南山区科苑路15号",
              "problem": "充电桩无法充电", "category": "充电桩", "serve_time": first["start"]}
    return [("create_ticket", ticket), ("query_technician_slots", {"city": "深圳", "category": "充电桩"}),
            ("create_ticket", ticket), ("create_ticket", {**ticket, "phone": "123"})]


def _play(conn, calls) -> tuple[list[dict], list[tuple]]:
    answers = [call(conn, name, args, NOW) for name, args in calls]
    rows = conn.execute("SELECT * FROM returns UNION ALL SELECT ticket_no, request_key, created_at, phone, "
                        "serve_start, technician, status, city FROM tickets ORDER BY 1").fetchall()
    return answers, rows


def test_remembered_answers_and_writes_are_the_computed_ones(world_path):
    plain, tracked = _copy(world_path, False), _copy(world_path, True)
    calls = _calls(plain) + _ticket_calls(plain)
    for conn in (plain, tracked):
        conn.execute("BEGIN")
    expected = _play(plain, calls)
    assert any("return_no" in a for a in expected[0]) and any("ticket_no" in a for a in expected[0])
    with scratch(tracked, "first"):
        assert _play(tracked, calls) == expected  # computed, remembered
    with scratch(tracked, "again"):
        assert _play(tracked, calls) == expected  # answered from memory: the writes are still made
    assert memo(tracked, "create_ticket") is not None and memo(plain, "create_ticket") is None


def test_one_version_is_one_state(world_path):
    conn = _copy(world_path, True)
    start = world_version(conn)
    insert = "INSERT INTO returns (return_no, request_key, order_no, kind, reason, created_at, status) " \
             "SELECT ?, ?, order_no, 'return', 'x', created_at, 'created' FROM orders LIMIT 1"
    with scratch(conn, "a"):
        conn.execute(insert, ("TH1", "k1"))
        one = world_version(conn)
        assert one != start
    assert world_version(conn) == start  # the rollback puts the old version back
    with scratch(conn, "b"):
        conn.execute(insert, ("TH1", "k1"))
        assert world_version(conn) == one  # the same write from the same state: the same version
        conn.execute("UPDATE returns SET reason = 'y' WHERE return_no = 'TH1'")
        assert world_version(conn) not in (start, one)
    with scratch(conn, "c"):
        conn.execute(insert, ("TH2", "k2"))
        assert world_version(conn) not in (start, one)
    assert world_version(conn) == start


def test_a_changed_answer_never_changes_what_is_remembered(world_path):
    conn = _copy(world_path, True)
    order_no = conn.execute("SELECT order_no FROM orders WHERE created_at <= ? LIMIT 1",
                            ("2026-11-20 15:30:00",)).fetchone()[0]
    first = call(conn, "query_order", {"order_no": order_no}, NOW)
    first["orders"][0]["items"].clear()
    first["count"] = 99
    again = call(conn, "query_order", {"order_no": order_no}, NOW)
    assert again["count"] == 1 and again["orders"][0]["items"]
    nested = {"a": [{"b": [1]}]}
    copy = fresh(nested)
    assert copy == nested and copy["a"][0]["b"] is not nested["a"][0]["b"]


def test_only_private_connections_are_tracked(world_path):
    with pytest.raises(sqlite3.ProgrammingError, match="needs a connection that keeps"):
        track_writes(sqlite3.connect(":memory:"))
    conn = _copy(world_path, False)
    conn.execute("BEGIN")
    with pytest.raises(sqlite3.ProgrammingError, match="outside a transaction"):
        track_writes(conn)
    conn.rollback()
    file_conn = open_world(world_path)
    assert not is_tracked(file_conn) and world_version(file_conn) is None and memo(file_conn, "query_order") is None
    track_writes(conn)
    assert is_tracked(conn) and world_version(conn) == ""


def test_a_plain_mobile_is_the_number_phonenumbers_parses():
    import random

    import phonenumbers

    from twinchat.inventory.tools.service import _PLAIN_MOBILE
    from twinchat.inventory.tools.service import mobile_number as _mobile

    rng = random.Random(3)
    texts = [f"1{p:02d}{rng.randrange(10**8):08d}" for p in range(100) for _ in range(30)]
    texts += ["17912345678", "11912345678", "12345678901", "13800138000", "19912345678", "14512345678"]
    for text in texts:
        try:
            parsed = phonenumbers.parse(text, "CN")
        except phonenumbers.NumberParseException:
            assert not (_PLAIN_MOBILE.fullmatch(text) and not text.startswith("179")), text
            assert _mobile(text) is None, text
            continue
        if _PLAIN_MOBILE.fullmatch(text) and not text.startswith("179"):
            assert parsed == phonenumbers.PhoneNumber(country_code=86, national_number=int(text)), text
        valid = (phonenumbers.region_code_for_number(parsed) == "CN" and phonenumbers.is_valid_number(parsed)
                 and phonenumbers.number_type(parsed) in (phonenumbers.PhoneNumberType.MOBILE,
                                                          phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE))
        assert _mobile(text) == (str(parsed.national_number) if valid else None), text
    assert _mobile("138 0013 8000") == "13800138000" and _mobile("+86 13800138000") == "13800138000"
    assert _mobile("12345") is None


def test_a_grouped_mobile_is_the_number_phonenumbers_parses():
    """138 0013 8000, 138-0013-8000, +86 138… and +86-138-…: the fast path reads the number
    phonenumbers would, valid or not, for every three-digit start."""
    import random

    import phonenumbers

    from twinchat.inventory.tools.service import mobile_number

    def parsed(text):
        try:
            number = phonenumbers.parse(text, "CN")
        except phonenumbers.NumberParseException:
            return None
        ok = (phonenumbers.region_code_for_number(number) == "CN" and phonenumbers.is_valid_number(number)
              and phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE,
                                                       phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE))
        return str(number.national_number) if ok else None

    rng = random.Random(5)
    forms = ("{a} {b} {c}", "{a}-{b}-{c}", "+86 {a}{b}{c}", "+86{a}{b}{c}", "+86 {a} {b} {c}", "+86-{a}-{b}-{c}",
             "{a} {b}-{c}", "+86 {a}-{b} {c}")
    checked = 0
    for head in range(100, 200):
        for _ in range(3):
            b, c = f"{rng.randrange(10**4):04d}", f"{rng.randrange(10**4):04d}"
            for form in forms:
                text = form.format(a=head, b=b, c=c)
                assert mobile_number.__wrapped__(text) == parsed(text), text
                checked += 1
    assert checked == 2400


def test_wide_tables_are_tracked_and_virtual_ones_turn_tracking_off(world_path):
    conn = _copy(world_path, False)
    conn.execute(f"CREATE TABLE wide ({', '.join(f'c{i} INTEGER' for i in range(150))})")
    track_writes(conn)
    start = world_version(conn)
    with scratch(conn, "w"):
        conn.execute("INSERT INTO wide (c149) VALUES (1)")
        assert world_version(conn) != start
    assert world_version(conn) == start
    other = _copy(world_path, False)
    other.execute("CREATE VIRTUAL TABLE notes USING fts5(body)")
    track_writes(other)
    assert not is_tracked(other) and memo(other, "query_order") is None
