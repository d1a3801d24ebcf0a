"""How the order tools read an order: its row (:class:`OrderRow`) and status at a clock, its lines
and its tracking history, each remembered once per run while the order tables are unwritten
(:mod:`.order_facts`) and kept lean: texts that repeat across orders held once
(:func:`~twinchat.inventory.tools.memo.one_copy`), checkpoint times as minutes in an array.
``query_order``, ``request_return`` (:mod:`.orders`) and the after-sales tools read them."""

from __future__ import annotations

import re
import sqlite3
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from twinchat.inventory.orders import (AT_STATION_MOST, AT_STATION_SHARE, DISPATCHED_MOST, DISPATCHED_SHARE,
                                      LEG_SHARES, route_of, route_texts, status_of)
from twinchat.inventory.timefmt import format_time, parse_time
from twinchat.inventory.tools.memo import one_copy
from twinchat.inventory.tools.order_facts import order_fact
from twinchat.inventory.tools.static import static_data

__all__ = ["ORDER_SQL", "History", "Line", "OrderRow", "last_checkpoint", "order_at", "order_checkpoints",
           "order_lines", "order_status"]

_ORDER_COLUMNS = ("order_no", "customer", "created_at", "paid_at", "shipped_at", "delivered_at",
                  "cancelled_at", "cancel_reason", "warehouse", "eta", "carrier", "tracking_no", "total")
ORDER_SQL = f"SELECT {', '.join(_ORDER_COLUMNS)} FROM orders"


class OrderRow:
    """An order row as the order tools read it: its columns as attributes (``row.eta``). Slots,
    not a dict: a run keeps thousands of them (:mod:`.order_facts`).

    Its status is read off its timeline's texts, compared with the clock's text: for texts in
    the one time format, of four-digit years, that orders them as their datetimes (a time to the
    second is at most the clock when it is at most the clock's second). A row with other texts
    holds its timeline parsed."""

    __slots__ = (*_ORDER_COLUMNS, "timeline")

    def __init__(self, row: Sequence[Any], order_no: str | None = None) -> None:
        (no, self.customer, self.created_at, self.paid_at, self.shipped_at, self.delivered_at, self.cancelled_at,
         self.cancel_reason, self.warehouse, self.eta, self.carrier, self.tracking_no, self.total) = row
        self.order_no = no if order_no is None else order_no  # the asker's equal text: one copy held
        stamped = True
        parsed: list[datetime | None] = []
        for text in self.texts():  # each text read as parse_time reads it: an odd one is refused here
            if text is None:
                parsed.append(None)
            elif _STAMP.fullmatch(text):
                parsed.append(datetime.fromisoformat(text))  # parse_time's own reading of the format
            else:
                stamped = False
                parsed.append(parse_time(text))
        #: the timeline parsed, or None when its texts are ordered as it is
        self.timeline = None if stamped else tuple(parsed)

    def texts(self) -> tuple[str | None, ...]:
        """The timeline's texts (the moments of :data:`~twinchat.inventory.orders.TIMELINE`, in
        its order)."""
        return self.created_at, self.paid_at, self.shipped_at, self.delivered_at, self.cancelled_at


#: a time's text in the one format, of a four-digit year
_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def order_status(order: OrderRow, now: datetime) -> str | None:
    """:func:`status_at` of an order row at ``now``."""
    if order.timeline is None and now.year >= 1000 and now.tzinfo is None:  # now's text: four digits, no zone
        return status_of(order.texts(), format_time(now))  # type: ignore[arg-type]
    timeline = order.timeline
    if timeline is None:
        timeline = tuple(None if t is None else parse_time(t) for t in order.texts())
    return status_of(timeline, now)


def order_at(conn: sqlite3.Connection, order_no: str, now: datetime) -> OrderRow | None:
    """The order row (shared: not to be changed) if it exists at ``now``.

    An order's facts (its row, lines and checkpoints) are remembered once per run while the
    order tables are unwritten, else per world state (:func:`.order_facts.order_fact`), and kept
    lean: texts that repeat across orders held once (:func:`~twinchat.inventory.tools.memo.one_copy`),
    checkpoints as two tuples."""
    order = order_fact(conn, "order_row", order_no, lambda: _order_row(conn, order_no), _all_order_rows)
    return None if order is None or order.created_at > format_time(now) else order


