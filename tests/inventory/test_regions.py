"""Regions, postcodes, place lookup and addresses, on the packaged data and hand-checked cases."""

from __future__ import annotations

import random
import re
import sqlite3

import pytest
import sqlite_utils

from twinchat.inventory.addresses import MAJOR_CITIES, STYLES, Address, AddressGenerator, city_weight, district_weight
from twinchat.inventory.regions import (
    COLUMNS,
    MAX_NAME_LENGTH,
    Region,
    UnknownRegionError,
    distance_km,
    find_places,
    load_regions,
    populate,
)
from twinchat.inventory.regions_derive import main as derive_main

MUNICIPALITIES = {"110000": "110100", "120000": "120100", "310000": "310100", "500000": "500100"}


@pytest.fixture(scope="module")
def regions():
    return load_regions()


@pytest.fixture(scope="module")
def places_db(tmp_path_factory):
    """A database with only the regions area, opened as the tools open a world."""
    path = tmp_path_factory.mktemp("regions") / "regions.db"
    db = sqlite_utils.Database(path)
    with db.conn:
        populate(db, seed=0)
    db.close()
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def addresses(regions):
    gen = AddressGenerator(regions, random.Random(20260101))
    return [gen.sample() for _ in range(10_000)]


# --- the table ---------------------------------------------------------------------------------


def test_levels_and_counts(regions):
    assert len(regions.provinces) == 31
    assert 330 <= len(regions.cities) <= 400
    assert len(regions.districts) >= 2800
    assert len({r.adcode for r in regions}) == len(regions)
    assert not [r for r in regions if r.adcode[:2] in ("71", "81", "82")]  # no Taiwan, Hong Kong, Macau


def test_every_district_chain_is_coherent(regions):
    for d in regions.districts:
        province, city, district = regions.chain(d.adcode)
        assert district == d
        assert city.level == "city" and city.adcode == d.parent, d
        assert province.level == "province" and province.adcode == city.parent and province.parent is None, d
        assert d.postcode == city.postcode and re.fullmatch(r"\d{6}", d.postcode or ""), d
        assert d.adcode[:2] == province.adcode[:2] == city.adcode[:2], d


def test_every_city_has_a_postcode_and_provinces_none(regions):
    for c in regions.cities:
        assert re.fullmatch(r"\d{6}", c.postcode or ""), c
        assert regions.get(c.parent or "").level == "province"
    assert all(p.postcode is None for p in regions.provinces)


def test_no_placeholder_or_function_area_rows(regions):
    names = {r.name for r in regions}
    assert not names & {"市辖区", "县", "省直辖县级行政区划", "省直辖行政区划", "市直辖行政区划"}
    assert not [r for r in regions if re.search("开发区|高新技术|管委会", r.name)]


def test_names_fit_the_lookup_and_are_unique_within_a_parent(regions):
    assert max(max(len(r.name), len(r.short_name)) for r in regions) <= MAX_NAME_LENGTH
    pairs = [(r.parent, r.name) for r in regions]
    assert len(pairs) == len(set(pairs))


def test_coordinates_lie_in_china(regions):
    for r in regions:
        assert 73 < r.lng < 136 and 3 < r.lat < 54, r


@pytest.mark.parametrize(
    "adcode, name, postcode",
    [  # from jionlp's phone_location, leading zeros restored
        ("440300", "深圳市", "518000"), ("110100", "北京市", "100000"), ("370100", "济南市", "250000"),
        ("310100", "上海市", "200000"), ("440100", "广州市", "510000"), ("130100", "石家庄市", "050000"),
        ("150100", "呼和浩特市", "010000"), ("532900", "大理白族自治州", "671000"),
        ("422800", "恩施土家族苗族自治州", "445000"), ("152500", "锡林郭勒盟", "026000"),
        ("652800", "巴音郭楞蒙古自治州", "841000"), ("632500", "海南藏族自治州", "813000"),
        ("220200", "吉林市", "132000"), ("441900", "东莞市", "523000"), ("429004", "仙桃市", "433000"),
    ],
)
def test_hand_checked_postcodes(regions, adcode, name, postcode):
    city = regions.get(adcode)
    assert (city.name, city.postcode) == (name, postcode)


