"""Where a customer is: the city a place name or a street address stands for (service-desk tools).

Each resolver returns ``(city row, None)`` or ``(None, tool_error)``. The place index is static
data (:mod:`.static`); only the list of cities a province is served in reads ``technicians``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from itertools import chain
from operator import itemgetter
from typing import Any

from twinchat.inventory.regions import PlaceIndex
from twinchat.inventory.tools.base import tool_error
from twinchat.inventory.tools.memo import cache_bound
from twinchat.inventory.tools.static import static_data

__all__ = ["resolve_city", "resolve_address", "district_names", "kept_answer", "KEEP_ADDRESSES", "SESSION_KEEP_ADDRESSES"]

Resolved = tuple[Any, "dict[str, Any] | None"]

#: Provinces that are cities themselves: the province row stands for its xx0100 city.
_MUNICIPALITIES = {"110000": "110100", "120000": "120100", "310000": "310100", "500000": "500100"}

_REGION_COLUMNS = ("adcode", "name", "level", "province", "city")


def _region(conn: sqlite3.Connection, adcode: str) -> dict[str, Any]:
    """The row of region ``adcode`` a resolver answers with (shared: read it, do not change it)."""
    return static_data(conn, _names).region(adcode)


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
    if len(places) == 1 and places[0]["level"] != "province":  # what _cities_of gives for it: its city
        return _region(conn, places[0]["city"]), None
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
    """The city row of a place a customer names (a district stands for its city; a shared row:
    read it, do not change it)."""
    return _pick_city(conn, text, static_data(conn, PlaceIndex).find(text.strip()), field)


def resolve_address(conn: sqlite3.Connection, address: str, field: str = "address") -> Resolved:
    """The city row of a street address (see :func:`_read_address`), remembered per connection for
    the last :data:`KEEP_ADDRESSES` addresses (every table it reads is static; verification reads
    the same address again): a shared city row (read it, do not change it), a tool error of its own."""
    return kept_answer(conn, _Addresses, KEEP_ADDRESSES, _read_address, address, field)


def kept_answer(conn: sqlite3.Connection, kind: type[dict[Any, Any]], keep: int,
                read: Any, text: str, field: str) -> Resolved:
    """``read(conn, text, field)`` — (a row, None) or (None, a tool error) read from static tables
    only — remembered per connection in the ``kind`` dict for the last ``keep`` (text, field) pairs,
    or as many as the run that opened ``conn`` keeps of what :func:`resolve_address` reads (see
    :data:`SESSION_KEEP_ADDRESSES`): the row is shared (read it, do not change it), a tool error is
    handed out as a copy."""
    kept = static_data(conn, kind)
    key = (text, field)
    found = kept.get(key)
    if found is None:
        if len(kept) >= cache_bound(conn, resolve_address, keep):
            kept.clear()
        found = kept[key] = read(conn, text, field)
    row, err = found
    return (row, None) if err is None else (None, {"error": dict(err["error"])})


#: the addresses :func:`resolve_address` keeps the city of, per connection (a few hundred bytes each)
KEEP_ADDRESSES = 4096
#: the bound of what reading an address keeps (:func:`kept_answer`'s answers, the places of the
#: prefixes :class:`_Names` read) in a run of sessions (``compose``, see
#: :func:`~twinchat.inventory.tools.memo.keep_cache` with :func:`resolve_address`): a session's calls
#: are answered again from the tools' memos, and in 30,000 sessions of the built-in mix no address
#: was read twice; held to 4,096, they kept growing past 10,000 sessions on one worker
SESSION_KEEP_ADDRESSES = 256


class _Addresses(dict):  # type: ignore[type-arg]
    """(address, field) -> what :func:`_read_address` gave: kept per connection (static data)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__()

    def forget(self) -> None:
        self.clear()


def _read_address(conn: sqlite3.Connection, address: str, field: str) -> Resolved:
    """The city row of a street address.

    The place part of an address is a prefix that :func:`find_places` resolves: first those
    ending with a region name written out in full (a name inside a longer one does not count:
    东区 in 浦东新区), the longest first; failing that, any prefix, the longest first; failing
    that, the full names themselves. Several candidates are narrowed by the other region names
    in the address, full or short (南山区, 深圳 → Shenzhen's).
    """
    text = "".join(address.split())  # its whitespace (what a \s+ pattern matches) taken out
    names = static_data(conn, _names)
    context = names.named_in(text)  # what PlaceIndex.named_in finds, as codes
    full = names.full
    marked = []  # (code, span) of the regions whose full name occurs (sorted where the order counts)
    for code in context:
        name = full[code]
        at = text.find(name)
        if at >= 0:
            marked.append((code, at, at + len(name)))
    named = [(code, b) for code, a, b in marked if not _inside(a, b, marked)] if len(marked) > 1 else marked
    keep = cache_bound(conn, resolve_address, _KEEP_FOUND)
    for end in chain(sorted({found[-1] for found in named}, reverse=True), range(len(text), 1, -1)):
        places = names.find(text[:end], keep)
        if places:
            break
    else:
        places = [_region(conn, found[0]) for found in sorted(named)]  # in adcode order
    return _pick_city(conn, address, _narrow(places, context), field)


def district_names(conn: sqlite3.Connection, text: str, city: str) -> list[tuple[int, str]]:
    """(where its full name first occurs in ``text`` or -1, adcode) of the districts of ``city`` whose
    name or short name ``text`` holds, in adcode order: what PlaceIndex.named_in lists of them."""
    names = static_data(conn, _names)
    return [(text.find(names.full[code]), code) for code in sorted(names.named_in(text))
            if names.district_city.get(code) == city]