#: columns whose texts repeat across orders (a customer's orders, a handful of carriers,
#: warehouses and reasons): held once by the remembered rows; their places in a row
_REPEATED = tuple(_ORDER_COLUMNS.index(k) for k in ("customer", "cancel_reason", "warehouse", "carrier"))


def _order_row(conn: sqlite3.Connection, order_no: str) -> OrderRow | None:
    row = conn.execute(_ORDER_ROW_SQL, (order_no,)).fetchone()
    return None if row is None else _made(row, order_no, one_copy(conn))


def _made(row: Sequence[Any], order_no: str | None, same: Callable[[str, str], str]) -> OrderRow:
    """The :class:`OrderRow` of a row read by :data:`ORDER_SQL`, its texts that repeat held once
    (``same(text, text)``: the copy kept)."""
    values = list(row)
    for i in _REPEATED:
        value = values[i]
        if type(value) is str:
            values[i] = same(value, value)
    return OrderRow(values, order_no)


_ORDER_ROW_SQL = f"{ORDER_SQL} WHERE order_no = ?"


def _all_order_rows(conn: sqlite3.Connection, limit: int) -> dict[str, OrderRow] | None:
    """Every order's row by number (what :func:`_order_row` reads of each, see :class:`_WholeRows`),
    or None for more than ``limit`` orders."""
    if conn.execute("SELECT count(*) FROM orders").fetchone()[0] > limit:
        return None
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples, kept as read
    rows = _WholeRows((row[0], row) for row in cursor.execute(ORDER_SQL))
    cursor.close()
    return rows


class _WholeRows(dict):  # type: ignore[type-arg]
    """Every order's row by number, held as read (a tuple) until it is asked for, then as its
    :class:`OrderRow` (its texts checked, those that repeat held once): a run asks for a part of
    the world's orders, and reading a row costs a third of making it."""

    __slots__ = ("_same",)

    def __init__(self, rows: Iterable[tuple[str, tuple[Any, ...]]]) -> None:
        super().__init__(rows)
        self._same: dict[str, str] = {}

    def __getitem__(self, order_no: str) -> OrderRow:
        row = dict.__getitem__(self, order_no)
        if type(row) is tuple:
            row = _made(row, None, self._same.setdefault)
            dict.__setitem__(self, order_no, row)
        return row  # type: ignore[no-any-return]


#: an order line as remembered: (product id, short name, quantity, price paid)
Line = tuple[str, str, int, float]


def order_lines(conn: sqlite3.Connection, order_no: str) -> list[Line]:
    """The order's lines (shared: not to be changed)."""
    return order_fact(conn, "order_items", order_no, lambda: _item_rows(conn, order_no), _all_item_rows)


def _item_rows(conn: sqlite3.Connection, order_no: str) -> list[Line]:
    rows = conn.execute("SELECT product_id, qty, price FROM order_items WHERE order_no = ? ORDER BY rowid",
                        (order_no,))
    named = static_data(conn, _catalog)
    return [(*product, qty, price) for product_id, qty, price in rows
            if (product := named.get(product_id)) is not None]


