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
import random
import sqlite3
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from twinchat.composer.draws import below
from twinchat.composer.engine.compiled_unit import CompiledUnit
from twinchat.composer.errors import ComposerError, LimitError, NoOrder
from twinchat.composer.engine.references import item_id as reference_id
from twinchat.composer.engine.render import TemplateCache
from twinchat.composer.engine.session_clocks import CLOCKS as _CLOCKS, clock_at as _clock_at, session_clock
from twinchat.composer.engine.slots import WorldCache
from twinchat.composer.engine.slot_values import Value
from twinchat.inventory.timefmt import format_time
from twinchat.inventory.tools import ToolContext, call as call_tool, tool_writes, tools
from twinchat.inventory.tools.undone import undone_run
from twinchat.units.errors import TwinchatError
from twinchat.units.loader import UnitSource

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["Sample", "UnitGenerator", "drawn", "plain", "session_clock", "STREAM_BLOCK"]

#: The clock stamped last, and its text (shared by every generator).
_last_stamp: list[Any] = [None, ""]


def _stamp_last(moment: datetime) -> str:
    """``format_time(moment)``, kept as the clock stamped last."""
    stamp = format_time(moment)
    _last_stamp[:] = (moment, stamp)
    return stamp


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
        return format_time(value)
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

#: ``ToolContext(conn, now)`` without the Python frame of a named tuple's ``__new__`` (made per call)
_context = tuple.__new__


def drawn(draw: Callable[..., Sample], *args: Any, **kwargs: Any) -> Sample | LimitError:
    """``draw(*args, **kwargs)``, or the LimitError of a sample whose template went past a limit
    (the sample fails with that reason; the samples after it are drawn as ever)."""
    try:
        return draw(*args, **kwargs)
    except LimitError as exc:
        return exc


def _ref_item(item: dict[str, Any]) -> dict[str, Any]:
    """What verification needs of a remembered item to resolve a reference to it."""
    return {"id": reference_id(item), "brand": item.get("brand")}


def _pinned(drawers: list[tuple[str, Any]], fixed: dict[str, Any]) -> list[tuple[str, Any]]:
    """``drawers`` with those of the ``fixed`` slots giving their pinned value (drawing nothing)."""
    def pin(value: Any) -> Any:
        return lambda rng, values, now, context: value

    return [(name, pin(fixed[name]) if name in fixed else drawer) for name, drawer in drawers]


