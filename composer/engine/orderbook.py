"""The world's orders, indexed so a slot can draw an order in a given state at a session clock.

An order slot (``source: inventory``, ``kind: order``) draws an order that exists at the session
clock ``now`` — optionally one in given states at ``now`` (``statuses``) or placed within the
last days (``within_days``) — together with the customer who placed it, so a session about an
order is held with its owner (name, phone and address as the world has them).

States are read from an order's timeline the way :func:`twinchat.inventory.orders.status_at`
reads them; ``delayed`` is an order paid, not yet delivered and past its promised ETA (what
``query_order`` reports as ``delayed``). Each state holds on one interval of the timeline
(in transit: [shipped, delivered)); intervals are kept sorted by their start, so a draw bisects
to those that may hold at ``now`` and picks among them, never passing over every order.
"""

from __future__ import annotations

import json
import random
import re
import sqlite3
from collections.abc import Container, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from twinchat.composer.errors import ComposerError, NoOrder
from twinchat.composer.engine.order_spans import SpanIndex, spans_of
from twinchat.composer.engine.slot_values import ORDER_FORMS, Record
from twinchat.inventory import orders as world_orders
from twinchat.inventory.orders_data import SURNAMES
from twinchat.inventory.timefmt import format_time

__all__ = ["OrderBook", "ORDER_STATES", "ORDER_FORMS", "bought_phrases"]

#: State ids an order slot may ask for → the status the tools report (delayed: see the docstring).
ORDER_STATES: dict[str, str] = {
    "pending_payment": world_orders.PENDING_PAYMENT,
    "awaiting_shipment": world_orders.AWAITING_SHIPMENT,
    "in_transit": world_orders.IN_TRANSIT,
    "delayed": "延误",
    "delivered": world_orders.DELIVERED,
    "cancelled": world_orders.CANCELLED,
}

