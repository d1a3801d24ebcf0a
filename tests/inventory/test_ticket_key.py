"""A ticket's key written field by field is request_key's of its canonical dict, and a drawn number
is the one the digest's hex text gives, whatever the text and the day."""

from __future__ import annotations

import hashlib
import random
import sqlite3
from datetime import date, datetime

import pytest

from twinchat.inventory.tools.base import _day_digits, free_number, request_key
from twinchat.inventory.tools.ticket_key import ticket_key

#: characters JSON escapes, and some it writes as they are (ensure_ascii=False)
ODD = ['"', "\\", "\n", "\t", "\r", "\b", "\f", "\x00", "\x1f", "\x7f", "\u2028", "\u2029", "/", "😀", "Ｅ", "王",
       " ", "'", "{", "}", ":", ","]


def _reference(user_name, phone, address, problem, category, serve_time, technician_id, is_vip, now) -> str:
    return request_key({"user_name": user_name, "phone": phone, "address": address, "problem": problem,
                        "category": category, "serve_time": serve_time, "technician_id": technician_id,
                        "is_vip": is_vip, "now": now})


def test_a_usual_ticket_key():
    fields = ("王先生", "13800138000", "广东省深圳市南山区科苑路15号", "充电桩无法充电", "charger_pile",
              "2026-11-21 14:00:00", None, False, "2026-11-20 15:30:00")
    assert ticket_key(*fields) == _reference(*fields)
    assert ticket_key(*fields[:6], "T0012", True, fields[8]) == _reference(*fields[:6], "T0012", True, fields[8])


@pytest.mark.parametrize("odd", ODD)
def test_every_field_with_a_character_json_escapes_or_keeps(odd):
    base = ["王", "13800138000", "地址", "坏了", "laptop", "2026-11-21 14:00:00", "T1", True, "2026-11-20 15:30:00"]
    for at in (0, 1, 2, 3, 4, 5, 6, 8):
        fields = list(base)
        fields[at] = f"{odd}a{odd}{odd}"
        assert ticket_key(*fields) == _reference(*fields), (at, odd)
    assert ticket_key(*["", "", "", "", "", "", "", False, ""]) == _reference(*["", "", "", "", "", "", "", False, ""])


def test_random_texts():
    rng = random.Random(7)
    pool = ODD + list("abcXYZ0189-_ 中文地址号楼")

    def text() -> str:
        return "".join(rng.choice(pool) for _ in range(rng.randrange(0, 12)))

    for _ in range(500):
        fields = [text() for _ in range(6)] + [rng.choice([None, text()]), rng.random() < 0.5, text()]
        assert ticket_key(*fields) == _reference(*fields)


@pytest.mark.parametrize("day", [date(1, 1, 1), date(999, 12, 31), date(1000, 1, 2), date(2026, 11, 20),
                                 datetime(2026, 3, 4, 23, 59), date(9999, 12, 31)])
def test_the_day_of_a_number(day):
    assert _day_digits(day) == f"{day:%Y%m%d}"
    assert _day_digits(day) == f"{day:%Y%m%d}"  # remembered


@pytest.mark.parametrize("now", [datetime(2026, 11, 20, 15, 30), datetime(999, 1, 2, 3, 4)])
def test_a_drawn_number_is_the_hex_digests(now):
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (n TEXT)")
    for key in ("", "abc", hashlib.sha256(b"x").hexdigest()):
        expected = [f"TK{now:%Y%m%d}{int(hashlib.sha256(f'{key}#{d}'.encode()).hexdigest(), 16) % 10**6:06d}"
                    for d in range(3)]
        assert free_number(conn, key, "TK", now, "t", "n", "x", empty=True) == expected[0]
        conn.executemany("INSERT INTO t VALUES (?)", [(expected[0],), (expected[1],)])  # the first two taken
        assert free_number(conn, key, "TK", now, "t", "n", "x") == expected[2]
