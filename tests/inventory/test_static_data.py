"""Static reference data read once per connection: the in-memory lookups give what the SQL gives,
and what can change (stock) is still read from the world on every call."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime

import pytest

from twinchat.inventory.regions import PlaceIndex, find_places, full_name, load_regions
from twinchat.inventory.tools import call
from twinchat.inventory.tools.static import static_data

NOW = datetime(2026, 11, 20, 15, 30)


def _texts():
    table = load_regions()
    out = ["南山", "深圳南山", "广东省深圳市南山区", "朝阳区", "北京", "西安", "广东", "浦东新区", "xx", "  南 山 ", ""]
    for d in table.districts[::7]:
        city = table.get(d.parent)
        province = table.get(city.parent)
        out += [d.name, d.short_name, city.short_name + d.short_name, province.name + city.name + d.name]
    return out


def test_place_index_finds_what_find_places_finds(world):
    index = PlaceIndex(world)
    for text in _texts():
        for level in (None, "city", "district", "province"):
            assert index.find(text, level) == find_places(world, text, level), (text, level)
        for place in find_places(world, text):
            assert index.full_name(place) == full_name(world, place)


def test_named_in_lists_the_regions_an_address_names(world):
    index = PlaceIndex(world)
    for text in ["广东省深圳市南山区科苑路15号", "上海浦东新区张江路1号", "北京朝阳区建国路", "没有地名的地址"]:
        rows = world.execute(
            "SELECT adcode, instr(?, name) - 1 FROM regions WHERE (length(name) >= 2 AND instr(?, name) > 0) "
            "OR (length(short_name) >= 2 AND instr(?, short_name) > 0) ORDER BY adcode", (text, text, text)).fetchall()
        assert [(p["adcode"], at) for p, at in index.named_in(text)] == [tuple(r) for r in rows]


def test_address_reading_finds_the_regions_named_in_a_text(world):
    """What an address is read with (the names whose first two characters it holds, kept if in
    it) lists the regions PlaceIndex.named_in lists, for texts short and past 512 characters."""
    from twinchat.inventory.tools.places import _names

    index, names = PlaceIndex(world), _names(world)
    texts = _texts()
    texts += [a + b + "路1号" for a, b in zip(texts, texts[3:])] + ["北京朝阳区" * 120 + "西安"]
    for text in texts:
        assert names.named_in(text) == {p["adcode"] for p, _ in index.named_in(text)}, text


def test_address_reading_finds_the_regions_named_in_a_text_of_every_length(world):
    """The pairs of characters of a text are taken by one getter per length: every length from none
    to past 512 characters finds what PlaceIndex.named_in finds."""
    from twinchat.inventory.tools.places import _names

    index, names = PlaceIndex(world), _names(world)
    text = "北京市朝阳区深圳路8号南山区" * 40
    for size in [*range(0, 40), 511, 512, 513, 514]:
        part = text[:size]
        assert names._named_in(part) == {p["adcode"] for p, _ in index.named_in(part)}, size
    assert names._named_in("北京") and names._named_in("南山区")


def test_copies_of_one_world_share_their_place_index(world_path, tmp_path):
    """An index made for regions equal to the last one's shares its tables (and what is derived
    from them); a world whose regions differ in one name gets an index of its own, which finds it."""
    from twinchat.composer.store.snapshot import world_snapshot
    from twinchat.inventory.tools.places import resolve_address

    def made(index):
        return object()

    first, second = world_snapshot(world_path), world_snapshot(world_path)
    one, two = static_data(first, PlaceIndex), static_data(second, PlaceIndex)
    assert one is not two and one.derived(made) is two.derived(made)
    address = "广东省深圳市南山区科苑路15号"
    assert resolve_address(second, address) == resolve_address(first, address)

    renamed = world_snapshot(world_path)
    with renamed:
        renamed.execute("UPDATE regions SET name = '蛇口区' WHERE name = '南山区' AND city = '440300'")
    own = static_data(renamed, PlaceIndex)
    assert own.derived(made) is not one.derived(made)
    assert [p["name"] for p in own.find("深圳市蛇口区")] == ["蛇口区"] and one.find("深圳市蛇口区") == []
    assert resolve_address(renamed, "广东省深圳市蛇口区科苑路15号")[0]["adcode"] == "440300"
    assert static_data(world_snapshot(world_path), PlaceIndex).find("深圳市蛇口区") == []
    for conn in (first, second, renamed):
        conn.close()


def test_static_data_is_read_once_per_connection(world_path):
    from twinchat.inventory import open_world

    reads = []

    def build(conn):
        reads.append(conn)
        return object()

    first, second = open_world(world_path), open_world(world_path)
    assert static_data(first, build) is static_data(first, build)
    assert static_data(second, build) is not static_data(first, build)
    assert reads == [first, second]
    others = [open_world(world_path) for _ in range(6)]
    for _ in range(3):  # however many connections take turns, each reads once
        for conn in [first, second, *others]:
            static_data(conn, build)
    assert reads == [first, second, *others]
    for conn in [first, second, *others]:
        conn.close()


def test_static_data_goes_with_its_connection(world_path):
    """Nothing but the connection keeps what was read from it: dropping the connection frees it."""
    import gc
    import weakref

    from twinchat.inventory import open_world

    class Data:
        pass

    conn = open_world(world_path)
    kept = weakref.ref(static_data(conn, lambda c: Data()))
    gone = weakref.ref(conn)
    assert kept() is not None
    conn.close()
    del conn
    gc.collect()
    assert gone() is None and kept() is None


def test_a_plain_connection_keeps_nothing_and_cannot_be_frozen(world_path):
    from twinchat.inventory import open_world
    from twinchat.inventory.tools.stock import freeze_stock, is_frozen

    reads = []
    plain = sqlite3.connect(world_path)  # a sqlite3.Connection, not a WorldConnection
    plain.row_factory = sqlite3.Row
    static_data(plain, reads.append)
    static_data(plain, reads.append)
    assert reads == [plain, plain]
    with pytest.raises(sqlite3.ProgrammingError, match=r"freeze_stock needs a connection that keeps"):
        freeze_stock(plain)
    assert not is_frozen(plain)
    args = {"category": "内存条", "limit": 20}
    world = open_world(world_path)
    assert call(plain, "search_products", args, NOW) == call(world, "search_products", args, NOW)
    plain.close()
    world.close()


def test_stock_is_read_from_the_world_on_every_call(world):
    args = {"category": "内存条", "compatible_with": None, "limit": 20}
    before = call(world, "search_products", args, NOW)
    product = next(p for p in before["products"] if p["in_stock"])
    world.execute("UPDATE stock SET qty = 0 WHERE product_id = ?", (product["id"],))
    after = call(world, "search_products", args, NOW)
    assert next(p for p in after["products"] if p["id"] == product["id"])["in_stock"] is False
    delivery = call(world, "check_delivery", {"products": [product["id"]], "destination": "深圳南山"}, NOW)
    assert delivery["results"][0]["in_stock"] is False


def test_stock_cache_sees_what_another_connection_commits(world_path, tmp_path):
    import shutil

    from twinchat.inventory import open_world

    path = shutil.copy(world_path, tmp_path / "w.db")
    reader, writer = open_world(path), open_world(path)
    args = {"products": ["MEM-0001"], "destination": "深圳南山"}
    pid = reader.execute("SELECT product_id FROM stock WHERE qty > 0 ORDER BY product_id LIMIT 1").fetchone()[0]
    args["products"] = [pid]
    assert call(reader, "check_delivery", args, NOW)["results"][0]["in_stock"] is True
    with writer:
        writer.execute("UPDATE stock SET qty = 0 WHERE product_id = ?", (pid,))
    assert call(reader, "check_delivery", args, NOW)["results"][0]["in_stock"] is False
    assert call(reader, "search_products", {"category": "内存条", "limit": 20}, NOW) == call(
        writer, "search_products", {"category": "内存条", "limit": 20}, NOW)
    reader.close()
    writer.close()


def test_frozen_stock_reads_what_the_table_holds_and_refuses_writes(world_path):
    from twinchat.composer.store.snapshot import world_snapshot
    from twinchat.inventory import open_world
    from twinchat.inventory.tools.stock import FROZEN_MESSAGE, is_frozen

    snap, plain = world_snapshot(world_path), open_world(world_path)
    assert is_frozen(snap) and not is_frozen(plain)
    ids = [r[0] for r in plain.execute("SELECT id FROM products ORDER BY id")]
    for i in range(0, len(ids), 7):
        for quantity in (1, 3, 40):
            args = {"products": ids[i:i + 3], "destination": "深圳南山", "quantity": quantity}
            assert call(snap, "check_delivery", args, NOW) == call(plain, "check_delivery", args, NOW)
    for category in ("内存条", "固态硬盘", "充电器"):
        for in_stock_only in (False, True):
            args = {"category": category, "in_stock_only": in_stock_only, "limit": 20}
            assert call(snap, "search_products", args, NOW) == call(plain, "search_products", args, NOW)
    for sql in ("UPDATE stock SET qty = 0", "DELETE FROM stock",
                "INSERT INTO stock (product_id, warehouse, qty) VALUES ('x', 'y', 1)"):
        with pytest.raises(sqlite3.IntegrityError, match=re.escape(FROZEN_MESSAGE)):
            snap.execute(sql)
    snap.close()
    plain.close()


def test_shared_find_gives_what_find_gives(world):
    index = PlaceIndex(world)
    for text in _texts():
        assert list(index.shared_find(text)) == index.find(text)
        assert index.shared_find(text) is index.shared_find(text)


@pytest.mark.parametrize("name, args, error", [
    ("search_products", {"category": "固态", "compatible_with": "xyz"},
     ("unknown_device", "未找到机型“xyz”,请提供完整的品牌和型号", "compatible_with")),
    ("search_products", {"category": "鼠标"},
     ("unknown_category", "没有“鼠标”这个品类,可选: 充电器、充电桩、笔记本电脑、内存条、手机、固态硬盘", "category")),
    ("check_delivery", {"products": ["no-such"], "destination": "深圳南山"},
     ("unknown_product", "未找到商品“no-such”", "products.0")),
    ("check_delivery", {"products": ["MEM001"], "destination": "朝阳区"},
     ("ambiguous_place", "“朝阳区”对应多个地区: 北京市朝阳区、吉林省长春市朝阳区,请说明是哪个城市", "destination")),
    ("query_technician_slots", {"city": "广东", "category": "充电桩"},
     ("ambiguous_place", "“广东”范围太大,请说明具体城市,广东省可上门的城市有: 广州市、深圳市、佛山市、东莞市", "city")),
    ("create_ticket", {"user_name": "王", "phone": "13800138000", "address": "朝阳区建国路1号", "problem": "坏了",
                       "category": "充电桩", "serve_time": "2026-11-21 14:00:00"},
     ("ambiguous_place", "“朝阳区建国路1号”对应多个地区: 北京市朝阳区、吉林省长春市朝阳区,请说明是哪个城市", "address")),
])
def test_errors_from_static_lookups_say_what_is_wrong(world, name, args, error):
    code, message, field = error
    assert call(world, name, args, NOW) == {"error": {"code": code, "message": message, "field": field}}


def _reference_resolve_address(conn, address):
    """resolve_address as it was written over PlaceIndex.named_in and PlaceIndex.find (a dict per
    region named, a copy per prefix): the reference the prepared names must agree with."""
    from twinchat.inventory.tools.places import _REGION_COLUMNS, _cities_of, _pick_city

    text = re.sub(r"\s+", "", address)
    index = static_data(conn, PlaceIndex)
    rows = index.named_in(text)
    context = {place["adcode"] for place, _ in rows}
    full = [({k: place[k] for k in _REGION_COLUMNS}, (at, at + len(place["name"]))) for place, at in rows if at >= 0]
    spans = [span for _, span in full]
    named = [(place, b) for place, (a, b) in full if not any(x <= a and b <= y and y - x > b - a for x, y in spans)]
    for end in sorted({b for _, b in named}, reverse=True) + list(range(len(text), 1, -1)):
        places = index.find(text[:end])
        if places:
            break
    else:
        places = [place for place, _ in named]
    for level in ("district", "city", "province"):  # the most specific, and of those the agreeing ones
        found = [p for p in places if p["level"] == level]
        if found:
            places = [p for p in found if ({p["province"], p["city"]} - {p["adcode"], None}) & context] or found
            break
    else:
        places = []
    cities, provinces = _cities_of(places)
    if len(cities) == 1 and not provinces:  # one city: its row as read from the index
        return {k: index.row(cities[0])[k] for k in _REGION_COLUMNS}, None
    return _pick_city(conn, address, places, "address")


def test_resolve_address_reads_every_address_as_the_reference_does(world):
    """Drawn addresses in every style, region texts alone, and street parts that name regions
    (金山路, 上海路, 新村, 城区): the prepared names give the reference's city row or error."""
    import random

    from twinchat.inventory.addresses import STYLES, AddressGenerator
    from twinchat.inventory.tools.places import resolve_address

    rng = random.Random(7)
    gen = AddressGenerator(load_regions(), rng)
    texts = [gen.sample().text(rng.choice(STYLES)) for _ in range(1500)] + _texts()
    texts += [t + tail for t in _texts()[:40] for tail in ("金山路8号", "上海路1号新村", "城区中路3号", "")]
    errors = 0
    for text in texts:
        want = _reference_resolve_address(world, text)
        assert resolve_address(world, text) == want, text
        errors += want[1] is not None
    assert 0 < errors < len(texts)