def test_municipalities_have_a_city_of_their_own_name(regions):
    for province, city in MUNICIPALITIES.items():
        p, c = regions.get(province), regions.get(city)
        assert (c.level, c.parent, c.name) == ("city", province, p.name)
        assert regions.children(province) == (c,)
    assert regions.get("500229").parent == "500100"  # 重庆's 县 sit in the same city as its 区


def test_cities_without_a_county_level_use_their_towns(regions):
    dongguan = regions.children("441900")
    assert {"长安镇", "虎门镇", "东城街道"} <= {d.name for d in dongguan}
    assert all(d.adcode.startswith("441900") and len(d.adcode) == 9 for d in dongguan)
    xiantao = regions.get("429004")  # 省直辖县级: a city of the province
    assert (xiantao.level, xiantao.parent) == ("city", "420000")
    assert "沙嘴街道" in {d.name for d in regions.children("429004")}
    assert {d.name for d in regions.children("620200")} >= {"雄关区", "长城区", "镜铁区"}


def test_towns_are_streets_of_their_district(regions):
    towns = regions.towns("440305")
    assert "粤海街道" in towns and 0 < len(towns) <= 6
    assert all(t.endswith(("街道", "镇", "乡", "苏木")) for d in regions.districts for t in regions.towns(d.adcode))


def test_towns_asked_for_are_not_kept_by_the_table(regions):
    import gc
    import tracemalloc

    first = {d.adcode: regions.towns(d.adcode) for d in regions.districts}
    del first
    gc.collect()
    tracemalloc.start()
    try:
        again = {d.adcode: regions.towns(d.adcode) for d in regions.districts}  # the same towns, split anew
        with_them = tracemalloc.get_traced_memory()[0]
        assert again["440305"] == regions.towns("440305") and sum(map(len, again.values())) > 10_000
        del again
        gc.collect()
        left = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert with_them > 500_000 and left < 20_000  # kept, the split towns of every district take ~1.5 MB


def test_unknown_adcodes_are_errors_that_name_them(regions):
    with pytest.raises(UnknownRegionError, match="999999"):
        regions.get("999999")
    with pytest.raises(UnknownRegionError, match="440300 深圳市 is a city"):
        regions.chain("440300")


def test_table_is_loaded_once(regions):
    assert load_regions() is regions


# --- the database ------------------------------------------------------------------------------


def test_populate_is_byte_identical_across_builds(tmp_path, sql_dump):
    dumps = []
    for name in ("a.db", "b.db"):
        db = sqlite_utils.Database(tmp_path / name)
        db.conn.execute("PRAGMA foreign_keys = ON")
        with db.conn:
            populate(db, seed=0 if name == "a.db" else 1)  # the seed does not matter here
        db.close()
        dumps.append(sql_dump(tmp_path / name))
    assert dumps[0] == dumps[1]
    assert "CREATE TABLE regions" in dumps[0]


def test_schema_and_rows(places_db, regions):
    cols = [(r["name"], r["type"], r["notnull"], r["pk"]) for r in places_db.execute("PRAGMA table_info(regions)")]
    assert cols == [
        ("adcode", "TEXT", 0, 1), ("name", "TEXT", 1, 0), ("short_name", "TEXT", 1, 0), ("level", "TEXT", 1, 0),
        ("parent", "TEXT", 0, 0), ("province", "TEXT", 1, 0), ("city", "TEXT", 0, 0), ("postcode", "TEXT", 0, 0),
        ("lng", "REAL", 0, 0), ("lat", "REAL", 0, 0),
    ]
    fks = [(r["table"], r["from"], r["to"]) for r in places_db.execute("PRAGMA foreign_key_list(regions)")]
    assert fks == [("regions", "parent", "adcode")]
    indexed = {r["name"] for r in places_db.execute("PRAGMA index_list(regions)")}
    assert {f"idx_regions_{c}" for c in ("name", "short_name", "parent", "level")} <= indexed
    assert places_db.execute("SELECT count(*) FROM regions").fetchone()[0] == len(regions)
    assert [tuple(r) for r in places_db.execute(
        "SELECT province, city, postcode FROM regions WHERE adcode IN ('440000', '440300', '440305') ORDER BY adcode"
    )] == [("440000", None, None), ("440000", "440300", "518000"), ("440000", "440300", "518000")]
    assert tuple(places_db.execute("SELECT province, city FROM regions WHERE adcode = '110105'").fetchone()) == (
        "110000", "110100")
    towns = [r[0] for r in places_db.execute("SELECT name FROM region_towns WHERE district = '440305'")]
    assert towns == list(regions.towns("440305"))


