"""The service desk: its tables, search_solution, query_technician_slots and create_ticket."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import datetime, timedelta

import phonenumbers
import pytest

from twinchat.inventory import catalog, regions, servicedesk
from twinchat.inventory.build import read_shop
from twinchat.inventory.servicedesk import KB_SOLUTIONS, SERVICE_CITIES, SLOTS
from twinchat.inventory.tools import TOOLS, call, is_tool_error

NOW = datetime(2026, 11, 20, 14, 30)  # Friday afternoon
TOMORROW = "2026-11-21"
SERVICE_TABLES = ("kb_solutions", "technicians", "technician_schedule", "tickets")


def solve(world, now=NOW, **args):
    return call(world, "search_solution", args, now)


def slots(world, now=NOW, **args):
    return call(world, "query_technician_slots", args, now)


def ticket(world, now=NOW, **args):
    return call(world, "create_ticket", {**TICKET, **args}, now)


def pairs(result):
    return [(s["technician_id"], s["start"]) for s in result["slots"]]


def ticket_count(world) -> int:
    return world.execute("SELECT count(*) FROM tickets").fetchone()[0]


def first_free(world, **args):
    result = slots(world, city="深圳市", category="充电桩", limit=50, **args)
    assert result["slots"], result
    return result["slots"][0]


TICKET = {
    "user_name": "王先生",
    "phone": "13800138000",
    "address": "深圳市南山区科苑路15号",
    "problem": "充电桩无法充电,指示灯红灯常亮",
    "category": "充电桩",
}


# -- the tables --------------------------------------------------------------------------------

def test_same_seed_same_tables_other_seed_other_technicians(tables_dump):
    shop = read_shop()
    populates = (regions.populate, lambda db, seed: catalog.write_catalog(db, shop), servicedesk.populate)
    first, again, other = (tables_dump(populates, SERVICE_TABLES, seed) for seed in (0, 0, 1))
    assert first == again
    assert 'INSERT INTO "technicians"' in first and 'INSERT INTO "kb_solutions"' in first
    assert first != other
    kb = [line for line in first.splitlines() if "kb_solutions" in line]
    assert kb == [line for line in other.splitlines() if "kb_solutions" in line]


def test_knowledge_base_content(world):
    rows = world.execute(
        "SELECT id, category, fault, keywords, solution, needs_onsite, error_code FROM kb_solutions ORDER BY id"
    ).fetchall()
    assert 50 <= len(rows) == len(KB_SOLUTIONS) <= 80
    per_category: dict[str, int] = {}
    for _, category, _, keywords, solution, onsite, _ in rows:
        per_category[category] = per_category.get(category, 0) + 1
        steps = solution.split("\n")
        assert 2 <= len(steps) <= 4 and [s[:3] for s in steps] == [f"{n}. " for n in range(1, len(steps) + 1)]
        assert onsite in (0, 1) and keywords.split()
    assert set(per_category) == {"charging_pile", "laptop", "phone", "memory", "ssd", "charger"}
    ranked = sorted(per_category, key=per_category.get, reverse=True)
    assert set(ranked[:2]) == {"charging_pile", "laptop"}
    codes = [r[6] for r in rows if r[6] is not None]
    assert codes == [f"E0{d}" for d in range(1, 10)]
    assert {r[1] for r in rows if r[6] is not None} == {"charging_pile"}
    assert any(r[5] for r in rows) and not all(r[5] for r in rows)


def test_technicians_cover_the_service_cities(world):
    techs = world.execute("SELECT id, name, phone, city, skills, rating FROM technicians ORDER BY id").fetchall()
    per_city: dict[str, list[str]] = {}
    for tid, name, phone, city, skills, rating in techs:
        assert re.fullmatch(r"T\d{4}", tid) and name and 4.0 <= rating <= 5.0
        number = phonenumbers.parse(phone, "CN")
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE, phone
        per_city.setdefault(city, []).append(skills)
    assert sorted(per_city) == sorted(code for code, _ in SERVICE_CITIES)
    for city, skills in per_city.items():
        assert 2 <= len(skills) <= 6, city
        assert any("charging_pile" in s for s in skills) and any("laptop" in s for s in skills), city
    assert len({t[1] for t in techs}) == len(techs)          # no two technicians share a name
    levels = world.execute(
        "SELECT DISTINCT r.level FROM technicians t JOIN regions r ON r.adcode = t.city").fetchall()
    assert [tuple(r) for r in levels] == [("city",)]


def test_schedules_use_the_slots_and_rest_days(world):
    rows = world.execute("SELECT technician, weekday, start, end FROM technician_schedule").fetchall()
    assert {(r[2], r[3]) for r in rows} <= set(SLOTS)
    worked: dict[str, set[int]] = {}
    for tid, weekday, _, _ in rows:
        assert 0 <= weekday <= 6
        worked.setdefault(tid, set()).add(weekday)
    assert all(4 <= len(days) <= 6 for days in worked.values())
    assert world.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
    assert world.execute("PRAGMA foreign_key_check").fetchall() == []


# -- search_solution ---------------------------------------------------------------------------

def test_pile_not_charging_needs_a_visit(world):
    result = solve(world, category="充电桩", query="我家充电桩坏了,充不了电")
    first = result["solutions"][0]
    assert first["fault"] == "充电桩无法充电" and first["needs_onsite"] is True
    assert first["error_code"] is None and "空气开关" in first["solution"]
    assert len(result["solutions"]) <= 3 and result["count"] >= len(result["solutions"])


@pytest.mark.parametrize("query", ["充电桩屏幕显示E03", "桩上报e3故障", "显示 E-03 充不了电", "Ｅ０３"])
def test_error_code_finds_its_entry(world, query):
    first = solve(world, query=query)["solutions"][0]
    assert first["error_code"] == "E03" and first["fault"] == "充电桩显示E03(输入欠压)"


@pytest.mark.parametrize(
    "category, query, fault",
    [
        ("充电桩", "指示灯红灯常亮", "充电桩指示灯红灯常亮"),
        (None, "充电枪拔不出来了怎么办", "充电枪拔不出来"),
        ("内存条", "加装内存后开机黑屏", "加装内存后开机黑屏"),
        (None, "电脑无法识别新硬盘", "电脑无法识别新硬盘"),
        ("手机", "手机充电很慢", "手机充电很慢"),
        ("电脑", "用了两年,风扇声音大,很烫", "电脑风扇噪音大,发热严重"),
    ],
)
def test_best_match_first(world, category, query, fault):
    assert solve(world, category=category, query=query)["solutions"][0]["fault"] == fault


def test_a_named_category_limits_the_search(world):
    result = solve(world, query="手机充电很慢", limit=10)
    assert result["count"] >= 1 and {s["category"] for s in result["solutions"]} == {"phone"}
    wider = solve(world, query="充电很慢", limit=10)
    assert {s["category"] for s in wider["solutions"]} > {"phone"}


def test_ranking_is_by_overlap_then_id(world):
    result = solve(world, category="笔记本电脑", query="电脑开不了机,黑屏,没反应", limit=10)
    ids = [s["id"] for s in result["solutions"]]
    assert ids[:2] == ["KB026", "KB027"] and len(ids) == len(set(ids))
    again = solve(world, category="笔记本电脑", query="电脑开不了机,黑屏,没反应", limit=10)
    assert again == result
    one = solve(world, category="笔记本电脑", query="电脑开不了机,黑屏,没反应", limit=1)
    assert [s["id"] for s in one["solutions"]] == ids[:1] and one["count"] == result["count"] == len(ids)


@pytest.mark.parametrize("category, query", [("充电桩", "充电桩显示E10"), (None, "今天天气不错"), ("充电桩", "充电桩")])
def test_no_match_is_an_empty_list(world, category, query):
    assert solve(world, category=category, query=query) == {"solutions": [], "count": 0}


@pytest.mark.parametrize(
    "args, code, field",
    [
        ({"category": "冰箱", "query": "不制冷"}, "unknown_category", "category"),
        ({"query": ""}, "invalid_arguments", "query"),
        ({"query": "黑屏", "limit": 11}, "invalid_arguments", "limit"),
    ],
)
def test_search_errors(world, args, code, field):
    result = call(world, "search_solution", args, NOW)
    assert is_tool_error(result) and result["error"]["code"] == code and result["error"]["field"] == field


# -- query_technician_slots --------------------------------------------------------------------

def test_slots_from_now_exclude_the_past(world):
    early = slots(world, now=NOW.replace(hour=7), city="深圳市", category="充电桩", days=1, limit=50)
    late = slots(world, city="深圳市", category="充电桩", days=1, limit=50)
    assert any(s["start"] < "2026-11-20 15:30:00" for s in early["slots"])      # there were some
    assert late["slots"], "the afternoon still has slots"
    for s in late["slots"]:
        assert s["start"][:10] == "2026-11-20" and s["start"][11:16] in ("16:00", "19:00")
    # nothing else differs: the clock only removes what starts before now + 1 hour
    assert late["slots"] == [s for s in early["slots"] if s["start"] >= "2026-11-20 15:30:00"]
    assert late["count"] == len(late["slots"])


def test_slots_are_sorted_and_belong_to_skilled_technicians(world):
    result = slots(world, city="深圳市", category="充电桩", limit=50)
    assert result["city"] == {"adcode": "440300", "name": "深圳市"} and result["category"] == "charging_pile"
    keys = [(s["start"], s["technician_id"]) for s in result["slots"]]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert {s["start"][:10] for s in result["slots"]} <= {"2026-11-20", "2026-11-21", "2026-11-22"}
    skilled = {r[0]: r[1] for r in world.execute(
        "SELECT id, name FROM technicians WHERE city = '440300' AND skills LIKE '%charging_pile%'")}
    for s in result["slots"]:
        assert skilled[s["technician_id"]] == s["technician_name"]
        start = datetime.strptime(s["start"], "%Y-%m-%d %H:%M:%S")
        assert s["end"] == (start + timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S")


def test_some_scheduled_slots_are_already_booked(world):
    weekday = datetime(2026, 11, 23).weekday()
    scheduled = world.execute(
        "SELECT count(*) FROM technician_schedule s JOIN technicians t ON t.id = s.technician "
        "WHERE t.city = '440300' AND t.skills LIKE '%charging_pile%' AND s.weekday = ?", (weekday,)).fetchone()[0]
    free = slots(world, city="深圳", category="充电桩", date="2026-11-23", limit=50)["count"]
    assert 0 < free < scheduled


def test_limit_and_a_single_date(world):
    few = slots(world, city="深圳市", category="充电桩", limit=2)
    assert len(few["slots"]) == 2 and few["count"] > 2
    day = slots(world, city="深圳市", category="充电桩", date=TOMORROW, days=7, limit=50)
    assert day["slots"] and {s["start"][:10] for s in day["slots"]} == {TOMORROW}


@pytest.mark.parametrize("city, adcode", [("福田区", "440300"), ("深圳南山", "440300"), ("北京朝阳", "110100"),
                                          ("北京", "110100"), ("上海市浦东新区", "310100")])
def test_a_district_stands_for_its_city(world, city, adcode):
    assert slots(world, city=city, category="笔记本电脑")["city"]["adcode"] == adcode


@pytest.mark.parametrize(
    "args, code, field",
    [
        ({"city": "火星", "category": "充电桩"}, "unknown_place", "city"),
        ({"city": "朝阳区", "category": "充电桩"}, "ambiguous_place", "city"),
        ({"city": "南山区", "category": "充电桩"}, "ambiguous_place", "city"),          # 深圳 and 鹤岗
        ({"city": "广东省", "category": "充电桩"}, "ambiguous_place", "city"),
        ({"city": "拉萨市", "category": "充电桩"}, "no_service_in_city", "city"),
        ({"city": "深圳市", "category": "充电器"}, "no_service_in_city", "city"),
        ({"city": "深圳市", "category": "冰箱"}, "unknown_category", "category"),
        ({"city": "深圳市", "category": "充电桩", "date": "2026-11-19"}, "date_in_past", "date"),
        ({"city": "深圳市", "category": "充电桩", "date": "下周一"}, "invalid_arguments", "date"),
        ({"city": "深圳市", "category": "充电桩", "days": 8}, "invalid_arguments", "days"),
    ],
)
def test_slot_errors(world, args, code, field):
    result = call(world, "query_technician_slots", args, NOW)
    assert result["error"]["code"] == code and result["error"]["field"] == field
    assert result["error"]["message"]


def test_ambiguous_place_names_the_candidates(world):
    message = slots(world, city="朝阳区", category="充电桩")["error"]["message"]
    assert "北京市朝阳区" in message and "长春市朝阳区" in message
    message = slots(world, city="广东省", category="充电桩")["error"]["message"]
    assert "深圳市" in message and "广州市" in message


# -- create_ticket -----------------------------------------------------------------------------

def test_create_ticket_writes_one_row_and_is_idempotent(world):
    slot = first_free(world)
    args = {"serve_time": slot["start"], "technician_id": slot["technician_id"], "is_vip": True}
    result = ticket(world, **args)
    assert result == {
        "ticket_no": result["ticket_no"], "serve_start": slot["start"], "serve_end": slot["end"],
        "technician_id": slot["technician_id"], "technician_name": slot["technician_name"], "status": "created",
    }
    assert re.fullmatch(r"TK20261120\d{6}", result["ticket_no"])
    assert ticket_count(world) == 1
    assert ticket(world, **args) == result
    assert ticket_count(world) == 1
    row = world.execute(
        "SELECT created_at, user_name, phone, city, category, technician, is_vip, status FROM tickets").fetchone()
    assert tuple(row) == ("2026-11-20 14:30:00", "王先生", "13800138000", "440300", "charging_pile",
                          slot["technician_id"], 1, "created")


@pytest.mark.parametrize("phone", ["138-0013-8000", "138 0013 8000", "+86 13800138000"])
def test_phone_forms_are_one_ticket(world, phone):
    slot = first_free(world)
    plain = ticket(world, serve_time=slot["start"])
    assert ticket(world, serve_time=slot["start"], phone=phone) == plain
    assert ticket_count(world) == 1


def test_other_arguments_or_clock_make_another_ticket_number(world):
    slot = first_free(world, date=TOMORROW)
    one = ticket(world, serve_time=slot["start"])
    other = ticket(world, serve_time=slot["start"], user_name="李女士", now=NOW + timedelta(minutes=1))
    if is_tool_error(other):                               # only one technician free at that hour
        assert other["error"]["code"] == "slot_unavailable"
    else:
        assert other["ticket_no"] != one["ticket_no"] and other["technician_id"] != one["technician_id"]


def test_booked_slot_is_no_longer_offered(world):
    before = slots(world, city="深圳市", category="充电桩", limit=50)
    slot = before["slots"][0]
    ticket(world, serve_time=slot["start"], technician_id=slot["technician_id"])
    after = slots(world, city="深圳市", category="充电桩", limit=50)
    assert (slot["technician_id"], slot["start"]) not in pairs(after)
    assert pairs(after) == [p for p in pairs(before) if p != (slot["technician_id"], slot["start"])]


def test_without_a_technician_the_first_free_one_is_assigned(world):
    free = slots(world, city="深圳市", category="充电桩", date=TOMORROW, limit=50)["slots"]
    start = free[0]["start"]
    expected = sorted(s["technician_id"] for s in free if s["start"] == start)
    result = ticket(world, serve_time=start)
    assert result["technician_id"] == expected[0]


def test_the_slots_create_ticket_weighs_are_free_slots_at_that_start(world):
    from twinchat.inventory.tools.service import _free_at

    slot = first_free(world)
    ticket(world, serve_time=slot["start"], technician_id=slot["technician_id"])  # a taken slot among them
    techs = sorted({slot["technician_id"], *(r[0] for r in world.execute("SELECT id FROM technicians LIMIT 40"))})
    compared = nonempty = 0
    for day in range(8):
        for start, _ in SLOTS:
            when = datetime.fromisoformat(f"2026-11-{20 + day} {start}:00")
            for now in (NOW, when - timedelta(minutes=59), when - timedelta(hours=1)):
                want = [s for s in servicedesk.free_slots(world, techs, when.date(), now) if s[0] == when]
                assert _free_at(world, techs, when, now) == want
                compared, nonempty = compared + 1, nonempty + bool(want)
    assert compared == 8 * len(SLOTS) * 3 and nonempty > 20


def test_the_slots_query_technician_slots_offers_are_free_slots(world):
    from twinchat.inventory.tools.service import _free_on

    slot = first_free(world)
    ticket(world, serve_time=slot["start"], technician_id=slot["technician_id"])  # a taken slot among them
    techs = sorted({slot["technician_id"], *(r[0] for r in world.execute("SELECT id FROM technicians LIMIT 40"))})
    nonempty = 0
    for day in range(8):
        when = datetime.fromisoformat(f"2026-11-{20 + day} 00:00:00")
        for now in (NOW, when + timedelta(hours=9, minutes=59), when + timedelta(hours=14)):
            for some in (techs, techs[:3], [slot["technician_id"]], []):
                want = servicedesk.free_slots(world, some, when.date(), now)
                assert _free_on(world, some, when.date(), now) == want
                nonempty += bool(want)
    assert nonempty > 20
    empty = sorted(r[0] for r in world.execute("SELECT id FROM technicians LIMIT 40"))
    world.execute("DELETE FROM tickets")
    day = datetime.fromisoformat(TOMORROW).date()
    assert _free_on(world, empty, day, NOW, no_tickets=True) == servicedesk.free_slots(world, empty, day, NOW) != []


def test_taken_slot_is_refused(world):
    slot = first_free(world)
    ticket(world, serve_time=slot["start"], technician_id=slot["technician_id"])
    result = ticket(world, serve_time=slot["start"], technician_id=slot["technician_id"], user_name="李女士")
    assert result["error"]["code"] == "slot_unavailable" and result["error"]["field"] == "serve_time"
    assert ticket_count(world) == 1


def test_a_clashing_ticket_number_takes_the_next_draw(world):
    slot = first_free(world)
    world.execute("SAVEPOINT probe")
    number = ticket(world, serve_time=slot["start"])["ticket_no"]
    world.execute("ROLLBACK TO probe")
    world.execute(
        "INSERT INTO tickets (ticket_no, request_key, created_at, user_name, phone, address, city, problem, "
        "category, serve_start, serve_end, technician, is_vip, status) VALUES "
        "(?, 'other', '2026-11-20 09:00:00', '赵女士', '13900139000', '深圳市福田区', '440300', '充电桩跳闸', "
        "'charging_pile', '2026-12-01 09:00:00', '2026-12-01 11:00:00', NULL, 0, 'created')", (number,))
    again = ticket(world, serve_time=slot["start"])
    assert again["ticket_no"] != number and again["ticket_no"].startswith("TK20261120")
    assert ticket_count(world) == 2


@pytest.mark.parametrize(
    "address, adcode",
    [
        ("北京市朝阳区建国路88号", "110100"),
        ("吉林省长春市朝阳区人民大街100号", "220100"),
        ("上海浦东新区世纪大道100号", "310100"),
        ("深圳南山科技园科苑路15号", "440300"),
        ("广东省 深圳市 南山区 科苑路15号", "440300"),
        ("南山区科技园(深圳)", "440300"),
        ("深圳市 南山区 桃园路 南山大厦", "440300"),
        ("东莞市长安镇振安中路1号", "441900"),
    ],
)
def test_address_resolves_to_its_city(world, address, adcode):
    city = world.execute("SELECT name FROM regions WHERE adcode = ?", (adcode,)).fetchone()[0]
    free = slots(world, city=city, category="笔记本电脑", days=7)
    assert free["city"]["adcode"] == adcode
    result = ticket(world, address=address, category="笔记本电脑", serve_time=free["slots"][0]["start"])
    assert not is_tool_error(result), result
    assert world.execute("SELECT city FROM tickets").fetchone()[0] == adcode


@pytest.mark.parametrize(
    "args, code, field",
    [
        ({"phone": "12345"}, "invalid_phone", "phone"),
        ({"phone": "1380013800"}, "invalid_phone", "phone"),
        ({"phone": "010-12345678"}, "invalid_phone", "phone"),
        ({"phone": "+1 650 253 0000"}, "invalid_phone", "phone"),
        ({"phone": "电话稍后给"}, "invalid_phone", "phone"),
        ({"serve_time": "2026-11-20 09:00:00"}, "serve_time_in_past", "serve_time"),
        ({"address": "火星基地1号"}, "unknown_place", "address"),
        ({"address": "朝阳区建国路88号"}, "ambiguous_place", "address"),
        ({"address": "南山区科苑路15号"}, "ambiguous_place", "address"),
        ({"address": "拉萨市城关区北京中路1号"}, "no_service_in_city", "address"),
        ({"category": "冰箱"}, "unknown_category", "category"),
        ({"serve_time": "2026-11-21 15:00:00"}, "slot_unavailable", "serve_time"),
        ({"technician_id": "T9999"}, "unknown_technician", "technician_id"),
        ({"technician_id": "T0001"}, "technician_mismatch", "technician_id"),
        ({"serve_time": "明天下午"}, "invalid_arguments", "serve_time"),
        ({"serve_time": "2026-11-21T14:00:00+08:00"}, "invalid_arguments", "serve_time"),
        ({"is_vip": "maybe"}, "invalid_arguments", "is_vip"),
    ],
)
def test_ticket_errors(world, args, code, field):
    result = ticket(world, **{"serve_time": "2026-11-21 14:00:00", **args})
    assert result["error"]["code"] == code and result["error"]["field"] == field
    assert result["error"]["message"]
    assert ticket_count(world) == 0


def test_slot_inside_lead_time_is_refused(world):
    result = ticket(world, serve_time="2026-11-20 14:00:00", now=NOW.replace(hour=13, minute=30))
    assert result["error"]["code"] == "slot_unavailable"


# -- schemas -----------------------------------------------------------------------------------

_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "name, required, writes",
    [
        ("search_solution", ["query"], False),
        ("query_technician_slots", ["category", "city"], False),
        ("create_ticket", ["address", "category", "phone", "problem", "serve_time", "user_name"], True),
    ],
)
def test_schema(name, required, writes):
    tool = TOOLS[name]
    schema = tool.json_schema()
    assert schema["name"] == name and _HAN.search(schema["description"])
    params = schema["parameters"]
    assert params["type"] == "object" and sorted(params["required"]) == required
    assert params["additionalProperties"] is False
    for prop, spec in params["properties"].items():
        assert _HAN.search(spec.get("description", "")), (name, prop)
    assert "title" not in json.dumps(params, ensure_ascii=False)
    assert tool.writes is writes


def test_results_are_json(world):
    slot = first_free(world)
    for result in (solve(world, query="E05"), slots(world, city="深圳", category="充电桩"),
                   ticket(world, serve_time=slot["start"])):
        assert json.loads(json.dumps(result, ensure_ascii=False)) == result


def test_rows_work_with_plain_tuples_too(world_path):
    conn = sqlite3.connect(world_path)          # no Row factory: results must not depend on it
    try:
        conn.execute("BEGIN")
        slot = slots(conn, city="深圳市", category="充电桩")["slots"][0]
        assert not is_tool_error(ticket(conn, serve_time=slot["start"], technician_id=slot["technician_id"]))
        assert (slot["technician_id"], slot["start"]) not in pairs(slots(conn, city="深圳市", category="充电桩", limit=50))
    finally:
        conn.rollback()
        conn.close()
