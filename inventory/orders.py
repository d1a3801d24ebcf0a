"""Customers, their orders, and the after-sales returns they request.

An order is a **timeline**, not a status: ``created_at``, ``paid_at``, ``shipped_at``,
``delivered_at`` and ``cancelled_at`` (each may be NULL). What a customer is told depends on
the session clock, through :func:`status_at`:

=================================================  ==========
at ``now``                                          status
=================================================  ==========
created after ``now``                               (the order does not exist yet)
cancelled at or before ``now``                      已取消
not paid by ``now``                                 待付款
paid, not shipped by ``now``                        待发货
shipped, not delivered by ``now``                   运输中
delivered at or before ``now``                      已签收
=================================================  ==========

So one order is 待发货, 运输中 and 已签收 at three clocks, and every answer agrees with the
session's clock. The world holds orders created from :data:`FIRST_DAY` to :data:`LAST_DAY`;
timelines run on past the last day (a parcel shipped on 12-13 arrives days later).

How the world's timelines are drawn is :mod:`twinchat.inventory.order_history`.

The tracking history of a parcel (:func:`route_checkpoints`) is a fixed function of its
timeline and route (to the order's shipping address, ``ship_adcode``): out of the warehouse, through the carrier's hub in the warehouse's city
and in the destination city (unless both are one city), into the district's station
(``深圳南山营业部``), out for delivery, signed for.

Returns follow the shop's rules (:func:`window_end`): 7天无理由退货 until the end of the 7th day
after the day of delivery, exchange until the end of the 15th. ``returns`` is empty when the
world is built; the ``request_return`` tool writes to it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from twinchat.inventory.timefmt import parse_time
from twinchat.inventory import orders_data as data

__all__ = [
    "status_at",
    "status_of",
    "route_checkpoints",
    "route_of",
    "route_texts",
    "route_times",
    "checkpoints",
    "window_end",
    "Checkpoint",
    "to_minute",
    "TIMELINE",
    "CUSTOMERS",
    "ORDERS",
    "FIRST_DAY",
    "LAST_DAY",
    "PAY_WINDOW",
    "RETURN_DAYS",
    "EXCHANGE_DAYS",
    "PENDING_PAYMENT",
    "AWAITING_SHIPMENT",
    "IN_TRANSIT",
    "DELIVERED",
    "CANCELLED",
]

CUSTOMERS = 2000
ORDERS = 6000
FIRST_DAY = date(2026, 10, 15)
LAST_DAY = date(2026, 12, 13)

#: An order not paid this long after it was created is cancelled.
PAY_WINDOW = timedelta(minutes=30)
#: 7天无理由退货 and the exchange period, in days after the day of delivery.
RETURN_DAYS = 7
EXCHANGE_DAYS = 15

PENDING_PAYMENT = "待付款"
AWAITING_SHIPMENT = "待发货"
IN_TRANSIT = "运输中"
DELIVERED = "已签收"
CANCELLED = "已取消"

#: Shares of orders left unpaid, cancelled by the buyer before shipping, delivered a day late,
#: and (beyond the same city) a day early.
UNPAID_SHARE = 0.03
BUYER_CANCEL_SHARE = 0.03
LATE_SHARE = 0.08
EARLY_SHARE = 0.12

#: The moments of an order's timeline (columns of ``orders``), in order.
TIMELINE = ("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at")


# -- status and tracking -------------------------------------------------------------------------

def _parse(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_time(value)


def status_at(timeline: Mapping[str, Any], now: datetime) -> str | None:
    """The status of an order at ``now`` (see the module docstring); None before it was created.

    ``timeline`` maps the five timeline columns to datetimes or their stored strings.
    """
    return status_of(tuple(_parse(timeline[k]) for k in TIMELINE), now)


def status_of(t: Sequence[datetime | None], now: datetime) -> str | None:
    """:func:`status_at` of a timeline whose five moments (in :data:`TIMELINE`'s order) are
    datetimes (or None) already."""
    created, paid, shipped, delivered, cancelled = t
    assert created is not None, "an order always has created_at"
    if created > now:
        return None
    if cancelled is not None and cancelled <= now:
        return CANCELLED
    if paid is None or paid > now:
        return PENDING_PAYMENT
    if shipped is None or shipped > now:
        return AWAITING_SHIPMENT
    if delivered is None or delivered > now:
        return IN_TRANSIT
    return DELIVERED


@dataclass(frozen=True)
class Checkpoint:
    """One line of a parcel's tracking history."""

    time: datetime
    text: str


def to_minute(moment: datetime) -> datetime:
    """``moment`` with its seconds dropped."""
    return moment.replace(second=0, microsecond=0)


def route_checkpoints(
    shipped: datetime, delivered: datetime, *, carrier: str, hub: str, warehouse: str,
    origin_city: str, dest_city: str, station: str,
) -> list[Checkpoint]:
    """A parcel's tracking history, oldest first (a fixed function of its timeline and route).

    ``origin_city`` and ``dest_city`` are short city names (北京, 深圳), equal for a same-city
    parcel; ``hub`` is what the carrier calls its hubs (中转场); ``station`` the delivering
    station (深圳南山营业部). The texts are :func:`route_texts`'.
    """
    times = route_times(shipped, delivered, origin_city != dest_city)
    texts = route_texts(carrier, hub, warehouse, origin_city, dest_city, station)
    return [Checkpoint(to_minute(t), text) for t, text in zip(times, texts)]


#: a parcel reaches its last station this share of the way before delivery, at most this long before
AT_STATION_SHARE, AT_STATION_MOST = 0.4, timedelta(hours=4)
#: and is out for delivery this share before it, at most this long before
DISPATCHED_SHARE, DISPATCHED_MOST = 0.2, timedelta(minutes=90)
#: between cities, the three legs' moments as shares of the way to the last station
LEG_SHARES = (0.15, 0.3, 0.8)


def route_times(shipped: datetime, delivered: datetime, between_cities: bool) -> list[datetime]:
    """The moments of a parcel's tracking history (:func:`route_checkpoints`, before they are cut to
    the minute), oldest first: three more legs when it goes ``between_cities``."""
    span = delivered - shipped
    at_station = delivered - min(AT_STATION_MOST, span * AT_STATION_SHARE)
    dispatched = delivered - min(DISPATCHED_MOST, span * DISPATCHED_SHARE)
    times = [shipped]
    if between_cities:
        leg = at_station - shipped
        times += [shipped + leg * share for share in LEG_SHARES]
    times += [at_station, dispatched, delivered]
    return times


def route_texts(carrier: str, hub: str, warehouse: str, origin_city: str, dest_city: str,
                station: str) -> list[str]:
    """The texts of a parcel's tracking history (:func:`route_checkpoints`), oldest first: a
    fixed function of its route."""
    texts = [f"您的订单已从【{warehouse}】出库,{carrier}已揽收"]
    if origin_city != dest_city:
        first, second = f"{origin_city}{hub}", f"{dest_city}{hub}"
        texts += [f"快件已到达【{first}】", f"快件已从【{first}】发出,下一站【{second}】", f"快件已到达【{second}】"]
    texts += [f"快件已到达【{station}】", f"【{station}】快递员正在派送,请保持电话畅通",
              f"快件已签收,签收人: 本人。感谢使用{carrier}"]
    return texts


_ROUTE_SQL = """
SELECT o.shipped_at, o.delivered_at, o.carrier, w.name, wc.short_name, dc.short_name, d.short_name
FROM orders o
JOIN warehouses w ON w.id = o.warehouse
JOIN regions wc ON wc.adcode = w.city
JOIN regions d ON d.adcode = o.ship_adcode
JOIN regions dc ON dc.adcode = COALESCE(d.city, d.adcode)
WHERE o.order_no = ?
"""


def _hub(carrier: str) -> str:
    for name, _, _, _, hub in data.CARRIERS:
        if name == carrier:
            return hub
    return "转运中心"


#: a shipped order's route: (shipped, delivered, and :func:`route_texts`' arguments in order)
Route = tuple[datetime, datetime, str, str, str, str, str, str]


def route_of(conn: sqlite3.Connection, order_no: str) -> Route | None:
    """The route of a shipped order (what :func:`checkpoints` makes its history of); None for one
    never shipped."""
    row = conn.execute(_ROUTE_SQL, (order_no,)).fetchone()
    if row is None or row[0] is None or row[1] is None:
        return None
    shipped, delivered, carrier, warehouse, origin, dest, district = row
    return parse_time(shipped), parse_time(delivered), carrier, _hub(carrier), warehouse, origin, dest, \
        f"{dest}{district}营业部"


def checkpoints(conn: sqlite3.Connection, order_no: str) -> list[Checkpoint]:
    """The full tracking history of a shipped order, oldest first; [] for one never shipped."""
    route = route_of(conn, order_no)
    if route is None:
        return []
    shipped, delivered, carrier, hub, warehouse, origin, dest, station = route
    return route_checkpoints(shipped, delivered, carrier=carrier, hub=hub, warehouse=warehouse, origin_city=origin,
                             dest_city=dest, station=station)


def window_end(delivered_at: datetime, kind: str) -> datetime:
    """The last moment a delivered order can be returned (``kind='return'``) or exchanged."""
    days = {"return": RETURN_DAYS, "exchange": EXCHANGE_DAYS}[kind]
    return datetime.combine(delivered_at.date() + timedelta(days=days), time(23, 59, 59))
