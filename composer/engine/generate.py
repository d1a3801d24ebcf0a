"""Single-unit digital twins: draw slots, render a template, compute the label, call the tool,
pick the outcome from the real result, render the reply.

Sample *i* depends only on (seed, unit, *i*): it is the same whether it is drawn alone, in a
batch, or by another worker. Its randomness comes from a stream of blocks: samples
``b·32 … b·32+31`` draw one after another from a Mersenne Twister seeded with an integer made
of a SHA-512 of ``twinchat/{seed}/{unit}`` (once per generator) and the block number *b*.
Drawn in order, as ``generate`` draws them, a block costs one seeding instead of one per
sample (seeding is the dearest step of a sample); drawn out of order, sample *i* replays the
samples of its block before it. Samples drawn with pinned values (``now``, ``fixed``,
``template_id``, ``context``: exhaustive mode, sample data for paraphrases) each have a stream
of their own, seeded with ``twinchat/{seed}/{unit}/{i}``. Tool calls that write
(a ticket) run inside a savepoint that is rolled back after the sample is verified: samples never
see each other's side effects.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import sqlite3
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from faker import Faker

from twinchat.composer.engine.unit_checks import check_unit, slot_order
from twinchat.composer.errors import ComposerError
from twinchat.composer.engine.references import item_id as reference_id
from twinchat.composer.engine.render import TemplateCache, paths_reader, variables_of
from twinchat.composer.engine.slots import SlotSampler, WorldCache
from twinchat.composer.engine.outcome_targets import Targets
from twinchat.composer.engine.slot_values import Value
from twinchat.inventory.timefmt import TIME_FORMAT
from twinchat.inventory.tools import TOOLS
from twinchat.units.errors import TwinchatError
from twinchat.units.loader import UnitSource
from twinchat.units.spec import ReferenceSlot

__all__ = ["Sample", "UnitGenerator", "plain", "session_clock", "stamp_text", "tool_writes", "STREAM_BLOCK",
           "TIME_FORMAT"]

_EPOCH = datetime(2026, 11, 16)  # a Monday; clocks fall in the four weeks after it
_DAYS, _MINUTES = 28, 16 * 60 + 30  # clocks fall on one of 28 days, at a minute from 07:00 to 23:29
_CLOCKS = _DAYS * _MINUTES


def stamp_text(moment: datetime) -> str:
    """``moment`` in TIME_FORMAT (``isoformat`` gives the same text, several times faster)."""
    if moment.tzinfo is None and moment.year >= 1000:
        return moment.isoformat(" ", "seconds")
    return moment.strftime(TIME_FORMAT)


# clock = day start + minute, and its TIME_FORMAT text = day text + minute text (small tables)
_DAY_STARTS = tuple(_EPOCH + timedelta(days=day, hours=7) for day in range(_DAYS))
_DAY_TEXTS = tuple(stamp_text(start)[:11] for start in _DAY_STARTS)
_MINUTE_STEPS = tuple(timedelta(minutes=minute) for minute in range(_MINUTES))
_MINUTE_TEXTS = tuple(f"{7 + minute // 60:02d}:{minute % 60:02d}:00" for minute in range(_MINUTES))


def _clock_at(k: int) -> tuple[datetime, str]:
    """Clock number ``k`` (day ``k // _MINUTES``, minute ``k % _MINUTES`` after 07:00) and its text."""
    day, minute = divmod(k, _MINUTES)
    return _DAY_STARTS[day] + _MINUTE_STEPS[minute], _DAY_TEXTS[day] + _MINUTE_TEXTS[minute]


def session_clock(rng: random.Random) -> datetime:
    """A plausible customer-service clock: a day in four weeks, 07:00–23:29, to the minute."""
    return _clock_at(rng.randrange(_DAYS) * _MINUTES + rng.randrange(_MINUTES))[0]


#: The clock stamped last, and its text (shared by every generator).
_last_stamp: list[Any] = [None, ""]

#: Samples per block of the sample stream (see the module docstring).
STREAM_BLOCK = 32


def _stream_key(seed: int, unit_id: str) -> int:
    """The base of a generator's seeds: a SHA-512 of seed and unit, with 64 zero bits below it."""
    digest = hashlib.sha512(f"twinchat/{seed}/{unit_id}".encode()).digest()
    return int.from_bytes(digest[:16], "big") << 64


_PLAIN = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A JSON-ready copy: slot values → their canonical value, datetimes → TIME_FORMAT strings."""
    if type(value) in _PLAIN:  # the common case, first
        return value
    if type(value) is list and _PLAIN.issuperset(map(type, value)):
        return list(value)
    if isinstance(value, Value):
        return plain(value.value)
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@dataclass
class Sample:
    """One generated sample (what ``generate`` writes, one JSON object per line)."""

    unit: str
    index: int
    template: str
    case: str | None
    now: str
    text: str
    label: dict[str, Any]
    tool_call: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    outcome: str | None = None
    reply: str | None = None
    slots: dict[str, Any] = field(default_factory=dict, repr=False)
    refs: dict[str, list[dict[str, Any]]] | None = None

    def to_json(self) -> dict[str, Any]:
        record = {
            "unit": self.unit, "index": self.index, "template": self.template, "case": self.case,
            "now": self.now, "text": self.text, "label": self.label, "tool_call": self.tool_call,
            "result": self.result, "outcome": self.outcome, "reply": self.reply,
        }
        if self.refs is not None:
            record["refs"] = self.refs
        return record


_STR_OR_NONE = frozenset({str, type(None)})


def tool_writes(tool_name: Any) -> bool:
    """Whether the tool writes to the world (an unknown tool counts as one: its call raises anyway)."""
    tool = TOOLS.get(tool_name) if isinstance(tool_name, str) else None
    return tool is None or tool.writes


def _ref_item(item: dict[str, Any]) -> dict[str, Any]:
    """What verification needs of a remembered item to resolve a reference to it."""
    return {"id": reference_id(item), "brand": item.get("brand")}


class UnitGenerator:
    """Generates samples of one unit against an open world."""

    def __init__(self, src: UnitSource, conn: sqlite3.Connection, *, seed: int = 0,
                 world: WorldCache | None = None, templates: TemplateCache | None = None,
                 faker: Faker | None = None) -> None:
        check_unit(src)
        self.src = src
        self.unit = src.unit
        self.conn = conn
        self.seed = seed
        self.templates = templates or TemplateCache()
        self.world = world or WorldCache(conn)
        # a Faker is reseeded before each use, so generators may share one (they take ms to make)
        self.sampler = SlotSampler(self.world, self.templates, faker or Faker("zh_CN"))
        self.order = slot_order(self.unit.slots)
        self._by_id = {t.id: t for t in self.unit.templates}
        self._case_cum = list(itertools.accumulate(c.weight for c in self.unit.cases))
        all_ids = [t.id for t in self.unit.templates]
        #: per case id (None: no case): the slot definitions in force and the templates allowed
        self._plans: dict[str | None, tuple[dict[str, Any], list[str]]] = {None: (dict(self.unit.slots), all_ids)}
        for c in self.unit.cases:
            self._plans[c.id] = ({**self.unit.slots, **c.slots}, list(c.templates or all_ids))
        #: the slots the outcome conditions read, when a targeted draw can be decided from them
        #: alone (see _decision_slots); they are drawn first
        decision = self._decision_slots()
        #: per case id: the compiled drawers, in slot order, and how many of them decide a
        #: targeted draw (None: only the whole draw does)
        self._drawers: dict[str | None, list[tuple[str, Any]]] = {}
        self._decide_at: dict[str | None, int | None] = {}
        for cid, (slots, _) in self._plans.items():
            first = sorted(decision) if decision is not None and decision <= set(slots) else ()
            order = slot_order(slots, first) if first or cid is not None else self.order
            self._drawers[cid] = [(n, self.sampler.compile(n, slots[n])) for n in order]
            self._decide_at[cid] = max(order.index(n) for n in first) + 1 if first else None
        #: context keys that reference slots refer to (their items travel with the sample)
        self._ref_keys = sorted({slot.key for slots, _ in self._plans.values() for slot in slots.values()
                                 if isinstance(slot, ReferenceSlot)})
        #: the label: (field, compiled expression) in declaration order
        self._label_fields = [(n, self.templates.compiled(spec.value)) for n, spec in self.unit.label.items()]
        #: per template id: (field, expression) — the template's own expression where it has one,
        #: None for a field the template leaves out
        self._label_plans = {
            t.id: [(n, None if n in t.missing else self.templates.compiled(t.label[n]) if n in t.label else fn)
                   for n, fn in self._label_fields]
            for t in self.unit.templates
        }
        #: per template id whose label fields are all bare paths (or left out): the label read
        #: in one call (see render.paths_reader)
        self._label_readers: dict[str, Any] = {}
        for t in self.unit.templates:
            paths = [None if n in t.missing else self.templates.path(t.label.get(n, spec.value))
                     for n, spec in self.unit.label.items()]
            ok = all(p is not None or n in t.missing for p, n in zip(paths, self.unit.label))
            self._label_readers[t.id] = paths_reader(paths, list(self.unit.label)) if ok else None
        #: the tool's arguments: (name, compiled expression)
        self._arguments = [(k, self.templates.compiled(e)) for k, e in self.unit.tool.arguments.items()] \
            if self.unit.tool is not None else []
        #: whether a sample needs the scope of tool arguments, outcomes and replies
        self._scoped = self.unit.tool is not None or bool(self.unit.outcomes) or bool(self.unit.replies)
        #: per target outcome of outcome_weights: the cases its draws pick from (composer/targets.py)
        self._targets = Targets(self.unit)
        #: whether the unit's tool writes (a redraw's calls are then undone by a savepoint, and a
        #: session opens its own before the unit plays)
        self.writes = self.unit.tool is not None and tool_writes(self.unit.tool.name)
        self._key = _stream_key(seed, self.unit.id)
        self._rng = random.Random(0)  # reseeded per block, or per pinned sample (module docstring)
        #: the index whose draw ``_rng`` is ready for (None: reseed first)
        self._cursor: int | None = None

    def _decision_slots(self) -> set[str] | None:
        """The slots the outcome conditions read, if they read nothing else but ``now`` (no tool,
        no label): a draw aimed at an outcome is then turned down as soon as those slots are
        drawn, not after the rest are drawn and the text rendered."""
        if not self.unit.outcome_weights or self.unit.tool is not None:
            return None
        names: set[str] = set()
        for outcome in self.unit.outcomes:
            if outcome.when is not None:
                names |= variables_of(self.templates.env, outcome.when, expression=True)[0]
        names.discard("now")
        return names if names and not names & {"label", "result", "outcome"} else None

    # -- drawing ---------------------------------------------------------------------------
    def sample(self, index: int, *, now: datetime | None = None, fixed: dict[str, Any] | None = None,
               template_id: str | None = None, context: dict[str, Any] | None = None) -> Sample:
        """Sample ``index``.

        ``fixed`` pins slot values and ``template_id`` the template (exhaustive mode: no case is
        drawn then); ``context`` feeds context slots. With ``outcome_weights`` the sample draws
        its target outcome first and is redrawn with sub-seeds, among the cases that can end in
        it (:mod:`~twinchat.composer.engine.outcome_targets`), until it has it. Drawn without
        pinned values, samples in index order go on along their block's stream; any other index
        replays its block up to it first (see the module docstring).
        """
        if self.unit.outcome_weights and fixed is None:
            base = f"twinchat/{self.seed}/{self.unit.id}/{index}"
            return self._sample(base, index, now, fixed, template_id, context, self.call, savepoints=False)
        if now is None and fixed is None and template_id is None and context is None:
            if self._cursor != index:
                self._seek(index)
            self._cursor = None  # an unexpected error leaves the stream unknown: the next draw reseeds
            following = index + 1 if (index + 1) % STREAM_BLOCK else None
            try:
                out = self._draw(index, self._rng, None, None, None, None, self.call)
            except TwinchatError:
                self._cursor = following  # a failure is reproducible: the stream is where it always is
                raise
            self._cursor = following
            return out
        self._cursor = None
        rng = self._rng
        rng.seed(f"twinchat/{self.seed}/{self.unit.id}/{index}")
        return self._draw(index, rng, now, fixed, template_id, context, self.call)

    def _seek(self, index: int) -> None:
        """Put the stream where sample ``index`` starts: seed its block, replay the samples before it."""
        start = index - index % STREAM_BLOCK
        self._rng.seed(self._key + start // STREAM_BLOCK)
        self._cursor = start
        for before in range(start, index):
            try:
                self.sample(before)
            except TwinchatError:
                pass  # that sample fails on its own; the stream goes on as when it was drawn

    def session_sample(self, rng: random.Random, now: datetime, context: dict[str, Any], call: Any) -> Sample:
        """One turn of a session, drawn from the session's own ``rng`` (which it advances: a
        session is one stream, seeded once); tool calls go through ``call`` and persist for the
        rest of the session (a redraw rejected by ``outcome_weights`` is rolled back)."""
        return self._sample(rng, 0, now, None, None, context, call, savepoints=True)

    def _sample(self, base: str | random.Random, index: int, now: datetime | None, fixed: dict[str, Any] | None,
                template_id: str | None, context: dict[str, Any] | None, call: Any, *, savepoints: bool) -> Sample:
        """A sample whose RNGs derive from the key ``base`` (a sub-seed per redraw), or that
        draws everything — its target outcome, then each redraw in turn — from the RNG ``base``."""
        shared = not isinstance(base, str)
        if not self.unit.outcome_weights or fixed is not None:
            out = self._draw(index, base if shared else random.Random(base), now, fixed, template_id, context, call)
            assert out is not None
            return out
        target = self._targets.pick(base.random()) if shared else self._targets.target(base)
        savepoints = savepoints and self.writes  # a rejected draw's writes are undone
        for attempt in range(self.unit.max_redraws):
            if savepoints:
                self.conn.execute("SAVEPOINT twinchat_attempt")
            rng = base if shared else random.Random(f"{base}/{attempt}")
            out = self._draw(index, rng, now, fixed, template_id, context, call, target)
            if savepoints:
                if out is None:
                    self.conn.execute("ROLLBACK TO twinchat_attempt")
                self.conn.execute("RELEASE twinchat_attempt")
            if out is not None:
                return out
        which = "a session's sample" if shared else f"sample {base.rsplit('/', 1)[-1]}"
        raise ComposerError(
            f"unit {self.unit.id!r}: {which} did not reach outcome {target!r} in "
            f"{self.unit.max_redraws} draws; lower its weight or raise max_redraws")

    def _draw(self, index: int, rng: random.Random, now: datetime | None, fixed: dict[str, Any] | None,
              template_id: str | None, context: dict[str, Any] | None, call: Any,
              target: str | None = None) -> Sample | None:
        """One draw; with a ``target`` outcome, its cases are those that can end in it, and a
        draw that ends elsewhere gives None before its text and reply are rendered (neither
        draws from ``rng``: an accepted draw is the same as it would be drawn untargeted)."""
        if now is None:  # a clock spread as session_clock's, from one draw
            now, stamp = _clock_at(int(rng.random() * _CLOCKS))
        elif now is _last_stamp[0]:  # a session's steps share its clock (and play several units)
            stamp = _last_stamp[1]
        else:
            stamp = stamp_text(now)
            _last_stamp[:] = (now, stamp)
        case = None
        if self.unit.cases and fixed is None:
            if target is not None:
                case = self._targets.case(target, rng)
            else:
                cum = self._case_cum  # what rng.choices(cases, cum_weights=cum) draws, without its overhead
                case = self.unit.cases[bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]
        plan = case.id if case else None
        allowed = self._plans[plan][1]
        template = self._by_id[template_id or allowed[int(rng.random() * len(allowed))]]
        values: dict[str, Any] = {}
        context = context or {}
        forced = case.outcome if case and case.outcome else None
        drawers = self._drawers[plan]
        decide_at = self._decide_at[plan] if target is not None and forced is None else None
        decided = None
        try:
            if fixed:
                for name, drawer in drawers:
                    values[name] = fixed[name] if name in fixed else drawer(rng, values, now, context)
            elif decide_at is None:
                for name, drawer in drawers:
                    values[name] = drawer(rng, values, now, context)
            else:  # the slots the outcome reads first: a draw that misses the target stops there
                for name, drawer in drawers[:decide_at]:
                    values[name] = drawer(rng, values, now, context)
                decided = self._outcome({**values, "now": now})
                if decided != target:
                    return None
                for name, drawer in drawers[decide_at:]:
                    values[name] = drawer(rng, values, now, context)
        except ComposerError as exc:  # a slot that cannot be drawn: say which unit's
            if str(exc).startswith("unit "):
                raise
            raise ComposerError(f"unit {self.unit.id!r}: {exc}") from exc
        label = self._label(values, template.id)
        tool_call = result = scope = None
        if self._scoped:
            scope = {**values, "label": label, "now": now}
            if self.unit.tool is not None and forced is None:
                args = {k: plain(fn(scope)) for k, fn in self._arguments}
                tool_call = {"name": self.unit.tool.name, "arguments": args}
                result = scope["result"] = call(tool_call, now)
            outcome = forced or decided or self._outcome(scope)
        else:
            outcome = forced
        if target is not None and outcome != target:
            return None
        text = self.templates.render(template.text, values).strip()
        out = Sample(self.unit.id, index, template.id, case.id if case else None, stamp, text, label,
                     tool_call, result, outcome, slots=values)
        if self._ref_keys:
            out.refs = {key: [_ref_item(i) for i in context[key]] for key in self._ref_keys if key in context}
        if scope is not None and outcome is not None and self.unit.replies:
            reply = rng.choice(self.unit.replies[outcome])
            scope["outcome"] = outcome  # the scope is this draw's own
            out.reply = self.templates.render(reply, scope).strip()
        return out

    def _label(self, values: dict[str, Any], template_id: str) -> dict[str, Any]:
        """The label of a template's sample: fields it leaves out are None (plans are made once)."""
        read = self._label_readers[template_id]
        if read is not None:
            try:
                label = read(values)
            except (KeyError, AttributeError):
                pass  # an undefined variable or an item step: the compiled expressions decide
            else:
                if _STR_OR_NONE.issuperset(map(type, label.values())):
                    return label
                return {name: value if type(value) is str else plain(value) for name, value in label.items()}
        label = {}
        for name, fn in self._label_plans[template_id]:
            if fn is None:
                label[name] = None
            else:
                value = fn(values)
                label[name] = value if type(value) is str else plain(value)
        return label

    def _outcome(self, scope: dict[str, Any]) -> str | None:
        for outcome in self.unit.outcomes:
            if outcome.when is None or self.templates.evaluate(outcome.when, scope):
                return outcome.id
        if self.unit.outcomes:
            raise ComposerError(f"unit {self.unit.id!r}: no outcome matches the tool result")
        return None

    def call(self, tool_call: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Run a tool call; one that writes runs inside a savepoint that is rolled back (no side
        effects between samples)."""
        from twinchat.inventory.tools import call

        if not tool_writes(tool_call["name"]):
            return call(self.conn, tool_call["name"], tool_call["arguments"], now)
        self.conn.execute("SAVEPOINT twinchat_sample")
        try:
            return call(self.conn, tool_call["name"], tool_call["arguments"], now)
        finally:
            self.conn.execute("ROLLBACK TO twinchat_sample")
            self.conn.execute("RELEASE twinchat_sample")

    # -- exhaustive mode (composer/exhaustive.py) --------------------------------------------
    def exhaustive(self, cap: int) -> tuple[int, Iterator[Sample]]:
        """(count, samples) of the cartesian product of templates × slot pools; refuses past ``cap``."""
        from twinchat.composer.engine.exhaustive import exhaustive

        return exhaustive(self, cap)
