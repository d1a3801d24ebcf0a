"""Cross-turn facts: what one turn of a session says must agree with what earlier turns settled.

Each tool result is right on its own (verification re-runs every call); these checks look at how
a session joins them. A failure is ``turn N: reason`` with one of the reasons of :data:`CLASSES`:

- ``order_unplaced``: a reply says an order was taken (已为您记录, 已下单 …) but no place_order
  call of that step placed it;
- ``order_unchecked_address``: an order ships to a city no check_delivery of the session looked at;
- ``order_eta``: the reply confirming an order leaves out its number or states another ETA than
  the one place_order computed for the order's address;
- ``ticket_technician``: the ticket books another technician than the one of the slot the
  customer picked from the listing;
- ``return_unmentioned``: a return or exchange takes back items of the order the customer did
  not name, when the customer named some of its items;
- ``visit_against_kb``: a home visit is booked after the knowledge base said to send the device in
  (寄修) or take it to a service point (网点);
- ``arrival_silent``: a reply to a delivery check where some products arrive in time and some do
  not leaves out a product asked about;
- ``argument_vocabulary``: one argument field gets one thing in two words within a session (the
  category 充电桩 in one call, charging_pile in another);
- ``address_change``: the reply to an address change leaves out the address change_address wrote,
  or states another arrival time than the one it computed for that address.

Times in replies are matched as the ``cn_time`` filter writes them (11月20日21:00) or, when the
session clock is given, as the ``when`` filter does (明天18:00, 明天下午6点).
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from twinchat.composer.engine.filters import said_when
from twinchat.composer.engine.references import resolve
from twinchat.inventory.catalog_words import ProductWords
from twinchat.inventory.regions import PlaceIndex
from twinchat.inventory.timefmt import parse_time
from twinchat.inventory.tools.lookup import Categories
from twinchat.inventory.tools.static import static_data

__all__ = ["CLASSES", "CrossTurnChecker", "Step", "StepList", "session_steps"]

#: Every reason a cross-turn check gives, in the order the checks run.
CLASSES = ("order_unplaced", "order_unchecked_address", "order_eta", "ticket_technician", "return_unmentioned",
           "visit_against_kb", "arrival_silent", "argument_vocabulary", "address_change")

#: Words by which a reply says an order was taken (an offer such as 可以帮您下单 is not one).
#: (A bare 已登记 is not one: a complaint or a ticket is 登记ed too.)
_ORDER_CLAIM = re.compile(r"已为您(?:记录|下单|登记)|已经?帮您(?:记下|下单|下好单)|给您下单|订单信息确认|"
                          r"已下单|下单成功|订单已提交|订单已生成|已经下好单|收货人|收件人|寄往")
#: Knowledge-base advice that sends the device in or to a service point rather than a technician.
_NO_VISIT = re.compile(r"寄修|网点")
#: A phone number said as one (下单手机137…, 手机号：…): its 手机 names no product of the order.
_PHONE_MENTION = re.compile(r"手机(?:号码?|尾号)?\s*[:：是为]?\s*\+?[\d][\d\s-]{3,}|手机号码?")
#: A clock time in a reply (18:00, 9:30) or a spoken hour (6点, 6点半): ``[0-9]{1,2}:[0-9]{2}`` or
#: ``[0-9一二三四五六七八九十]{1,3}点``, written to open with one character class (the regex engine
#: then skips the text between candidates instead of trying each position).
_CLOCK = re.compile(r"[0-9一二三四五六七八九十](?:(?<=[0-9])[0-9]?:[0-9]{2}|[0-9一二三四五六七八九十]{0,2}点)")
#: The argument fields whose values are category words (one category, one word per session).
_CATEGORY_FIELDS = ("category",)


@dataclass(slots=True)
class Step:
    """One user turn with what answered it: the tool call and result (if any) and the reply."""

    user_n: int
    user: dict[str, Any]
    calls: list[tuple[int, dict[str, Any], Any]] = field(default_factory=list)  # (turn, call, result)
    reply_n: int | None = None
    reply: str = ""


def session_steps(turns: Sequence[dict[str, Any]]) -> list[Step]:
    """The session's turns grouped per user turn (turn numbers are 1-based, as reasons say them)."""
    steps = StepList()
    for n, turn in enumerate(turns, 1):
        role = turn.get("role")
        if role == "user":
            steps.user(n, turn)
        elif role == "assistant" and turn.get("tool_calls"):
            steps.tool_calls(turn)
        elif role == "tool":
            steps.tool_result(n, turn)
        elif role == "assistant":
            steps.reply(n, turn)
    return steps