# --- find_places -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("深圳南山", ["440305"]), ("深圳市南山区", ["440305"]), ("广东省深圳市南山区", ["440305"]),
        ("广东深圳南山区", ["440305"]), ("广东南山区", ["440305"]), (" 广东省 深圳市 南山区 ", ["440305"]),
        ("南山区", ["230404", "440305"]),  # 鹤岗市 has a 南山区 too
        ("朝阳区", ["110105", "220104"]), ("北京朝阳", ["110105"]), ("北京市朝阳区", ["110105"]),
        ("长春朝阳区", ["220104"]), ("朝阳", ["211300"]),  # a bare city short name names the city
        ("西安", ["610100"]), ("西安区", ["220403", "231005"]),
        ("深圳", ["440300"]), ("深圳市", ["440300"]), ("广东深圳", ["440300"]), ("广东", ["440000"]),
        ("北京", ["110100"]), ("北京市", ["110100"]), ("重庆", ["500100"]), ("吉林", ["220000"]),
        ("吉林市", ["220200"]), ("吉林省吉林市船营区", ["220204"]), ("大理", ["532900"]),
        ("东莞长安镇", ["441900125"]), ("浦东", ["310115"]), ("上海浦东新区", ["310115"]),
        ("火星", []), ("深圳朝阳", []), ("", []), ("南山区深圳", []), ("广东省北京市", []),
    ],
)
def test_find_places(places_db, text, expected):
    assert [p["adcode"] for p in find_places(places_db, text)] == expected


def test_find_places_returns_rows_as_dicts(places_db):
    (place,) = find_places(places_db, "深圳南山")
    assert tuple(place) == COLUMNS
    assert place == {"adcode": "440305", "name": "南山区", "short_name": "南山", "level": "district",
                     "parent": "440300", "province": "440000", "city": "440300", "postcode": "518000",
                     "lng": pytest.approx(113.93, abs=0.01), "lat": pytest.approx(22.53, abs=0.01)}


def test_find_places_by_level(places_db):
    assert [p["adcode"] for p in find_places(places_db, "朝阳", level="city")] == ["211300"]
    assert [p["adcode"] for p in find_places(places_db, "北京", level="province")] == ["110000"]
    assert find_places(places_db, "南山区", level="city") == []


def test_find_places_is_one_indexed_query(places_db):
    from twinchat.inventory.regions import _FIND_SQL

    plan = " ".join(r[3] for r in places_db.execute("EXPLAIN QUERY PLAN " + _FIND_SQL, ["x"] * MAX_NAME_LENGTH))
    assert "USING INDEX idx_regions_name" in plan and "USING INDEX idx_regions_short_name" in plan
    assert "SCAN" not in plan


# --- distance ----------------------------------------------------------------------------------


def test_distance_km(regions, places_db):
    shenzhen, beijing = regions.get("440300"), regions.get("110100")
    assert 1900 < distance_km(shenzhen, beijing) < 2000
    assert distance_km(shenzhen, beijing) == pytest.approx(distance_km(beijing, shenzhen))
    assert distance_km(shenzhen, shenzhen) == 0
    row = places_db.execute("SELECT * FROM regions WHERE adcode = '440100'").fetchone()
    assert 90 < distance_km(shenzhen, row) < 130  # 深圳–广州
    assert distance_km({"lng": 0, "lat": 0}, {"lng": 180, "lat": 0}) == pytest.approx(20015, rel=1e-3)


# --- addresses ---------------------------------------------------------------------------------

_DETAIL = re.compile(r"(\w+?(街道|镇|乡|苏木))?\w+?(路|大道|街|巷)\d+号\w+?\d+(室|楼)")


def test_addresses_parse_back_to_their_parts(regions, addresses, places_db):
    for a in addresses:
        province, city, district = regions.chain(a.adcode)
        assert (a.province, a.city, a.district) == (province.name, city.name, district.name)
        assert a.postcode == city.postcode
        head = "" if province.name == city.name else province.name
        text = a.text()
        assert text == head + city.name + district.name + a.detail
        assert _DETAIL.fullmatch(a.detail), a.detail
        found = find_places(places_db, text[: -len(a.detail)])
        assert [p["adcode"] for p in found] == [a.adcode], text


