"""Tool answers remembered per world state: the version names one state of the tables, a
remembered answer is the one the tools compute, and a remembered write is still made."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta

import pytest
from pydantic import BaseModel, ConfigDict
from world_copies import private_copy

from twinchat.inventory import open_world
from twinchat.inventory.connection import scratch
from twinchat.inventory.tools import Tool, ToolContext, call
from twinchat.inventory.tools.memo import (
    cache_bound,
    compared_call,
    keep_cache,
    Memo,
    fresh,
    is_tracked,
    keep_answers,
    memo,
    one_copy,
    settle,
    track_writes,
    world_version,
)

NOW = datetime(2026, 11, 20, 15, 30)


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
    settle(conn)  # the writes the last calls still owe (see memo.owe)
    rows = conn.execute("SELECT * FROM returns UNION ALL SELECT ticket_no, request_key, created_at, phone, "
                        "serve_start, technician, status, city FROM tickets ORDER BY 1").fetchall()
    return answers, rows


def test_remembered_answers_and_writes_are_the_computed_ones(world_path):
    plain, tracked = private_copy(world_path, False), private_copy(world_path, True)
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


def _delivered(conn) -> str:
    return conn.execute("SELECT order_no FROM orders WHERE delivered_at IS NOT NULL AND delivered_at <= ? "
                        "ORDER BY delivered_at DESC LIMIT 1", ("2026-11-20 15:30:00",)).fetchone()[0]


def test_one_version_is_one_state(world_path):
    conn = private_copy(world_path, True)
    order_no = _delivered(conn)
    ret = {"order_no": order_no, "kind": "return", "reason": "不想要了"}
    start = world_version(conn)
    with scratch(conn, "a"):
        assert "return_no" in call(conn, "request_return", ret, NOW)
        one = world_version(conn)
        assert one != start
    assert world_version(conn) == start  # the rollback puts the old version back
    with scratch(conn, "b"):
        call(conn, "request_return", ret, NOW)
        assert world_version(conn) == one  # the same call from the same state: the same version
        call(conn, "query_order", {"order_no": order_no}, NOW)
        assert world_version(conn) == one  # a call that writes nothing leaves it
    with scratch(conn, "c"):
        call(conn, "request_return", {**ret, "reason": "尺寸不合适"}, NOW)
        assert world_version(conn) not in (start, one)
    assert world_version(conn) == start


def test_a_write_outside_a_tool_call_is_a_version_never_seen_before(world_path):
    conn = private_copy(world_path, True)
    insert = "INSERT INTO returns (return_no, request_key, order_no, kind, reason, created_at, status) " \
             "SELECT ?, ?, order_no, 'return', 'x', created_at, 'created' FROM orders LIMIT 1"
    start = world_version(conn)
    seen = {start}
    for name in ("a", "b"):
        with scratch(conn, name):
            conn.execute(insert, ("TH1", "k1"))
            version = world_version(conn)
            assert version not in seen  # not even the version of the same write made before
            seen.add(version)
            conn.execute("UPDATE returns SET reason = 'y' WHERE return_no = 'TH1'")
            assert world_version(conn) not in seen
        assert world_version(conn) == start
    with scratch(conn, "c"):  # a write just before a tool call is counted before the call
        conn.execute(insert, ("TH2", "k2"))
        answer = call(conn, "query_order", {"order_no": _delivered(conn)}, NOW)
        assert answer["count"] == 1 and world_version(conn) not in seen


def test_a_changed_answer_never_changes_what_is_remembered(world_path):
    conn = private_copy(world_path, True)
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
    flat = {"booking_no": "CB20261210134481", "urgent": True}  # nothing nested: copied in one step
    copy = fresh(flat)
    copy["urgent"] = False
    assert flat == {"booking_no": "CB20261210134481", "urgent": True} and copy is not flat
    mixed = {"n": 1, "later": {"inner": [2]}}  # a nested value after a flat one is still copied
    copy = fresh(mixed)
    assert copy == mixed and copy["later"] is not mixed["later"] and copy["later"]["inner"] is not mixed["later"]["inner"]


def test_a_fresh_copy_is_new_down_to_every_dict_and_list_and_keeps_the_order():
    leaf = ("t", 1)
    answer = {"z": 1, "a": {"m": [1, {"x": None}], "b": "s"}, "k": leaf, "l": [[2], {"y": 2.5}], "e": {}}
    copy = fresh(answer)
    assert copy == answer and list(copy) == list(answer) and list(copy["a"]) == list(answer["a"])
    assert copy is not answer and copy["a"] is not answer["a"] and copy["a"]["m"] is not answer["a"]["m"]
    assert copy["a"]["m"][1] is not answer["a"]["m"][1] and copy["l"][0] is not answer["l"][0]
    assert copy["e"] is not answer["e"] and copy["k"] is leaf  # what is not a dict or list is shared
    copy["a"]["m"][1]["x"] = 1
    copy["l"][1]["y"] = 0
    assert answer["a"]["m"][1]["x"] is None and answer["l"][1]["y"] == 2.5


def test_only_private_connections_are_tracked(world_path):
    with pytest.raises(sqlite3.ProgrammingError, match="needs a connection that keeps"):
        track_writes(sqlite3.connect(":memory:"))
    conn = private_copy(world_path, False)
    conn.execute("BEGIN")
    with pytest.raises(sqlite3.ProgrammingError, match="outside a transaction"):
        track_writes(conn)
    conn.rollback()
    file_conn = open_world(world_path)
    assert not is_tracked(file_conn) and world_version(file_conn) is None and memo(file_conn, "query_order") is None
    track_writes(conn)
    assert is_tracked(conn) and world_version(conn) == ""


def _full_check(text: str) -> str | None:
    """What mobile_number must answer, by phonenumbers' full check: the national number of a CN
    number that is valid and of a mobile type, else None."""
    import phonenumbers

    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    ok = (phonenumbers.region_code_for_number(number) == "CN" and phonenumbers.is_valid_number(number)
          and phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE,
                                                   phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE))
    return str(number.national_number) if ok else None


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
        assert _mobile(text) == _full_check(text), text
    assert _mobile("138 0013 8000") == "13800138000" and _mobile("+86 13800138000") == "13800138000"
    assert _mobile("12345") is None


def test_a_grouped_mobile_is_the_number_phonenumbers_parses():
    """138 0013 8000, 138-0013-8000, +86 138… and +86-138-…: the fast path reads the number
    phonenumbers would, valid or not, for every three-digit start."""
    import random

    from twinchat.inventory.tools.service import mobile_number

    rng = random.Random(5)
    forms = ("{a} {b} {c}", "{a}-{b}-{c}", "+86 {a}{b}{c}", "+86{a}{b}{c}", "+86 {a} {b} {c}", "+86-{a}-{b}-{c}",
             "{a} {b}-{c}", "+86 {a}-{b} {c}")
    checked = 0
    for head in range(100, 200):
        for _ in range(3):
            b, c = f"{rng.randrange(10**4):04d}", f"{rng.randrange(10**4):04d}"
            for form in forms:
                text = form.format(a=head, b=b, c=c)
                assert mobile_number.__wrapped__(text) == _full_check(text), text
                checked += 1
    assert checked == 2400


def test_a_mobile_number_is_what_the_full_phonenumbers_check_accepts():
    """mobile_number asks phonenumbers for the number's type once (a CN number of a mobile type
    is a valid one): every plain 11-digit start, landlines, other regions' numbers and junk get
    the answer of region == CN and is_valid_number and a mobile type."""
    import random

    from twinchat.inventory.tools.service import mobile_number

    rng = random.Random(11)
    texts = [f"{head}{rng.randrange(10**8):08d}" for head in range(100, 200) for _ in range(4)]
    texts += ["010-12345678", "02012345678", "+852 6123 4567", "+1 650 253 0000", "12345", "abc", "+86 10 1234 5678",
              "0086 138 0013 8000", "1380013800", "138001380001", "400-800-8888", "95588", "+8613800138000"]
    accepted = 0
    for text in texts:
        assert mobile_number.__wrapped__(text) == _full_check(text), text
        accepted += mobile_number.__wrapped__(text) is not None
    assert 0 < accepted < len(texts)


def test_tables_made_later_and_virtual_tables_are_tracked(world_path):
    conn = private_copy(world_path, False)
    track_writes(conn)
    conn.execute(f"CREATE TABLE wide ({', '.join(f'c{i} INTEGER' for i in range(150))})")
    conn.execute("CREATE VIRTUAL TABLE notes USING fts5(body)")
    start = world_version(conn)
    for insert in ("INSERT INTO wide (c149) VALUES (1)", "INSERT INTO notes (body) VALUES ('x')"):
        with scratch(conn, "w"):
            conn.execute(insert)
            assert world_version(conn) != start
        assert world_version(conn) == start
    assert is_tracked(conn) and memo(conn, "query_order") is not None


def test_a_remembered_order_is_placed_again_with_all_its_rows(world_path):
    """place_order writes a customer, an order and its items: answered from memory, it writes them all again."""
    order = {"products": ["MEM004", "SSD004"], "name": "王伟", "phone": "139 0013 8000",
             "address": "广东省深圳市南山区科苑路15号科兴科学园B栋"}
    rows = ("SELECT * FROM customers WHERE phone = '13900138000' UNION ALL SELECT o.order_no, o.customer, o.created_at, "
            "o.eta, o.total, i.product_id, i.qty, i.price, NULL, NULL, NULL FROM orders o JOIN order_items i "
            "ON i.order_no = o.order_no WHERE o.created_at = '2026-11-20 15:30:00' ORDER BY 1, 6")
    plain, tracked = private_copy(world_path, False), private_copy(world_path, True)
    with scratch(plain, "p"):
        expected = call(plain, "place_order", order, NOW), plain.execute(rows).fetchall()
    assert "order_no" in expected[0] and len(expected[1]) == 3  # a new customer, two items
    for name in ("computed", "remembered"):
        with scratch(tracked, name):
            placed = call(tracked, "place_order", order, NOW)
            settle(tracked)
            assert (placed, tracked.execute(rows).fetchall()) == expected
    assert memo(tracked, "place_order") is not None


def test_a_written_order_is_owed_until_the_next_call_and_never_made_if_rolled_back_first(world_path):
    """place_order's rows are made when the next tool call starts (or on settle), so a session's
    last order, rolled back right after, costs no write; the answer and the version are the same
    as if the rows were made at once, and a rollback takes the debt back with the version."""
    order = {"products": ["MEM004"], "name": "王伟", "phone": "139 0013 8000", "address": "深圳市南山区科苑路15号"}
    mine = "SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer WHERE c.phone = '13900138000'"
    plain, conn = private_copy(world_path, False), private_copy(world_path, True)
    with scratch(plain, "p"):
        expected = call(plain, "place_order", order, NOW)
        assert plain.execute(mine).fetchone()[0] == 1  # untracked: written at once
    start = world_version(conn)
    with scratch(conn, "owed"):
        assert call(conn, "place_order", order, NOW) == expected
        placed = world_version(conn)
        assert placed != start and conn.execute(mine).fetchone()[0] == 0  # owed, not made
        answer = call(conn, "query_order", {"phone": "13900138000"}, NOW)  # the next call makes it first
        assert answer["count"] == 1 and answer["orders"][0]["order_no"] == expected["order_no"]
        assert conn.execute(mine).fetchone()[0] == 1 and world_version(conn) == placed
    assert world_version(conn) == start and conn.execute(mine).fetchone()[0] == 0
    with scratch(conn, "settled"):
        assert call(conn, "place_order", order, NOW) == expected  # remembered: owed again
        settle(conn)
        assert conn.execute(mine).fetchone()[0] == 1 and world_version(conn) == placed
    conn.execute("BEGIN")
    conn.execute("SAVEPOINT before")
    call(conn, "place_order", order, NOW)
    conn.execute("SAVEPOINT made")
    settle(conn)
    conn.execute("ROLLBACK TO made")  # the rows are taken back, and the debt with them
    assert conn.execute(mine).fetchone()[0] == 0
    assert call(conn, "query_order", {"phone": "13900138000"}, NOW)["count"] == 1
    conn.execute("ROLLBACK TO before")
    assert world_version(conn) == start and call(conn, "query_order", {"phone": "13900138000"}, NOW)["count"] == 0
    conn.rollback()


def test_the_prepared_mobile_type_rule_is_phonenumbers_for_every_five_digit_start():
    """_cn_mobile (CN's type rule with its patterns compiled once) gives phonenumbers' answer for
    numbers of every five-digit start from 10000 to 19999, and for lengths other than 11."""
    import random

    import phonenumbers

    from twinchat.inventory.tools.mobile import _asked_of_phonenumbers, _cn_mobile

    rng = random.Random(17)
    texts = [f"{head}{rng.randrange(10**6):06d}" for head in range(10000, 20000) for _ in range(2)]
    texts += [f"1{rng.randrange(10**k):0{k}d}" for k in (5, 6, 7, 8, 9, 11, 12) for _ in range(200)]
    mobiles = 0
    for text in texts:
        number = phonenumbers.PhoneNumber(country_code=86, national_number=int(text))
        want = phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE,
                                                    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
        assert _cn_mobile(text) is want and _asked_of_phonenumbers(text) is want, text
        mobiles += want
    assert 0 < mobiles < len(texts)


def test_a_ticket_is_owed_like_an_order_and_the_debt_lives_in_the_table(world_path):
    """create_ticket's row is owed until the next call (the answer is the untracked one); drawn
    and rolled back again and again, as generate draws, no row is ever made and nothing is kept
    outside the tracked table: the debt is read back from it after a rollback to a savepoint."""
    plain, conn = private_copy(world_path, False), private_copy(world_path, True)
    free = call(plain, "query_technician_slots", {"city": "深圳", "category": "充电桩"}, NOW)["slots"]
    ticket = {"user_name": "王伟", "phone": "13900138000", "address": "广东省深圳市南山区科苑路15号",
              "problem": "充电桩无法充电", "category": "充电桩", "serve_time": free[0]["start"]}
    count = "SELECT count(*) FROM tickets"
    with scratch(plain, "p"):
        expected = call(plain, "create_ticket", ticket, NOW)
        assert "ticket_no" in expected and plain.execute(count).fetchone()[0] == 1
    for _ in range(3):  # a draw per scratch transaction, rolled back before any other call
        with scratch(conn, "draw"):
            assert call(conn, "create_ticket", ticket, NOW) == expected
            assert conn.execute(count).fetchone()[0] == 0
    assert conn.execute(count).fetchone()[0] == 0
    conn.execute("BEGIN")
    call(conn, "create_ticket", ticket, NOW)
    conn.execute("SAVEPOINT owing")
    call(conn, "search_solution", {"query": "充电桩无法充电"}, NOW)  # pays the debt
    assert conn.execute(count).fetchone()[0] == 1
    conn.execute("ROLLBACK TO owing")  # the row goes, the debt comes back from the table
    assert conn.execute(count).fetchone()[0] == 0
    slots = call(conn, "query_technician_slots", {"city": "深圳", "category": "充电桩"}, NOW)["slots"]
    assert conn.execute(count).fetchone()[0] == 1 and slots != free  # made first: its slot is taken
    conn.rollback()


def test_an_undone_call_steps_no_version_and_owes_nothing(world_path):
    """A call the caller undoes at once (undone_call, inside a scratch): its answer is the
    untracked one, the version stays where it was and nothing is owed, so the next call reads
    the tables as they were; a call that writes rows itself still steps the version."""
    from twinchat.inventory.connection import close_scratch, open_scratch
    from twinchat.inventory.tools.memo import undone_call

    plain, conn = private_copy(world_path, False), private_copy(world_path, True)
    ticket = {"user_name": "王伟", "phone": "13900138000", "address": "广东省深圳市南山区科苑路15号",
              "problem": "充电桩无法充电", "category": "充电桩",
              "serve_time": call(plain, "query_technician_slots", {"city": "深圳", "category": "充电桩"},
                                 NOW)["slots"][0]["start"]}
    with scratch(plain, "p"):
        expected = call(plain, "create_ticket", ticket, NOW)
    start = world_version(conn)
    for _ in range(2):  # computed, then remembered
        began = open_scratch(conn, "draw")
        try:
            assert undone_call(conn, lambda: call(conn, "create_ticket", ticket, NOW)) == expected
            assert world_version(conn) == start
            settle(conn)
            assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
        finally:
            close_scratch(conn, "draw", began)
    conn.execute("BEGIN")
    conn.execute("UPDATE technicians SET rating = rating")  # a write outside any tool call
    undone_call(conn, lambda: call(conn, "create_ticket", ticket, NOW))
    assert world_version(conn) != start  # that write still named a new version
    conn.rollback()
    order = {"products": ["MEM004"], "name": "王伟", "phone": "139 0013 8000", "address": "深圳市南山区科苑路15号"}
    conn.execute("BEGIN")
    call(conn, "place_order", order, NOW)
    settle(conn)  # place_order owes its rows: made now, then an undone call reads them
    made = world_version(conn)
    assert undone_call(conn, lambda: call(conn, "query_order", {"phone": "13900138000"}, NOW))["count"] == 1
    assert world_version(conn) == made
    conn.rollback()


def test_tickets_written_outside_a_call_are_seen_by_the_next_ticket(world_path):
    """Whether ``tickets`` is empty is remembered per world state: a row written outside any tool
    call (a new state) is seen by create_ticket on a tracked copy as on an untracked one — its
    number clashes, then its slot is taken."""
    plain, conn = private_copy(world_path, False), private_copy(world_path, True)
    free = call(plain, "query_technician_slots", {"city": "深圳", "category": "充电桩"}, NOW)["slots"][0]
    ticket = {"user_name": "王伟", "phone": "13900138000", "address": "广东省深圳市南山区科苑路15号",
              "problem": "充电桩无法充电", "category": "充电桩", "serve_time": free["start"],
              "technician_id": free["technician_id"]}
    insert = ("INSERT INTO tickets (ticket_no, request_key, created_at, user_name, phone, address, city, problem, "
              "category, serve_start, serve_end, technician, is_vip, status) VALUES (?, ?, '2026-11-20 09:00:00', "
              "'赵女士', '13900139000', '深圳市福田区', '440300', '充电桩跳闸', 'charging_pile', ?, ?, ?, 0, 'created')")
    answers = []
    for each in (plain, conn):
        each.execute("BEGIN")
        first = call(each, "create_ticket", ticket, NOW)
        settle(each)  # the first ticket made (a tracked copy owes it), then gone, its number taken by another
        each.execute("DELETE FROM tickets")
        each.execute(insert, (first["ticket_no"], "other", "2026-12-01 09:00:00", "2026-12-01 11:00:00", None))
        second = call(each, "create_ticket", ticket, NOW)
        each.execute(insert, ("TK0", "taken", free["start"], free["end"], free["technician_id"]))
        third = call(each, "create_ticket", {**ticket, "user_name": "李女士"}, NOW)
        each.rollback()
        assert second["ticket_no"] != first["ticket_no"] and third["error"]["code"] == "slot_unavailable"
        answers.append((first, second, third))
    assert answers[0] == answers[1]


def test_after_sales_tools_read_an_order_row_once_per_state(world_path):
    """The after-sales tools read query_order's order row, remembered per world state: asked about
    one order at several clocks, the order is read once; their answers equal an untracked world's,
    before and after a cancellation changes the row."""
    tracked, plain = private_copy(world_path, True), private_copy(world_path, False)
    order_no, created, paid = tracked.execute(  # an order paid, and shipped hours later
        "SELECT order_no, created_at, paid_at FROM orders WHERE cancelled_at IS NULL AND julianday(shipped_at) "
        "- julianday(paid_at) > 0.2 ORDER BY order_no LIMIT 1").fetchone()
    reads: list[str] = []
    tracked.set_trace_callback(lambda sql: reads.append(sql) if "FROM orders WHERE order_no" in sql else None)
    clocks = [datetime.fromisoformat(created) - timedelta(minutes=7)]  # before the order: not found
    clocks += [datetime.fromisoformat(paid) + minutes * timedelta(minutes=7) for minutes in (1, 2, 3)]
    names = ("urge_shipment", "get_invoice", "check_price_protection", "file_complaint")
    calls = [(name, {"order_no": order_no, **({"issue": "发货太慢"} if name == "file_complaint" else {})}, now)
             for now in clocks for name in names]
    calls.append(("request_cancellation", {"order_no": order_no, "reason": "不想要了"}, clocks[-1]))
    calls += [(name, args, now + timedelta(minutes=1)) for name, args, now in calls[-5:-1]]
    got = [call(tracked, name, args, now) for name, args, now in calls]
    want = [call(plain, name, args, now) for name, args, now in calls]
    assert got == want
    assert got[0]["error"]["code"] == "order_not_found" and got[-4]["error"]["code"] == "order_cancelled"  # urge_shipment, after it
    assert len(reads) == 2  # the row before the cancellation, and after it


def test_remembered_checkpoints_give_the_last_one_passed_at_every_moment(world_path):
    """The order tools remember an order's checkpoints in a lean form: at each checkpoint's time,
    a second before it and after the last, the tracked connection answers as the plain one."""
    from twinchat.inventory.orders import checkpoints

    plain, tracked = private_copy(world_path, False), private_copy(world_path, True)
    shipped = plain.execute("SELECT order_no FROM orders WHERE shipped_at IS NOT NULL "
                            "ORDER BY order_no LIMIT 12").fetchall()
    asked = 0
    for (order_no,) in shipped:
        history = checkpoints(plain, order_no)
        moments = [m for c in history for m in (c.time, c.time - timedelta(seconds=1))]
        for now in [*moments, history[-1].time + timedelta(days=1)]:
            want = call(plain, "query_order", {"order_no": order_no}, now)
            got = call(tracked, "query_order", {"order_no": order_no}, now)
            assert got == want
            if "orders" in want and want["orders"][0]["last_checkpoint"] is not None:
                passed = [c for c in history if c.time <= now]
                assert want["orders"][0]["last_checkpoint"]["text"] == passed[-1].text
                asked += 1
    assert asked > 12 * 4


def test_a_memo_holds_at_most_its_bound_and_the_run_sets_it(world_path):
    """A tool's memo takes the connection's bound for answers, a memo of facts the bound for facts,
    and a memo whose tool asked for its own bound keeps it; bounding the connection later bounds
    the memos made already."""
    conn = private_copy(world_path, True)
    answers, facts, own = memo(conn, "a"), memo(conn, "f", kind="facts"), memo(conn, "o", 3)
    assert (answers.keep, facts.keep, own.keep) == (Memo.KEEP, Memo.FACTS_KEEP, 3)
    for i in range(40):
        for remembered in (answers, facts, own):
            remembered.put(remembered.key(i), i)
    assert (len(answers), len(facts), len(own)) == (40, 40, 40 % 3)
    keep_answers(conn, 16, 24)  # the memos made already start over, holding more than that
    assert (answers.keep, facts.keep, own.keep) == (16, 24, 3) and len(answers) == len(facts) == 0
    later, later_facts = memo(conn, "b"), memo(conn, "g", kind="facts")
    assert (later.keep, later_facts.keep) == (16, 24)
    held = {id(m): 0 for m in (answers, facts, later, later_facts)}
    for i in range(100):
        for remembered in (answers, facts, later, later_facts):
            remembered.put(remembered.key(i), i)
            held[id(remembered)] = max(held[id(remembered)], len(remembered))
    assert list(held.values()) == [16, 24, 16, 24]
    with pytest.raises(ValueError, match="at least one answer"):
        keep_answers(conn, 0, 24)
    conn.close()


def test_the_order_facts_take_the_runs_bound(world_path):
    """The order tools remember an order's row, lines and checkpoints as facts: while the order
    tables are unwritten, by order number, bounded by the run's bound for them (keep_cache), and
    answering as the plain connection does however small it is."""
    from twinchat.inventory.tools.order_facts import BaseFacts

    plain, tracked = private_copy(world_path, False), private_copy(world_path, True)
    keep_answers(tracked, 2, 3)
    keep_cache(tracked, BaseFacts, 3)
    orders = plain.execute("SELECT order_no FROM orders WHERE shipped_at IS NOT NULL ORDER BY order_no "
                           "LIMIT 10").fetchall()
    for (order_no,) in orders * 2:
        assert call(tracked, "query_order", {"order_no": order_no}, NOW) == call(plain, "query_order",
                                                                                  {"order_no": order_no}, NOW)
        facts = tracked.static[BaseFacts]._facts
        assert set(facts) == {"order_row", "order_items", "order_checkpoints"}
        assert all(1 <= len(kept) <= 3 for kept in facts.values())
        assert memo(tracked, "query_order").keep == 2 and len(memo(tracked, "query_order")) <= 2
    plain.close()
    tracked.close()


def test_the_order_facts_read_whole_answer_as_one_at_a_time(world_path):
    """A run that reads the order facts whole (whole_tables) keeps them one order at a time until
    it has read (WHOLE_AFTER + 1) times as many as it keeps, then holds every order's row and lines,
    answers the order tools as the plain connection does (an unknown order too, which it does not
    keep), and reads them one at a time for a world of more orders."""
    from twinchat.inventory.tools.order_facts import WHOLE_AFTER, BaseFacts, whole_tables

    plain, tracked, small = (private_copy(world_path, False), private_copy(world_path, True),
                             private_copy(world_path, True))
    count = plain.execute("SELECT count(*) FROM orders").fetchone()[0]
    keep_cache(tracked, whole_tables, count)
    keep_cache(small, whole_tables, count - 1)
    for conn in (tracked, small):
        keep_cache(conn, BaseFacts, 2)
    order_no = plain.execute("SELECT order_no FROM orders LIMIT 1").fetchone()[0]
    call(tracked, "query_order", {"order_no": order_no}, NOW)
    assert len(tracked.static[BaseFacts]._facts["order_row"]) == 1  # one at a time at first
    orders = [r[0] for r in plain.execute("SELECT order_no FROM orders WHERE created_at < ? ORDER BY delivered_at "
                                          "IS NULL, order_no DESC LIMIT 12", (NOW.strftime("%Y-%m-%d"),))]
    for order_no in [*orders, "DD0000000000000"]:
        for name, args in (("query_order", {"order_no": order_no}),
                           ("request_return", {"order_no": order_no, "kind": "return", "reason": "不想要了"})):
            expected = call(plain, name, args, NOW)
            assert call(tracked, name, args, NOW) == expected
            assert call(small, name, args, NOW) == expected
    facts = tracked.static[BaseFacts]._facts
    assert tracked.static[BaseFacts]._reads["order_row"] == 2 * (WHOLE_AFTER + 1)
    assert len(facts["order_row"]) == count and "DD0000000000000" not in facts["order_row"]
    assert facts["order_items"][orders[0]] == [tuple(r) for r in plain.execute(
        "SELECT i.product_id, p.short_name, i.qty, i.price FROM order_items i JOIN products p ON p.id = i.product_id "
        "WHERE i.order_no = ? ORDER BY i.rowid", (orders[0],))]
    assert len(small.static[BaseFacts]._facts["order_row"]) <= 2
    for conn in (tracked, small):  # emptying the caches keeps what was read whole, only that
        conn.static[BaseFacts].forget()
    assert len(facts["order_row"]) == count and not small.static[BaseFacts]._facts["order_row"]
    for conn in (plain, tracked, small):
        conn.close()


def test_a_run_bounds_the_validated_arguments_it_keeps(world_path):
    """A tool keeps the validated arguments of at most the bound the run set for its connection
    (:class:`Tool` with keep_cache), and answers the same as on a connection without one."""
    from twinchat.inventory.tools.base import KEEP_VALIDATED, Tool
    from twinchat.inventory.tools.registry import tools

    plain, bounded = private_copy(world_path, True), private_copy(world_path, True)
    assert cache_bound(bounded, Tool, KEEP_VALIDATED) == KEEP_VALIDATED
    keep_cache(bounded, Tool, 3)
    assert cache_bound(bounded, Tool, KEEP_VALIDATED) == 3 and cache_bound(plain, Tool, 7) == 7
    orders = [r[0] for r in plain.execute("SELECT order_no FROM orders ORDER BY order_no LIMIT 8")]
    wants = [call(plain, "query_order", {"order_no": order_no}, NOW) for order_no in orders * 2]
    tools()["query_order"]._validated.clear()  # the tool's cache is the process's: what plain added goes
    held = 0
    for order_no, want in zip(orders * 2, wants):
        assert call(bounded, "query_order", {"order_no": order_no}, NOW) == want
        held = max(held, len(tools()["query_order"]._validated))
        assert len(tools()["query_order"]._validated) <= 3
    assert held == 3
    with pytest.raises(ValueError, match="at least one entry"):
        keep_cache(bounded, Tool, 0)
    plain.close()
    bounded.close()


def test_one_copy_holds_a_text_once_within_its_bound(world_path):
    """Equal texts read apart come back as one object, the table starts over once it holds the
    run's bound (keep_cache with one_copy), and a connection that keeps nothing hands the text back
    as is."""
    from twinchat.inventory.tools.memo import _Texts

    conn = private_copy(world_path, True)
    keep_cache(conn, one_copy, 2)
    first = one_copy(conn)(*["".join(["顺丰", "速运"])] * 2)
    assert first == "顺丰速运" and one_copy(conn)(*["".join(["顺丰", "速", "运"])] * 2) is first
    held = 0
    for text in ("中通", "圆通", "韵达", "中通", "申通"):
        same = one_copy(conn)
        assert len(conn.static[_Texts]) < 2
        copy = "".join(text)
        assert same(copy, copy) == text
        held = max(held, len(conn.static[_Texts]))
    assert held == 2
    plain = sqlite3.connect(":memory:")
    text = "".join(["申", "通"])
    assert one_copy(plain)(text, text) is text
    plain.close()
    conn.close()


def test_order_facts_hold_a_customers_text_once(world_path):
    """Two orders of one customer, read as facts, share the customer's text."""
    from twinchat.inventory.tools.orders import order_at

    conn = private_copy(world_path, True)
    customer, a, b = conn.execute(
        "SELECT customer, min(order_no), max(order_no) FROM orders GROUP BY customer HAVING count(*) > 1 "
        "ORDER BY customer LIMIT 1").fetchone()
    late = datetime(2100, 1, 1)
    rows = order_at(conn, a, late), order_at(conn, b, late)
    assert rows[0].customer == rows[1].customer == customer and rows[0].customer is rows[1].customer
    conn.close()


def _unshipped(conn, count: int) -> list[str]:
    """Orders paid and not shipped at NOW with more than one line (a line can be cancelled)."""
    stamp = "2026-11-20 15:30:00"
    return [r[0] for r in conn.execute(
        "SELECT o.order_no FROM orders o WHERE o.paid_at <= ? AND (o.shipped_at IS NULL OR o.shipped_at > ?) "
        "AND (o.cancelled_at IS NULL OR o.cancelled_at > ?) AND o.created_at <= ? "
        "AND (SELECT count(*) FROM order_items i WHERE i.order_no = o.order_no) > 1 ORDER BY o.order_no LIMIT ?",
        (stamp, stamp, stamp, stamp, count))]


def test_address_changes_and_cancellations_are_remembered_and_still_written(world_path):
    """change_address and request_cancellation answer the same call from the same state from memory
    (a session's verification), and still make their writes: the order tables end as the untracked
    copy's, call after call."""
    plain, tracked = private_copy(world_path, False), private_copy(world_path, True)
    first, second = _unshipped(plain, 2)
    line = plain.execute("SELECT product_id FROM order_items WHERE order_no = ? ORDER BY rowid", (second,)).fetchone()[0]
    calls = [("change_address", {"order_no": first, "address": "深圳市南山区科苑路15号"}),
             ("query_order", {"order_no": first}),
             ("request_cancellation", {"order_no": second, "product_id": line}),
             ("query_order", {"order_no": second}),
             ("request_cancellation", {"order_no": first, "reason": "拍错了"}),
             ("query_order", {"order_no": first}),
             ("change_address", {"order_no": first, "address": "北京市海淀区中关村大街1号"})]
    tables = "SELECT * FROM orders WHERE order_no IN (?, ?) UNION ALL SELECT order_no, product_id, qty, price, " \
             "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM order_items " \
             "WHERE order_no IN (?, ?) ORDER BY 1, 2"

    def play(conn):
        answers = [call(conn, name, args, NOW) for name, args in calls]
        settle(conn)
        return answers, conn.execute(tables, (first, second, first, second)).fetchall()

    for conn in (plain, tracked):
        conn.execute("BEGIN")
    expected = play(plain)
    assert expected[0][0]["address"]["text"] == "深圳市南山区科苑路15号" and expected[0][2]["scope"] == "line"
    assert expected[0][4]["scope"] == "order" and "error" in expected[0][6]  # cancelled: no address change
    with scratch(tracked, "first"):
        assert play(tracked) == expected  # computed, remembered
    remembered = len(memo(tracked, "change_address")), len(memo(tracked, "request_cancellation"))
    assert remembered == (2, 2)
    with scratch(tracked, "again"):
        assert play(tracked) == expected  # answered from memory: the writes are still made
    assert (len(memo(tracked, "change_address")), len(memo(tracked, "request_cancellation"))) == remembered


class _NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def test_a_compared_call_is_given_the_remembered_answer_and_nothing_else_is(world_path):
    """Within compared_call (verification comparing a re-run with the stored result) a tool that
    returns its remembered answer as it is hands that out uncopied; outside it, and to a tool that
    calls another inside it, every answer is a copy, so no change reaches what is remembered."""
    conn = private_copy(world_path, True)
    order_no = _delivered(conn)
    asked = {"order_no": order_no}
    first = call(conn, "query_order", asked, NOW)
    one = compared_call(conn, lambda: call(conn, "query_order", asked, NOW))
    two = compared_call(conn, lambda: call(conn, "query_order", asked, NOW))
    assert one == first and one is two  # the remembered answer itself
    assert call(conn, "query_order", asked, NOW) is not call(conn, "query_order", asked, NOW)
    ret = {"order_no": order_no, "kind": "return", "reason": "不想要了"}
    with scratch(conn, "r"):
        made = call(conn, "request_return", ret, NOW)
    with scratch(conn, "r"):
        again = compared_call(conn, lambda: call(conn, "request_return", ret, NOW))
    with scratch(conn, "r"):
        assert again == made and again is compared_call(conn, lambda: call(conn, "request_return", ret, NOW))
        settle(conn)  # the write is still made
        assert conn.execute("SELECT count(*) FROM returns WHERE return_no = ?", (made["return_no"],)).fetchone()[0] == 1

    def outer_func(ctx, args):  # a tool that calls another and changes what it is given
        inner = call(ctx.conn, "query_order", asked, ctx.now)
        inner["orders"].clear()
        return {"seen": len(inner["orders"])}

    outer = Tool(name="outer", description="calls query_order", args_model=_NoArgs, func=outer_func)
    assert compared_call(conn, lambda: outer(ToolContext(conn, NOW), {})) == {"seen": 0}
    assert call(conn, "query_order", asked, NOW) == first  # what is remembered is unchanged
