"""The ``place`` source: a place as a customer says it (南山区, 深圳南山, 深圳, sometimes 广东省深圳市南山区).

Which place: the one another slot holds (``of: home.adcode`` — the customer's own district), one
near it (``near: previous.place`` — a correction to another district of the same city or of a
neighbouring one), or else one drawn where people live (population weights,
:mod:`twinchat.inventory.regions_population`). How it is said is the slot's form; a form that would
not name exactly that place in the world (a district name several cities share: 朝阳区, 鼓楼区)
gives way to the next one that does, so every text resolves to the place drawn.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.slot_values import Record
from twinchat.composer.engine.sources.base import SlotSource, form_picker
from twinchat.inventory.regions import PlaceIndex, Region
from twinchat.inventory.regions_population import place_draw
from twinchat.inventory.tools.memo import cache_bound
from twinchat.inventory.tools.static import static_data
from twinchat.units.loader import did_you_mean
from twinchat.units.slot_sources import SlotConfig

__all__ = ["PLACE", "PlaceSlot", "PLACE_FORMS", "Said", "KEEP_SAID", "SESSION_KEEP_SAID"]

#: each form and the forms it gives way to when it would not name the place alone
PLACE_FORMS: dict[str, tuple[str, ...]] = {
    "district": ("district", "city_district", "full"),            # 南山区
    "short": ("short", "short_city_district", "city_district", "full"),  # 南山
    "city_district": ("city_district", "full"),                  # 深圳南山区
    "short_city_district": ("short_city_district", "city_district", "full"),  # 深圳南山
    "city": ("city", "city_district", "full"),                   # 深圳
    "province": ("province", "full"),                             # 广东深圳南山区
    "full": ("full",),                                            # 广东省深圳市南山区
}


class PlaceSlot(SlotConfig):
    """A district (or its city) as a customer says it: the one ``of`` names, one ``near`` it, or one
    drawn by where people live."""

    source: Literal["place"]
    of: str | None = Field(default=None, description="A slot path whose value is a district's adcode "
                           "(home.adcode: the customer's district); the place said is that district.")
    near: str | None = Field(default=None, description="A slot path whose value is a district's adcode; the "
                             "place said is another district of its city or of a neighbouring city "
                             "(drawn by population when the value is missing).")


def _texts(province: Region, city: Region, district: Region) -> dict[str, str]:
    """Every form of a district, as written (a municipality names itself once)."""
    municipal = province.name == city.name
    full = (city.name if municipal else province.name + city.name) + district.name
    return {"district": district.name, "short": district.short_name,
            "city_district": city.short_name + district.name,
            "short_city_district": city.short_name + district.short_name,
            "city": city.short_name, "province": (city.short_name if municipal else province.short_name + city.short_name)
            + district.name, "full": full}


def _read(values: dict[str, Any], path: str) -> Any:
    head, *rest = path.split(".")
    value = values.get(head)
    for key in rest:
        value = value.get(key) if isinstance(value, dict) else getattr(value, key, None)
    return value


#: what the sayer remembers before it starts over: every (district, form) a world has (22,000
#: in the built-in world, about 1 kB each), which ``generate`` asks for again and again
KEEP_SAID = 32768
#: the bound in a run of sessions (``compose``, see :func:`~twinchat.inventory.tools.memo.keep_cache`):
#: places are drawn by population, and the few hundred most drawn make most of what is said; held
#: to every (district, form), the records kept growing for as long as the run drew new districts
SESSION_KEEP_SAID = 256


class Said:
    """What the place source has said, per world (a text depends only on the district, the form
    and the world's place names): at most ``keep`` records (:data:`KEEP_SAID`, or the bound the run
    that opened the connection set for :class:`Said`) before it starts over."""

    def __init__(self, conn: Any) -> None:
        self.said: dict[tuple[str, str], Record] = {}
        self.keep = cache_bound(conn, Said, KEEP_SAID)

    def forget(self) -> None:
        self.said.clear()


class _Sayer:
    """Each (district, form) said once: the first form of the chain that names only that place
    (the value is kept and shared: slot values are never changed)."""

    def __init__(self, conn: Any, regions: Any) -> None:
        self.index = static_data(conn, PlaceIndex)
        self.regions = regions
        said = static_data(conn, Said)  # one per world: every unit's place slots share it
        self.said, self.keep = said.said, said.keep

    def __call__(self, district: Region, form: str) -> Record:
        found = self.said.get((district.adcode, form))
        if found is None:
            if len(self.said) >= self.keep:
                self.said.clear()
            found = self.said[(district.adcode, form)] = self._say(district, form)
        return found

    def _say(self, district: Region, form: str) -> Record:
        province, city, _ = self.regions.chain(district.adcode)
        texts = _texts(province, city, district)
        said = "full"
        for option in PLACE_FORMS[form]:
            meant = city.adcode if option == "city" else district.adcode
            places = self.index.shared_find(texts[option])
            if len(places) == 1 and places[0]["adcode"] == meant:
                said = option
                break
        return Record("place", {"adcode": district.adcode, "name": district.name, "city": city.name,
                                "city_adcode": city.adcode, "full": texts["full"], "form": said}, texts[said])


def _drawer(slot: PlaceSlot, name: str, sampler: Any) -> Any:
    world = sampler.world
    draw, say, pick_form = place_draw(world.regions), _Sayer(world.conn, world.regions), form_picker(slot)
    of, near = slot.of, slot.near

    def place(rng: random.Random, values: dict[str, Any], now: datetime, context: dict[str, Any]) -> Any:
        form = pick_form(rng) or "district"
        if of is not None:
            adcode = _read(values, of)
            if not adcode or adcode not in world.regions:
                raise ComposerError(f"slot {name!r}: {of} is not a district's adcode ({adcode!r})")
            district = world.regions.get(adcode)
        elif near is not None and (adcode := _read(values, near)) and adcode in world.regions:
            district = draw.near(adcode, rng)
        else:
            district = draw.anywhere(rng)
        return say(district, form)
    return place


def _checks(slot: PlaceSlot, name: str, slot_names: Collection[str]) -> list[str]:
    if slot.of and slot.near:
        return ["give `of` or `near`, not both"]
    return [f"{field} {path!r} does not start with a slot{did_you_mean(path.split('.')[0], slot_names)}"
            for field, path in (("of", slot.of), ("near", slot.near))
            if path and path.split(".")[0] not in slot_names]


PLACE = SlotSource(name="place", config=PlaceSlot, drawer=_drawer, checks=_checks, forms=tuple(PLACE_FORMS),
                   uses=lambda slot: [p.split(".")[0] for p in (slot.of, slot.near) if p])
