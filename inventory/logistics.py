"""Warehouses, stock and the delivery model.

Warehouses and stock come from the catalog's files (:mod:`.catalog_files`). Warehouses sit in
real districts of real cities. Every (warehouse, destination city) pair is a *lane* with a tier
set by geography (great-circle distance between the two cities):

==========  ============================  ========================================
tier        when                          ETA (ordered before the warehouse cut-off)
==========  ============================  ========================================
same_city   destination in the same city  the same evening, 21:00
nearby      same province or ≤ 350 km     next day, 18:00
regional    ≤ 1,000 km                    in 2 days, 18:00
far         ≤ 2,000 km                    in 3 days, 18:00
remote      beyond                        in 4 days, 18:00
==========  ============================  ========================================

An order placed at or after the cut-off ships the next day: same-city parcels then arrive by
12:00 next day, the others one day later than the table says. :func:`eta` is the whole rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any


from twinchat.inventory.regions import distance_km

if TYPE_CHECKING:  # sqlite-utils imports pandas when it is installed: only building needs it
    import sqlite_utils

__all__ = ["TIERS", "eta", "lane_tier", "populate"]

#: tier -> days in transit when shipped the day of the order
TIERS: dict[str, int] = {"same_city": 0, "nearby": 1, "regional": 2, "far": 3, "remote": 4}

_SAME_EVENING = time(21, 0)
_NEXT_NOON = time(12, 0)
_ARRIVAL = time(18, 0)


def lane_tier(same_city: bool, same_province: bool, km: float) -> str:
    """The tier of a lane (see the module docstring)."""
    if same_city:
        return "same_city"
    if same_province or km <= 350:
        return "nearby"
    if km <= 1000:
        return "regional"
    if km <= 2000:
        return "far"
    return "remote"


@lru_cache(maxsize=256)
def cutoff_time(cutoff: str) -> time:
    """A warehouse's cut-off ('HH:MM') as a time of day."""
    hh, mm = (int(x) for x in cutoff.split(":"))
    return time(hh, mm)


def eta(now: datetime, cutoff: str, tier: str) -> datetime:
    """When a parcel ordered at ``now`` from a warehouse with ``cutoff`` ('HH:MM') arrives."""
    return arrival(now.date(), now.time() < cutoff_time(cutoff), tier)


@lru_cache(maxsize=1024)  # a pure function of a day, one bit and a tier: asked the same again and again
def arrival(today: date, before_cutoff: bool, tier: str) -> datetime:
    """When a parcel ordered on ``today`` (before the warehouse's cut-off or not) arrives by a
    lane of ``tier``: what :func:`eta` gives, from what it depends on."""
    if before_cutoff:
        if tier == "same_city":
            return datetime.combine(today, _SAME_EVENING)
        return datetime.combine(today + timedelta(days=TIERS[tier]), _ARRIVAL)
    ship: date = today + timedelta(days=1)
    if tier == "same_city":
        return datetime.combine(ship, _NEXT_NOON)
    return datetime.combine(ship + timedelta(days=TIERS[tier]), _ARRIVAL)


def populate(db: sqlite_utils.Database, warehouses: list[tuple[str, str, str, str]],
             stock: list[tuple[str, str, int]]) -> None:
    """Create and fill ``warehouses``, ``lanes`` and ``stock`` (needs ``regions`` and ``products``) from
    a catalog's warehouses (id, name, district adcode, cut-off) and stock rows."""
    region = _regions(db.conn)
    rows = [{"id": wid, "name": name, "district": district, "city": region[district]["city"],
             "province": region[district]["province"], "cutoff": cutoff}
            for wid, name, district, cutoff in warehouses]
    _warehouses_and_lanes(db, region, rows)
    _stock(db, stock)


def _regions(conn: Any) -> dict[str, dict[str, Any]]:
    return {
        r[0]: {"adcode": r[0], "name": r[1], "province": r[2], "city": r[3], "lng": r[4], "lat": r[5]}
        for r in conn.execute("SELECT adcode, name, province, city, lng, lat FROM regions")
    }


def _warehouses_and_lanes(db: sqlite_utils.Database, region: dict[str, dict[str, Any]],
                          warehouses: list[dict[str, Any]]) -> None:
    db["warehouses"].create(
        {"id": str, "name": str, "district": str, "city": str, "province": str, "cutoff": str},
        pk="id", not_null={"name", "district", "city", "cutoff"},
        foreign_keys=[("district", "regions", "adcode"), ("city", "regions", "adcode")],
    )
    db["warehouses"].insert_all(warehouses)
    db["lanes"].create(
        {"warehouse": str, "dest_city": str, "tier": str, "days": int, "distance_km": int},
        pk=("warehouse", "dest_city"),
        foreign_keys=[("warehouse", "warehouses", "id"), ("dest_city", "regions", "adcode")],
    )
    cities = [r for r in region.values() if r["adcode"] == r["city"]]
    lanes = []
    for w in warehouses:
        origin = region[w["city"]]
        for c in sorted(cities, key=lambda r: r["adcode"]):
            km = distance_km(origin, c)
            tier = lane_tier(c["adcode"] == w["city"], c["province"] == w["province"], km)
            lanes.append({"warehouse": w["id"], "dest_city": c["adcode"], "tier": tier,
                          "days": TIERS[tier], "distance_km": round(km)})
    db["lanes"].insert_all(lanes)
    db["lanes"].create_index(["dest_city"])


def _stock(db: sqlite_utils.Database, stock: list[tuple[str, str, int]]) -> None:
    """The ``stock`` table, keyed by (product, warehouse) with no rowid: its rows are stored in the
    key's order, in one b-tree rather than a table and an index of it (a million rows take a
    quarter less of the file, which every start copies into memory and checks). Rows are inserted
    in one statement, a million in seconds."""
    db.execute('CREATE TABLE "stock" (\n   "product_id" TEXT REFERENCES "products"("id"),\n'
               '   "warehouse" TEXT REFERENCES "warehouses"("id"),\n   "qty" INTEGER,\n'
               '   PRIMARY KEY ("product_id", "warehouse")\n) WITHOUT ROWID')
    db.conn.executemany("INSERT INTO stock (product_id, warehouse, qty) VALUES (?, ?, ?)", stock)
    db["stock"].create_index(["warehouse"])
