"""The order book's build: each order's intervals made by spans_of are those _Order.intervals gives
(the reference), on the world's orders and on orders whose moments tie or are missing; the
interval index sorts as by (start, order); a customer's title starts with their longest surname."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta

from twinchat.composer.engine import orderbook
from twinchat.composer.engine.order_spans import SpanIndex, spans_of
from twinchat.composer.engine.orderbook import OrderBook, _Order
from twinchat.inventory.orders_data import SURNAMES


def test_spans_of_every_world_order_are_its_intervals(world):
    book = OrderBook(world)
    assert len(book.orders) > 1000
    for order in book.orders:
        assert list(spans_of(order).items()) == list(order.intervals().items()), order.order_no
    assert book._spans == [o.intervals() for o in book.orders]


def test_spans_of_orders_whose_moments_tie_or_are_missing_are_their_intervals():
    base = datetime(2026, 11, 20, 10)
    moments = [None, base, base + timedelta(hours=1), base + timedelta(hours=1, seconds=1),
               base + timedelta(days=2), base - timedelta(hours=3)]
    seen = set()
    for paid, shipped, delivered, cancelled, eta in itertools.product(moments, repeat=5):
        order = _Order("DD1", "C1", base, paid, shipped, delivered, cancelled, eta, 1.0, "x")
        got, want = spans_of(order), order.intervals()
        assert list(got.items()) == list(want.items()), (paid, shipped, delivered, cancelled, eta)
        seen.add(tuple(want))
    assert len(seen) > 20  # many different shapes of timeline were compared


def test_the_index_sorts_its_intervals_by_start_then_order():
    rng = random.Random(0)
    starts = [datetime(2026, 11, 1) + timedelta(hours=rng.randrange(5)) for _ in range(300)]
    spans = [(s, None if rng.random() < 0.3 else s + timedelta(hours=1), i) for i, s in enumerate(starts)]
    rng.shuffle(spans)
    index = SpanIndex(list(spans))
    want = sorted(spans, key=lambda s: (s[0], s[2]))
    assert (index.starts, index.ends, index.orders) == ([s for s, _, _ in want], [e for _, e, _ in want],
                                                        [i for _, _, i in want])


def test_a_customers_title_starts_with_their_longest_surname(world):
    by_length = sorted((s for s, _ in SURNAMES), key=len, reverse=True)
    book = OrderBook(world)
    for customer in book.customers.values():
        surname = next(s for s in by_length if customer["name"].startswith(s))
        assert customer["title"] in (surname + "女士", surname + "先生"), customer
    compound = [s for s in by_length if len(s) > 1]
    assert compound and orderbook._SURNAME_LENGTHS == sorted({len(s) for s in by_length}, reverse=True)
    names = [c + "伟" for c in compound] + [c[:1] + "伟" for c in compound] + [c[:1] for c in compound]
    names += ["王", "王伟", "伟", "", "司马光", by_length[-1]]
    for name in names:
        want = next((s for s in by_length if name.startswith(s)), None)
        got = next((name[:n] for n in orderbook._SURNAME_LENGTHS if name[:n] in orderbook._SURNAMES), None)
        assert got == want, name