def test_a_citys_row_is_made_once_and_shared_by_the_answers_that_name_it(world):
    """resolve_address and resolve_city answer with one row per city, made once (callers read it)."""
    from twinchat.inventory.tools.places import resolve_address, resolve_city

    shenzhen = resolve_address(world, "广东省深圳市南山区科苑路15号")[0]
    assert shenzhen == {"adcode": "440300", "name": "深圳市", "level": "city", "province": "440000",
                        "city": "440300"}
    assert resolve_address(world, "深圳市福田区华强北路1号")[0] is shenzhen
    assert resolve_city(world, "深圳", "city")[0] is shenzhen


def test_the_desk_gives_what_the_technician_queries_give(world):
    """Desk.skilled, names and planned slots against the queries they replace, for every city
    and category, and every weekday and start."""
    from datetime import time

    from twinchat.inventory.tools.desk import Desk

    desk = static_data(world, Desk)
    cities = [r[0] for r in world.execute("SELECT DISTINCT city FROM technicians")] + ["110101"]
    categories = [r[0] for r in world.execute("SELECT id FROM categories")]
    for city in cities:
        assert desk.serves(city) is (world.execute("SELECT 1 FROM technicians WHERE city = ?", (city,))
                                     .fetchone() is not None)
        for category in categories:
            want = [r[0] for r in world.execute(
                "SELECT id FROM technicians WHERE city = ? AND instr(' ' || skills || ' ', ?) > 0 ORDER BY id",
                (city, f" {category} "))]
            assert desk.skilled(city, category) == want, (city, category)
    assert desk.names == dict(world.execute("SELECT id, name FROM technicians"))
    planned = 0
    for tid, weekday, start, end in world.execute("SELECT technician, weekday, start, end FROM technician_schedule"):
        assert (start, end) in desk.planned(tid, weekday, time.fromisoformat(start))
        planned += 1
    assert planned == sum(len(v) for v in desk._plan.values()) > 0
    some = desk.skilled(cities[0], categories[0])
    for weekday in range(7):
        for at in (time(9), time(14), time(10)):
            for techs in (some, some[:1], []):
                want = [(tid, start, time.fromisoformat(end)) for tid in techs for start, end in desk.planned(tid, weekday, at)]
                assert desk.openings(techs, weekday, at) == want


def test_named_in_gives_each_text_its_own_regions_when_texts_alternate(world):
    from twinchat.inventory.tools.places import _names

    names = _names(world)
    texts = ["深圳市南山区科苑路15号", "北京市朝阳区建国路88号", "深圳市南山区科苑路15号", "火星", "南山"]
    for text in texts * 2:
        assert names.named_in(text) == names._named_in(text)
    assert names.named_in(texts[0]) != names.named_in(texts[1])