def test_addresses_are_varied_and_favour_major_cities(addresses):
    assert len({a.text() for a in addresses}) >= 0.99 * len(addresses)
    big4 = sum(a.city in ("北京市", "上海市", "广州市", "深圳市") for a in addresses)
    assert big4 >= 0.08 * len(addresses)
    assert len({a.city for a in addresses}) >= 250


def test_every_district_can_be_drawn(regions):
    assert all(city_weight(c) > 0 for c in regions.cities)
    assert all(district_weight(d) > 0 for d in regions.districts)
    for adcode, name, weight in MAJOR_CITIES:
        assert regions.get(adcode).name == name and weight > 0


def test_municipal_addresses_never_double_the_name(regions):
    gen = AddressGenerator(regions, random.Random(3))
    for city in MUNICIPALITIES.values():
        for _ in range(50):
            a = gen.sample(city=city)
            assert a.province == a.city
            for style in STYLES:
                assert a.city + a.city not in a.text(style).replace(" ", "")
            assert a.text().startswith(a.city + a.district)


def test_same_seed_same_addresses(regions):
    def draw(seed: int) -> list[Address]:
        gen = AddressGenerator(regions, random.Random(seed))
        return [gen.sample() for _ in range(200)]

    assert draw(5) == draw(5)
    assert draw(5) != draw(6)


def test_a_citys_districts_are_drawn_from_the_address_draws_copy(regions):
    """Drawing a district in a city (near a customer, a destination) reads the city's districts and
    weights by kind; a long run asks for nearly every city's. Where the address draws hold them
    (one copy per table) they are not copied again; they are the districts and weights made from
    the table either way."""
    import gc
    import tracemalloc
    from itertools import accumulate

    from twinchat.inventory.addresses import city_districts, district_weight
    from twinchat.inventory.regions_population import PlaceDraw

    draw, rng = PlaceDraw(regions), random.Random(3)
    cities = [c.adcode for c in regions.cities if regions.children(c.adcode)]
    city_districts(regions, cities[0])  # the address draws, made before measuring
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for city in cities:
            draw.in_city(city, rng)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 60_000, f"{held:,} bytes for {len(cities)} cities"  # ~190 kB with a copy per city
    shared = [c for c in cities if city_districts(regions, c) is not None]
    assert len(shared) > 300 and all(draw._in_city[c] is city_districts(regions, c) for c in shared)
    for city in cities:
        districts, cum = draw._in_city[city]
        assert tuple(districts) == regions.children(city)
        assert cum == tuple(accumulate(district_weight(d) for d in regions.children(city)))
    assert draw.in_city("440300", rng).parent == "440300"


def test_address_styles():
    a = Address(province="广东省", city="深圳市", district="南山区", detail="粤海街道科技南路18号华润大厦12楼1203室",
                postcode="518000", adcode="440305")
    assert a.text() == "广东省深圳市南山区粤海街道科技南路18号华润大厦12楼1203室"
    assert a.text("no_province") == "深圳市南山区粤海街道科技南路18号华润大厦12楼1203室"
    assert a.text("spaced") == "广东省 深圳市 南山区 粤海街道科技南路18号华润大厦12楼1203室"
    m = Address(province="北京市", city="北京市", district="朝阳区", detail="建国路88号", postcode="100000", adcode="110105")
    assert m.text() == m.text("no_province") == "北京市朝阳区建国路88号"
    assert m.text("spaced") == "北京市 朝阳区 建国路88号"
    with pytest.raises(ValueError, match="unknown address style 'short'"):
        a.text("short")


def test_sample_in_a_city_or_district(regions):
    gen = AddressGenerator(regions, random.Random(11))
    assert {gen.sample(city="440300").city for _ in range(30)} == {"深圳市"}
    a = gen.sample(district="441900125")
    assert a.text().startswith("广东省东莞市长安镇") and a.postcode == "523000"
    assert gen.sample(city="440300", district="440305").district == "南山区"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"city": "999999"}, "no region with adcode '999999'"),
        ({"city": "440000"}, "440000 广东省 is a province, not a city"),
        ({"district": "440300"}, "440300 深圳市 is a city, not a district"),
        ({"city": "110100", "district": "440305"}, "district 440305 南山区 is not in city 110100"),
        ({"city": "659005"}, "city 659005 北屯市 has no districts"),
    ],
)
def test_sample_rejects_bad_adcodes(regions, kwargs, message):
    with pytest.raises(UnknownRegionError, match=message):
        AddressGenerator(regions, random.Random(0)).sample(**kwargs)


