"""The region table in memory: :func:`load_regions` reads ``data/regions.tsv`` (package data) into a
:class:`RegionTable` of :class:`Region` (see :mod:`twinchat.inventory.regions`, which re-exports them,
for the table's content and what else is done with regions).

Dependency rule: this module imports nothing of twinchat's but ``twinchat.inventory.errors``.
Every command that draws an address or a place reads the table at start, so reading it is kept cheap.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from twinchat.inventory.errors import InventoryError, UnknownRegionError

__all__ = ["LEVELS", "Region", "RegionTable", "load_regions"]

#: The levels of the table, from the top.
LEVELS = ("province", "city", "district")


class Region(NamedTuple):
    """One province, city or district (a named tuple: the table makes 3,552 at every start)."""

    adcode: str
    name: str
    short_name: str
    level: str  # 'province' | 'city' | 'district'
    parent: str | None  # None for a province
    postcode: str | None  # 6 digits for cities and districts (the city's); None for a province
    lng: float
    lat: float
    #: False when the source had no postcode for the city and a neighbour's was borrowed
    #: (30 cities, see data/README.md); addresses are never drawn there.
    postcode_exact: bool = True


_ADCODE = itemgetter(0)  # a Region's adcode


class RegionTable:
    """The regions, in adcode order, with their parent/child links and each district's towns."""

    def __init__(self, regions: Iterable[Region], towns: Mapping[str, tuple[str, ...] | str] | None = None) -> None:
        ordered = sorted(regions, key=_ADCODE)
        self._by_code: dict[str, Region] = {r.adcode: r for r in ordered}
        self._children: dict[str, list[Region]] = {}  # a region with none (every district) has no entry
        by_level: dict[str, list[Region]] = {lvl: [] for lvl in LEVELS}
        for r in ordered:
            if r.parent is not None:
                self._children.setdefault(r.parent, []).append(r)
            if r.level in by_level:
                by_level[r.level].append(r)
        self._towns = dict(towns or {})  # a district's towns, or their text as read ("a|b"), split when asked for
        self.provinces: tuple[Region, ...] = tuple(by_level["province"])
        self.cities: tuple[Region, ...] = tuple(by_level["city"])
        self.districts: tuple[Region, ...] = tuple(by_level["district"])

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self) -> Iterator[Region]:
        return iter(self._by_code.values())

    def __contains__(self, adcode: object) -> bool:
        return adcode in self._by_code

    def get(self, adcode: str) -> Region:
        """The region with this adcode; :class:`UnknownRegionError` if there is none."""
        try:
            return self._by_code[adcode]
        except KeyError:
            raise UnknownRegionError(f"no region with adcode {adcode!r}") from None

    def children(self, adcode: str) -> tuple[Region, ...]:
        """The cities of a province or the districts of a city, in adcode order."""
        self.get(adcode)
        return tuple(self._children.get(adcode, ()))

    def chain(self, district_adcode: str) -> tuple[Region, Region, Region]:
        """(province, city, district) of a district."""
        district = self.get(district_adcode)
        if district.level != "district":
            raise UnknownRegionError(f"{district_adcode} {district.name} is a {district.level}, not a district")
        city = self.get(district.parent or "")
        return self.get(city.parent or ""), city, district

    def province_and_city(self, adcode: str) -> tuple[str, str | None]:
        """The adcodes of the province and of the city a region belongs to (itself included)."""
        r = self.get(adcode)
        if r.level == "province":
            return r.adcode, None
        if r.level == "city":
            return r.parent or "", r.adcode
        city = self.get(r.parent or "")
        return city.parent or "", city.adcode

    def towns(self, district_adcode: str) -> tuple[str, ...]:
        """A few 街道/镇/乡 of a district (街道 first), or () when the data has none.

        Split from the text as read at each call and not kept by the table: a long run of sessions
        draws addresses in most of the 3,153 districts, and the split towns the table kept grew by
        0.5 MB from 10,000 to 40,000 sessions (an address generator keeps the towns of the places
        it keeps)."""
        found = self._towns.get(district_adcode, ())
        return tuple(found.split("|")) if type(found) is str else found


_TSV_COLUMNS = ("adcode", "name", "short_name", "level", "parent", "postcode", "lng", "lat", "postcode_src", "towns")


#: ``Region(...)`` without the Python frame of a named tuple's ``__new__`` (made 3,552 times per start)
_new_region = tuple.__new__


def _parse(text: str) -> RegionTable:
    """The table in ``text`` (unquoted, tab-separated under its header), split by hand, without csv's dict per row."""
    rows = [line.split("\t") for line in text.splitlines() if line]
    if not rows or tuple(rows[0]) != _TSV_COLUMNS or set(map(len, rows)) != {len(_TSV_COLUMNS)}:
        raise InventoryError(f"regions.tsv: not {len(_TSV_COLUMNS)} tab-separated fields a line under its header")
    del rows[0]
    exact_city = {row[0]: row[8] == "name" for row in rows if row[3] == "city"}
    regions: list[Region] = []
    towns = {}
    add = regions.append
    for adcode, name, short_name, level, parent, postcode, lng, lat, _, row_towns in rows:
        # a city's postcode is exact when the source named it; its districts share the city's
        exact = exact_city.get(adcode if level == "city" else parent, True) if level != "province" else True
        add(_new_region(Region, (adcode, name, short_name, level, parent or None, postcode or None, float(lng),
                                 float(lat), exact)))
        if row_towns:
            towns[adcode] = row_towns
    return RegionTable(regions, towns)


@lru_cache(maxsize=1)
def load_regions() -> RegionTable:
    """The packaged region table (read once; the data is immutable)."""
    path = Path(__file__).with_name("data") / "regions.tsv"  # the package as a folder: every install
    if not path.is_file():  # the package is in an archive
        from importlib import resources

        return _parse(resources.files("twinchat.inventory").joinpath("data", "regions.tsv").read_text(encoding="utf-8"))
    return _parse(path.read_text(encoding="utf-8"))
