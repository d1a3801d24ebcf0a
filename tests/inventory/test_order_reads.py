"""The order facts read for every order at once are the ones read one order at a time."""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from world_copies import private_copy

from twinchat.inventory.orders import route_times

from twinchat.inventory.tools.order_reads import (
    _EPOCH,
    _MINUTE,
    _ORDER_COLUMNS,
    OrderRow,
    _all_item_rows,
    _all_order_rows,
    _item_rows,
    _order_row,
    _route_minutes,
    _times,
)


def _slots(row: OrderRow | None) -> tuple | None:
    return None if row is None else tuple(getattr(row, name) for name in (*_ORDER_COLUMNS, "timeline"))


def test_every_row_read_whole_is_made_when_asked_for_as_one_read_alone(world_path):
    """The whole read holds each row as read until it is asked for, then as the OrderRow read
    alone gives (its timeline parsed when a text is not a stamp, a text that repeats held once)."""
    conn = private_copy(world_path, False)
    # an odd text (strptime reads it; it is no stamp), in an order of a customer with another order
    odd, other = conn.execute("SELECT a.order_no, b.order_no FROM orders a JOIN orders b ON b.customer = a.customer "
                              "AND b.order_no > a.order_no LIMIT 1").fetchone()
    conn.execute("UPDATE orders SET created_at = '2026-1-5 9:00:00' WHERE order_no = ?", (odd,))
    rows = _all_order_rows(conn, 10**6)
    numbers = [r[0] for r in conn.execute("SELECT order_no FROM orders")]
    assert rows is not None and set(rows) == set(numbers)
    assert all(type(dict.__getitem__(rows, n)) is tuple for n in numbers)  # none made before it is asked for
    for order_no in numbers:
        row = rows[order_no]
        assert type(row) is OrderRow and rows[order_no] is row  # made once, then kept
        assert _slots(row) == _slots(_order_row(conn, order_no))
    assert rows[odd].timeline is not None and rows[other].timeline is None
    assert rows[odd].customer is rows[other].customer
    assert _all_order_rows(conn, len(numbers) - 1) is None
    conn.close()


def test_every_order_s_lines_read_alone_and_whole_are_the_join_s(world_path):
    """An order's lines, read alone or with every order's, are what the join of the lines with the
    catalog gives, in order: a line of a product the catalog does not have is left out as the
    join leaves it out, and the texts are the catalog's one copy."""
    conn = private_copy(world_path, False)
    order_no = conn.execute("SELECT order_no FROM order_items LIMIT 1").fetchone()[0]
    conn.execute("INSERT INTO order_items (order_no, product_id, qty, price) VALUES (?, 'NOPE01', 1, 9.5)", (order_no,))
    lines = _all_item_rows(conn, 10**6)
    assert lines is not None
    for (number,) in conn.execute("SELECT order_no FROM orders"):
        joined = [tuple(r) for r in conn.execute(
            "SELECT i.product_id, p.short_name, i.qty, i.price FROM order_items i JOIN products p ON p.id = i.product_id "
            "WHERE i.order_no = ? ORDER BY i.rowid", (number,))]
        assert _item_rows(conn, number) == joined and lines.get(number, []) == joined
    held: dict[str, tuple[str, str]] = {}  # a product's id and name, held once across the orders
    assert all(all(a is b for a, b in zip(held.setdefault(line[0], line[:2]), line[:2]))
               for kept in lines.values() for line in kept)
    assert len(held) < sum(len(kept) for kept in lines.values())
    assert all(line[1] is held[line[0]][1] for line in _item_rows(conn, order_no))
    conn.close()


def test_route_minutes_are_the_minutes_of_the_route_times():
    """The checkpoints' minutes, worked out in whole microseconds, are those of route_times:
    across spans short and long (the shares capped or not), to the second and to the
    microsecond, rounding halves to even as a timedelta times a float does."""
    rng = random.Random(7)
    cases = [(datetime(2026, 11, 1, 8), timedelta(hours=h)) for h in (0, 1, 5, 9.99, 10, 10.01, 30, 200)]
    cases += [(datetime(2000, 1, 1) + timedelta(seconds=rng.randrange(10**9), microseconds=rng.choice((0, rng.randrange(10**6)))),
               timedelta(seconds=rng.randrange(-3600, 20 * 86400), microseconds=rng.randrange(10**6)))
              for _ in range(3000)]
    for share in (0.15, 0.2, 0.3, 0.4, 0.8):  # halves: an odd multiple of the ratio's half denominator
        n, d = share.as_integer_ratio()
        for us in (d // 2 // math.gcd(n, d // 2) * k for k in (1, 3, -1, -3)):
            if us * n % d == d // 2:
                assert _times(us, (n, d)) == timedelta(microseconds=us) * share // timedelta(microseconds=1)
    n, d = (0.3).as_integer_ratio()
    assert any(us * n % d == d // 2 for us in (d // 2, 3 * d // 2))  # a half was tried
    for shipped, span in cases:
        for between in (False, True):
            expected = [(t - _EPOCH) // _MINUTE for t in route_times(shipped, shipped + span, between)]
            assert _route_minutes(shipped, shipped + span, between) == expected