def test_region_is_frozen(regions):
    with pytest.raises(AttributeError):
        regions.get("440300").name = "x"  # type: ignore[misc]
    assert isinstance(regions.get("440300"), Region)


# --- the derive script, on a miniature of its sources ---------------------------------------------

_TREE = """\
北京市\t110000\t北京
\t北京市\t110000\t北京
\t\t朝阳区\t110105\t朝阳
\t\t\t八里庄街道
\t\t\t\t某社区
\t\t\t三里屯街道
广东省\t440000\t广东
\t深圳市\t440300\t深圳
\t\t市辖区\t440301\t市辖区
\t\t南山区\t440305\t南山
\t\t\t粤海街道
\t\t\t某某农场
\t\t\t南头街道
\t\t深圳高新技术产业开发区\t440371\t高新区
\t东莞市\t441900\t东莞
\t\t市直辖行政区划\t441900\t市直辖
\t\t\t长安镇
\t\t\t东莞港
\t\t\t东城街道
湖北省\t420000\t湖北
\t省直辖行政区划\t429000\t省直辖
\t\t仙桃市\t429004\t仙桃
\t\t\t郑场镇
\t\t\t沙嘴街道
\t\t潜江市\t429005\t潜江
\t\t\t园林街道
香港特别行政区\t810000\t香港
\t香港\t810000\t香港
\t\t中西区\t810001\t中西
"""
_PHONES = "北京 北京\t010\t100000\n广东 深圳\t0755\t518000\n广东 东莞\t0769\t523000\n湖北 仙桃\t0728\t433000\n\t130\t0000,0017\n"
_COORDS = """\
adcode,name,longitude,latitude
110000000000,北京市,116.407394,39.904211
110100000000,市辖区,116.407394,39.904211
110105000000,朝阳区,116.443205,39.921506
440000000000,广东省,113.280637,23.125178
440300000000,深圳市,114.085947,22.547
440305000000,南山区,113.930413,22.533287
441900000000,东莞市,113.751799,23.020673
420000000000,湖北省,114.298572,30.584355
429004000000,仙桃市,113.423583,30.361438
429005000000,潜江市,112.899762,30.402167
"""
_EXPECTED = """\
adcode\tname\tshort_name\tlevel\tparent\tpostcode\tlng\tlat\tpostcode_src\ttowns
110000\t北京市\t北京\tprovince\t\t\t116.407394\t39.904211\t\t
110100\t北京市\t北京\tcity\t110000\t100000\t116.407394\t39.904211\tname\t
110105\t朝阳区\t朝阳\tdistrict\t110100\t100000\t116.443205\t39.921506\tcity\t三里屯街道|八里庄街道
420000\t湖北省\t湖北\tprovince\t\t\t114.298572\t30.584355\t\t
429004\t仙桃市\t仙桃\tcity\t420000\t433000\t113.423583\t30.361438\tname\t
429004001\t沙嘴街道\t沙嘴\tdistrict\t429004\t433000\t113.423583\t30.361438\tcity\t
429004101\t郑场镇\t郑场\tdistrict\t429004\t433000\t113.423583\t30.361438\tcity\t
429005\t潜江市\t潜江\tcity\t420000\t433000\t112.899762\t30.402167\tnearest:429004\t
429005001\t园林街道\t园林\tdistrict\t429005\t433000\t112.899762\t30.402167\tcity\t
440000\t广东省\t广东\tprovince\t\t\t113.280637\t23.125178\t\t
440300\t深圳市\t深圳\tcity\t440000\t518000\t114.085947\t22.547\tname\t
440305\t南山区\t南山\tdistrict\t440300\t518000\t113.930413\t22.533287\tcity\t南头街道|粤海街道
441900\t东莞市\t东莞\tcity\t440000\t523000\t113.751799\t23.020673\tname\t
441900001\t东城街道\t东城\tdistrict\t441900\t523000\t113.751799\t23.020673\tcity\t
441900101\t长安镇\t长安\tdistrict\t441900\t523000\t113.751799\t23.020673\tcity\t
"""


