"""Multi-turn sessions: walking a flow, one unit per step, against the simulated world.

A session has a clock (``now``) and a customer (a coherent name, mobile number and address);
every step plays its unit drawing from one RNG seeded with (seed, flow, session index) and
advanced step after step, so a session depends on nothing but those and the world. Tool calls made by one step persist for the
later steps of the same session (a ticket booked in step 4 occupies its slot), inside a savepoint
that is rolled back when the session ends: sessions never see each other.

Turns follow the chat shape exporters need: the user's sentence (with its label), the assistant's
tool call (with a ReAct ``thought`` when the flow's style is react), the tool's real result, and
the assistant's reply rendered from that result.
"""

from __future__ import annotations

import itertools
import random
import re
import sqlite3
from bisect import bisect
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.generate import (TIME_FORMAT, Sample, UnitGenerator, session_clock, stamp_text,
                                        tool_writes)
from twinchat.composer.jsontext import dumps
from twinchat.composer.engine.render import TemplateCache, make_env, variables_of
from twinchat.composer.engine.slots import WorldCache
from twinchat.composer.engine.slot_values import Record, make_person, mobile_digits
from twinchat.composer.verify.samples import Verifier
from twinchat.inventory import world_seed
from twinchat.inventory.tools import call
from twinchat.units.errors import UnitError
from twinchat.units.flow import END, Branch, Flow
from twinchat.units.loader import FlowSource, UnitSource, did_you_mean, load_content

__all__ = ["SessionComposer", "check_flow", "flow_problems", "find_flow"]

#: What a reply may state that must come from somewhere: codes with letters and digits
#: (KF556S40IB-16, TK20261202326142) and numbers (a time's digits, a price, a count).
_NON_DIGIT = re.compile(r"\D")
_FACT = re.compile(r"[A-Za-z][A-Za-z0-9\-]*\d[A-Za-z0-9\-]*|\d+")

#: Order statuses a reply may state only when a tool result (or the conversation) says them.
_STATUS_WORDS = ("待付款", "待发货", "运输中", "已签收", "已取消")


def find_flow(flows: dict[str, FlowSource], flow_id: str) -> FlowSource:
    """The flow named ``flow_id``, or an error listing the known ones."""
    if flow_id not in flows:
        raise ComposerError(f"unknown flow {flow_id!r}{did_you_mean(flow_id, flows)}; "
                            f"flows: {', '.join(sorted(flows))}")
    return flows[flow_id]


def flow_problems(src: FlowSource, units: dict[str, UnitSource]) -> list[str]:
    """Every problem of a flow against the units it plays (one line each)."""
    flow, out = src.flow, []
    env = make_env()
    for i, step in enumerate(flow.steps):
        where = src.where(["steps", i])
        unit_src = units.get(step.unit)
        if unit_src is None:
            out.append(f"{where}: step {step.id!r} plays unknown unit {step.unit!r}{did_you_mean(step.unit, units)}")
            continue
        unit = unit_src.unit
        outcomes = {o.id for o in unit.outcomes} | {c.outcome for c in unit.cases if c.outcome}
        for outcome in step.next:
            if outcome != "*" and outcome not in outcomes:
                out.append(f"{src.where(['steps', i, 'next', outcome])}: step {step.id!r}: unit {unit.id!r} has "
                           f"no outcome {outcome!r}{did_you_mean(outcome, outcomes)}")
        if flow.customer == "order" and step.id == flow.start and "customer" not in step.remember:
            out.append(f"{src.where(['steps', i, 'remember'])}: step {step.id!r}: a flow with `customer: order` "
                       f"must remember `customer` (the owner of the order) in its start step")
        allowed = {"label", "result", "outcome", *unit.slots}
        for key, expr in step.remember.items():
            try:
                names, _ = variables_of(env, expr, expression=True)
            except Exception as exc:  # jinja2.TemplateSyntaxError
                out.append(f"{src.where(['steps', i, 'remember', key])}: remember {key!r}: syntax error: {exc}")
                continue
            for name in sorted(names - allowed):
                out.append(f"{src.where(['steps', i, 'remember', key])}: remember {key!r} uses undeclared "
                           f"variable {name!r}{did_you_mean(name, allowed)}")
    return out


def check_flow(src: FlowSource, units: dict[str, UnitSource]) -> None:
    """Raise UnitError with the first problem of the flow, if any."""
    problems = flow_problems(src, units)
    if problems:
        raise UnitError(problems[0])


