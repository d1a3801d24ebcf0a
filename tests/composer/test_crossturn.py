"""Cross-turn fact checks: hand-built sessions (every tool result from a real call on the seed-0
world) that join facts wrongly are caught, one class at a time, and the same sessions joined
rightly pass; composed sessions show none of the classes (counted by tests/composer/fact_audit.py).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from fact_audit import audit
from twinchat.composer.verify.crossturn import CLASSES, CrossTurnChecker
from twinchat.inventory.tools import call

NOW = datetime(2026, 12, 1, 9, 0)


class Chat:
    """A session built turn by turn; tool results come from the tools themselves."""

    def __init__(self, conn):
        self.conn, self.turns = conn, []

    def say(self, text, unit="u"):
        self.turns.append({"role": "user", "content": text, "unit": unit, "label": {}})
        return self

    def call(self, name, arguments):
        cid = f"call_{len(self.turns)}"
        result = call(self.conn, name, arguments, NOW)
        self.turns += [{"role": "assistant", "content": "", "tool_calls": [{"id": cid, "name": name,
                                                                             "arguments": arguments}]},
                       {"role": "tool", "tool_call_id": cid, "name": name, "content": result}]
        return result

    def reply(self, text):
        self.turns.append({"role": "assistant", "content": text, "outcome": "x"})
        return self


def reasons(conn, chat):
    return [r.split(": ", 1)[1] for r in CrossTurnChecker(conn)(chat.turns)]


def cn(moment):
    t = datetime.strptime(moment, "%Y-%m-%d %H:%M:%S")
    return f"{t.month}月{t.day}日{t:%H:%M}"


# -- orders ------------------------------------------------------------------------------------

def _ordering(world, ship_to, eta_of=None, place=True):
    chat = Chat(world).say("MEM004今晚能送到深圳市南山区吗")
    checked = chat.call("check_delivery", {"products": ["MEM004"], "destination": "深圳市南山区"})
    chat.reply(f"{checked['results'][0]['short_name']}预计{cn(checked['results'][0]['eta'])}送到。")
    chat.say(f"就要它,寄到{ship_to},王伟,13800138000", unit="shop_order")
    if not place:
        return chat.reply(f"好的,已为您记录:寄到{ship_to},预计{cn(checked['results'][0]['eta'])}前送达。")
    placed = chat.call("place_order", {"products": ["MEM004"], "name": "王伟", "phone": "13800138000",
                                       "address": ship_to})
    assert "error" not in placed, placed
    eta = placed["eta"] if eta_of is None else eta_of
    return chat.reply(f"好的,订单{placed['order_no']}已提交,预计{cn(eta)}送达。")


def test_an_order_to_the_place_checked_with_its_eta_passes(world):
    assert reasons(world, _ordering(world, "深圳市南山区科苑路15号")) == []


def test_an_order_without_a_tool_call_is_caught(world):
    assert reasons(world, _ordering(world, "深圳市南山区科苑路15号", place=False)) == ["order_unplaced"]


def test_an_order_to_another_city_than_the_one_checked_is_caught(world):
    assert reasons(world, _ordering(world, "上海市金山区府前西路1465号")) == ["order_unchecked_address"]


def test_an_order_confirmed_with_another_eta_is_caught(world):
    chat = _ordering(world, "深圳市南山区科苑路15号", eta_of="2026-12-09 18:00:00")
    assert reasons(world, chat) == ["order_eta"]



def test_a_complaint_registered_is_not_an_order_claim(world):
    """投诉已登记 confirms a complaint, not an order: no place_order is asked of it."""
    chat = Chat(world).say("投诉!DD261201232126,发货太慢!")
    filed = chat.call("file_complaint", {"order_no": "DD261201232126", "issue": "发货太慢"})
    chat.reply(f"很抱歉让您久等了,您的投诉已登记,投诉单号{filed.get('complaint_no', 'TS1')}。")
    assert reasons(world, chat) == []
    chat.reply("好的,已为您登记:寄到深圳市南山区科苑路15号。")
    assert reasons(world, chat) == ["order_unplaced"]

# -- repair ------------------------------------------------------------------------------------

def _booking(world, picked_word, technician_of):
    chat = Chat(world).say("充电桩充不进电,东莞市的,能派师傅吗")
    listed = chat.call("query_technician_slots", {"city": "东莞市", "category": "充电桩", "days": 3, "limit": 3})
    slots = listed["slots"]
    assert slots[0]["start"] == slots[1]["start"] and slots[0]["technician_id"] != slots[1]["technician_id"]
    chat.reply("可约:" + ";".join(f"{i}. {cn(s['start'])}({s['technician_name']}师傅)" for i, s in enumerate(slots, 1)))
    chat.say(f"就{picked_word}吧,王伟,13800138000,东莞市南城区鸿福路100号")
    ticket = chat.call("create_ticket", {
        "user_name": "王伟", "phone": "13800138000", "address": "东莞市南城区鸿福路100号", "problem": "充电桩充不进电",
        "category": "充电桩", "serve_time": slots[technician_of]["start"],
        "technician_id": slots[technician_of]["technician_id"]})
    return chat.reply(f"工单{ticket['ticket_no']}已提交。")


def test_the_technician_of_the_slot_picked_passes(world):
    assert reasons(world, _booking(world, "第二个", technician_of=1)) == []


def test_another_technician_at_the_same_start_is_caught(world):
    assert reasons(world, _booking(world, "第二个", technician_of=0)) == ["ticket_technician"]


def test_a_home_visit_after_the_knowledge_base_said_to_send_the_phone_in_is_caught(world):
    chat = Chat(world).say("手机充不进电,换了充电器也不行")
    found = chat.call("search_solution", {"category": "手机", "query": "手机充不进电"})
    assert "寄修" in found["solutions"][0]["solution"] and not found["solutions"][0]["needs_onsite"]
    chat.reply(found["solutions"][0]["solution"])
    chat.say("派个师傅来吧,王伟,13800138000,东莞市南城区鸿福路100号")
    slots = call(world, "query_technician_slots", {"city": "东莞市", "category": "充电桩"}, NOW)["slots"]
    ticket = chat.call("create_ticket", {
        "user_name": "王伟", "phone": "13800138000", "address": "东莞市南城区鸿福路100号", "problem": "手机充不进电",
        "category": "充电桩", "serve_time": slots[0]["start"]})
    assert "error" not in ticket, ticket
    chat.reply(f"工单{ticket['ticket_no']}已提交。")
    assert reasons(world, chat) == ["visit_against_kb"]


# -- returns -----------------------------------------------------------------------------------

def _two_line_order(world):
    return world.execute(
        "SELECT o.order_no FROM orders o JOIN order_items i ON i.order_no = o.order_no JOIN products p "
        "ON p.id = i.product_id WHERE o.delivered_at BETWEEN '2026-11-27' AND '2026-11-30' GROUP BY o.order_no "
        "HAVING count(*) = 2 AND count(DISTINCT p.category) = 2 ORDER BY o.order_no LIMIT 1").fetchone()[0]


@pytest.mark.parametrize("one_line", [True, False])
def test_a_return_takes_back_only_the_lines_named(world, one_line):
    order_no = _two_line_order(world)
    first, _ = world.execute("SELECT i.product_id, p.short_name FROM order_items i JOIN products p ON p.id = i.product_id "
                             "WHERE i.order_no = ? ORDER BY i.rowid", (order_no,)).fetchall()
    chat = Chat(world).say(f"订单{order_no}里的{first[1]}有质量问题,想退货")
    args = {"order_no": order_no, "kind": "return", "reason": "有质量问题"}
    result = chat.call("request_return", {**args, "product_id": first[0]} if one_line else args)
    assert "error" not in result, result
    chat.reply(f"售后单号{result['return_no']}。")
    assert reasons(world, chat) == ([] if one_line else ["return_unmentioned"])


def test_a_return_of_the_whole_order_named_as_the_order_passes(world):
    order_no = _two_line_order(world)
    chat = Chat(world).say(f"订单{order_no}我想退货,不想要了")
    result = chat.call("request_return", {"order_no": order_no, "kind": "return", "reason": "不想要了"})
    chat.reply(f"售后单号{result['return_no']}。")
    assert len(result["items"]) == 2 and reasons(world, chat) == []


def test_a_phone_number_said_as_下单手机_names_no_phone_of_the_order(world):
    """手机 in 下单手机137… is the number ordered with, not a phone among the order's lines."""
    order_no = world.execute(
        "SELECT o.order_no FROM orders o JOIN order_items i ON i.order_no = o.order_no JOIN products p "
        "ON p.id = i.product_id WHERE o.delivered_at BETWEEN '2026-11-27' AND '2026-11-30' GROUP BY o.order_no "
        "HAVING count(*) = 2 AND sum(p.category = 'phone') = 1 ORDER BY o.order_no LIMIT 2").fetchall()
    order_no, other = order_no[0][0], order_no[1][0]
    chat = Chat(world).say(f"订单{order_no},下单手机137 6103 1395,想换货")
    result = chat.call("request_return", {"order_no": order_no, "kind": "exchange", "reason": "外壳有划痕"})
    assert "error" not in result, result
    chat.reply(f"换货单号{result['return_no']}。")
    assert reasons(world, chat) == []
    named = Chat(world).say(f"订单{other}里的手机有问题,想换货")  # 手机 as a product: the other line is extra
    assert "error" not in named.call("request_return", {"order_no": other, "kind": "exchange", "reason": "有问题"})
    named.reply("好的。")
    assert reasons(world, named) == ["return_unmentioned"]


