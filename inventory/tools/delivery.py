"""``check_delivery``: for each product, where it is in stock and whether it arrives by a deadline."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinchat.inventory.logistics import arrival, cutoff_time
from twinchat.inventory.regions import PlaceIndex
from twinchat.inventory.tools.base import Tool, ToolContext, format_time, tool_error
from twinchat.inventory.tools.lookup import resolve_products
from twinchat.inventory.tools.static import static_data
from twinchat.inventory.tools.stock import warehouses_with
from twinchat.inventory.tools.timeargs import LocalDateTime

__all__ = ["CheckDeliveryArgs", "CHECK_DELIVERY", "deliveries", "resolve_destination"]


class CheckDeliveryArgs(BaseModel):
    """Arguments of ``check_delivery``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    products: list[str] = Field(min_length=1, max_length=10, description="商品编号或型号列表")
    destination: str = Field(min_length=1, description="收货地区,精确到区县或城市,如 深圳市南山区")
    deadline: LocalDateTime | None = Field(
        default=None, description="客户要求的最晚送达时间,格式 YYYY-MM-DD HH:MM:SS;不限则不填"
    )
    quantity: int = Field(default=1, ge=1, le=99, description="每个商品的购买数量")


def resolve_destination(conn: Any, text: str, field: str = "destination") -> tuple[Any, Any]:
    """A city or district row (a dict shared between calls: not to be changed) for a destination,
    or a tool error."""
    index = static_data(conn, PlaceIndex)
    places = index.shared_find(text)
    if not places:
        return None, tool_error("unknown_place", f"未找到地区“{text}”", field)
    if len(places) > 1:
        names = "、".join(index.full_name(p) for p in places[:5])
        return None, tool_error("ambiguous_place", f"“{text}”对应多个地区: {names},请说明是哪个城市", field)
    place = places[0]
    if place["level"] == "province":
        return None, tool_error("destination_too_broad", f"“{text}”范围太大,请提供城市和区县", field)
    return place, None


class _Lanes:
    """Each destination city's lanes (static data, see :mod:`.static`), ranked by arrival.

    An arrival depends on the day, the lane's tier and whether the order is placed before the
    warehouse's cut-off (:func:`~twinchat.inventory.logistics.arrival`): the day plus an offset
    fixed by (before the cut-off, tier). So the order in which a city's lanes arrive is the
    same on every day, and depends only on how many of the four cut-offs have passed: the lanes
    are ranked once per (city, state) — earliest first, lane order on a tie — and a product's
    lane is the first ranked one whose warehouse holds it. Only that lane's arrival is looked up,
    in the day's table of arrivals per (before the cut-off, tier), made once per day.
    """

    KEEP = 4096  # days whose arrivals are remembered before the memory starts over

    #: any day: the offsets that rank the lanes are the same from every day
    _REFERENCE = date(2000, 1, 3)

    def __init__(self, conn: Any) -> None:
        lanes: dict[str, list[tuple[str, str, Any, str]]] = {}
        for city, wid, name, cutoff, tier in conn.execute(
                "SELECT l.dest_city, w.id, w.name, w.cutoff, l.tier FROM lanes l "
                "JOIN warehouses w ON w.id = l.warehouse ORDER BY w.id"):
            lanes.setdefault(city, []).append((wid, name, cutoff_time(cutoff), tier))
        #: the cut-offs of the world's warehouses, in order, and the tiers its lanes have
        self.cutoffs = sorted({cutoff for city_lanes in lanes.values() for _, _, cutoff, _ in city_lanes})
        self._tiers = sorted({tier for city_lanes in lanes.values() for *_, tier in city_lanes})
        self._days: dict[date, dict[tuple[bool, str], tuple[datetime, str]]] = {}
        reference = self.day(self._REFERENCE)
        #: city -> per state (how many cut-offs have passed): ((warehouse id, name, (before its
        #: cut-off, tier)) per lane, earliest arrival first, lane order on a tie)
        self._ranked = {
            city: [tuple(sorted(((wid, name, (cutoff not in self.cutoffs[:state], tier))
                                 for wid, name, cutoff, tier in city_lanes),
                                key=lambda lane: reference[lane[2]][0]))
                   for state in range(len(self.cutoffs) + 1)]
            for city, city_lanes in lanes.items()}

    def ranked(self, now: datetime, city: str) -> tuple[tuple[str, str, tuple[bool, str]], ...]:
        """(warehouse id, name, (before its cut-off, tier)) per lane into ``city`` for an order
        placed at ``now``, earliest arrival first (lane order on a tie)."""
        plans = self._ranked.get(city)
        return () if plans is None else plans[bisect_right(self.cutoffs, now.time())]

    def day(self, today: date) -> dict[tuple[bool, str], tuple[datetime, str]]:
        """(arrival, its text) for an order placed on ``today``, per (before the cut-off, tier)."""
        found = self._days.get(today)
        if found is None:
            if len(self._days) >= self.KEEP:
                self._days.clear()
            found = self._days[today] = {}
            for before in (True, False):
                for tier in self._tiers:
                    at = arrival(today, before, tier)
                    found[before, tier] = (at, format_time(at))
        return found


def _check(ctx: ToolContext, args: CheckDeliveryArgs) -> dict[str, Any]:
    conn, now, deadline = ctx.conn, ctx.now, args.deadline
    if deadline is not None and deadline < now:
        return tool_error("deadline_in_past", f"送达时间 {format_time(deadline)} 已经过去", "deadline")
    products, err = resolve_products(conn, args.products)
    if err:
        return err
    place, err = resolve_destination(conn, args.destination)
    if err:
        return err
    return {
        "destination": {"adcode": place["adcode"], "name": static_data(conn, PlaceIndex).full_name(place)},
        "deadline": None if deadline is None else format_time(deadline),
        "quantity": args.quantity,
        "results": deliveries(conn, now, place["city"], products, args.quantity, deadline),
    }


def deliveries(conn: Any, now: datetime, city: str, products: list[dict[str, Any]], quantity: int = 1,
               deadline: datetime | None = None) -> list[dict[str, Any]]:
    """Per product (rows as resolve_products gives them): in stock or not, the warehouse of the
    earliest arrival into ``city`` for an order placed at ``now`` (the first in lane order of
    equal arrivals), its ETA and whether it arrives by ``deadline`` (None without one)."""
    lanes = static_data(conn, _Lanes)
    ranked = lanes.ranked(now, city)
    stocked = warehouses_with(conn, [p["id"] for p in products], quantity)  # product -> warehouses with enough
    results = []
    for product in products:
        have = stocked[product["id"]]
        for wid, name, key in ranked:
            if wid in have:
                at, text = lanes.day(now.date())[key]
                results.append({"product_id": product["id"], "short_name": product["short_name"], "in_stock": True,
                                "warehouse": wid, "warehouse_name": name, "eta": text,
                                "arrives_in_time": None if deadline is None else at <= deadline})
                break
        else:
            results.append({"product_id": product["id"], "short_name": product["short_name"], "in_stock": False,
                            "warehouse": None, "eta": None, "arrives_in_time": False})
    return results


CHECK_DELIVERY = Tool(
    name="check_delivery",
    description="查询商品在各仓库的库存,以及发往指定地区的预计送达时间和能否在期限前送达",
    args_model=CheckDeliveryArgs,
    func=_check,
)