class StepList(list):  # type: ignore[type-arg]
    """Steps as :func:`session_steps` groups them, fed turn by turn (by a caller that walks the
    turns anyway, as session verification does): turns before the first user turn belong to none,
    and a result belongs to the call of its id, wherever in the session that call was."""

    __slots__ = ("_calls",)

    def __init__(self) -> None:  # list.__new__ made it empty: list.__init__ has nothing to do
        self._calls: dict[Any, dict[str, Any]] = {}

    def user(self, n: int, turn: dict[str, Any]) -> None:
        self.append(Step(n, turn))

    def tool_calls(self, turn: dict[str, Any]) -> None:
        if self:
            for tc in turn["tool_calls"]:
                self._calls[tc.get("id")] = tc

    def tool_result(self, n: int, turn: dict[str, Any]) -> None:
        if self:
            tc = self._calls.get(turn.get("tool_call_id"))
            if tc is not None:
                self[-1].calls.append((n, tc, turn.get("content")))

    def reply(self, n: int, turn: dict[str, Any]) -> None:
        if self:
            self[-1].reply_n, self[-1].reply = n, turn.get("content") or ""


def _ok(result: Any) -> bool:
    return isinstance(result, dict) and "error" not in result


@functools.lru_cache(maxsize=1024)
def _cn_time(moment: str) -> str:
    """A tool-result time as replies state it (11月20日21:00), as the ``cn_time`` filter writes it
    (kept per stamp: a session's checks state the same few times)."""
    t = parse_time(moment)
    return f"{t.month}月{t.day}日{t.hour:02d}:{t.minute:02d}"


def _said_times(moment: str, now: str | None) -> tuple[str, ...]:
    """The ways a reply may state a tool-result time: ``cn_time``'s, and ``when``'s at ``now``."""
    if now is None:
        return (_cn_time(moment),)
    return (_cn_time(moment), *said_when(moment, now))


def _states_time(reply: str, moment: Any, now: str | None) -> bool:
    return not isinstance(moment, str) or any(said in reply for said in _said_times(moment, now))


