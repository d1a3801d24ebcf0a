"""The order-status and return/exchange flows: the customer is the order's owner, statuses agree
with status_at at the session clock, every branch is reached, carry-over labels hold resolved
order numbers, window ends are the computed ones, and tampering is caught.

Sessions are composed once per module from the seed-0 world; every expectation is recomputed
from the world's tables (orders, customers) and inventory.orders, never copied from a run.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections import Counter
from datetime import datetime, timedelta

import pytest

from twinchat.composer.engine.compose import SessionComposer
from twinchat.composer.engine.filters import when
from twinchat.composer.errors import ComposerError, NoOrder
from twinchat.composer.engine.generate import UnitGenerator, session_clock
from twinchat.composer.engine.orderbook import ORDER_STATES, OrderBook, bought_phrases
from twinchat.inventory.timefmt import format_time
from twinchat.composer.engine.references import PRONOUNS, draw, resolve
from twinchat.composer.verify.samples import verify_sample
from twinchat.inventory.orders import DELIVERED, IN_TRANSIT, status_at, window_end
from twinchat.units.errors import UnitError
from twinchat.units.loader import load_units

FMT = "%Y-%m-%d %H:%M:%S"
N_STATUS = 500
N_RETURN = 400
TIMELINE = ("created_at", "paid_at", "shipped_at", "delivered_at", "cancelled_at")


@pytest.fixture(scope="module")
def statuses(composer):
    return [composer.compose("order_status", i) for i in range(N_STATUS)]


@pytest.fixture(scope="module")
def returns(composer):
    return [composer.compose("return_exchange", i) for i in range(N_RETURN)]


@pytest.fixture(scope="module")
def sessions(statuses, returns):
    return {"order_status": statuses, "return_exchange": returns}


# -- helpers -----------------------------------------------------------------------------------

def steps(session):
    """Each step as {user, call, result, reply} (call and result None when no tool was called)."""
    out, current = [], None
    for turn in session["turns"]:
        if turn["role"] == "user":
            current = {"user": turn, "call": None, "result": None, "reply": None}
            out.append(current)
        elif turn["role"] == "tool":
            current["result"] = turn["content"]
        elif turn.get("tool_calls"):
            current["call"] = turn["tool_calls"][0]
        else:
            current["reply"] = turn
    return out


def clock(session):
    return datetime.strptime(session["now"], FMT)


def order_row(conn, order_no):
    row = conn.execute(f"SELECT customer, {', '.join(TIMELINE)}, eta FROM orders WHERE order_no = ?",
                       (order_no,)).fetchone()
    return None if row is None else {"customer": row[0], **dict(zip(TIMELINE, row[1:6])), "eta": row[6]}


def cn_time(moment: str) -> str:
    t = datetime.strptime(moment, FMT)
    return f"{t.month}月{t.day}日{t:%H:%M}"


def outcomes(sessions_):
    return Counter((t["step"], t["outcome"]) for s in sessions_ for t in s["turns"] if t.get("outcome"))


# -- every session -----------------------------------------------------------------------------

@pytest.mark.parametrize("flow", ["order_status", "return_exchange"])
def test_every_session_verifies(composer, sessions, flow):
    failures = Counter()
    for s in sessions[flow]:
        for r in composer.verify(s):
            failures[r.split(": ", 1)[-1]] += 1
        for step in steps(s):
            assert step["reply"]["content"].strip(), s["id"]
    assert failures == Counter()


@pytest.mark.parametrize("flow", ["order_status", "return_exchange"])
def test_the_customer_placed_every_order_talked_about(composer, sessions, flow):
    conn = composer.conn
    for s in sessions[flow]:
        cust = s["customer"]
        row = conn.execute("SELECT id, name, phone, address, district FROM customers WHERE phone = ?",
                           (cust["phone"],)).fetchone()
        assert row is not None and tuple(row[1:]) == (cust["name"], cust["phone"], cust["address"],
                                                      cust["district"])
        assert cust["id"] == row[0] and cust["title"][-2:] in ("先生", "女士")
        now = clock(s)
        for step in steps(s):
            numbers = []
            if step["result"] and "orders" in step["result"]:
                numbers += [o["order_no"] for o in step["result"]["orders"]]
            if step["result"] and "return_no" in step["result"]:
                numbers.append(step["result"]["order_no"])
            for no in numbers:
                order = order_row(conn, no)
                assert order["customer"] == row[0], (s["id"], no)
                assert datetime.strptime(order["created_at"], FMT) <= now
            phone = step["call"]["arguments"].get("phone") if step["call"] else None
            if phone and phone != cust["phone"]:  # mistyped, or another number of theirs: refused or no order
                refused = step["result"].get("error", {}).get("code") == "invalid_phone"
                assert refused or step["result"] == {"orders": [], "count": 0}, (s["id"], phone)


def test_statuses_agree_with_status_at(composer, statuses, returns):
    seen = Counter()
    names = {v: k for k, v in ORDER_STATES.items()}
    for s in statuses + returns:
        now = clock(s)
        for step in steps(s):
            result = step["result"]
            if not result or "orders" not in result:
                continue
            for o in result["orders"]:
                want = status_at(order_row(composer.conn, o["order_no"]), now)
                assert o["status"] == want, (s["id"], o["order_no"])
                seen[want] += 1
            if result["count"] == 1 and step["user"]["unit"] != "order_track":
                assert step["reply"]["outcome"] == names[result["orders"][0]["status"]]
    assert {"待发货", "运输中", "已签收", "已取消"} <= set(seen)


# -- branches ----------------------------------------------------------------------------------

def test_order_status_branches_are_all_reached(statuses):
    reached = outcomes(statuses)
    for step, outcome in [
        ("ask", "in_transit"), ("ask", "awaiting_shipment"), ("ask", "delivered"), ("ask", "cancelled"),
        ("ask", "not_found"), ("ask", "several"), ("ask", "ask_order"), ("fix", "delivered"),
        ("give", "several"), ("give", "delivered"), ("pick", "delivered"), ("track", "tracking"),
        ("track", "not_shipped"), ("after_sale", "returned"), ("after_sale", "exchanged"),
        ("after_sale", "window_closed"), ("after_sale", "exchange_instead"), ("switch", "exchanged"),
        ("ask", "no_orders"), ("ask", "tool_error"),
    ]:
        assert reached[(step, outcome)] > 0, (step, outcome, reached)
    assert "pending_payment" not in {o for _, o in reached}


def test_return_branches_are_all_reached(returns):
    reached = outcomes(returns)
    for outcome in ("returned", "exchanged", "exchange_instead", "window_closed", "not_delivered", "cancelled",
                    "not_found", "ask_order", "ask_kind"):
        assert reached[("request", outcome)] > 0, (outcome, reached)
    for step in ("fix", "give", "choose", "switch"):
        assert reached[(step, "returned")] + reached[(step, "exchanged")] > 0, (step, reached)
    assert reached[("track", "tracking")] > 0


def test_first_turn_shares_follow_outcome_weights(composer, returns):
    weights = composer.units["return_request"].unit.outcome_weights
    first = Counter(steps(s)[0]["reply"]["outcome"] for s in returns)
    total = sum(weights.values())
    for outcome, w in weights.items():
        p = w / total
        assert abs(first[outcome] / len(returns) - p) <= 4 * (p * (1 - p) / len(returns)) ** 0.5, (outcome, first)


# -- corner cases ------------------------------------------------------------------------------

@pytest.mark.parametrize("flow", ["order_status", "return_exchange"])
def test_a_mistyped_number_is_asked_again_and_corrected(composer, sessions, flow):
    fixed = 0
    for s in sessions[flow]:
        ss = steps(s)
        if ss[0]["reply"]["outcome"] != "not_found":
            continue
        wrong, right = ss[0]["user"]["label"]["order_no"], ss[1]["user"]["label"]["order_no"]
        assert wrong in re.sub(r"\s", "", ss[0]["user"]["content"]).upper()
        assert order_row(composer.conn, wrong) is None
        assert ss[0]["result"]["error"]["code"] == "order_not_found"
        assert "核对" in ss[0]["reply"]["content"] or wrong in ss[0]["reply"]["content"]
        assert ss[1]["user"]["unit"].endswith("fix_number")
        # the corrected number is found; a return may still be refused for the order's own state
        refusals = {"return_window_closed", "not_delivered", "order_cancelled", "return_exists"}
        error = ss[1]["result"].get("error")
        assert error is None or (flow == "return_exchange" and error["code"] in refusals), error
        assert order_row(composer.conn, right)["customer"] == s["customer"]["id"]
        assert abs(len(wrong) - len(right)) == 1                           # one digit dropped or doubled
        fixed += 1
    assert fixed > 10


def test_missing_information_is_asked_for(returns, statuses):
    asked = Counter()
    for s in statuses + returns:
        first, *rest = steps(s)
        outcome = first["reply"]["outcome"]
        if outcome not in ("ask_order", "ask_kind"):
            continue
        assert first["call"] is None and first["result"] is None
        label = first["user"]["label"]
        if outcome == "ask_order":
            assert label["order_no"] is None and label.get("phone") is None
            assert "订单号" in first["reply"]["content"]
            following = rest[0]["user"]["label"]
            assert following.get("order_no") or following.get("phone")
        else:
            assert label["kind"] is None and label["order_no"]
            assert "退" in first["reply"]["content"] and "换" in first["reply"]["content"]
            assert rest[0]["user"]["label"]["order_no"] == label["order_no"]
            assert rest[0]["user"]["label"]["reason"] == label["reason"]
        if label.get("phone_tail"):
            assert label["phone_tail"] == s["customer"]["phone"][-4:] and "尾号" in first["reply"]["content"]
            asked["tail"] += 1
        asked[outcome] += 1
    assert asked["ask_order"] > 20 and asked["ask_kind"] > 10 and asked["tail"] > 0


def test_carry_over_labels_hold_the_resolved_order(statuses, returns):
    checked = Counter()
    for s in statuses + returns:
        previous = None  # the order the last answer was about
        listed = []
        for step in steps(s):
            user, label = step["user"], step["user"]["label"]
            if "order" in label and label["order"] is not None:
                items = next(iter(user["refs"].values()))
                assert resolve(user["content"], items) == label["order"] == [label["order_no"]]
                if user["unit"] == "order_pick":
                    assert label["order_no"] in [o["order_no"] for o in listed]
                else:
                    assert label["order_no"] == previous, (s["id"], user["content"])
                checked[user["unit"]] += 1
            elif user["unit"] == "return_switch_exchange":
                assert label["order_no"] == previous and label["order"] is None   # ellipsis: 那就换货吧
                checked["ellipsis"] += 1
            if step["call"] and label.get("order_no"):
                assert step["call"]["arguments"]["order_no"] == label["order_no"]
            result = step["result"] or {}
            if result.get("count") == 1:
                previous = result["orders"][0]["order_no"]
            elif result.get("count", 0) > 1:
                listed = result["orders"]
            elif "error" in result and result["error"]["code"] != "order_not_found":
                previous = label["order_no"]
            elif "return_no" in result:
                previous = result["order_no"]
    for unit in ("order_track", "order_pick", "return_this_order", "return_switch_exchange", "ellipsis"):
        assert checked[unit] > 0, checked


def test_a_reference_prefers_the_order_asked_about(composer):
    from twinchat.composer.engine.render import TemplateCache
    from twinchat.composer.engine.slots import SlotSampler, WorldCache
    from twinchat.units.spec import ReferenceSlot

    sampler = SlotSampler(WorldCache(composer.conn), TemplateCache(), None)
    book = OrderBook(composer.conn)
    now = datetime(2026, 11, 30, 12, 0)
    listed = [{"order_no": book.orders[i].order_no} for i in book.candidates(now, ["delivered"], 5)[:5]]
    slot = ReferenceSlot(source="reference", key="orders", forms=["ordinal"], measure=["个"], prefer="target")
    for i in range(len(listed)):
        target = book.record(book.orders[next(j for j, o in enumerate(book.orders)
                                              if o.order_no == listed[i]["order_no"])], now, random.Random(i))
        value = sampler.draw("ref", slot, random.Random(i), {}, now, {"orders": listed, "target": target})
        assert value.ids == [listed[i]["order_no"]] == resolve(value.text, listed), value.text


def test_window_ends_are_the_computed_ones(composer, statuses, returns):
    seen = Counter()
    for s in statuses + returns:
        now = clock(s)
        for step in steps(s):
            outcome = step["reply"]["outcome"]
            if outcome not in ("window_closed", "exchange_instead", "returned", "exchanged"):
                continue
            args = step["call"]["arguments"]
            order = order_row(composer.conn, args["order_no"])
            assert status_at(order, now) == DELIVERED
            delivered = datetime.strptime(order["delivered_at"], FMT)
            ends = {kind: window_end(delivered, kind) for kind in ("return", "exchange")}
            reply = step["reply"]["content"]
            if outcome in ("returned", "exchanged"):
                assert now <= ends[args["kind"]]
                assert step["result"]["kind"] == args["kind"] and step["result"]["return_no"] in reply
                assert step["result"]["return_no"][:2] == ("TH" if args["kind"] == "return" else "HH")
                assert (step["result"]["refund_amount"] is not None) == (args["kind"] == "return")
                assert cn_time(step["result"]["ship_back_by"]) in reply
            else:
                end = ends[args["kind"]].strftime(FMT)
                assert now > ends[args["kind"]]
                assert any(said in reply for said in (cn_time(end), when(end, now))), (end, reply)
                if outcome == "exchange_instead":
                    assert args["kind"] == "return" and now <= ends["exchange"]
                    xend = ends["exchange"].strftime(FMT)
                    assert any(said in reply for said in (cn_time(xend), when(xend, now))), (xend, reply)
                else:
                    assert now > ends["exchange"] or args["kind"] == "exchange"
            seen[outcome] += 1
    assert min(seen.values()) > 5 and len(seen) == 4, seen


def test_return_or_exchange_is_what_the_customer_said(statuses, returns):
    for s in statuses + returns:
        for step in steps(s):
            if not step["call"] or step["call"]["name"] != "request_return":
                continue
            kind, user = step["call"]["arguments"]["kind"], step["user"]
            said = user["label"].get("choice") or user["content"]
            if user["unit"] == "return_switch_exchange":
                assert kind == "exchange" and "换" in said
            elif user["unit"] in ("return_request", "return_this_order", "return_choose_kind"):
                assert ("退" if kind == "return" else "换") in said, (kind, said)


def test_undelivered_and_cancelled_orders_are_refused(composer, returns):
    seen = Counter()
    for s in returns:
        now = clock(s)
        for step in steps(s):
            outcome = step["reply"]["outcome"]
            if outcome not in ("not_delivered", "cancelled"):
                continue
            status = status_at(order_row(composer.conn, step["call"]["arguments"]["order_no"]), now)
            if outcome == "not_delivered":
                assert status in ("待发货", "运输中") and status in step["reply"]["content"]
            else:
                assert status == "已取消"
            seen[outcome] += 1
    assert seen["not_delivered"] > 10 and seen["cancelled"] > 5


def test_late_parcels_are_apologised_for(statuses):
    late = on_time = 0
    for s in statuses:
        for step in steps(s):
            if step["reply"]["outcome"] != "in_transit":
                continue
            o = step["result"]["orders"][0]
            assert o["status"] == IN_TRANSIT and o["last_checkpoint"]["text"] in step["reply"]["content"]
            if o["delayed"]:
                assert re.search("晚|超时|抱歉", step["reply"]["content"])
                late += 1
            else:
                assert "晚了" not in step["reply"]["content"]
                on_time += 1
    assert late > 0 and on_time > late


# -- tampering ---------------------------------------------------------------------------------

def _first(sessions_, predicate):
    return copy.deepcopy(next(s for s in sessions_ if predicate(s)))


def test_tampered_order_number_is_caught(composer, statuses):
    s = _first(statuses, lambda s: steps(s)[0]["reply"]["outcome"] == "in_transit")
    other = composer.conn.execute("SELECT order_no FROM orders WHERE order_no != ? LIMIT 1",
                                  (s["turns"][0]["label"]["order_no"],)).fetchone()[0]
    s["turns"][0]["label"]["order_no"] = other
    reasons = composer.verify(s)
    assert "turn 1: grounding:order_no" in reasons and "turn 2: argument_mismatch:order_no" in reasons


def test_tampered_reference_is_caught(composer, statuses):
    s = _first(statuses, lambda s: "track" in s["steps"])
    i = next(i for i, t in enumerate(s["turns"]) if t.get("unit") == "order_track")
    s["turns"][i]["label"]["order"] = ["DD000000000000"]
    assert f"turn {i + 1}: grounding:order" in composer.verify(s)


def test_tampered_status_result_is_caught(composer, statuses):
    s = _first(statuses, lambda s: steps(s)[0]["reply"]["outcome"] == "in_transit")
    s["turns"][2]["content"]["orders"][0]["status"] = "已签收"
    reasons = composer.verify(s)
    assert "turn 3: tool_mismatch" in reasons and "turn 4: outcome_mismatch" in reasons


def test_tampered_return_number_in_a_reply_is_caught(composer, returns):
    s = _first(returns, lambda s: steps(s)[0]["reply"]["outcome"] == "returned")
    number = s["turns"][2]["content"]["return_no"]
    s["turns"][3]["content"] = s["turns"][3]["content"].replace(number, "TH20990101000000")
    assert "turn 4: reply_fact:TH20990101000000" in composer.verify(s)


def test_tampered_status_word_in_a_reply_is_caught(composer, statuses):
    s = _first(statuses, lambda s: any(t.get("outcome") == "in_transit" and "运输中" in t["content"]
                                       for t in s["turns"]))
    i = next(i for i, t in enumerate(s["turns"]) if t.get("outcome") == "in_transit" and "运输中" in t["content"])
    assert composer.verify(s) == []
    s["turns"][i]["content"] = s["turns"][i]["content"].replace("运输中", "已取消")
    assert f"turn {i + 1}: reply_fact:已取消" in composer.verify(s)


# -- determinism, the world, the engine pieces -------------------------------------------------

def test_sessions_are_deterministic_and_leave_the_world_unchanged(composer, statuses, returns):
    assert composer.compose("order_status", 11) == statuses[11]
    assert composer.compose("return_exchange", 11) == returns[11]
    assert SessionComposer(composer.conn, seed=1).compose("return_exchange", 11) != returns[11]
    assert composer.conn.execute("SELECT count(*) FROM returns WHERE request_key NOT LIKE 'world/%'").fetchone()[0] == 0


def test_order_slots_draw_orders_in_the_state_asked_for(composer):
    book = OrderBook(composer.conn)
    words = {c: [n, *json.loads(a)]
             for c, n, a in composer.conn.execute("SELECT id, name, aliases FROM categories")}
    rng = random.Random(5)
    drawn = Counter()
    for _ in range(40):
        now = session_clock(rng)
        for state in ("awaiting_shipment", "in_transit", "delivered", "cancelled"):
            for within in (None, 10):
                rec = book.draw(rng, now, [state], within)
                order = order_row(composer.conn, rec.order_no)
                assert status_at(order, now) == ORDER_STATES[state] == rec.status
                created = datetime.strptime(order["created_at"], FMT)
                assert within is None or created >= now - timedelta(days=within)
                assert rec.customer.id == order["customer"] and rec.bought in bought_phrases(created, now)
                assert rec.what in words[rec.items[0]["category"]]
                drawn[state] += 1
        pool = book.candidates(now, ["delayed"])
        for i in pool:
            order = order_row(composer.conn, book.orders[i].order_no)
            assert status_at(order, now) in ("待发货", "运输中") and now > datetime.strptime(order["eta"], FMT)
    assert set(drawn) == {"awaiting_shipment", "in_transit", "delivered", "cancelled"}


def test_a_one_state_draw_tries_what_the_several_state_loop_tries(composer):
    """The tries of a draw for one state (its own loop) take the same order, after the same number of
    draws from the rng, as the loop for several states given that one state."""
    book = OrderBook(composer.conn)
    clocks = random.Random(9)
    tried = Counter()
    for _ in range(60):
        now = session_clock(clocks)
        for state in ("pending_payment", "awaiting_shipment", "delayed", "in_transit", "delivered", "cancelled", "any"):
            for within in (None, 0, 2, 10):
                since = None if within is None else now - timedelta(days=within)
                index = book._index[state]
                lo, hi = index.window(now, since)
                one, several = random.Random(f"{now}/{state}/{within}"), random.Random(f"{now}/{state}/{within}")
                got = book._one_state((index, lo, hi), hi - lo, one, now, since)
                assert got == book._some_states((state,), [(index, lo, hi)], hi - lo, several, now, since)
                assert one.random() == several.random()
                tried[got is None] += 1
    assert tried[True] and tried[False]


def test_order_forms_and_no_order_message(composer):
    book = OrderBook(composer.conn)
    rng = random.Random(1)
    now = datetime(2026, 11, 30, 12, 0)
    texts = {form: book.draw(random.Random(3), now, ["delivered"], form=form).text
             for form in ("order_no", "lower", "spaced", "fullwidth")}
    no = texts["order_no"]
    assert texts["lower"] == no.lower() and texts["spaced"].replace(" ", "") == no
    assert texts["fullwidth"] == "".join(chr(ord(c) + 0xFEE0) for c in no)
    with pytest.raises(ComposerError, match=r"no order is placed at 2026-10-01 09:00"):
        book.draw(rng, datetime(2026, 10, 1, 9, 0))
    with pytest.raises(ComposerError, match=r"no order is delivered placed within 0 days at 2026-10-15 08:00"):
        book.draw(rng, datetime(2026, 10, 15, 8, 0), ["delivered"], 0)


def test_owned_draws_the_customers_qualifying_orders_besides_those_named(composer):
    """owned() keeps a customer's qualifying orders per (clock, states, within days): asked again,
    with other orders set aside each time, it draws only among those left, as a fresh book does."""
    book, fresh = OrderBook(composer.conn), OrderBook(composer.conn)
    now = datetime(2026, 11, 30, 12, 0)
    owners = Counter(o.customer for o in book.orders if o.created <= now)
    owner = owners.most_common(1)[0][0]
    theirs = {o.order_no for o in book.orders if o.customer == owner and o.created <= now}
    assert len(theirs) >= 2
    besides: set[str] = set()
    for n in range(len(theirs)):
        got = book.owned(owner, random.Random(n), now, besides=besides).order_no
        assert got in theirs - besides
        assert got == fresh.owned(owner, random.Random(n), now, besides=set(besides)).order_no
        besides.add(got)
    with pytest.raises(NoOrder, match=f"customer {owner} has no order placed"):
        book.owned(owner, random.Random(0), now, besides=besides)


def test_bought_phrases_are_true_of_the_day():
    now = datetime(2026, 12, 2, 15, 0)  # a Wednesday
    assert set(bought_phrases(datetime(2026, 12, 2, 9, 0), now)) >= {"今天", "12月2号"}
    assert "昨天" in bought_phrases(datetime(2026, 12, 1, 22, 0), now)
    last_week = bought_phrases(datetime(2026, 11, 26, 10, 0), now)
    assert {"6天前", "上周"} <= set(last_week) and not {"这周", "上个月"} & set(last_week)  # 上个月: a week on
    assert {"上上周", "上个月"} <= set(bought_phrases(datetime(2026, 11, 17, 10, 0), now))


def test_every_pronoun_resolves_and_a_meant_item_is_referred_to():
    one = [{"order_no": "DD261201000001"}]
    for word in PRONOUNS:
        assert resolve(f"{word}现在到哪了", one) == ["DD261201000001"], word
    listed = [{"order_no": f"DD26120100000{i}"} for i in range(1, 5)]
    for i, item in enumerate(listed):
        for seed in range(6):
            ids, text = draw(listed, "ordinal", random.Random(seed), ["个"], meant=item["order_no"])
            assert ids == [item["order_no"]] == resolve(text, listed), text
    ids, text = draw(listed, "ordinal", random.Random(0), ["个"], meant="DD999")   # not listed: any
    assert resolve(text, listed) == ids


def test_flow_with_order_customer_must_remember_it(world, tmp_path):
    (tmp_path / "f.yaml").write_text(
        "kind: flow\nid: broken_orders\ntitle: t\ncustomer: order\nstart: ask\n"
        "steps:\n  - id: ask\n    unit: order_ask_status\n    remember: {target: order}\n", encoding="utf-8")
    with pytest.raises(UnitError, match=r"f\.yaml:\d+: flow 'broken_orders': step 'ask': a flow with "
                                        r"`customer: order` must remember `customer`"):
        SessionComposer(world, units_dirs=[str(tmp_path)])


def test_order_filters_only_on_order_slots(tmp_path):
    (tmp_path / "u.yaml").write_text(
        "id: wrong_filter\ntitle: t\nslots:\n  p: {source: inventory, kind: product, category: memory, "
        "statuses: [delivered]}\ntemplates:\n  - {id: t1, text: '{{ p }}'}\n", encoding="utf-8")
    with pytest.raises(UnitError, match=r"u\.yaml:\d+: unit 'wrong_filter'.*statuses and within_days apply "
                                        r"only to kind: order \(this slot is kind: product\)"):
        load_units([tmp_path], builtins=False)


@pytest.mark.parametrize("uid, unreachable", [
    ("order_ask_status", {"pending_payment"}),
    ("return_request", {"tool_error"}),
])
def test_opening_units_work_alone(composer, uid, unreachable):
    src = composer.units[uid]
    gen = UnitGenerator(src, composer.conn, seed=0)
    samples = [gen.sample(i) for i in range(250)]
    failures = Counter(r for s in samples for r in verify_sample(s.to_json(), src.unit, rerun=gen.call))
    assert failures == Counter()
    assert {s.template for s in samples} == {t.id for t in src.unit.templates}
    assert {s.case for s in samples} == {c.id for c in src.unit.cases}
    declared = {o.id for o in src.unit.outcomes} | {c.outcome for c in src.unit.cases if c.outcome}
    assert {s.outcome for s in samples} == declared - unreachable
    for s in samples:
        owner = s.slots["order"].customer
        if s.label.get("phone"):  # the owner's, or a mistyped one or another number (refused / no orders)
            assert s.label["phone"] == owner.phone or s.outcome in ("tool_error", "no_orders")
            assert (s.label["phone"] == owner.phone) == (s.case not in ("phone_slip", "other_phone"))


def test_every_unit_has_several_templates_and_replies(composer):
    ours = [src.unit for uid, src in composer.units.items() if uid.startswith(("order_", "return_"))]
    assert len(ours) == 11
    for unit in ours:
        assert len(unit.templates) >= 4, unit.id
        assert all(len(replies) >= 2 for replies in unit.replies.values()), unit.id


def test_an_orders_state_is_the_status_the_tools_report_at_any_clock(composer):
    """OrderBook decides an order's state on its moments as status_at decides its status."""
    book = OrderBook(composer.conn)
    rng = random.Random(11)
    moments = [m for o in book.orders for m in (o.created, o.paid, o.shipped, o.delivered, o.cancelled) if m]
    clocks = [m + timedelta(seconds=d) for m in rng.sample(moments, 300) for d in (-1, 0, 1)]
    seen = Counter()
    for order in rng.sample(book.orders, 400):
        timeline = {"created_at": order.created, "paid_at": order.paid, "shipped_at": order.shipped,
                    "delivered_at": order.delivered, "cancelled_at": order.cancelled}
        for now in [*rng.sample(clocks, 30), order.created]:
            if now < order.created:
                continue
            state = order.state(now)
            assert ORDER_STATES[state] == status_at(timeline, now), (order.order_no, now)
            seen[state] += 1
    assert set(seen) == {"pending_payment", "awaiting_shipment", "in_transit", "delivered", "cancelled"}


def test_an_order_record_is_the_same_from_a_book_that_keeps_little(composer, monkeypatch):
    from twinchat.composer.engine import orderbook

    kept, fresh = OrderBook(composer.conn), OrderBook(composer.conn)
    monkeypatch.setattr(orderbook, "_KEEP_PHRASES", 2)
    rng = random.Random(9)
    for _ in range(60):
        now = session_clock(rng)
        seed = rng.random()
        one = kept.draw(random.Random(seed), now)
        one.items[0]["qty"] = -1  # a record's lines are its own: the next record of the order is not changed
        again, two = kept.draw(random.Random(seed), now), fresh.draw(random.Random(seed), now)
        assert again.order_no == two.order_no and again.items[0]["qty"] != -1
        assert {k: v for k, v in again.data.items() if k != "customer"} == \
               {k: v for k, v in two.data.items() if k != "customer"}
        created = kept.orders[next(i for i, o in enumerate(kept.orders) if o.order_no == two.order_no)].created
        assert again.bought in bought_phrases(created, now) and again.created_at == format_time(created)
        assert len(kept._phrases) <= 2