def _catalog(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """Product id -> (the id, its short name), a copy of each held once (static data: no one
    writes the catalog): an order's lines are read without a join, and hold these texts. A
    line whose product is not in the catalog is left out, as the join of the lines with the
    products leaves it out."""
    return {product_id: (product_id, name) for product_id, name in conn.execute("SELECT id, short_name FROM products")}


def _all_item_rows(conn: sqlite3.Connection, limit: int) -> dict[str, list[Line]] | None:
    """Every order's lines by number, each in :func:`_item_rows`' order (an order without lines
    is not there), or None for more than ``limit`` orders."""
    if conn.execute("SELECT count(*) FROM orders").fetchone()[0] > limit:
        return None
    named = static_data(conn, _catalog)
    lines: dict[str, list[Line]] = {}
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: the rows are taken apart at once
    for order_no, product_id, qty, price in cursor.execute(
            "SELECT order_no, product_id, qty, price FROM order_items ORDER BY rowid"):
        product = named.get(product_id)
        if product is not None:
            lines.setdefault(order_no, []).append((*product, qty, price))
    cursor.close()
    return lines


#: checkpoint times are remembered as whole minutes since this moment: the tracking history is
#: written to the minute (:func:`~twinchat.inventory.orders.route_checkpoints`)
_EPOCH = datetime(2000, 1, 1)
_MINUTE = timedelta(minutes=1)

#: an order's tracking history as remembered: its times, oldest first, in minutes since
#: :data:`_EPOCH` (eight bytes each), and the route its texts are made of (the arguments of
#: :func:`~twinchat.inventory.orders.route_texts`, texts held once: routes repeat across orders)
History = tuple["array[int]", tuple[str, ...]]


def order_checkpoints(conn: sqlite3.Connection, order_no: str) -> History | None:
    """The order's tracking history (shared: not to be changed); None for one never shipped."""
    return order_fact(conn, "order_checkpoints", order_no, lambda: _checkpoint_rows(conn, order_no))


def _checkpoint_rows(conn: sqlite3.Connection, order_no: str) -> History | None:
    route = route_of(conn, order_no)
    if route is None:
        return None
    shipped, delivered, *texts = route
    same = one_copy(conn)
    # whole minutes since the epoch (itself on a minute): the minute each checkpoint is written to,
    # without making the checkpoints and their texts (made from the route when they are said)
    return array("q", _route_minutes(shipped, delivered, texts[3] != texts[4])), tuple(same(t, t) for t in texts)


#: microseconds in a second and in a minute
_US, _MINUTE_US = 10**6, 60 * 10**6
#: the shares of :func:`~twinchat.inventory.orders.route_times`, as the ratios of integers it
#: multiplies a timedelta by (``float.as_integer_ratio``), and its bounds in microseconds
_AT_STATION, _DISPATCHED = AT_STATION_SHARE.as_integer_ratio(), DISPATCHED_SHARE.as_integer_ratio()
_LEGS = tuple(share.as_integer_ratio() for share in LEG_SHARES)
_AT_STATION_MOST, _DISPATCHED_MOST = (AT_STATION_MOST // timedelta(microseconds=1),
                                      DISPATCHED_MOST // timedelta(microseconds=1))


def _route_minutes(shipped: datetime, delivered: datetime, between_cities: bool) -> list[int]:
    """``[(t - _EPOCH) // _MINUTE for t in route_times(shipped, delivered, between_cities)]``, in
    whole microseconds: a timedelta times a float is the microseconds times the float's integer
    ratio, rounded half to even, and adding it to a moment is adding microseconds."""
    start, end = shipped - _EPOCH, delivered - _EPOCH
    first = (start.days * 86400 + start.seconds) * _US + start.microseconds
    last = (end.days * 86400 + end.seconds) * _US + end.microseconds
    span = last - first
    at_station = last - min(_AT_STATION_MOST, _times(span, _AT_STATION))
    dispatched = last - min(_DISPATCHED_MOST, _times(span, _DISPATCHED))
    moments = [first]
    if between_cities:
        leg = at_station - first
        moments += [first + _times(leg, share) for share in _LEGS]
    moments += [at_station, dispatched, last]
    return [moment // _MINUTE_US for moment in moments]


def _times(microseconds: int, ratio: tuple[int, int]) -> int:
    """``microseconds`` times the ratio, rounded half to even (as a timedelta times a float)."""
    whole, rest = divmod(microseconds * ratio[0], ratio[1])
    rest *= 2
    return whole + 1 if rest > ratio[1] or (rest == ratio[1] and whole & 1) else whole


def last_checkpoint(history: History | None, now: datetime) -> dict[str, Any]:
    """The latest checkpoint by ``now`` (an order shipped by then has one)."""
    # the times are in order, those up to now first; a time to the minute is at most now when it
    # is at most now's minute
    passed = 0 if history is None else bisect_right(history[0], (now - _EPOCH) // _MINUTE)
    if not passed:
        raise IndexError("a shipped order has a checkpoint by now")
    times, route = history  # type: ignore[misc]
    return {"time": format_time(_EPOCH + times[passed - 1] * _MINUTE), "text": route_texts(*route)[passed - 1]}