# -- delivery replies and argument words -------------------------------------------------------

def test_a_mixed_delivery_reply_must_name_every_product(world):
    products = [r[0] for r in world.execute("SELECT id FROM products ORDER BY id LIMIT 10")]
    etas = call(world, "check_delivery", {"products": products, "destination": "深圳市南山区"}, NOW)["results"]
    earliest = min(r["eta"] for r in etas if r["eta"])
    assert any(r["eta"] != earliest for r in etas)  # the earliest ETA splits the products
    chat = Chat(world).say("这几款能按时送到深圳市南山区吗")
    result = chat.call("check_delivery", {"products": products, "destination": "深圳市南山区", "deadline": earliest})
    on_time = "、".join(r["short_name"] for r in result["results"] if r["arrives_in_time"])
    late = "、".join(r["short_name"] for r in result["results"] if not r["arrives_in_time"])
    silent = [{**t} for t in chat.reply(f"{on_time}可以按时送到。").turns]
    assert reasons(world, chat) == ["arrival_silent"]
    chat.turns[-1]["content"] = f"{on_time}可以按时送到,{late}就来不及了。"
    assert reasons(world, chat) == [] and silent[-1]["content"] != chat.turns[-1]["content"]


@pytest.mark.parametrize("later, caught", [("charging_pile", True), ("充电桩", False)])
def test_one_word_per_category_across_a_session(world, later, caught):
    chat = Chat(world).say("充电桩充不进电")
    chat.call("search_solution", {"category": "充电桩", "query": "充电桩充不进电"})
    chat.reply("请先检查电源。").say("还是不行,东莞市的能上门吗")
    chat.call("query_technician_slots", {"city": "东莞市", "category": later})
    chat.reply("可约时段如下。")
    assert reasons(world, chat) == (["argument_vocabulary:category"] if caught else [])


# -- wiring and composed sessions --------------------------------------------------------------

def test_session_verification_gives_the_cross_turn_reasons(composer):
    session = next(s for s in (composer.compose("memory_upgrade", i) for i in range(200)) if "order" in s["steps"])
    assert composer.verify(session) == []
    reply = session["turns"][-1]
    reply["content"] = reply["content"].replace(session["turns"][-2]["content"]["order_no"], "")
    assert f"turn {len(session['turns'])}: order_eta" in composer.verify(session)


def test_composed_sessions_show_no_cross_turn_fact_errors(composer):
    sessions = [composer.compose(flow, i) for flow in sorted(composer.flows) for i in range(300)]
    errors, chances = audit(composer.conn, sessions)
    assert sum(errors.values()) == 0, errors
    for name in CLASSES:  # each class had sessions that could show it
        assert chances[name] > 0, name
