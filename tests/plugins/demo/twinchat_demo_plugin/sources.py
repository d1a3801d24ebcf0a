"""A slot source: a Chinese licence plate (粤B·12345), from a province's abbreviation, a letter
(never I or O) and five digits; forms ``plain`` (粤B·12345) and ``spaced`` (粤B 12345)."""

from __future__ import annotations

import random
from collections.abc import Collection
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from twinchat.composer.engine.sources import Record, SlotConfig, SlotSource, form_picker

#: Province abbreviations, as plates begin.
PROVINCES = tuple("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
LETTERS = tuple("ABCDEFGHJKLMNPQRSTUVWXYZ")


class LicencePlateSlot(SlotConfig):
    """A licence plate of one province, or of any."""

    source: Literal["licence_plate"]
    province: str | None = Field(default=None, description="The province's abbreviation (粤, 京…); default: any.")


def _drawer(slot: LicencePlateSlot, name: str, sampler: Any) -> Any:
    pick_form, province = form_picker(slot), slot.province

    def plate(rng: random.Random, values: dict[str, Any], now: datetime, context: dict[str, Any]) -> Any:
        form = pick_form(rng) or "plain"
        where = province or PROVINCES[int(rng.random() * len(PROVINCES))]
        letter = LETTERS[int(rng.random() * len(LETTERS))]
        number = f"{int(rng.random() * 100_000):05d}"
        text = f"{where}{letter}{'·' if form == 'plain' else ' '}{number}"
        return Record("licence_plate", {"province": where, "letter": letter, "number": number,
                                        "plate": f"{where}{letter}{number}"}, text)
    return plate


def _checks(slot: LicencePlateSlot, name: str, slot_names: Collection[str]) -> list[str]:
    if slot.province is not None and slot.province not in PROVINCES:
        return [f"unknown province {slot.province!r}; provinces: {''.join(PROVINCES)}"]
    return []


LICENCE_PLATE = SlotSource(name="licence_plate", config=LicencePlateSlot, drawer=_drawer,
                           forms=("plain", "spaced"), checks=_checks)
