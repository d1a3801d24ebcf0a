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
import sqlite3
from bisect import bisect
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from twinchat.composer.errors import ComposerError, LimitError, NoOrder
from twinchat.composer.engine.asides import aside_problems, drop_opener, orders_in, owned_sample, owner_of, pick_then, step_name, switch_text, takes
from twinchat.composer.engine.generate import Sample, UnitGenerator, session_clock
from twinchat.composer.engine.render import TemplateCache, make_env, variables_of
from twinchat.composer.engine.slots import FakerCell, WorldCache
from twinchat.composer.engine.slot_values import Record, make_person, mobile_digits
from twinchat.composer.engine.noise import NoiseLayer, noise_layer, protected_texts
from twinchat.composer.engine.thoughts import DEFAULT_THOUGHT, thought_problems, thought_scope
from twinchat.composer.verify.sessions import SessionVerifier
from twinchat.inventory import world_seed
from twinchat.inventory.connection import close_scratch, open_scratch
from twinchat.inventory.timefmt import format_time
from twinchat.inventory.tools import TOOLS, call
from twinchat.inventory.tools.memo import forget_kept
from twinchat.units.errors import UnitError
from twinchat.units.flow import END, Branch, Flow
from twinchat.units.loader import FlowSource, UnitSource, did_you_mean, load_content

__all__ = ["SessionComposer", "check_flow", "flow_problems", "find_flow", "FORGET_EVERY"]

#: sessions a composer makes between two emptyings of the caches sessions fill (see
#: :meth:`SessionComposer.forget`): each emptying costs the sessions after it about 20 million
#: instructions of work done again (places, validations, openings), under 1% of 2,000 sessions
FORGET_EVERY = 2000

def find_flow(flows: dict[str, FlowSource], flow_id: str) -> FlowSource:
    """The flow named ``flow_id``, or an error listing the known ones."""
    if flow_id not in flows:
        raise ComposerError(f"unknown flow {flow_id!r}{did_you_mean(flow_id, flows)}; "
                            f"flows: {', '.join(sorted(flows))}")
    return flows[flow_id]


def flow_problems(src: FlowSource, units: dict[str, UnitSource],
                  flows: dict[str, FlowSource] | None = None) -> list[str]:
    """Every problem of a flow against the units it plays and (given ``flows``) the flows it
    continues into (one line each)."""
    flow = src.flow
    out = aside_problems(src, units, flows)
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
        out += thought_problems(src, i, unit_src)
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


def check_flow(src: FlowSource, units: dict[str, UnitSource], flows: dict[str, FlowSource] | None = None) -> None:
    """Raise UnitError with the first problem of the flow, if any."""
    problems = flow_problems(src, units, flows)
    if problems:
        raise UnitError(problems[0])


