"""Real Chinese regions: province → city → district, with the city's postcode and coordinates.

Dependency rule: this module imports nothing of twinchat's but ``twinchat.inventory.errors`` and the
table in memory (:mod:`twinchat.inventory.region_table`, which imports only the former).

The table is ``data/regions.tsv`` (package data; provenance and how to regenerate it in
``data/README.md``, the rules that shaped it in :mod:`twinchat.inventory.regions_derive`):
31 provinces, their cities, and their districts (county level; for a city without a county
level, its 街道/镇/乡). Municipalities have a city row of their own (北京市 110100 under
北京市 110000) so that every district has a city and every address the same shape.

* :func:`load_regions` — the table in memory (:class:`RegionTable` of :class:`Region` named
  tuples; :mod:`twinchat.inventory.region_table`, re-exported here).
* :func:`populate` — the ``regions`` and ``region_towns`` tables of a world.
* :func:`find_places` — what a customer types for a place (南山, 深圳南山, 广东省深圳市南山区)
  to rows of ``regions``; :class:`PlaceIndex` does the same (and more) from memory.
* :func:`distance_km` — great-circle distance between two regions.

Addresses on these regions are :mod:`twinchat.inventory.addresses`, which builds on this module.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from twinchat.inventory.errors import UnknownRegionError
from twinchat.inventory.region_table import LEVELS, Region, RegionTable, load_regions

T = TypeVar("T")

if TYPE_CHECKING:  # sqlite-utils imports pandas when it is installed: only building needs it
    import sqlite_utils

__all__ = ["Region", "RegionTable", "UnknownRegionError", "full_name", "LEVELS", "load_regions", "populate",
           "find_places", "PlaceIndex", "distance_km", "SESSION_FOUND_KEEP"]

#: The columns of the ``regions`` table, in order (also the keys of :func:`find_places`' dicts).
COLUMNS = ("adcode", "name", "short_name", "level", "parent", "province", "city", "postcode", "lng", "lat")

#: No name or short name in the table is longer (the tests check it); bounds what find_places tries.
MAX_NAME_LENGTH = 16

EARTH_RADIUS_KM = 6371.0088

_SCHEMA = """
CREATE TABLE regions (
    adcode TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent TEXT REFERENCES regions(adcode),
    province TEXT NOT NULL,
    city TEXT,
    postcode TEXT,
    lng REAL,
    lat REAL
)"""
_TOWNS_SCHEMA = """
CREATE TABLE region_towns (
    district TEXT NOT NULL REFERENCES regions(adcode),
    name TEXT NOT NULL,
    PRIMARY KEY (district, name)
)"""


def populate(db: sqlite_utils.Database, seed: int) -> None:
    """Create and fill ``regions`` and ``region_towns`` (the seed is not used: regions are facts)."""
    del seed
    table = load_regions()
    conn = db.conn
    conn.execute(_SCHEMA)
    rows = []
    for r in table:
        province, city = table.province_and_city(r.adcode)
        rows.append((r.adcode, r.name, r.short_name, r.level, r.parent, province, city, r.postcode, r.lng, r.lat))
    conn.executemany(f"INSERT INTO regions VALUES ({', '.join('?' * len(COLUMNS))})", rows)
    for column in ("name", "short_name", "parent", "level"):
        conn.execute(f"CREATE INDEX idx_regions_{column} ON regions ({column})")
    conn.execute(_TOWNS_SCHEMA)
    conn.executemany(
        "INSERT INTO region_towns VALUES (?, ?)",
        [(d.adcode, t) for d in table.districts for t in table.towns(d.adcode)],
    )


_PLACE_SQL = (
    "SELECT r.adcode, r.name, r.short_name, r.level, r.parent, r.province, r.city, r.postcode, r.lng, r.lat,"
    " p.name, p.short_name, c.name, c.short_name"
    " FROM regions r JOIN regions p ON p.adcode = r.province LEFT JOIN regions c ON c.adcode = r.city"
)
_FIND_SQL = (_PLACE_SQL + " WHERE r.name IN ({0}) OR r.short_name IN ({0})").format(
    ", ".join(f"?{i + 1}" for i in range(MAX_NAME_LENGTH)))
_SPACE = re.compile(r"\s+")

#: Texts whose places PlaceIndex.shared_find remembers (then it starts again): more than the
#: forms of districts a long run of ``generate`` asks about, about 3 MB.
_FOUND_KEEP = 16384
#: The bound a run of sessions sets (:attr:`PlaceIndex.found_keep`): the place source says each
#: (district, form) once among the last it said, and the texts it says most are a few hundred
#: districts' forms; held to 16,384, the texts a long run asked about (~12,000 in 100,000
#: sessions) kept growing past 10,000 sessions on one worker.
SESSION_FOUND_KEEP = 512


def find_places(conn: sqlite3.Connection, text: str, level: str | None = None) -> list[dict[str, Any]]:
    """The ``regions`` rows that ``text`` names, as dicts of :data:`COLUMNS`, in adcode order.

    ``text`` is a name (南山区) or a short name (南山), optionally after its chain of
    province and city, each as name or short name (深圳南山, 深圳市南山区, 广东省深圳市南山区,
    广东深圳南山区); whitespace is ignored. The last part picks the candidates and the chain
    narrows them. A name that stays ambiguous gives every candidate (朝阳区: Beijing's and
    Changchun's); nothing known gives []. ``level`` keeps only rows of that level. A
    municipality's city wins over its province of the same name (北京 → the city 110100), and
    a bare city short name over districts of that short name elsewhere (西安 → 610100).
    One indexed query (:meth:`PlaceIndex.find` gives the same without one).
    """
    text = _SPACE.sub("", text)
    if not text:
        return []
    suffixes: list[str | None] = [text[-k:] for k in range(1, min(len(text), MAX_NAME_LENGTH) + 1)]
    suffixes += [None] * (MAX_NAME_LENGTH - len(suffixes))
    return _pick_places(text, map(_candidate, conn.execute(_FIND_SQL, suffixes)), level)


_Candidate = tuple[dict[str, Any], set[str], set[str], list[str]]


def _candidate(row: Any) -> _Candidate:
    """A row of ``_PLACE_SQL`` as find_places weighs it: the place (a dict of :data:`COLUMNS`),
    the names of its province and of its city (districts only), its own names, longest first."""
    place = dict(zip(COLUMNS, row[:10]))
    provinces = {row[10], row[11]}
    cities = {row[12], row[13]} if place["level"] == "district" else set()
    return place, provinces, cities, sorted({place["name"], place["short_name"]}, key=len, reverse=True)


def _pick_places(text: str, candidates: Iterable[_Candidate], level: str | None) -> list[dict[str, Any]]:
    """find_places' choice among the candidates whose name or short name ends ``text``."""
    by_length: dict[int, list[dict[str, Any]]] = {}
    for place, provinces, cities, parts in candidates:
        if level is not None and place["level"] != level:
            continue
        for part in parts:
            if text.endswith(part) and _chain_matches(text[: -len(part)], place["level"], provinces, cities):
                by_length.setdefault(len(part), []).append(place)
                break
    if not by_length:
        return []
    found = by_length[max(by_length)]
    cities_found = {p["adcode"]: p for p in found if p["level"] == "city"}
    found = [p for p in found if not _shadowed(p, cities_found)]
    # A bare short name that is a city's names the city, not same-named districts elsewhere
    # (西安 is Xi'an, not 辽源市西安区); a full name (西安区) still names the district.
    bare_cities = [p for p in found if p["level"] == "city" and p["short_name"] == text]
    if len(bare_cities) == 1 and all(p["level"] == "district" for p in found if p is not bare_cities[0]):
        found = bare_cities
    return sorted(found, key=lambda p: p["adcode"])


#: The columns of ``regions`` a :class:`PlaceIndex` is made of, a row per region: two worlds whose
#: rows are equal have equal indexes. (Equal floats are not always the same float, as 0.0 and -0.0,
#: but a region's coordinates are never zero: China lies far from the equator and the meridian.)
_PROOF_SQL = f"SELECT {', '.join(COLUMNS)} FROM regions ORDER BY adcode"

#: (the rows of ``regions`` it was made of, the index) of the index made last in this process:
#: copies of one world — an in-memory snapshot per run, per worker, per round of a benchmark —
#: share its tables (read-only but for bounded caches of what they give) rather than each
#: building them again, at a tenth of the cost (reading the rows that prove them the same).
_last_index: list[Any] = [None, None]


class PlaceIndex:
    """A world's ``regions`` table in memory, for callers that look places up many times.

    Read with one query; the regions of a world are facts that never change, and an index whose
    ``regions`` rows equal those of the one made last shares its tables (see :data:`_last_index`).
    :meth:`find` and :meth:`full_name` give exactly what :func:`find_places` and :func:`full_name`
    give, without a query; :meth:`named_in` lists the regions a longer text names.
    """

    #: the texts :meth:`shared_find` remembers before it starts over: :data:`_FOUND_KEEP`, unless the
    #: run that made this index sets its own (a run of sessions: :data:`SESSION_FOUND_KEEP`)
    found_keep = _FOUND_KEEP

    def __init__(self, conn: sqlite3.Connection) -> None:
        reader = conn.cursor()
        reader.row_factory = None  # plain tuples, whatever the connection's factory
        proof = reader.execute(_PROOF_SQL).fetchall()
        last_proof, last = _last_index
        if proof == last_proof:  # the same regions as the index made last: share its tables
            vars(self).update(vars(last))
            vars(self).pop("found_keep", None)  # the bound is the run's, not the tables'
            return
        rows = reader.execute(_PLACE_SQL + " ORDER BY r.adcode").fetchall()
        #: name or short name -> (adcode, find_places' candidate) of the rows that have it
        self._by_name: dict[str, list[tuple[str, _Candidate]]] = {}
        #: the first two characters of a name or short name (2+ characters) -> those names
        self._by_head: dict[str, set[str]] = {}
        for row in rows:
            candidate = _candidate(row)
            for name in {row[1], row[2]}:
                self._by_name.setdefault(name, []).append((row[0], candidate))
                if len(name) >= 2:
                    self._by_head.setdefault(name[:2], set()).add(name)
        self._rows = {row[0]: row for row in rows}
        self._upto = [tuple(sorted({len(name) for name in self._by_name if len(name) <= m}))
                      for m in range(MAX_NAME_LENGTH + 1)]  # per length: the lengths names have, up to it
        self._found: dict[str, tuple[dict[str, Any], ...]] = {}  # see shared_find
        self._full_names: dict[tuple[str, str | None, str], str] = {}  # see full_name
        #: what callers make of this index alone, by what makes it (see :meth:`derived`)
        self._derived: dict[Any, Any] = {}
        _last_index[:] = (proof, self)

    def derived(self, make: Callable[[PlaceIndex], T]) -> T:
        """``make(self)``, made once and kept with the index's tables (shared as they are):
        ``make`` must read only the index, and callers must not change what it returns."""
        try:
            return self._derived[make]  # type: ignore[no-any-return]
        except KeyError:
            value = self._derived[make] = make(self)
            return value

    def regions(self) -> Iterator[tuple[Any, ...]]:
        """The rows of the regions in a province, in adcode order: :data:`COLUMNS`, then the names
        and short names of the province and of the city (None for a province or a city)."""
        return iter(self._rows.values())

    def find(self, text: str, level: str | None = None) -> list[dict[str, Any]]:
        """:func:`find_places` without a query."""
        return [dict(p) for p in self._find(text, level)]

    def forget(self) -> None:
        """Hold nothing found (see :func:`~twinchat.inventory.tools.memo.forget_kept`)."""
        self._found.clear()

    def shared_find(self, text: str) -> tuple[dict[str, Any], ...]:
        """What :meth:`find` gives for ``text`` (any level), remembered per text: the dicts are
        shared between calls — read them, do not change them."""
        found = self._found.get(text)
        if found is None:
            if len(self._found) >= self.found_keep:
                self._found.clear()
            found = self._found[text] = tuple(self._find(text, None))  # the index's own dicts: no copies
        return found

    def _find(self, text: str, level: str | None) -> list[dict[str, Any]]:
        text = _SPACE.sub("", text)
        by_name, found = self._by_name, {}  # (nothing found for an empty text: _pick_places gives [])
        for k in self._upto[min(len(text), MAX_NAME_LENGTH)]:  # the suffixes as long as a name
            for code, candidate in by_name.get(text[-k:], ()):
                found[code] = candidate
        if len(found) == 1:  # one candidate: what _pick_places gives for it, without its weighing
            place, provinces, cities, parts = next(iter(found.values()))
            return [place] if (level is None or place["level"] == level) and any(
                text.endswith(p) and _chain_matches(text[: -len(p)], place["level"], provinces, cities)
                for p in parts) else []
        return _pick_places(text, found.values(), level)  # the candidates' own dicts: find copies them

    def row(self, adcode: str) -> dict[str, Any]:
        """The ``regions`` row of ``adcode`` as a dict of :data:`COLUMNS` (KeyError if there is none)."""
        return dict(zip(COLUMNS, self._rows[adcode][:10]))

    def name(self, adcode: str) -> str:
        """The name of ``adcode`` (KeyError if there is none)."""
        return self._rows[adcode][1]

    def full_name(self, place: Mapping[str, Any]) -> str:
        """:func:`full_name` without a query (remembered per chain of codes: there are a few thousand)."""
        key = (place["province"], place.get("city"), place["adcode"])
        name = self._full_names.get(key)
        if name is None:
            names: list[str] = []
            for code in key:
                if code is None:
                    continue
                part = self._rows[code][1]
                if not names or names[-1] != part:
                    names.append(part)
            name = self._full_names[key] = "".join(names)
        return name

    def named_in(self, text: str) -> list[tuple[dict[str, Any], int]]:
        """The regions whose name or short name (of 2 characters or more) occurs in ``text``, in
        adcode order, each with where its name first occurs (-1: only its short name does)."""
        found: set[str] = set()
        by_head, by_name, rows = self._by_head, self._by_name, self._rows
        for i in range(len(text) - 1):
            for name in by_head.get(text[i:i + 2], ()):
                if text.startswith(name, i):
                    found.update(code for code, _ in by_name[name])
        return [(dict(zip(COLUMNS, rows[code][:10])), text.find(rows[code][1])) for code in sorted(found)]


def _chain_matches(rest: str, level: str, provinces: set[str], cities: set[str]) -> bool:
    """Whether ``rest`` (what precedes the place's own name) names its province and/or city."""
    if not rest:
        return True
    if level == "province":
        return False
    if rest in provinces or rest in cities:
        return True
    return any(rest == p + c for p in provinces for c in cities)


def _shadowed(place: dict[str, Any], cities: dict[str, dict[str, Any]]) -> bool:
    """A province whose own city of the same name was also found (a municipality)."""
    if place["level"] != "province":
        return False
    return any(c["parent"] == place["adcode"] and c["name"] == place["name"] for c in cities.values())


#: What :func:`distance_km` measures between: a Region, or a row or dict with ``lng`` and ``lat``.
Place = Region | Mapping[str, Any] | sqlite3.Row


def _lng_lat(place: Place) -> tuple[float, float]:
    if isinstance(place, Region):
        return place.lng, place.lat
    return float(place["lng"]), float(place["lat"])


def distance_km(a: Place, b: Place) -> float:
    """Great-circle (haversine) distance in km between two regions, or rows with ``lng``/``lat``."""
    lng1, lat1 = _lng_lat(a)
    lng2, lat2 = _lng_lat(b)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlng = math.radians(lng2 - lng1)
    h = math.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def full_name(conn: sqlite3.Connection, place: Mapping[str, Any]) -> str:
    """A ``regions`` row's name with its chain, as an address writes it: 广东省深圳市南山区, 北京市朝阳区."""
    names: list[str] = []
    for code in (place["province"], place.get("city"), place["adcode"]):
        if code is None:
            continue
        name = conn.execute("SELECT name FROM regions WHERE adcode = ?", (code,)).fetchone()[0]
        if not names or names[-1] != name:
            names.append(name)
    return "".join(names)