def _inside(a: int, b: int, marked: list[tuple[str, int, int]]) -> bool:
    """Whether the span ``a``..``b`` lies inside a longer one of ``marked`` ((code, start, end) each)."""
    for _, x, y in marked:
        if x <= a and b <= y and y - x > b - a:
            return True
    return False


class _Names:
    """The region names an address is read with (made of the place index, and kept with it): the
    names and short names of two characters or more by their first two characters, each region's
    full name, and the places of the prefixes asked about lately."""

    def __init__(self, index: PlaceIndex) -> None:
        by_name: dict[str, list[str]] = {}
        #: adcode -> name, for the regions PlaceIndex holds (those in a province)
        self.full: dict[str, str] = {}
        #: district adcode -> its city's adcode
        self.district_city: dict[str, str] = {}
        for code, name, short, level, _, _, city, *_ in index.regions():
            self.full[code] = name
            if level == "district":
                self.district_city[code] = city
            for each in {name, short}:
                if len(each) >= 2:
                    by_name.setdefault(each, []).append(code)
        #: first two characters -> (name, the regions named so)
        self._heads: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for name, codes in by_name.items():
            self._heads.setdefault(name[:2], []).append((name, tuple(codes)))
        #: the first two characters of every name
        self._head_set = frozenset(self._heads)
        self._index = index
        self._found: dict[str, list[dict[str, Any]]] = {}
        #: adcode -> the row a resolver answers with (see :meth:`region`)
        self._regions: dict[str, dict[str, Any]] = {}
        self._last: tuple[str | None, set[str]] = (None, set())  # the last text named_in read, and its regions

    def forget(self) -> None:
        """Hold nothing found (see :func:`~twinchat.inventory.tools.memo.forget_kept`)."""
        self._found.clear()

    def region(self, adcode: str) -> dict[str, Any]:
        """The :data:`_REGION_COLUMNS` of region ``adcode``, made once per region (a shared dict: read
        it, do not change it)."""
        found = self._regions.get(adcode)
        if found is None:
            row = self._index.row(adcode)
            found = self._regions[adcode] = {k: row[k] for k in _REGION_COLUMNS}
        return found

    def named_in(self, text: str) -> set[str]:
        """The regions whose name or short name (of two characters or more) occurs in ``text`` (a
        shared set: read it, do not change it). The last text's are kept: a district is read from
        an address right after its city (:func:`resolve_address`, then :func:`district_names`)."""
        last = self._last
        if last[0] == text:
            return last[1]
        found = self._named_in(text)
        self._last = (text, found)
        return found

    def _named_in(self, text: str) -> set[str]:
        """The regions a name of which occurs in ``text``: of the names whose first two characters
        are two of ``text``'s in a row (found as a set, in C, with :data:`_PAIRS`), those in it."""
        found: set[str] = set()
        heads = self._heads
        size = len(text)
        if size > len(_PAIRS):  # a text longer than any address: its pairs one by one
            pairs: Iterable[str] = {text[i:i + 2] for i in range(size - 1)}
        elif size < 3:  # none, or the text itself
            pairs = (text,)
        else:
            pairs = _pairs_of(size)(text)
        for head in self._head_set.intersection(pairs):
            for name, codes in heads[head]:
                if name in text:
                    found.update(codes)
        return found

    def find(self, text: str, keep: int = 0) -> list[dict[str, Any]]:
        """What PlaceIndex.find gives for ``text``, remembered for the last ``keep`` texts (if 0,
        :data:`_KEEP_FOUND`; shared dicts: read them, do not change them)."""
        found = self._found.get(text)
        if found is None:
            if len(self._found) >= (keep or _KEEP_FOUND):
                self._found.clear()
            found = self._found[text] = self._index.find(text)
        return found


def _names(conn: sqlite3.Connection) -> _Names:
    """The :class:`_Names` of ``conn``'s place index (static data)."""
    return static_data(conn, PlaceIndex).derived(_Names)


#: the slices of two characters at each place of a text (of up to 512 characters)
_PAIRS = tuple(slice(i, i + 2) for i in range(512))
#: by a text's length (3 or more): what gives its pairs of characters as a tuple, in C
_PAIR_GETTERS: dict[int, Callable[[str], tuple[str, ...]]] = {}


def _pairs_of(size: int) -> Callable[[str], tuple[str, ...]]:
    """What gives a text of ``size`` characters (3 to 512) its ``size - 1`` pairs of characters: an
    ``itemgetter`` of :data:`_PAIRS`, made once per length (a Python-level call per pair would cost
    reading an address a fifth more)."""
    found = _PAIR_GETTERS.get(size)
    if found is None:
        found = _PAIR_GETTERS[size] = itemgetter(*_PAIRS[:size - 1])
    return found


#: prefixes of addresses whose places :class:`_Names` keeps (a few kB each at most)
_KEEP_FOUND = 4096
#: the levels of the places an address may name, the most specific first
_LEVELS = ("district", "city", "province")


def _narrow(places: list[dict[str, Any]], context: set[str]) -> list[dict[str, Any]]:
    """The most specific places, and of those the ones whose city or province is also named."""
    if len(places) == 1 and places[0]["level"] in _LEVELS:  # the most specific, agreeing or not
        return places
    for level in _LEVELS:
        found = [p for p in places if p["level"] == level]
        if found:
            agree = [p for p in found if ({p["province"], p["city"]} - {p["adcode"], None}) & context]
            return agree or found
    return []
