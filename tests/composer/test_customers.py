"""Customers as customers: places said as people say them (the ``place`` source), destinations
weighted by where people live, corrections to a nearby district, today said as 今天."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime

import pytest

from twinchat.composer.engine.render import TemplateCache
from twinchat.composer.engine.slots import SlotSampler, WorldCache
from twinchat.composer.engine.sources.place import PLACE, PLACE_FORMS, PlaceSlot
from twinchat.composer.engine.sources.time import names_today_otherwise, time_phrase
from twinchat.inventory.regions import PlaceIndex, load_regions
from twinchat.inventory.regions_population import PROVINCE_POPULATION, SAME_CITY_SHARE, place_draw
from twinchat.units.spec import TimeSlot

NOW = datetime(2026, 11, 22, 11, 20)  # a Sunday


@pytest.fixture(scope="module")
def sampler(world_path):
    from twinchat.inventory import open_world

    conn = open_world(world_path)
    yield SlotSampler(WorldCache(conn), TemplateCache())
    conn.close()


def _drawer(sampler, **config):
    slot = PlaceSlot(source="place", **config)
    return PLACE.drawer(slot, "p", sampler)


def test_every_form_names_exactly_the_place_drawn(sampler):
    index = PlaceIndex(sampler.world.conn)
    draw = _drawer(sampler, forms=list(PLACE_FORMS))
    rng, seen = random.Random(0), Counter()
    for _ in range(3000):
        place = draw(rng, {}, NOW, {})
        seen[place.form] += 1
        found = index.find(place.text)
        meant = place.city_adcode if place.form == "city" else place.adcode
        assert [p["adcode"] for p in found] == [meant], (place.text, place.form, found)
        assert place.full.endswith(place.name)
    assert set(seen) == set(PLACE_FORMS)  # every form is said (a shared name gives way to the next form)


def test_a_shared_district_name_gives_way_to_city_and_district(sampler):
    rng = random.Random(0)
    chaoyang = _drawer(sampler, of="home.adcode", forms=["district"])(rng, {"home": {"adcode": "110105"}}, NOW, {})
    assert (chaoyang.text, chaoyang.form) == ("北京朝阳区", "city_district")  # 长春 has a 朝阳区 too
    nanshan = _drawer(sampler, of="home.adcode", forms=["full"])(rng, {"home": {"adcode": "440305"}}, NOW, {})
    assert nanshan.text == "广东省深圳市南山区"


def test_of_says_the_customers_own_district(sampler):
    draw = _drawer(sampler, of="home.adcode", forms=["city_district"])
    assert draw(random.Random(1), {"home": {"adcode": "441704"}}, NOW, {}).text == "阳江阳东区"


def test_near_is_another_district_of_the_same_city_or_a_neighbouring_one(sampler):
    regions, rng = load_regions(), random.Random(2)
    draw = _drawer(sampler, near="previous.place", forms=["city_district"])
    where = Counter()
    neighbours = {c.adcode for c in place_draw(regions).neighbours("440300")}
    for _ in range(1000):
        place = draw(rng, {"previous": {"place": "440305"}}, NOW, {})
        assert place.adcode != "440305"
        city = regions.get(place.adcode).parent
        assert city == "440300" or city in neighbours, place.text
        where[city == "440300"] += 1
    assert abs(where[True] / 1000 - SAME_CITY_SHARE) < 0.05
    assert "441900" in neighbours  # 东莞 borders 深圳


def test_near_without_a_place_draws_where_people_live(sampler):
    place = _drawer(sampler, near="previous.place")(random.Random(3), {"previous": {"place": None}}, NOW, {})
    assert place.adcode in load_regions()


def test_destinations_are_weighted_by_province_population():
    draw, rng = place_draw(load_regions()), random.Random(4)
    shares = Counter(draw.anywhere(rng).adcode[:2] for _ in range(40000))
    total = sum(PROVINCE_POPULATION.values())
    for code in ("44", "41", "54", "63", "11"):  # 广东, 河南, 西藏, 青海, 北京
        expected = PROVINCE_POPULATION[code] / total
        assert abs(shares[code] / 40000 - expected) < 0.1 * expected + 0.002, (code, shares[code])


def test_place_checks_name_the_slot_paths():
    assert PLACE.problems(PlaceSlot(source="place", of="home.adcode"), "p", {"home"}) == []
    assert PLACE.problems(PlaceSlot(source="place", of="hom.adcode"), "p", {"home"}) == [
        "of 'hom.adcode' does not start with a slot (did you mean 'home'?)"]
    assert PLACE.problems(PlaceSlot(source="place", of="a.x", near="a.y"), "p", {"a"}) == [
        "give `of` or `near`, not both"]


@pytest.mark.parametrize(("text", "names"), [
    ("11月22号前", True), ("22号晚上", True), ("十一月二十二号", True), ("周日下午", True), ("礼拜天晚上", True),
    ("今天下午", False), ("今晚", False), ("下周日", False), ("晚上", False),
])
def test_today_by_its_date_or_weekday_is_told_apart(text, names):
    assert names_today_otherwise(text, NOW, NOW.replace(hour=23), NOW) is names


def test_time_slots_never_say_today_by_its_date():
    slot, rng = TimeSlot(source="time", kinds=["day", "part_of_day"], within_days=2), random.Random(5)
    said = [time_phrase("t", slot, rng, NOW) for _ in range(400)]
    today = [p for p in said if p.start.date() == NOW.date()]
    assert today and all(not names_today_otherwise(p.text, p.start, p.end, NOW) for p in said)