class SessionComposer:
    """Composes and verifies sessions of the built-in (and the user's) flows on one world."""

    def __init__(self, conn: sqlite3.Connection, *, seed: int = 0, units_dirs: Sequence[str] = (),
                 content: tuple[dict[str, UnitSource], dict[str, FlowSource]] | None = None) -> None:
        """``content``: the units and flows of ``units_dirs`` as :func:`load_content` gives them,
        when the caller has them already (their flows are checked again here)."""
        self.conn = conn
        self.seed = seed
        self.units, self.flows = content if content is not None else load_content(units_dirs)
        for src in self.flows.values():
            check_flow(src, self.units)
        self.world = WorldCache(conn)
        self.templates = TemplateCache()
        self.world_seed = world_seed(conn)
        self._generators: dict[str, UnitGenerator] = {}
        self._verifiers: dict[str, Verifier] = {}  # per unit id: its user-side verifier
        self._branches: dict[int, tuple[list[Branch], list[str], list[float]]] = {}  # see _next
        self._steps: dict[str, tuple[Flow, dict[str, Any]]] = {}  # per flow id: (flow, its steps by id)
        self._faker: Any = None  # one Faker for every generator (each use reseeds it)
        #: per unit id: (unit, [(tool argument, the label field it must equal)])
        self._bound_args: dict[str, tuple[Any, list[tuple[str, str]]]] = {}

    def generator(self, unit_id: str) -> UnitGenerator:
        gen = self._generators.get(unit_id)
        if gen is None:
            if self._faker is None:
                from faker import Faker

                self._faker = Faker("zh_CN")
            gen = self._generators[unit_id] = UnitGenerator(
                self.units[unit_id], self.conn, seed=self.seed, world=self.world, templates=self.templates,
                faker=self._faker)
        return gen

    def flow(self, flow_id: str) -> Flow:
        return find_flow(self.flows, flow_id).flow

    # -- composing -------------------------------------------------------------------------
    def compose(self, flow_id: str, index: int) -> dict[str, Any]:
        """Session ``index`` of ``flow_id`` as a JSON-ready dict; the world is left unchanged."""
        flow = self.flow(flow_id)
        steps_of = self._steps.get(flow.id)
        if steps_of is None or steps_of[0] is not flow:
            steps_of = self._steps[flow.id] = (flow, {s.id: s for s in flow.steps})
        step_by_id = steps_of[1]
        key = f"twinchat/{self.seed}/flow/{flow.id}/{index}"
        rng = random.Random(key)
        now = session_clock(rng)
        # customer: order — the start step draws an order and remembers its owner as the customer
        customer = None if flow.customer == "order" else self._customer(rng, flow.customer)
        context: dict[str, Any] = {} if customer is None else {"customer": customer}
        turns: list[dict[str, Any]] = []
        steps: list[str] = []
        outcome = None
        saved = False  # the session's savepoint, opened before the first unit whose tool writes
        try:
            step = step_by_id[flow.start]
            for _ in range(flow.max_steps):
                generator = self.generator(step.unit)
                if generator.writes and not saved:
                    self.conn.execute("SAVEPOINT twinchat_session")
                    saved = True
                sample = generator.session_sample(rng, now, context, self._call)
                turns += self._turns(sample, step, flow, len(steps) + 1)
                steps.append(step.id)
                outcome = sample.outcome
                scope = {**sample.slots, "label": sample.label, "result": sample.result, "outcome": outcome}
                for name, expr in step.remember.items():
                    context[name] = self.templates.evaluate(expr, scope)
                following = _next(step.next, outcome, rng, self._branches)
                if following == END:
                    break
                step = step_by_id[following]
            customer = context.get("customer")
            if not isinstance(customer, Record):
                raise ComposerError(f"flow {flow.id!r}: step {flow.start!r} did not remember a customer record")
        finally:
            if saved:
                self.conn.execute("ROLLBACK TO twinchat_session")
                self.conn.execute("RELEASE twinchat_session")
        return {
            "id": f"{flow.id}/{self.seed}/{index}", "flow": flow.id, "seed": self.seed, "index": index,
            "world_seed": self.world_seed, "now": stamp_text(now),
            "customer": dict(customer.data), "turns": turns, "steps": steps,
            "outcome": outcome,
        }

    def _customer(self, rng: random.Random, where: str) -> Record:
        person = make_person(rng)
        digits = mobile_digits(rng)
        city = None
        if where == "service_city":
            city = self.world.service_cities[int(rng.random() * len(self.world.service_cities))].adcode
        place, detail = self.world.addresses(rng).draw(city=city, rng=rng)  # what world.address(rng, city) is made of
        data = {"name": person.name, "title": person.surname + person.title, "gender": person.gender,
                "phone": digits, "address": place.region + detail, "province": place.province, "city": place.city,
                "district": place.district, "detail": detail, "postcode": place.postcode,
                "adcode": place.adcode, "region": place.region}
        return Record("customer", data, person.name)

    def _call(self, tool_call: dict[str, Any], now: datetime) -> dict[str, Any]:
        return call(self.conn, tool_call["name"], tool_call["arguments"], now)

    def _turns(self, sample: Sample, step: Any, flow: Flow, number: int) -> list[dict[str, Any]]:
        user: dict[str, Any] = {"role": "user", "content": sample.text, "step": step.id, "unit": sample.unit,
                                "template": sample.template, "label": sample.label}
        if sample.refs:
            user["refs"] = sample.refs
        turns = [user]
        if sample.tool_call is not None:
            call_id = f"call_{number}"
            thought = None
            if flow.style == "react":
                scope = {**sample.slots, "label": sample.label}
                source = step.thought or "我需要调用{{ tool }}来处理用户的请求。"
                thought = self.templates.render(source, {**scope, "tool": sample.tool_call["name"]}).strip()
            turns.append({"role": "assistant", "content": "", "thought": thought, "step": step.id,
                          "tool_calls": [{"id": call_id, **sample.tool_call}]})
            turns.append({"role": "tool", "tool_call_id": call_id, "name": sample.tool_call["name"],
                          "content": sample.result})
        if sample.reply is not None:
            turns.append({"role": "assistant", "content": sample.reply, "step": step.id,
                          "outcome": sample.outcome})
        return turns

    # -- verifying -------------------------------------------------------------------------
    def verify(self, session: dict[str, Any]) -> list[str]:
        """Reasons the session fails (``turn N: reason``); [] when it passes.

        Checks the turn shape, every user turn's label (types, grounding in its text, references
        against what was remembered), re-executes every tool call in order (identical results),
        re-decides every outcome on the result, and checks that the numbers and codes a reply
        states come from the tool result, the label or the conversation so far.
        """
        reasons: list[str] = []
        try:
            now = _parse_stamp(session["now"])
            turns = session["turns"]
        except (KeyError, TypeError, ValueError):
            return ["schema"]
        saved = False  # the savepoint undoing re-run calls, opened before the first call that writes
        try:
            seen = _Seen(session.get("customer", {}), session["now"])
            pending: dict[str, Any] = {}
            for n, turn in enumerate(turns, 1):
                role = turn.get("role")
                if role == "user":
                    reasons += self._verify_user(n, turn, session["now"])
                    unit_src = self.units.get(turn.get("unit", ""))
                    seen.add_user(turn.get("content", ""), turn.get("label"))
                    pending = {"label": turn.get("label") or {}, "unit": unit_src, "result": None}
                elif role == "assistant" and turn.get("tool_calls"):
                    for tc in turn["tool_calls"]:
                        pending["call"] = tc
                        reasons += self._verify_args(n, tc, pending)
                elif role == "tool":
                    tc = pending.get("call")
                    if tc is None or tc.get("id") != turn.get("tool_call_id"):
                        reasons.append(f"turn {n}: tool result without its call")
                        continue
                    if not saved and tool_writes(tc["name"]):
                        self.conn.execute("SAVEPOINT twinchat_verify")
                        saved = True
                    if self._call({"name": tc["name"], "arguments": tc["arguments"]}, now) != turn.get("content"):
                        reasons.append(f"turn {n}: tool_mismatch")
                    pending["result"] = turn.get("content")
                    pending["result_json"] = dumps(turn.get("content"))
                    seen.add_result(pending["result_json"])
                elif role == "assistant":
                    reasons += self._verify_reply(n, turn, pending, now, seen)
                else:
                    reasons.append(f"turn {n}: schema")
        finally:
            if saved:
                self.conn.execute("ROLLBACK TO twinchat_verify")
                self.conn.execute("RELEASE twinchat_verify")
        return reasons

    def _verify_user(self, n: int, turn: dict[str, Any], now: str) -> list[str]:
        src = self.units.get(turn.get("unit", ""))
        if src is None:
            return [f"turn {n}: unknown_unit"]
        verifier = self._verifiers.get(src.unit.id)
        if verifier is None or verifier.unit is not src.unit:
            verifier = self._verifiers[src.unit.id] = Verifier(src.unit, replies=False)
        record = {"text": turn.get("content", ""), "label": turn.get("label") or {}, "template": turn.get("template"),
                  "now": now, "refs": turn.get("refs")}
        return [f"turn {n}: {r}" for r in verifier(record)]

    def _verify_args(self, n: int, tc: dict[str, Any], pending: dict[str, Any]) -> list[str]:
        src = pending.get("unit")
        if src is None or src.unit.tool is None or src.unit.tool.name != tc.get("name"):
            return [f"turn {n}: unexpected_tool_call"]
        bound = self._bound_args.get(src.unit.id)
        if bound is None or bound[0] is not src.unit:
            bound = self._bound_args[src.unit.id] = (src.unit, [
                (arg, expr.strip()[6:]) for arg, expr in src.unit.tool.arguments.items()
                if expr.strip().startswith("label.") and expr.strip()[6:].isidentifier()])
        out = []
        for arg, field in bound[1]:
            if tc["arguments"].get(arg) != pending["label"].get(field):
                out.append(f"turn {n}: argument_mismatch:{arg}")
        return out

    def _verify_reply(self, n: int, turn: dict[str, Any], pending: dict[str, Any], now: datetime,
                      seen: _Seen) -> list[str]:
        src, out = pending.get("unit"), []
        if src is None:
            return [f"turn {n}: reply_without_request"]
        unit = src.unit
        if turn.get("outcome") not in unit.replies:
            return [f"turn {n}: unknown_outcome"]
        if pending.get("result") is not None and unit.outcomes:
            scope = {"result": pending["result"], "label": pending["label"], "now": now}
            for o in unit.outcomes:
                if self._holds(o.when, scope):
                    if o.id != turn["outcome"]:
                        out.append(f"turn {n}: outcome_mismatch")
                    break
        # what a reply may state: the conversation so far and the result (``seen`` + the result's
        # JSON); most facts are in the result, so the whole text is made only for those that are not
        result_json = pending.get("result_json") if pending.get("result") is not None else None
        if result_json is None:
            result_json = dumps(pending.get("result"))
        sources: str | None = None
        digits: str | None = None
        content = turn.get("content", "")
        # each fact once, in order (the first bad one is named); those in the result are fine
        for fact in [f for f in dict.fromkeys(_FACT.findall(content)) if f not in result_json]:
            if fact.isdigit():  # a number (the other facts start with a letter)
                if len(fact) < 2:
                    continue  # list numbering (1. 2. 3.) and single digits say nothing checkable
                bare = fact
            else:
                bare = _NON_DIGIT.sub("", fact)
            if sources is None:
                sources = seen.text() + result_json
            if fact in sources:
                continue
            if digits is None:
                digits = _NON_DIGIT.sub("", sources)
            if len(bare) < 3 or bare not in digits:
                out.append(f"turn {n}: reply_fact:{fact}")
                break
        for word in _STATUS_WORDS:
            if word in content and word not in result_json and word not in (sources or seen.text() + result_json):
                out.append(f"turn {n}: reply_fact:{word}")
                break
        return out

    def _holds(self, when: str | None, scope: dict[str, Any]) -> bool:
        if when is None:
            return True
        try:
            return bool(self.templates.evaluate(when, scope))
        except ComposerError:
            return False  # conditions over slots cannot be re-decided from the stored session
        except TypeError:
            return False  # a result of another shape (an edited one: its re-run already says so)


_STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def _parse_stamp(text: str) -> datetime:
    """A session clock in TIME_FORMAT (``fromisoformat`` where it reads the same, far faster than strptime)."""
    if isinstance(text, str) and _STAMP.fullmatch(text):
        return datetime.fromisoformat(text)
    return datetime.strptime(text, TIME_FORMAT)


class _Seen:
    """What a conversation has said so far, as verification compares reply facts with it: the
    customer's JSON, the clock, then each user text with its label's JSON and each tool result's
    JSON. The text is made (the JSON written) only when a reply needs it."""

    __slots__ = ("_parts", "_done", "_text")

    def __init__(self, customer: Any, now: str) -> None:
        self._parts: list[Any] = [_Json(customer), now]
        self._done = 0  # parts already in _text
        self._text = ""

    def add_user(self, text: str, label: Any) -> None:
        self._parts += (text, _Json(label))

    def add_result(self, result_json: str) -> None:
        self._parts.append(result_json)

    def text(self) -> str:
        if self._done < len(self._parts):
            self._text += "".join(p.dump() if isinstance(p, _Json) else p for p in self._parts[self._done:])
            self._done = len(self._parts)
        return self._text


class _Json:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def dump(self) -> str:
        return dumps(self.value)


def _next(nexts: dict[str, str | list[Branch]], outcome: str | None, rng: random.Random,
          plans: dict[int, tuple[list[Branch], list[str], list[float]]]) -> str:
    """The step after ``outcome``; ``plans`` keeps each list of branches' steps and cumulative weights."""
    target = nexts.get(outcome or "", nexts.get("*", END))
    if isinstance(target, str):
        return target
    # what rng.choices(steps, weights)[0] draws, with the sums made once per list of branches
    plan = plans.get(id(target))
    if plan is None or plan[0] is not target:
        plan = plans[id(target)] = (target, [b.step for b in target],
                                    list(itertools.accumulate(b.weight for b in target)))
    _, steps, cum = plan
    return steps[bisect(cum, rng.random() * (cum[-1] + 0.0), 0, len(cum) - 1)]