class _World:
    """What the checks read from the world, made once per connection: each product's words (its
    short name, model, category name and aliases) and the city of every place."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        categories = static_data(conn, Categories)
        words = {cid: (name, *aliases) for cid, name, aliases in categories.rows}
        self.product_words = ProductWords(conn, words)  # read per product as asked
        self.category_of = categories.by_word
        self.places = static_data(conn, PlaceIndex)
        self._cities: dict[Any, str | None] = {}

    def city(self, adcode: Any) -> str | None:
        """The city adcode of a place (a city's own), None for no place."""
        found = self._cities.get(adcode, "")
        if found == "":
            try:
                row = self.places.row(str(adcode))
                found = row.get("city") or row.get("adcode")
            except (KeyError, ValueError):
                found = None
            self._cities[adcode] = found
        return found


class CrossTurnChecker:
    """The cross-turn checks over one world; call it with a session's turns."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._world: _World | None = None  # read on the first session that needs it

    def world(self) -> _World:
        if self._world is None:
            self._world = _World(self.conn)
        return self._world

    def __call__(self, turns: Sequence[dict[str, Any]], now: str | None = None,
                 steps: list[Step] | None = None) -> list[str]:
        """The reasons ``turns`` fail; ``now`` (the session clock) lets times said relative to it count.
        ``steps`` are :func:`session_steps` of the turns when the caller made them already."""
        if steps is None:
            steps = session_steps(turns)
        called: set[Any] = set()
        categories = 0  # calls with a category argument
        for step in steps:
            for _, tc, _ in step.calls:
                called.add(tc.get("name"))
                categories += "category" in (tc.get("arguments") or {})
        out = list(self._orders(steps, now))  # a claimed order may have no call at all
        if "create_ticket" in called:
            out += self._technicians(steps)
        if "request_return" in called:
            out += self._returns(steps)
        if "create_ticket" in called:
            out += self._visits(steps)
        if "check_delivery" in called:
            out += self._arrivals(steps)
        if categories > 1:
            out += self._vocabulary(steps)
        if "change_address" in called:
            out += self._addresses(steps, now)
        return out

    # -- orders --------------------------------------------------------------------------------
    def _orders(self, steps: list[Step], now: str | None = None) -> Iterator[str]:
        checked: set[str] = set()  # cities of the destinations checked so far
        for step in steps:
            placed = None
            for _, tc, result in step.calls:
                if tc.get("name") == "check_delivery" and _ok(result):
                    checked.add(self.world().city(result.get("destination", {}).get("adcode")) or "")
                elif tc.get("name") == "place_order" and _ok(result):
                    placed = result
            if placed is not None:
                city = self.world().city(placed.get("address", {}).get("adcode"))
                if city is None or city not in checked:
                    yield f"turn {step.calls[-1][0]}: order_unchecked_address"
                if step.reply_n is not None and not _states_order(step.reply, placed, now):
                    yield f"turn {step.reply_n}: order_eta"
            elif step.reply_n is not None and _ORDER_CLAIM.search(step.reply):
                yield f"turn {step.reply_n}: order_unplaced"

    # -- repair --------------------------------------------------------------------------------
    def _technicians(self, steps: list[Step]) -> Iterator[str]:
        listed: list[dict[str, Any]] = []  # the last listing of technician slots
        for step in steps:
            for n, tc, result in step.calls:
                if tc.get("name") == "query_technician_slots" and _ok(result):
                    listed = list(result.get("slots") or [])
                elif tc.get("name") == "create_ticket" and _ok(result) and listed:
                    picked = _picked(step.user.get("content", ""), listed)
                    if picked is not None and picked.get("technician_id") != result.get("technician_id"):
                        yield f"turn {n}: ticket_technician"

    def _visits(self, steps: list[Step]) -> Iterator[str]:
        no_visit = False  # the last knowledge-base answer said to send the device in
        for step in steps:
            for n, tc, result in step.calls:
                if tc.get("name") == "search_solution" and _ok(result):
                    top = (result.get("solutions") or [{}])[0]
                    no_visit = bool(_NO_VISIT.search(top.get("solution") or "")) and not top.get("needs_onsite")
                elif tc.get("name") == "create_ticket" and _ok(result) and no_visit:
                    yield f"turn {n}: visit_against_kb"

    # -- returns -------------------------------------------------------------------------------
    def _returns(self, steps: list[Step]) -> Iterator[str]:
        said = ""  # what the customer said so far
        orders: dict[str, list[str]] = {}  # order number -> its product ids, as order results list them
        for step in steps:
            said += _PHONE_MENTION.sub("", step.user.get("content", ""))
            for n, tc, result in step.calls:
                if not _ok(result):
                    continue
                for order in result.get("orders") or ():
                    orders[order.get("order_no")] = [i.get("product_id") for i in order.get("items") or ()]
                if tc.get("name") == "request_return":
                    taken = [i.get("product_id") for i in result.get("items") or ()]
                    lines = orders.get(result.get("order_no")) or self._order_lines(result.get("order_no"))
                    named = {pid for pid in lines if self._named(pid, said)}
                    if named and set(taken) - named:
                        yield f"turn {n}: return_unmentioned"

    def _order_lines(self, order_no: Any) -> list[str]:
        return [r[0] for r in self.conn.execute(
            "SELECT product_id FROM order_items WHERE order_no = ? ORDER BY rowid", (order_no,))]

    def _named(self, product_id: str, text: str) -> bool:
        return any(w in text for w in self.world().product_words.get(product_id, ()))

    # -- delivery replies ----------------------------------------------------------------------
    def _arrivals(self, steps: list[Step]) -> Iterator[str]:
        for step in steps:
            if step.reply_n is None or not step.calls:
                continue
            _, tc, result = step.calls[-1]
            if tc.get("name") != "check_delivery" or not _ok(result):
                continue
            results = result.get("results") or []
            arrive = [r.get("arrives_in_time") for r in results]
            if any(arrive) and not all(arrive) and any(r.get("short_name", "") not in step.reply for r in results):
                yield f"turn {step.reply_n}: arrival_silent"

    # -- address changes -----------------------------------------------------------------------
    def _addresses(self, steps: list[Step], now: str | None) -> Iterator[str]:
        for step in steps:
            changed = [result for _, tc, result in step.calls if tc.get("name") == "change_address" and _ok(result)]
            if not changed or step.reply_n is None:
                continue
            result = changed[-1]
            address = str((result.get("address") or {}).get("text"))
            stated = _CLOCK.search(step.reply) is None or _states_time(step.reply, result.get("estimated_delivery"), now)
            if address not in step.reply or not stated:
                yield f"turn {step.reply_n}: address_change"

    # -- arguments -----------------------------------------------------------------------------
    def _vocabulary(self, steps: list[Step]) -> Iterator[str]:
        words: dict[tuple[str, str], str] = {}  # (field, category id) -> the first word given for it
        said: set[str] = set()
        for step in steps:
            for n, tc, _ in step.calls:
                args = tc.get("arguments") or {}
                for name in _CATEGORY_FIELDS:
                    value = args.get(name)
                    if not isinstance(value, str):
                        continue
                    cid = self.world().category_of.get(value.strip().lower())
                    if cid is None:
                        continue
                    first = words.setdefault((name, cid), value)
                    if first != value and name not in said:  # one reason per field and session
                        said.add(name)
                        yield f"turn {n}: argument_vocabulary:{name}"


def _states_order(reply: str, placed: dict[str, Any], now: str | None = None) -> bool:
    """Whether a confirmation states the order's number and the ETA place_order computed."""
    return str(placed.get("order_no")) in reply and _states_time(reply, placed.get("eta"), now)


def _picked(text: str, listed: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The listed slot a customer's text picks (by its place in the listing), if it picks one."""
    found = resolve(text, [{"id": str(i)} for i in range(len(listed))])
    if not found or len(found) != 1:
        return None
    return listed[int(found[0])]
