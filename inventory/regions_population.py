"""Where customers live: districts weighted by population, and the districts near a district.

Dependency rule: this module imports nothing of twinchat's but the rest of ``twinchat.inventory``'s
region code (:mod:`.regions`, :mod:`.addresses`).

A place a customer asks about is drawn as people live: each province weighs its resident
population (:data:`PROVINCE_POPULATION`, the 2020 census), shared among its cities as addresses
share them (:func:`~.addresses.city_weight`: major cities more, a county-level city less) and
within a city among its districts by kind (:func:`~.addresses.district_weight`: 区 more than 县).
A place *near* a district (a customer correcting "不对,是福田区") is another district of the same
city, or one of a neighbouring city (the nearest cities by distance, any province).
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect
from functools import lru_cache
from itertools import accumulate

from twinchat.inventory.addresses import city_districts, city_weight, district_weight
from twinchat.inventory.regions import Region, RegionTable, distance_km

__all__ = ["PROVINCE_POPULATION", "PlaceDraw", "place_draw", "SAME_CITY_SHARE", "NEIGHBOUR_CITIES"]

#: Resident population of each province in 2020, in units of 10,000, by the first two digits of
#: its adcode: National Bureau of Statistics of China, Communiqué of the Seventh National
#: Population Census (No. 3), 11 May 2021 (see NOTICE).
PROVINCE_POPULATION: dict[str, int] = {
    "11": 2189, "12": 1387, "13": 7461, "14": 3492, "15": 2405, "21": 4259, "22": 2407, "23": 3185,
    "31": 2487, "32": 8475, "33": 6457, "34": 6103, "35": 4154, "36": 4519, "37": 10153, "41": 9937,
    "42": 5775, "43": 6644, "44": 12601, "45": 5013, "46": 1008, "50": 3205, "51": 8367, "52": 3856,
    "53": 4721, "54": 365, "61": 3953, "62": 2502, "63": 592, "64": 720, "65": 2585,
}
#: How often a place near a district is in the same city (else in a neighbouring one).
SAME_CITY_SHARE = 0.7
#: A neighbouring city is one of this many nearest other cities.
NEIGHBOUR_CITIES = 3


class PlaceDraw:
    """Districts drawn by where people live, and near a given district; randomness from the caller."""

    def __init__(self, regions: RegionTable) -> None:
        self._regions = regions
        cities = [c for c in regions.cities if regions.children(c.adcode)]
        self._cities = cities
        weights: list[tuple[Region, float]] = []
        by_province: dict[str, list[Region]] = {}
        for city in cities:
            by_province.setdefault(city.adcode[:2], []).append(city)
        for code, members in sorted(by_province.items()):
            people = PROVINCE_POPULATION.get(code, 0)
            city_total = sum(city_weight(c) for c in members)
            for city in members:
                districts = regions.children(city.adcode)
                kinds = [district_weight(d) for d in districts]
                share = people * city_weight(city) / city_total / sum(kinds)
                weights += [(d, share * k) for d, k in zip(districts, kinds)]
        self._districts = tuple(d for d, _ in weights)
        self._cum = tuple(accumulate(w for _, w in weights))
        self._in_city: dict[str, tuple[tuple[Region, ...], tuple[float, ...]]] = {}
        self._neighbours: dict[str, tuple[Region, ...]] = {}

    def anywhere(self, rng: random.Random) -> Region:
        """A district, weighted by the population that lives there."""
        return self._districts[bisect(self._cum, rng.random() * self._cum[-1])]

    def in_city(self, city: str, rng: random.Random, *, other_than: str | None = None) -> Region | None:
        """A district of ``city`` (adcode) by kind, not ``other_than``; None if there is none."""
        pool = self._in_city.get(city)
        if pool is None:
            pool = self._in_city[city] = self._districts_of(city)
        districts, cum = pool
        if not districts or (len(districts) == 1 and districts[0].adcode == other_than):
            return None
        while True:
            found = districts[bisect(cum, rng.random() * cum[-1])]
            if found.adcode != other_than:
                return found

    def _districts_of(self, city: str) -> tuple[tuple[Region, ...], tuple[float, ...]]:
        """The districts of ``city`` and their cumulative weights by kind: the address draws' copy
        (:func:`~twinchat.inventory.addresses.city_districts`, the same districts and weights) where
        they have one, so that the cities asked for over a long run (up to every city's) hold no
        copy of their own; made here for a city they have none of."""
        shared = city_districts(self._regions, city)
        if shared is not None:
            return shared
        districts = self._regions.children(city)
        return districts, tuple(accumulate(district_weight(d) for d in districts))

    def neighbours(self, city: str) -> tuple[Region, ...]:
        """The :data:`NEIGHBOUR_CITIES` cities nearest to ``city`` (adcode), nearest first."""
        found = self._neighbours.get(city)
        if found is None:
            here = self._regions.get(city)
            # the nearest by a flat-earth distance first (cheap), the few kept ordered by the true one
            scale = math.cos(math.radians(here.lat))
            near = heapq.nsmallest(NEIGHBOUR_CITIES * 3, (c for c in self._cities if c.adcode != city),
                                   key=lambda c: ((c.lng - here.lng) * scale) ** 2 + (c.lat - here.lat) ** 2)
            near.sort(key=lambda c: (distance_km(here, c), c.adcode))
            found = self._neighbours[city] = tuple(near[:NEIGHBOUR_CITIES])
        return found

    def near(self, adcode: str, rng: random.Random) -> Region:
        """Another district near the district ``adcode`` (or a district of the city ``adcode``):
        in the same city (:data:`SAME_CITY_SHARE`), else in a neighbouring city."""
        place = self._regions.get(adcode)
        city = place.adcode if place.level == "city" else (place.parent or place.adcode)
        if rng.random() < SAME_CITY_SHARE:
            found = self.in_city(city, rng, other_than=place.adcode)
            if found is not None:
                return found
        neighbours = self.neighbours(city)
        found = self.in_city(neighbours[int(rng.random() * len(neighbours))].adcode, rng)
        return found if found is not None else self.anywhere(rng)


@lru_cache(maxsize=4)
def place_draw(regions: RegionTable) -> PlaceDraw:
    """The :class:`PlaceDraw` of a region table (built once per table)."""
    return PlaceDraw(regions)
