"""Where a customer is: the city a place name or a street address stands for (service-desk tools).

Each resolver returns ``(city row, None)`` or ``(None, tool_error)``. The place index is static
data (:mod:`.static`); only the list of cities a province is served in reads ``technicians``.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from twinchat.inventory.regions import PlaceIndex
from twinchat.inventory.tools.base import tool_error
from twinchat.inventory.tools.static import static_data

__all__ = ["resolve_city", "resolve_address"]

Resolved = tuple[Any, "dict[str, Any] | None"]

#: Provinces that are cities themselves: the province row stands for its xx0100 city.
_MUNICIPALITIES = {"110000": "110100", "120000": "120100", "310000": "310100", "500000": "500100"}

_REGION_COLUMNS = ("adcode", "name", "level", "province", "city")


def _region(conn: sqlite3.Connection, adcode: str) -> dict[str, Any]:
    row = static_data(conn, PlaceIndex).row(adcode)
    return {k: row[k] for k in _REGION_COLUMNS}


def _cities_of(places: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """The distinct city adcodes the places stand for, and the provinces that stand for none."""
    cities: list[str] = []
    provinces: list[dict[str, Any]] = []
    for place in places:
        if place["level"] == "province":
            city = _MUNICIPALITIES.get(place["adcode"])
            if city is None:
                provinces.append(place)
                continue
        else:
            city = place["city"]
        if city not in cities:
            cities.append(city)
    return cities, provinces


def _pick_city(conn: sqlite3.Connection, text: str, places: list[dict[str, Any]], field: str) -> Resolved:
    """One city row for the places found for ``text``, or the tool error that says why not."""
    if not places:
        return None, tool_error("unknown_place", f"未找到地区“{text}”,请提供城市和区县", field)
    cities, provinces = _cities_of(places)
    if len(cities) > 1:
        names = "、".join(static_data(conn, PlaceIndex).full_name(p) for p in places[:6])
        return None, tool_error("ambiguous_place", f"“{text}”对应多个地区: {names},请说明是哪个城市", field)
    if cities:
        return _region(conn, cities[0]), None
    province = provinces[0]
    served = [r[0] for r in conn.execute(
        "SELECT DISTINCT r.name FROM technicians t JOIN regions r ON r.adcode = t.city "
        "WHERE r.province = ? ORDER BY r.adcode", (province["adcode"],))]
    where = f",{province['name']}可上门的城市有: {'、'.join(served)}" if served else ""
    return None, tool_error("ambiguous_place", f"“{text}”范围太大,请说明具体城市{where}", field)


def resolve_city(conn: sqlite3.Connection, text: str, field: str) -> Resolved:
    """The city row of a place a customer names (a district stands for its city)."""
    return _pick_city(conn, text, static_data(conn, PlaceIndex).find(text.strip()), field)


def resolve_address(conn: sqlite3.Connection, address: str, field: str = "address") -> Resolved:
    """The city row of a street address.

    The place part of an address is a prefix that :func:`find_places` resolves: first those
    ending with a region name written out in full (a name inside a longer one does not count:
    东区 in 浦东新区), the longest first; failing that, any prefix, the longest first; failing
    that, the full names themselves. Several candidates are narrowed by the other region names
    in the address, full or short (南山区, 深圳 → Shenzhen's).
    """
    text = re.sub(r"\s+", "", address)
    index = static_data(conn, PlaceIndex)
    rows = index.named_in(text)
    context = {place["adcode"] for place, _ in rows}
    full = [({k: place[k] for k in _REGION_COLUMNS}, (at, at + len(place["name"]))) for place, at in rows if at >= 0]
    spans = [span for _, span in full]
    named = [(place, b) for place, (a, b) in full
             if not any(x <= a and b <= y and y - x > b - a for x, y in spans)]
    ends = sorted({b for _, b in named}, reverse=True) + list(range(len(text), 1, -1))
    for end in ends:
        places = index.find(text[:end])
        if places:
            break
    else:
        places = [place for place, _ in named]
    return _pick_city(conn, address, _narrow(places, context), field)


def _narrow(places: list[dict[str, Any]], context: set[str]) -> list[dict[str, Any]]:
    """The most specific places, and of those the ones whose city or province is also named."""
    for level in ("district", "city", "province"):
        found = [p for p in places if p["level"] == level]
        if found:
            agree = [p for p in found if ({p["province"], p["city"]} - {p["adcode"], None}) & context]
            return agree or found
    return []