class UnitGenerator(CompiledUnit):
    """Generates samples of one unit against an open world."""

    def __init__(self, src: UnitSource, conn: sqlite3.Connection, *, seed: int = 0,
                 world: WorldCache | None = None, templates: TemplateCache | None = None,
                 faker: Faker | None = None, noise: float | None = None) -> None:
        """``noise``: the rate of surface noise on the user texts, in place of the unit's own."""
        super().__init__(src, conn, world, templates, faker)
        #: surface noise on the texts ``sample`` draws (None: none; sessions noise their own)
        self.noise = None
        if self.unit.noise is not None or noise is not None:  # the noise module only when asked for
            from twinchat.composer.engine.noise import noise_layer, protected_texts

            self.noise = noise_layer(self.unit.noise, noise)
            self._protected_texts = protected_texts
        self.conn = conn
        self.seed = seed
        #: whether the unit's tool writes (a redraw's calls are then undone by a savepoint, and a
        #: session opens its own before the unit plays)
        self.writes = self.unit.tool is not None and tool_writes(self.unit.tool.name)
        self._key = _stream_key(seed, self.unit.id)
        #: reseeded per block, per pinned sample (module docstring), or per redraw (:meth:`_sample`)
        self._rng = random.Random(0)
        #: the index whose draw ``_rng`` is ready for (None: reseed first)
        self._cursor: int | None = None

    # -- drawing ---------------------------------------------------------------------------
    def sample(self, index: int, *, now: datetime | None = None, fixed: dict[str, Any] | None = None,
               template_id: str | None = None, context: dict[str, Any] | None = None,
               choices: tuple[int, ...] | None = None, call: Callable[..., dict[str, Any]] | None = None) -> Sample:
        """Sample ``index`` (see :meth:`_sample_at`), its text noised when the generator has noise;
        ``call`` runs a pinned sample's tool call in place of :meth:`call` (exhaustive mode's reuse)."""
        out = self._sample_at(index, now, fixed, template_id, context, choices, call)
        if self.noise is not None:
            rng = random.Random(f"twinchat/{self.seed}/{self.unit.id}/{index}/noise")
            out.text = self.noise.apply(out.text, self._protected_texts(out.label, out.slots), rng)
        return out

    def _sample_at(self, index: int, now: datetime | None, fixed: dict[str, Any] | None,
                   template_id: str | None, context: dict[str, Any] | None,
                   choices: tuple[int, ...] | None, call: Callable[..., dict[str, Any]] | None = None) -> Sample:
        """Sample ``index``: ``fixed`` pins slot values, ``template_id`` the template and ``choices``
        its alternatives (exhaustive mode: no case is drawn then); ``context`` feeds context slots.
        With ``outcome_weights`` the sample draws its target outcome first and is redrawn with
        sub-seeds, among the cases that can end in it (:mod:`~twinchat.composer.engine.outcome_targets`),
        until it has it. Drawn without pinned values, samples in index order go on along their
        block's stream; any other index replays its block up to it first (see the module docstring).
        """
        if self.unit.outcome_weights and fixed is None:
            base = f"twinchat/{self.seed}/{self.unit.id}/{index}"
            return self._sample(base, index, now, fixed, template_id, context, self.call, savepoints=False)
        if now is None and fixed is None and template_id is None and context is None and choices is None:
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
        return self._draw(index, rng, now, fixed, template_id, context, call or self.call, choices=choices)

    def _seek(self, index: int) -> None:
        """Put the stream where sample ``index`` starts: seed its block, replay the samples before it."""
        start = index - index % STREAM_BLOCK
        self._rng.seed(self._key + start // STREAM_BLOCK)
        self._cursor = start
        for before in range(start, index):
            try:
                self._sample_at(before, None, None, None, None, None)
            except TwinchatError:
                pass  # that sample fails on its own; the stream goes on as when it was drawn

    def session_sample(self, rng: random.Random, now: datetime, context: dict[str, Any], call: Any) -> Sample:
        """One turn of a session, drawn from (and advancing) the session's one ``rng``; tool calls go
        through ``call`` and persist for the session (a redraw ``outcome_weights`` rejects is rolled back)."""
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
        # the sub-seeded RNGs are ``_rng`` reseeded (the stream of a new Random of that seed): a unit
        # with outcome_weights draws no sample from the block stream
        rng = base if shared else self._rng
        if not shared:
            self._cursor = None
            rng.seed(f"{base}/outcome")
        target = self._targets.pick(rng.random())
        savepoints = savepoints and self.writes  # a rejected draw's writes are undone
        for attempt in range(self.unit.max_redraws):
            if savepoints:
                self.conn.execute("SAVEPOINT twinchat_attempt")
            if not shared:
                rng.seed(f"{base}/{attempt}")
            out = self._draw(index, rng, now, fixed, template_id, context, call, target)
            if savepoints:
                if out is None:
                    self.conn.execute("ROLLBACK TO twinchat_attempt")
                self.conn.execute("RELEASE twinchat_attempt")
            if out is not None:
                return out
        which = "a session's sample" if shared else f"sample {base.rsplit('/', 1)[-1]}"
        raise ComposerError(f"unit {self.unit.id!r}: {which} did not reach outcome {target!r} in "
                            f"{self.unit.max_redraws} draws; lower its weight or raise max_redraws")

    def _call_arguments(self, scope: dict[str, Any]) -> dict[str, Any]:
        """The tool call's arguments; optional ones without a value are left out where the tool
        says its calls omit them (a tool file's), else they are null. Arguments that are each a bare
        ``label.FIELD`` are read straight from the label."""
        from_label = self._from_label
        if from_label is not None:
            label = scope["label"]
            args = {k: plain(label[name]) for k, name in from_label}
        else:
            args = {k: plain(fn(scope)) for k, fn in self._arguments}
        if self._omit_null:
            args = {k: v for k, v in args.items() if v is not None or k not in self._omit_null}
        return args

    def _draw(self, index: int, rng: random.Random, now: datetime | None, fixed: dict[str, Any] | None,
              template_id: str | None, context: dict[str, Any] | None, call: Any,
              target: str | None = None, choices: tuple[int, ...] | None = None, case: Any = None) -> Sample | None:
        """One draw; with a ``target`` outcome, its cases are those that can end in it, and a
        draw that ends elsewhere gives None before its text and reply are rendered (neither
        draws from ``rng``: an accepted draw is the same as it would be drawn untargeted); a ``case``
        given is the one it would draw first (drawn already: see asides.owned_sample)."""
        if now is None:  # a clock spread as session_clock's, from one draw
            now, stamp = _clock_at(int(rng.random() * _CLOCKS))
        else:  # a session's steps share its clock (and play several units): its text is made once
            stamp = _last_stamp[1] if now is _last_stamp[0] else _stamp_last(now)
        if self.unit.cases and fixed is None and case is None:
            cum = self._case_cum  # untargeted: what rng.choices(cases, cum_weights=cum) draws, without its overhead
            case = self._targets.case(target, rng) if target is not None \
                else self.unit.cases[bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]
        plan = case.id if case else None
        allowed = self._plans[plan][1]
        template = self._by_id[template_id or allowed[int(rng.random() * len(allowed))]]
        values: dict[str, Any] = {}
        context = context or {}
        forced = case.outcome if case and case.outcome else None
        drawers = self._drawers[plan] if not fixed else _pinned(self._drawers[plan], fixed)
        decide_at = self._decide_at[plan] if target is not None and forced is None else None
        decided = None
        try:
            for name, drawer in drawers if decide_at is None else drawers[:decide_at]:
                values[name] = drawer(rng, values, now, context)
            if decide_at is not None:  # the slots the outcome reads came first: a draw that misses the target stops
                decided = self._outcome({**values, "now": now})
                if decided != target:
                    return None
                for name, drawer in drawers[decide_at:]:
                    values[name] = drawer(rng, values, now, context)
        except NoOrder:  # none of one customer's orders (a second task) fits this case: draw again
            return None
        except ComposerError as exc:  # a slot that cannot be drawn: say which unit's
            if str(exc).startswith("unit "):
                raise
            raise type(exc)(f"unit {self.unit.id!r}: {exc}") from exc
        label = self._label(values, template.id)
        tool_call = result = scope = None
        outcome = forced
        if self._scoped:
            scope = {**values, "label": label, "now": now}
            if self.unit.tool is not None and forced is None:
                tool_call = {"name": self.unit.tool.name, "arguments": self._call_arguments(scope)}
                result = scope["result"] = call(tool_call, now)
            outcome = forced or decided or self._outcome(scope)
        if target is not None and outcome != target:
            return None
        text = self._text(template, values, rng, choices)
        out = Sample(self.unit.id, index, template.id, case.id if case else None, stamp, text, label,
                     tool_call, result, outcome, slots=values)
        if self._ref_keys:
            out.refs = {key: [_ref_item(i) for i in context[key]] for key in self._ref_keys if key in context}
        if scope is not None and outcome is not None and self.unit.replies:
            scope["outcome"] = outcome  # the scope is this draw's own
            out.reply = self._reply(outcome, scope, rng)
        return out

    def _render(self, source: str, scope: dict[str, Any], what: str, name: str) -> str:
        """``source`` rendered (stripped); any failure to render names the unit and ``what``
        (a format of ``name``, made only then)."""
        try:
            return self.templates.render(source, scope).strip()
        except ComposerError as exc:
            raise type(exc)(f"unit {self.unit.id!r}, {what % (name,)}: {exc}") from exc

    def _reply(self, outcome: str, scope: dict[str, Any], rng: random.Random) -> str:
        """A reply of ``outcome``, its alternatives drawn only when it has some."""
        replies = self.unit.replies[outcome]  # drawn as rng.choice draws (which refuses an empty list)
        reply = replies[below(rng.getrandbits, len(replies))] if replies else rng.choice(replies)
        alts = self._reply_alts[reply]
        if alts is not None:
            reply, scope = alts.source, alts.scope(scope, alts.draw(rng))
        return self._render(reply, scope, "a reply for outcome %r", outcome)

    def _text(self, template: Any, values: dict[str, Any], rng: random.Random,
              choices: tuple[int, ...] | None) -> str:
        """The user text: a template's alternatives drawn (or ``choices`` taken) only when it has some."""
        alts = self._text_alts[template.id]
        if alts is None:
            return self._render(template.text, values, "template %r", template.id)
        picked = alts.draw(rng) if choices is None else choices
        return self._render(alts.source, alts.scope(values, picked), "template %r", template.id)

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

    def call(self, tool_call: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Run a tool call; one that writes has its writes undone at once (:func:`undone_run`: in a
        transaction or savepoint rolled back, or none for a tool that only owes its writes)."""
        name = tool_call["name"]
        tool = tools().get(name) if isinstance(name, str) else None
        if tool is None:  # call_tool says what is wrong with the name
            run = partial(call_tool, self.conn, name, tool_call["arguments"], now)
        else:  # what call_tool does, without its look-ups again
            ctx, arguments = _context(ToolContext, (self.conn, now)), tool_call["arguments"]
            if not tool.writes:
                return tool(ctx, arguments)
            run = partial(tool, ctx, arguments)
        return undone_run(self.conn, run, tool is not None and tool.owes_writes, "twinchat_sample")