def test_derive_applies_the_rules_deterministically(tmp_path, capsys):
    tree, phones, coords = tmp_path / "china_location.txt", tmp_path / "phone_location.txt", tmp_path / "adcodes.csv"
    tree.write_bytes(_TREE.replace("\n", "\r\n").encode("utf-8"))  # the source has CRLF line ends
    phones.write_bytes(_PHONES.replace("\n", "\r\n").encode("utf-8"))
    coords.write_text(_COORDS, encoding="utf-8")
    outs = []
    for name in ("a.tsv", "b.tsv"):
        assert derive_main([str(tree), str(phones), str(coords), str(tmp_path / name)]) == 0
        outs.append((tmp_path / name).read_bytes())
    assert outs[0] == outs[1]
    assert outs[0].decode("utf-8") == _EXPECTED
    report = capsys.readouterr().out
    assert "unmatched: 1\n  429005 潜江市 -> nearest:429004 433000" in report


def test_derive_usage(capsys):
    assert derive_main([]) == 2
    assert "python -m twinchat.inventory.regions_derive" in capsys.readouterr().err


def test_addresses_are_never_drawn_where_the_postcode_was_borrowed():
    import random

    from twinchat.inventory.addresses import AddressGenerator
    from twinchat.inventory.regions import load_regions

    table = load_regions()
    borrowed = {c.adcode for c in table.cities if not c.postcode_exact}
    assert len(borrowed) == 30 and "460400" in borrowed          # 儋州: no postcode in the source
    gen = AddressGenerator(table, random.Random(7))
    cities = {table.get(gen.sample().adcode).parent for _ in range(20_000)}
    assert cities.isdisjoint(borrowed)
    assert len(cities) > 250


_TSV_HEAD = "adcode\tname\tshort_name\tlevel\tparent\tpostcode\tlng\tlat\tpostcode_src\ttowns\n"
_TSV_ROWS = ("440000\t广东省\t广东\tprovince\t\t\t113.2\t23.1\t\t\n"
             "440100\t广州市\t广州\tcity\t440000\t510000\t113.2\t23.1\tname\t\n"
             "440103\t荔湾区\t荔湾\tdistrict\t440100\t510000\t113.2\t23.1\tcity\t沙面街道|岭南街道\n"
             "440200\t韶关市\t韶关\tcity\t440000\t512000\t113.5\t24.8\tnearest:440100\t\n"
             "440203\t武江区\t武江\tdistrict\t440200\t512000\t113.5\t24.8\tcity\t\n")


def test_region_table_text_is_parsed_into_regions_links_and_towns():
    from twinchat.inventory.region_table import _parse

    table = _parse(_TSV_HEAD + _TSV_ROWS)
    assert [type(r) for r in table] == [Region] * 5
    assert table.get("440000") == Region("440000", "广东省", "广东", "province", None, None, 113.2, 23.1, True)
    assert table.get("440103") == Region("440103", "荔湾区", "荔湾", "district", "440100", "510000", 113.2, 23.1, True)
    # a borrowed postcode is not exact, for the city and its districts
    assert [table.get(c).postcode_exact for c in ("440100", "440200", "440203")] == [True, False, False]
    assert [r.adcode for r in table.children("440000")] == ["440100", "440200"]
    assert table.towns("440103") == ("沙面街道", "岭南街道") and table.towns("440203") == ()


@pytest.mark.parametrize("text", [
    "",
    _TSV_HEAD.replace("towns", "town") + _TSV_ROWS,
    _TSV_HEAD + _TSV_ROWS.replace("\t沙面街道|岭南街道", ""),  # a row one field short
    _TSV_HEAD + _TSV_ROWS.replace("\tname\t", "\tname\t\t"),  # a row one field long
])
def test_region_table_text_of_another_shape_is_refused(text):
    from twinchat.inventory.errors import InventoryError
    from twinchat.inventory.region_table import _parse

    with pytest.raises(InventoryError, match="regions.tsv: not 10 tab-separated fields a line under its header"):
        _parse(text)
