"""Greetings, closings and second tasks: the flow fields that declare them, the problems a flow
file gets for them, and what composed sessions show (shares, order of turns, the same customer
and clock in a second task, another of the customer's orders, the switch of topic)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from twinchat.composer.engine.asides import SWITCHES, drop_opener, pick_then, switch_text
from twinchat.composer.engine.compose import SessionComposer, flow_problems
from twinchat.inventory import open_world
from twinchat.units.errors import UnitError
from twinchat.units.flow import Then
from twinchat.units.loader import load_content, load_file

BUILTIN = Path(__file__).resolve().parents[2] / "units" / "builtin"
N = 500


@pytest.fixture(scope="module")
def statuses(composer):
    return [composer.compose("order_status", i) for i in range(N)]


def _flow_file(tmp_path, tail: str, name: str = "order_status") -> Path:
    text = (BUILTIN / f"{name}.yaml").read_text(encoding="utf-8")
    head = text[:text.index("# what a session says around its task")]
    path = tmp_path / f"{name}.yaml"
    path.write_text(head + tail, encoding="utf-8")
    return path


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


# -- the flow file ------------------------------------------------------------------------------

def test_shares_of_then_above_one_are_refused(tmp_path):
    path = _flow_file(tmp_path, "then:\n  - {flow: return_exchange, share: 0.7}\n"
                                "  - {flow: memory_upgrade, share: 0.4, after: [delivered]}\n")
    with pytest.raises(UnitError, match="the shares of `then` add up to more than 1 after outcome 'delivered'"):
        load_file(path)


def test_a_step_may_not_be_called_greeting(tmp_path):
    path = _flow_file(tmp_path, "")
    path.write_text(path.read_text(encoding="utf-8").replace("  - id: track\n", "  - id: greeting\n")
                    .replace("step: track", "step: greeting"), encoding="utf-8")
    with pytest.raises(UnitError, match="'greeting' is reserved for the engine"):
        load_file(path)


def test_unless_is_for_the_closing_only(tmp_path):
    path = _flow_file(tmp_path, "greeting: {unit: chat_greeting, share: 0.2, unless: [cancelled]}\n")
    with pytest.raises(UnitError, match="`unless` applies only to the closing"):
        load_file(path)


def test_problems_name_the_line_of_an_unknown_unit_flow_or_a_tool_unit(tmp_path):
    path = _flow_file(tmp_path, "greeting: {unit: chat_greting, share: 0.2}\n"
                                "closing: {unit: order_track, share: 0.2}\n"
                                "then:\n  - {flow: return_exchnge, share: 0.1}\n")
    units, flows = load_content([])
    problems = flow_problems(load_file(path), units, flows)
    assert problems == [
        f"{path}:{_line(path, 'greeting:')}: flow 'order_status': greeting plays unknown unit 'chat_greting' "
        "(did you mean 'chat_greeting'?)",
        f"{path}:{_line(path, 'closing:')}: flow 'order_status': closing unit 'order_track' calls a tool; "
        "a closing is said, not looked up",
        f"{path}:{_line(path, 'return_exchnge')}: flow 'order_status': `then` names unknown flow "
        "'return_exchnge' (did you mean 'return_exchange'?)",
    ]


def test_a_second_task_about_an_order_needs_a_customer_with_orders(tmp_path):
    path = _flow_file(tmp_path, "then:\n  - {flow: order_status, share: 0.1}\n", name="memory_upgrade")
    units, flows = load_content([])
    problems = flow_problems(load_file(path), units, flows)
    assert problems == [f"{path}:{_line(path, 'flow: order_status')}: flow 'memory_upgrade': flow 'order_status' "
                        "needs a customer who is `order`; this flow's is `anywhere` (a second task keeps the "
                        "session's customer)"]


def test_a_second_task_about_the_order_placed_needs_a_flow_about_an_order(tmp_path):
    path = _flow_file(tmp_path, "then:\n  - {flow: change_address, share: 0.1, about: placed}\n"
                                "  - {flow: coupon_question, share: 0.1, about: placed}\n", name="memory_upgrade")
    units, flows = load_content([])
    problems = flow_problems(load_file(path), units, flows)
    assert problems == [f"{path}:{_line(path, 'flow: coupon_question')}: flow 'memory_upgrade': `about` gives flow "
                        "'coupon_question' an order, but its customer is `anywhere`, not `order`"]


def test_pick_then_honours_after_and_shares():
    thens = [Then(flow="a", share=0.3, after=["x"]), Then(flow="b", share=0.5)]
    picked = [pick_then(thens, "x", random.Random(i)) for i in range(2000)]
    assert 0.25 < sum(t is not None and t.flow == "a" for t in picked) / 2000 < 0.35
    assert 0.45 < sum(t is not None and t.flow == "b" for t in picked) / 2000 < 0.55
    others = [pick_then(thens, "y", random.Random(i)) for i in range(2000)]
    assert all(t is None or t.flow == "b" for t in others)
    assert pick_then([], "x", random.Random(0)) is None


def test_the_switch_drops_the_opening_courtesy():
    assert drop_opener("你好,订单号DD1到哪了") == "订单号DD1到哪了"
    assert drop_opener("在吗?我的快递到哪了") == "我的快递到哪了"
    assert drop_opener("订单号DD1到哪了") == "订单号DD1到哪了"
    text = switch_text("客服你好,我想退货", random.Random(1))
    assert text.endswith(",我想退货") and any(text == s + "我想退货" for s in SWITCHES)


# -- composed sessions --------------------------------------------------------------------------

def test_greetings_and_closings_come_first_and_last_in_their_shares(composer, statuses):
    greeted = [s for s in statuses if s["steps"][0] == "greeting"]
    closed = [s for s in statuses if s["steps"][-1] == "closing"]
    assert 0.18 * N < len(greeted) < 0.32 * N
    assert 0.2 * N < len(closed) < 0.5 * N
    for s in greeted:
        first, reply = s["turns"][0], s["turns"][1]
        assert first["unit"] == "chat_greeting" and reply["outcome"] in ("greeted", "present")
        assert ("在的" in reply["content"]) == (reply["outcome"] == "present")
        assert not s["turns"][2]["content"].startswith(("你好", "您好", "在吗"))
    for s in closed:
        assert s["turns"][-2]["unit"] == "chat_thanks" and s["steps"].count("closing") == 1
        assert s["outcome"] not in ("tool_error", "not_found")  # the closing's `unless`
    assert all(composer.verify(s) == [] for s in greeted + closed)


def test_a_second_task_keeps_the_customer_and_clock_and_is_about_another_order(composer, statuses, world):
    seconds = [s for s in statuses if any(step.startswith("return_exchange:") for step in s["steps"])]
    assert len(seconds) >= 10
    checked = 0
    for s in seconds:
        k = next(i for i, step in enumerate(s["steps"]) if step.startswith("return_exchange:"))
        users = [t for t in s["turns"] if t["role"] == "user"]
        first = users[k]
        assert first["step"] == "return_exchange:request" and first["content"].startswith(SWITCHES)
        asked = first["label"].get("order_no")  # None when the customer did not say it (or a mistyped one)
        owner = world.execute("SELECT c.phone FROM orders o JOIN customers c ON c.id = o.customer "
                              "WHERE o.order_no = ?", (asked,)).fetchone()
        if owner is not None:
            checked += 1
            assert owner[0] == s["customer"]["phone"]
            earlier = {t["label"].get("order_no") for t in users[:k] if t.get("label")}
            assert asked not in earlier
        assert composer.verify(s) == []
    assert checked >= 8


def test_sessions_are_the_same_for_the_same_seed(world_path):
    made = []
    for _ in range(2):
        with open_world(world_path) as conn:
            composer = SessionComposer(conn, seed=5)
            made.append([composer.compose("return_exchange", i) for i in range(100)])
    assert made[0] == made[1]
    assert any(":" in step for s in made[0] for step in s["steps"])


def _second_task_units(composer) -> list[str]:
    return sorted({f.flow.steps[0].unit if f.flow.steps[0].id == f.flow.start else
                   next(s.unit for s in f.flow.steps if s.id == f.flow.start)
                   for f in composer.flows.values() if f.flow.customer == "order"})


def test_owned_sample_draws_what_drawing_every_draw_whole_draws(composer):
    """owned_sample's draws known to miss (their first slot an order none of the customer's fits)
    draw only the order's form: the sample, or NoOrder, and the RNG afterwards are those of
    owned_draws, which draws every draw whole; customers with and without fitting orders, orders
    named already left out."""
    from twinchat.composer.engine.asides import owned_draws, owned_sample
    from twinchat.composer.engine.generate import session_clock
    from twinchat.composer.engine.slot_values import Record
    from twinchat.composer.errors import NoOrder

    book, conn = composer.world.orders, composer.conn
    owners = sorted(book.customers)
    units = _second_task_units(composer)
    assert len(units) >= 4
    outcomes, missed = {"sample": 0, "none": 0}, 0
    for n in range(240):
        gen = composer.generator(units[n % len(units)])
        pick = random.Random(n)
        owner = owners[pick.randrange(len(owners))]
        now = session_clock(pick)
        theirs = [book.orders[i].order_no for i in book._by_owner.get(owner, ())]
        besides = set(pick.sample(theirs, min(len(theirs), n % 3)))
        customer = book.customers[owner]
        context = {"customer": Record("customer", dict(customer), customer["name"]), "owner_id": owner,
                   "owner_done": besides}
        first = gen._drawers[None if not gen.unit.cases else gen.unit.cases[0].id][0][1]
        missed += first.misses(now, context)
        got = []
        for draw in (owned_sample, owned_draws):
            rng = random.Random(f"owned/{n}")
            conn.execute("SAVEPOINT owned_test")
            try:
                out = draw(gen, rng, now, dict(context), composer._call)
                got.append((out.to_json(), out.slots.keys()))
            except NoOrder as exc:
                got.append(("NoOrder", str(exc)))
            finally:
                conn.execute("ROLLBACK TO owned_test")
                conn.execute("RELEASE owned_test")
            got.append(rng.getstate())
        assert got[0:2] == got[2:4], (units[n % len(units)], owner, now)
        outcomes["none" if got[0][0] == "NoOrder" else "sample"] += 1
    assert outcomes["none"] >= 10 and outcomes["sample"] >= 10, outcomes
    assert missed >= 10


def test_an_order_slot_about_the_order_placed_never_misses(composer):
    """A second task about the order the first placed draws that order (not one of the customer's
    own): its order slot is never known to miss, even for a customer with no fitting order."""
    from twinchat.composer.engine.generate import session_clock

    gen = composer.generator("order_ask_status")
    first = gen._drawers[gen.unit.cases[0].id if gen.unit.cases else None][0][1]
    now = session_clock(random.Random(3))
    missing = [{"owner_id": o, "owner_done": set()} for o in sorted(composer.world.orders.customers)]
    context = next(c for c in missing if first.misses(now, c))
    assert not first.misses(now, {**context, "about_order": {"order_no": "X"}})
    assert not first.misses(now, {})