class SessionComposer:
    """Composes and verifies sessions of the built-in (and the user's) flows on one world."""

    def __init__(self, conn: sqlite3.Connection, *, seed: int = 0, units_dirs: Sequence[str] = (),
                 content: tuple[dict[str, UnitSource], dict[str, FlowSource]] | None = None,
                 clock: Callable[[random.Random], datetime] | None = None) -> None:
        """``content``: the units and flows of ``units_dirs`` as :func:`load_content` gives them,
        when the caller has them already (their flows are checked again here). ``clock``: how a
        session's clock is drawn (a project's calendar; default: :func:`session_clock`)."""
        self.conn = conn
        self.clock = clock or session_clock
        self.seed = seed
        self.units, self.flows = content if content is not None else load_content(units_dirs)
        for src in self.flows.values():
            check_flow(src, self.units, self.flows)
        self.world = WorldCache(conn)
        self.templates = TemplateCache()
        self.world_seed = world_seed(conn)
        self._generators: dict[str, UnitGenerator] = {}
        self._branches: dict[int, tuple[list[Branch], list[str], list[float]]] = {}  # see _next
        self._steps: dict[str, tuple[Flow, dict[str, Any]]] = {}  # per flow id: (flow, its steps by id)
        self._remembers: dict[int, tuple[Any, list[tuple[str, Any]]]] = {}  # see _remember
        self._faker = FakerCell()  # one Faker for every generator, made when a slot first draws from one
        self._noises: dict[tuple[str, str], NoiseLayer | None] = {}  # see _noise
        self._plans: dict[tuple[str, str, str], tuple[Any, ...]] = {}  # see _step_plan
        self.verifier = SessionVerifier(conn, self.units, self.templates)
        self.composed = 0  # sessions composed: every FORGET_EVERY, the caches they filled are emptied

    def forget(self) -> None:
        """Empty together the caches sessions fill (the tools' memos, facts and validated arguments,
        the places, slots and time tables drawn…), which otherwise each start over when full, on
        schedules of their own: what they hold at most, together, then kept rising for as long as
        a run went on (as the schedules met). Emptied every :data:`FORGET_EVERY` sessions, before
        any is full, they rise and fall as one, and their highest is reached within the first
        few thousand sessions. Only what is remembered changes, never a session."""
        forget_kept(self.conn)
        for tool in TOOLS.values():
            tool.forget()
        self.world.forget()
        from twinchat.composer.time.layouts import forget_tables
        from twinchat.composer.time.resolve import forget as forget_windows

        forget_tables()
        forget_windows()

    def generator(self, unit_id: str) -> UnitGenerator:
        gen = self._generators.get(unit_id)
        if gen is None:
            gen = self._generators[unit_id] = UnitGenerator(
                self.units[unit_id], self.conn, seed=self.seed, world=self.world, templates=self.templates,
                faker=self._faker)
        return gen

    def flow(self, flow_id: str) -> Flow:
        return find_flow(self.flows, flow_id).flow

    # -- composing -------------------------------------------------------------------------
    def compose(self, flow_id: str, index: int) -> dict[str, Any]:
        """Session ``index`` of ``flow_id`` as a JSON-ready dict; the world is left unchanged."""
        if self.composed and self.composed % FORGET_EVERY == 0:
            self.forget()  # the last session is verified: nothing it remembered is asked for again
        self.composed += 1
        flow = self.flow(flow_id)
        key = f"twinchat/{self.seed}/flow/{flow.id}/{index}"
        rng = random.Random(key)
        now = self.clock(rng)
        # customer: order — the start step draws an order and remembers its owner as the customer
        customer = None if flow.customer == "order" else self._customer(rng, flow.customer)
        context: dict[str, Any] = {} if customer is None else {"customer": customer}
        turns: list[dict[str, Any]] = []
        steps: list[str] = []
        saved: list[bool] = []  # the session's scratch (open_scratch), opened before the first unit whose tool writes
        limit = None
        try:
            outcome = self._session(flow, rng, now, context, turns, steps, saved)
        except LimitError as exc:  # a template went past a limit: the session stops here and fails
            outcome, limit = None, f"turn {len(turns) + 1}: limit: {exc}"
        finally:
            if saved:  # undone without a commit (see inventory.connection.scratch)
                close_scratch(self.conn, "twinchat_session", saved[0])
        customer = context.get("customer")
        if not isinstance(customer, Record) and limit is None:
            raise ComposerError(f"flow {flow.id!r}: step {flow.start!r} did not remember a customer record")
        session = {
            "id": f"{flow.id}/{self.seed}/{index}", "flow": flow.id, "seed": self.seed, "index": index,
            "world_seed": self.world_seed, "now": format_time(now),
            "customer": dict(customer.data) if isinstance(customer, Record) else {}, "turns": turns,
            "steps": steps, "outcome": outcome,
        }
        if limit is not None:
            session["limit"] = limit
        return session

    def _session(self, flow: Flow, rng: random.Random, now: datetime, context: dict[str, Any],
                 turns: list[dict[str, Any]], steps: list[str], saved: list[bool]) -> str | None:
        """A greeting (sometimes), the flow, a second task (sometimes), a closing (sometimes); the
        outcome of the last task step played."""
        greeted = takes(flow.greeting, rng)
        if greeted:
            assert flow.greeting is not None
            self._aside(flow, flow.greeting.unit, "greeting", rng, now, context, turns, steps)
        mark = len(turns)
        outcome = self._play(flow, flow, rng, now, context, turns, steps, saved)
        if greeted and len(turns) > mark:  # greeted already: the matter comes without another 您好
            turns[mark]["content"] = drop_opener(turns[mark]["content"])
        then = pick_then(flow.then, outcome, rng)
        if then is not None:
            outcome = self._second(flow, self.flow(then.flow), rng, now, context, turns, steps, saved, outcome,
                                   then.about)
        if takes(flow.closing, rng, outcome):
            assert flow.closing is not None
            self._aside(flow, flow.closing.unit, "closing", rng, now, context, turns, steps)
        return outcome

    def _second(self, first: Flow, flow: Flow, rng: random.Random, now: datetime, context: dict[str, Any],
                turns: list[dict[str, Any]], steps: list[str], saved: list[bool], outcome: str | None,
                about: str | None = None) -> str | None:
        """The second task ``flow`` with the session's customer; its first sentence switches topic.
        A task about an order draws one of the customer's own — or is about the order the first
        task placed, remembered under ``about``; when it cannot, the session ends with its first
        task (``outcome``)."""
        customer = context.get("customer")
        if about is not None:
            placed = context.get(about)
            if not isinstance(placed, dict) or "order_no" not in placed:
                return outcome
            context["about_order"] = placed
        if flow.customer == "order":
            context["owner_done"] = orders_in(context)
            context["owner_id"] = owner_of(customer)
        mark = len(turns)
        try:
            second = self._play(first, flow, rng, now, context, turns, steps, saved)
        except NoOrder:
            return outcome
        finally:
            context.pop("owner_id", None)
            context.pop("owner_done", None)
            context.pop("about_order", None)
            context["customer"] = customer  # the session's customer stays who it is
        user = turns[mark]
        user["content"] = switch_text(user["content"], rng)
        return second

    def _aside(self, flow: Flow, unit_id: str, name: str, rng: random.Random, now: datetime,
               context: dict[str, Any], turns: list[dict[str, Any]], steps: list[str]) -> None:
        """A greeting or closing exchange: its unit played as the step ``name``."""
        generator = self.generator(unit_id)
        sample = generator.session_sample(rng, now, context, self._call)
        noise = self._noise(flow, generator)
        if noise is not None:
            sample.text = noise.apply(sample.text, protected_texts(sample.label, sample.slots), rng)
        turns += self._turns(sample, name, flow, len(steps) + 1, rng, (None, None, None), None)
        steps.append(name)

    def _play(self, first: Flow, flow: Flow, rng: random.Random, now: datetime, context: dict[str, Any],
              turns: list[dict[str, Any]], steps: list[str], saved: list[bool]) -> str | None:
        """Play ``flow``'s steps from its start onto ``turns`` and ``steps`` (named as a second
        task's when ``flow`` is not the session's ``first``); the last outcome."""
        step_by_id = self._step_index(flow)
        outcome = None
        last: tuple[Any, ...] = (None, None, None)  # the last tool call's (name, result, outcome), for thoughts
        step = step_by_id[flow.start]
        mark = len(steps)
        for _ in range(flow.max_steps):
            _, generator, noise, name, remember = self._step_plan(first, flow, step)
            if generator.writes and not saved:
                saved.append(open_scratch(self.conn, "twinchat_session"))
            if "owner_id" in context and not steps[mark:]:  # a second task's start: one of the customer's orders
                sample = owned_sample(generator, rng, now, context, self._call)
            else:
                sample = generator.session_sample(rng, now, context, self._call)
            if noise is not None:  # drawn only when there is noise: sessions without it are unchanged
                sample.text = noise.apply(sample.text, protected_texts(sample.label, sample.slots), rng)
            turns += self._turns(sample, name, flow, len(steps) + 1, rng, last, step.thought)
            steps.append(name)
            outcome = sample.outcome
            if sample.tool_call is not None:
                last = (sample.tool_call["name"], sample.result, outcome)
            if remember:  # the scope is made only for a step that remembers something
                scope = {**sample.slots, "label": sample.label, "result": sample.result, "outcome": outcome}
                for key, read in remember:
                    context[key] = read(scope)
            following = _next(step.next, outcome, rng, self._branches)
            if following == END:
                break
            step = step_by_id[following]
        return outcome

    def _step_plan(self, first: Flow, flow: Flow, step: Any) -> tuple[Any, UnitGenerator, NoiseLayer | None, str,
                                                                     list[tuple[str, Any]]]:
        """(step, its generator, noise, recorded name, remember entries), resolved once per step
        of a flow played first or as a second task after ``first``."""
        key = (first.id, flow.id, step.id)
        plan = self._plans.get(key)
        if plan is None or plan[0] is not step:
            generator = self.generator(step.unit)
            plan = self._plans[key] = (step, generator, self._noise(flow, generator),
                                       step_name(flow, first, step.id), self._remember(step))
        return plan

    def _step_index(self, flow: Flow) -> dict[str, Any]:
        """The flow's steps by id (made once per flow)."""
        steps_of = self._steps.get(flow.id)
        if steps_of is None or steps_of[0] is not flow:
            steps_of = self._steps[flow.id] = (flow, {s.id: s for s in flow.steps})
        return steps_of[1]

    def _remember(self, step: Any) -> list[tuple[str, Any]]:
        """The step's ``remember`` entries, each with its compiled expression (made once per step)."""
        known = self._remembers.get(id(step))
        if known is None or known[0] is not step:
            known = self._remembers[id(step)] = (step, [(key, self.templates.compiled(expr))
                                                       for key, expr in step.remember.items()])
        return known[1]

    def _noise(self, flow: Flow, generator: UnitGenerator) -> NoiseLayer | None:
        """The noise on a step's user text: the flow's, else its unit's (resolved once per pair)."""
        key = (flow.id, generator.unit.id)
        if key not in self._noises:
            self._noises[key] = noise_layer(flow.noise if flow.noise is not None else generator.unit.noise)
        return self._noises[key]

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

    def _turns(self, sample: Sample, step: str, flow: Flow, number: int, rng: random.Random,
               last: tuple[Any, ...], thought_source: str | None) -> list[dict[str, Any]]:
        user: dict[str, Any] = {"role": "user", "content": sample.text, "step": step, "unit": sample.unit,
                                "template": sample.template, "label": sample.label}
        if sample.refs:
            user["refs"] = sample.refs
        turns = [user]
        if sample.tool_call is not None:
            call_id = f"call_{number}"
            thought = None
            if flow.style == "react":
                thought = self.templates.render_text(thought_source or DEFAULT_THOUGHT,
                                                     thought_scope(sample, last), rng).strip()
            turns.append({"role": "assistant", "content": "", "thought": thought, "step": step,
                          "tool_calls": [{"id": call_id, **sample.tool_call}]})
            turns.append({"role": "tool", "tool_call_id": call_id, "name": sample.tool_call["name"],
                          "content": sample.result})
        if sample.reply is not None:
            turns.append({"role": "assistant", "content": sample.reply, "step": step,
                          "outcome": sample.outcome})
        return turns

    def verify(self, session: dict[str, Any], shaped: bool = False) -> list[str]:
        """Reasons the session fails (``turn N: reason``); [] when it passes (see
        :mod:`twinchat.composer.verify.sessions`). ``shaped``: its shape is known to be the Session
        model's (checked when the store read it, or :meth:`compose` just made it)."""
        return self.verifier(session, shaped)


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