_SECOND = timedelta(seconds=1)
#: a time's text as format_time writes it (a year from 1000 on: the year's four digits)
_STAMP = re.compile(r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
#: How a customer says when they bought the order they placed in the same chat.
_JUST_NOW = ("刚才", "刚刚", "刚才")
_SURNAMES = frozenset(s for s, _ in SURNAMES)
_SURNAME_LENGTHS = sorted({len(s) for s in _SURNAMES}, reverse=True)  # a name's surname: its longest one
_FULL = {i: i + 0xFEE0 for i in range(0x21, 0x7F)}


def _first(*moments: datetime | None) -> datetime | None:
    """The earliest of the moments given (None: never)."""
    known = [m for m in moments if m is not None]
    return min(known) if known else None


@dataclass(frozen=True, slots=True)
class _Order:
    order_no: str
    customer: str
    created: datetime
    paid: datetime | None
    shipped: datetime | None
    delivered: datetime | None
    cancelled: datetime | None
    eta: datetime | None
    total: float
    #: ``created`` as format_time writes it (the row's own text when it is that already)
    created_at: str

    def intervals(self) -> dict[str, tuple[datetime, datetime | None]]:
        """Each state this order passes through → [start, end) (end None: for good)."""
        out: dict[str, tuple[datetime, datetime | None]] = {
            "pending_payment": (self.created, _first(self.paid, self.cancelled))}
        if self.paid is not None:
            out["awaiting_shipment"] = (self.paid, _first(self.shipped, self.cancelled))
            if self.eta is not None:  # delayed: waiting (paid, not delivered or cancelled) and now > eta
                out["delayed"] = (max(self.paid, self.eta + _SECOND), _first(self.delivered, self.cancelled))
        if self.shipped is not None:
            out["in_transit"] = (self.shipped, _first(self.delivered, self.cancelled))
        if self.delivered is not None:
            out["delivered"] = (self.delivered, self.cancelled)
        if self.cancelled is not None:
            out["cancelled"] = (self.cancelled, None)
        out["any"] = (self.created, None)
        return {k: (s, e) for k, (s, e) in out.items() if e is None or s < e}

    def state(self, now: datetime) -> str:
        """The state id at ``now`` (status_at's, as an id): once the order exists, decided as
        status_at decides it, on the moments as they are (a test compares the two)."""
        if self.created <= now:
            if self.cancelled is not None and self.cancelled <= now:
                return "cancelled"
            if self.paid is None or self.paid > now:
                return "pending_payment"
            if self.shipped is None or self.shipped > now:
                return "awaiting_shipment"
            return "in_transit" if self.delivered is None or self.delivered > now else "delivered"
        status = world_orders.status_at(
            {"created_at": self.created, "paid_at": self.paid, "shipped_at": self.shipped,
             "delivered_at": self.delivered, "cancelled_at": self.cancelled}, now)
        return next(k for k, v in ORDER_STATES.items() if v == status)


def bought_phrases(created: datetime, now: datetime) -> list[str]:
    """What a customer may truthfully say about when the order was placed, seen from ``now``."""
    days = (now.date() - created.date()).days
    out = [f"{created.month}月{created.day}号", f"{created.month}月{created.day}日"]
    if days == 0:
        out += ["今天"]
    elif days == 1:
        out += ["昨天", "昨天"]
    elif days == 2:
        out += ["前天"]
    elif days <= 6:
        out += [f"{days}天前", "前几天"]
    monday = now.date() - timedelta(days=now.weekday())
    weeks = (monday - (created.date() - timedelta(days=created.weekday()))).days // 7
    if weeks == 0 and days >= 2:
        out += ["这周"]
    elif weeks == 1:
        out += ["上周", "上个星期", "上礼拜"]
    elif weeks == 2:
        out += ["上上周"]
    months = (now.year - created.year) * 12 + now.month - created.month
    if months == 1 and days >= 7:
        out += ["上个月"]
    elif months == 0 and days >= 7:
        out += ["这个月"]
    return out


class _Categories:
    """Product id -> its category, read through the primary key when first asked and kept (the
    catalog is static under a composer): a catalog of 100,000 products costs no more to open than
    one of 200. Ids that name no product give None and are not kept."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._execute = conn.execute
        self._found: dict[str, str] = {}

    def get(self, pid: str) -> str | None:
        found = self._found.get(pid)
        if found is None:
            row = self._execute("SELECT category FROM products WHERE id = ?", (pid,)).fetchone()
            if row is None:
                return None
            found = self._found[pid] = row[0]
        return found


class OrderBook:
    """Orders, their lines and customers, read once from an open world.

    The rows are read when the book is made; what a draw needs of them (customers, order lines,
    timelines and their interval indexes) is built from those rows when a draw first asks for it:
    a flow that only refers to the order it placed (:meth:`placed`) never pays for it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        words: dict[str, list[str]] = {}
        for cid, name, aliases in conn.execute("SELECT id, name, aliases FROM categories"):
            words[cid] = list(dict.fromkeys([name, *json.loads(aliases)[:2]]))
        self.words = words  # category -> what customers call it
        self.category_of = _Categories(conn)  # of the products sessions order, as they order them
        self._rows: tuple[list[Any], ...] | None = (
            conn.execute("SELECT id, name, gender, phone, province, city, district, detail, postcode, adcode, address "
                         "FROM customers ORDER BY id").fetchall(),
            conn.execute("SELECT i.order_no, i.product_id, p.short_name, i.qty, i.price, p.category FROM order_items i "
                         "JOIN products p ON p.id = i.product_id ORDER BY i.rowid").fetchall(),
            conn.execute("SELECT order_no, customer, created_at, paid_at, shipped_at, delivered_at, cancelled_at, eta, "
                         "total FROM orders ORDER BY created_at, order_no").fetchall())

    def __getattr__(self, name: str) -> Any:
        """The parts built from the rows (:data:`_BUILT`), made on the first read of any of them."""
        if name not in _BUILT or self.__dict__.get("_rows") is None:
            raise AttributeError(name)
        self._build(*self._rows)
        self._rows = None
        return self.__dict__[name]

    def _build(self, customers: list[Any], lines: list[Any], orders: list[Any]) -> None:
        self.customers: dict[str, dict[str, Any]] = {}
        for cid, name, gender, phone, province, city, district, detail, postcode, adcode, address in customers:
            surname = next(name[:n] for n in _SURNAME_LENGTHS if name[:n] in _SURNAMES)
            region = province + ("" if city == province else city) + district
            self.customers[cid] = {
                "id": cid, "name": name, "title": surname + ("女士" if gender == "female" else "先生"),
                "gender": gender, "phone": phone, "address": address, "province": province, "city": city,
                "district": district, "detail": detail, "postcode": postcode, "adcode": adcode, "region": region}
        self.items: dict[str, list[dict[str, Any]]] = {}
        #: order number -> its lines as a record lists them (copied for every record)
        self._lines: dict[str, list[dict[str, Any]]] = {}
        for order_no, pid, short, qty, price, category in lines:
            self.items.setdefault(order_no, []).append(
                {"product_id": pid, "short_name": short, "qty": qty, "price": price, "category": category,
                 "words": self.words[category]})
            self._lines.setdefault(order_no, []).append(
                {"product_id": pid, "short_name": short, "qty": qty, "price": price, "category": category})
        #: (day placed, day of the clock) -> bought_phrases, the last _KEEP_PHRASES asked for
        self._phrases: dict[tuple[Any, Any], list[str]] = {}
        #: (customer, clock, states, within days) -> indexes of their orders that qualify (see
        #: :meth:`owned`: a second task draws again and again among one customer's orders), the
        #: last _KEEP_OWNED asked for
        self._owned: dict[tuple[Any, ...], list[int]] = {}
        self.orders: list[_Order] = []
        fromisoformat = datetime.fromisoformat
        for no, cust, *stamps, total in orders:
            moments = [None if v is None else fromisoformat(v) for v in stamps]
            created = stamps[0] if _STAMP.fullmatch(stamps[0]) else format_time(moments[0])  # type: ignore[arg-type]
            self.orders.append(_Order(no, cust, *moments, float(total), created))  # type: ignore[arg-type]
        self._by_owner: dict[str, list[int]] = {}  # customer id -> indexes of their orders (oldest first)
        for i, order in enumerate(self.orders):
            self._by_owner.setdefault(order.customer, []).append(i)
        spans: dict[str, list[tuple[datetime, datetime | None, int]]] = {k: [] for k in (*ORDER_STATES, "any")}
        self._spans = [spans_of(order) for order in self.orders]  # order.intervals(), made faster
        for i, held in enumerate(self._spans):
            for state, (start, end) in held.items():
                spans[state].append((start, end, i))
        self._index = {state: SpanIndex(s) for state, s in spans.items()}

    def _holds(self, i: int, state: str, now: datetime) -> bool:
        span = self._spans[i].get(state)
        return span is not None and span[0] <= now and (span[1] is None or span[1] > now)

    def candidates(self, now: datetime, statuses: Sequence[str] | None = None,
                   within_days: int | None = None) -> list[int]:
        """Indexes of the orders in one of ``statuses`` at ``now`` (any order placed by ``now`` if
        None), placed within ``within_days`` days before ``now``; sorted."""
        since = None if within_days is None else now - timedelta(days=within_days)
        found: set[int] = set()
        for state in statuses or ("any",):
            index = self._index[state]
            lo, hi = index.window(now, since)
            found.update(index.orders[p] for p in range(lo, hi) if index.holds(p, now))
        return sorted(i for i in found if since is None or self.orders[i].created >= since)

    def owned(self, owner: str, rng: random.Random, now: datetime, statuses: Sequence[str] | None = None,
              within_days: int | None = None, form: str = "order_no", besides: Container[str] = ()) -> Record:
        """An order of the customer ``owner`` as :meth:`draw` gives one (uniform over theirs that
        qualify, other than the order numbers ``besides``); :class:`NoOrder` when they have none."""
        pool = self.owned_pool(owner, now, statuses, within_days, besides)
        if not pool:  # the clock as %Y-%m-%d %H:%M (format_time's text without its seconds)
            raise NoOrder(f"customer {owner} has no order {'/'.join(statuses or ('placed',))} at {format_time(now)[:-3]}")
        return self.record(self.orders[pool[int(rng.random() * len(pool))]], now, rng, form)

    def owned_pool(self, owner: str, now: datetime, statuses: Sequence[str] | None = None,
                   within_days: int | None = None, besides: Container[str] = ()) -> list[int]:
        """Indexes of the orders :meth:`owned` draws among (none: it raises NoOrder), drawing nothing."""
        key = (owner, now, None if statuses is None else tuple(statuses), within_days)
        fitting = self._owned.get(key)
        if fitting is None:
            since = None if within_days is None else now - timedelta(days=within_days)
            fitting = [i for i in self._by_owner.get(owner, ()) if (since is None or self.orders[i].created >= since)
                       and any(self._holds(i, s, now) for s in statuses or ("any",))]
            if len(self._owned) >= _KEEP_OWNED:
                self._owned.clear()
            self._owned[key] = fitting
        return [i for i in fitting if self.orders[i].order_no not in besides] if besides else fitting

    def draw(self, rng: random.Random, now: datetime, statuses: Sequence[str] | None = None,
             within_days: int | None = None, form: str = "order_no") -> Record:
        """An order (with its customer) in one of ``statuses`` at ``now``, placed within
        ``within_days`` days, written in ``form``; uniform over the orders that qualify.

        Draws an interval among those that may hold and keeps it if it does (an order in two of
        the states asked for counts through the first); after 64 misses, picks from the full list.
        """
        states = tuple(statuses or ("any",))
        since = None if within_days is None else now - _days(within_days)
        indexes = self._index
        windows = [(indexes[s], *indexes[s].window(now, since)) for s in states]
        total = sum(hi - lo for _, lo, hi in windows)
        if len(windows) == 1:
            chosen = self._one_state(windows[0], total, rng, now, since)
        else:
            chosen = self._some_states(states, windows, total, rng, now, since)
        if chosen is None:
            pool = self.candidates(now, statuses, within_days) if total else []
            if not pool:
                within = f" placed within {within_days} days" if within_days is not None else ""
                raise ComposerError(f"no order is {'/'.join(statuses or ('placed',))}{within} "
                                    f"at {format_time(now)[:-3]}")
            chosen = pool[int(rng.random() * len(pool))]
        return self.record(self.orders[chosen], now, rng, form)

    def _one_state(self, window: tuple[SpanIndex, int, int], total: int, rng: random.Random, now: datetime,
                   since: datetime | None) -> int | None:
        """:meth:`draw`'s tries for one state: the interval drawn is the order's own interval of that
        state, so the order is in the state when the interval holds at ``now``."""
        index, lo, _ = window
        starts, ends, numbers, orders = index.starts, index.ends, index.orders, self.orders
        for _ in range(64 if total else 0):
            pos = lo + int(rng.random() * total)
            end = ends[pos]
            if starts[pos] <= now and (end is None or end > now) and (
                    since is None or orders[numbers[pos]].created >= since):
                return numbers[pos]
        return None

    def _some_states(self, states: tuple[str, ...], windows: list[tuple[SpanIndex, int, int]], total: int,
                     rng: random.Random, now: datetime, since: datetime | None) -> int | None:
        """:meth:`draw`'s tries for several states (an order in two of them counts through the first)."""
        for _ in range(64 if total else 0):
            r = int(rng.random() * total)
            for state, (index, lo, hi) in zip(states, windows):
                if r < hi - lo:
                    break
                r -= hi - lo
            pos = lo + r
            i = index.orders[pos]
            if not index.holds(pos, now) or (since is not None and self.orders[i].created < since):
                continue
            if next(s for s in states if self._holds(i, s, now)) == state:
                return i
        return None

    def placed(self, result: dict[str, Any], customer: Record, rng: random.Random, now: datetime,
               statuses: Sequence[str] | None = None, form: str = "order_no") -> Record:
        """The slot value of the order a session placed (a ``place_order`` result: awaiting payment
        at ``now``) for ``customer``, as :meth:`record` gives a world order; :class:`NoOrder` when
        ``statuses`` leave out an order awaiting payment."""
        if statuses is not None and "pending_payment" not in statuses:
            raise NoOrder(f"order {result['order_no']} is awaiting payment, not {'/'.join(statuses)}")
        items = [{**{k: i[k] for k in ("product_id", "short_name", "qty", "price")},
                  "category": self.category_of.get(i["product_id"])} for i in result["items"]]
        words = self.words.get(items[0]["category"]) or [items[0]["short_name"]]
        phrases = _JUST_NOW  # placed in this chat: 刚才, not a date
        data = {
            "order_no": result["order_no"], "state": "pending_payment", "status": ORDER_STATES["pending_payment"],
            "delayed": False, "created_at": result["created_at"], "total": result["total"], "items": items,
            "what": words[int(rng.random() * len(words))], "bought": phrases[int(rng.random() * len(phrases))],
            "customer": customer,
        }
        return Record("order", data, _written(result["order_no"], form))

    def record(self, order: _Order, now: datetime, rng: random.Random, form: str = "order_no") -> Record:
        """The slot value of ``order`` at ``now``: its number (the text, in ``form``), state, lines,
        what it is (内存条), when it was bought (上周), and its customer."""
        state = order.state(now)
        order_no = order.order_no
        first = self.items[order_no][0]
        customer = self.customers[order.customer]
        days = (order.created.date(), now.date())  # what bought_phrases reads of the two moments
        phrases = self._phrases.get(days)
        if phrases is None:
            if len(self._phrases) >= _KEEP_PHRASES:
                self._phrases.clear()
            phrases = self._phrases[days] = bought_phrases(order.created, now)
        data = {
            "order_no": order_no, "state": state, "status": ORDER_STATES[state],
            "delayed": bool(order.eta is not None and order.paid is not None and now > order.eta
                            and state in ("awaiting_shipment", "in_transit")),
            "created_at": order.created_at, "total": order.total,
            "items": [dict(i) for i in self._lines[order_no]],
            "what": first["words"][int(rng.random() * len(first["words"]))],
            "bought": phrases[int(rng.random() * len(phrases))],
            "customer": Record("customer", dict(customer), customer["name"]),
        }
        return Record("order", data, _written(order.order_no, form))


#: within_days -> timedelta(days=within_days), made once per count (the last 256 counts asked for)
_DAYS: dict[int, timedelta] = {}


def _days(count: int) -> timedelta:
    found = _DAYS.get(count)
    if found is None:
        if len(_DAYS) >= 256:
            _DAYS.clear()
        found = _DAYS[count] = timedelta(days=count)
    return found


#: What :meth:`OrderBook._build` makes of the rows.
_BUILT = frozenset({"customers", "items", "orders", "_by_owner", "_spans", "_index", "_lines", "_phrases",
                    "_owned"})

#: the (customer, clock, states, within days) whose qualifying orders a book keeps (a session's
#: second task asks for a few, each again on every redraw)
_KEEP_OWNED = 64

#: the (day placed, day of the clock) pairs whose bought_phrases a book keeps (a few hundred bytes each)
_KEEP_PHRASES = 4096


def _written(order_no: str, form: str) -> str:
    if form == "lower":
        return order_no.lower()
    if form == "spaced":
        return f"{order_no[:6]} {order_no[6:10]} {order_no[10:]}"
    if form == "fullwidth":
        return order_no.translate(_FULL)
    return order_no
