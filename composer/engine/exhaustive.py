"""Exhaustive mode of single-unit twins: the cartesian product of field pools × instructions.

``twinchat generate UNIT --exhaustive`` takes a pool of distinct values per field
(:mod:`.field_pools`), their cartesian product as the *requests*, and every instruction variant
(each template, each combination of its inline alternatives) for each request. A request pins
every slot of the unit: its pooled fields from the product, the others (a phone, an address
when only names and faults are pooled) drawn from the request's own stream, so all of a
request's instructions say the same request. When the unit calls a tool, a request the world
refuses (no free technician at that address and hour) has its unpooled slots drawn again, a few
times: runs are valid by default, and the product stays exactly the one previewed.

All requests share one clock. Samples come out instruction by instruction, each over every
request; sample *i* is drawn with pinned values (see :class:`UnitGenerator.sample`). This module
builds on :mod:`.generate`, never the other way round.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from twinchat.composer.engine.field_pools import FieldPool, PoolSpec, field_pools
from twinchat.composer.engine.exhaustive_draw import PinnedDraws
from twinchat.composer.engine.generate import Sample, UnitGenerator, session_clock
from twinchat.composer.engine.negatives import negative_cases, negative_count, negative_samples
from twinchat.composer.errors import ComposerError, LimitError

__all__ = ["Plan", "plan", "check_cap", "exhaustive", "REDRAWS"]

#: How often a request the world refuses has its unpooled slots drawn again.
REDRAWS = 32


@dataclass
class Plan:
    """What an exhaustive run will generate, known before anything is generated."""

    unit: str
    now: datetime
    pools: list[FieldPool]
    #: the instruction variants: (template id, choices of its alternatives, or None)
    variants: list[tuple[str, tuple[int, ...] | None]]
    templates: int
    #: instruction variants per request (all of them, or a few drawn per request)
    per_request: int
    #: per variant: the pools (by position) whose slot it does not say; it says only the
    #: requests that take the first value of each (the others would repeat its text)
    unsaid: list[frozenset[int]]
    #: negatives added on purpose (see :mod:`.negatives`) and the cases they are drawn from
    negatives: int = 0
    negative_cases: tuple[str, ...] = ()
    #: the pinned slot values of each request, made when first needed
    _requests: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)
    #: per request: its last tool call and the world's result (every instruction of a request
    #: makes the same call at the same clock on the same world, its writes rolled back)
    _results: dict[int, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict, repr=False)
    #: per pool: slot, groups, stride and size in a request's index (see _axes)
    _axes: list[tuple[str, tuple[tuple[Any, ...], ...], int, int]] | None = field(default=None, repr=False)
    #: the pools some variant leaves unsaid, in order (see chosen)
    _dims: list[int] | None = field(default=None, repr=False)
    #: the stream a request's unpooled slots are drawn from, reseeded per request (see request_values)
    _stream: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    @property
    def requests(self) -> int:
        return math.prod(p.size for p in self.pools)

    @property
    def total(self) -> int:
        """Samples: the valid ones and the negatives."""
        return self.valid + self.negatives

    @property
    def valid(self) -> int:
        """Valid samples: per pattern of which unsaid pools a request takes the first value of, its
        requests × the variants that say them (at most ``per_request``)."""
        dims = sorted(set().union(*self.unsaid))
        total = 0
        for firsts in itertools.product((True, False), repeat=len(dims)):
            first = {d for d, f in zip(dims, firsts) if f}
            n = math.prod(1 if d in first else p.size - 1 for d, p in enumerate(self.pools) if d in dims)
            n *= math.prod(p.size for d, p in enumerate(self.pools) if d not in dims)
            total += n * min(self.per_request, sum(1 for u in self.unsaid if u <= first))
        return total

    def product_line(self) -> str:
        """``user_name 10 × problem 8 × … = 960 requests``."""
        axes = " × ".join(f"{p.field} {p.size:,}" for p in self.pools) or "no pooled field"
        return f"{axes} = {self.requests:,} request{'s' if self.requests != 1 else ''}"

    def lines(self) -> list[str]:
        """The preview: the product, the instructions, the total."""
        return [
            f"{self.unit}: {self.product_line()}",
            f"instructions: {self.templates} templates, {len(self.variants):,} variants"
            + (f", {self.per_request:,} drawn per request" if self.per_request < len(self.variants) else ""),
            f"total: {self.requests:,} requests × {self.per_request:,} instruction{'s' if self.per_request != 1 else ''} "
            f"= {self.valid:,} samples"
            + (f" ({self._short} instructions leave a pooled field unsaid and say fewer requests)" if self._short else ""),
        ] + ([f"negatives: {self.negatives:,} more ({', '.join(self.negative_cases)}), "
              f"{self.total:,} samples in all"] if self.negatives else [])

    @property
    def _short(self) -> int:
        return sum(1 for u in self.unsaid if u)


def base_templates(gen: UnitGenerator) -> list[Any]:
    """The templates that say the unit's slots as declared: all of them, or, when the unit has
    cases, those of the cases that replace no slot and force no outcome (a request pins the
    declared slots; a case that draws an invalid phone is a negative, made only on purpose)."""
    cases = gen.unit.cases
    if not cases:
        return list(gen.unit.templates)
    plain_cases = [c for c in cases if not c.slots and c.outcome is None]
    allowed = {tid for c in plain_cases for tid in (c.templates or [t.id for t in gen.unit.templates])}
    return [t for t in gen.unit.templates if t.id in allowed]


def plan(gen: UnitGenerator, pools: Mapping[str, PoolSpec] | None = None, instructions: int | None = None,
         negative: float = 0.0) -> Plan:
    """The plan of ``gen``'s exhaustive run with the pools asked for (by default, see
    :func:`field_pools`), ``instructions`` variants per request (default: every one) and a
    ``negative`` rate of negatives (see :mod:`.negatives`)."""
    unit = gen.unit
    templates = base_templates(gen)
    if not templates:
        raise ComposerError(f"unit {unit.id!r}: no template says the declared slots (every case replaces some)")
    variants: list[tuple[str, tuple[int, ...] | None]] = []
    for t in templates:
        alts = gen.templates.alternatives(t.text)
        variants += [(t.id, None)] if not alts.groups else [(t.id, c) for c in alts.combinations()]
    now = session_clock(random.Random(f"twinchat/{gen.seed}/{unit.id}/clock"))
    field_list = field_pools(gen, now, pools or {}, [t.text for t in templates])
    per = len(variants) if instructions is None else min(instructions, len(variants))
    texts = {t.id: " ".join(re.findall(r"\{[{%](.*?)[}%]\}", t.text, re.S)) for t in templates}
    unsaid = [frozenset(d for d, pool in enumerate(field_list) if not re.search(rf"\b{pool.slot}\b", texts[tid]))
              for tid, _ in variants]
    out = Plan(unit.id, now, field_list, variants, len(templates), per, unsaid)
    out.negatives = negative_count(gen, out.requests, negative)
    out.negative_cases = tuple(c.id for c in negative_cases(gen)) if out.negatives else ()
    return out


def check_cap(p: Plan, cap: int) -> None:
    """Refuse a plan larger than ``cap``, saying its size."""
    if p.total > cap:
        raise ComposerError(
            f"unit {p.unit!r}: --exhaustive gives more than {cap:,} samples; raise --cap to {p.total:,} "
            f"or use smaller pools ({p.product_line()}, {p.per_request:,} instructions each)")


def _digits(index: int, pools: list[FieldPool]) -> list[int]:
    """Request ``index`` as one position per pool (the last pool varies fastest)."""
    out = []
    for size in reversed([p.size for p in pools]):
        index, d = divmod(index, size)
        out.append(d)
    return out[::-1]


def _axes(p: Plan) -> list[tuple[str, tuple[tuple[Any, ...], ...], int, int]]:
    """Per pool: its slot, its groups of values, and the stride and size of its position in a
    request's index (made once per plan)."""
    if p._axes is None:
        sizes = [pool.size for pool in p.pools]
        strides = [math.prod(sizes[d + 1:]) for d in range(len(sizes))]
        p._axes = [(pool.slot, pool.groups, stride, size) for pool, stride, size in zip(p.pools, strides, sizes)]
    return p._axes


def request_values(gen: UnitGenerator, p: Plan, index: int, attempt: int = 0) -> dict[str, Any]:
    """Every slot value of request ``index``: its pooled values, the others drawn from its own stream."""
    rng = None  # seeded when first drawn from: a request whose every slot is one pooled value draws nothing
    pinned = {slot: groups[index // stride % size] for slot, groups, stride, size in _axes(p)}
    values: dict[str, Any] = {}
    for name, drawer in gen._drawers[None]:
        group = pinned.get(name)
        if group is not None and len(group) == 1:
            values[name] = group[0]
            continue
        if rng is None:  # reseeded: the same stream as a new Random of that seed, without making one
            rng = p._stream
            rng.seed(f"twinchat/{gen.seed}/{gen.unit.id}/request/{index}/{attempt}")
        values[name] = drawer(rng, values, p.now, {}) if group is None else group[int(rng.random() * len(group))]
    return values


def _caller(gen: UnitGenerator, p: Plan, index: int) -> Callable[[dict[str, Any], datetime], dict[str, Any]]:
    """Request ``index``'s tool calls: the world's result of the same call made before, else a real call."""
    def call(tool_call: dict[str, Any], now: datetime) -> dict[str, Any]:
        known = p._results.get(index)
        if known is not None and known[0] == tool_call:
            return known[1]
        result = gen.call(tool_call, now)
        p._results[index] = (tool_call, result)
        return result
    return call


def _request(gen: UnitGenerator, p: Plan, index: int, draws: PinnedDraws | None = None) -> dict[str, Any]:
    """Request ``index``, drawn again (its unpooled slots) while the world refuses it, up to
    :data:`REDRAWS` times; the first draw stands when every one is refused. Its call is made
    (and, with ``draws``, what it says there kept) in the first variant that says every pool."""
    if index in p._requests:
        return p._requests[index]
    values = request_values(gen, p, index)
    if gen.unit.tool is not None and len(p.pools) < len(gen.unit.slots):
        first, (tid, choices) = values, p.variants[next((v for v, u in enumerate(p.unsaid) if not u), 0)]
        draws = draws or PinnedDraws(gen, p.now, lambda r: _caller(gen, p, r))
        for attempt in range(1, REDRAWS + 1):
            if _answered(gen, p, index, values, tid, choices, draws):
                break
            values = request_values(gen, p, index, attempt) if attempt < REDRAWS else first
    p._requests[index] = values
    return values


def _answered(gen: UnitGenerator, p: Plan, index: int, values: dict[str, Any], tid: str,
              choices: tuple[int, ...] | None, draws: PinnedDraws) -> bool:
    """Whether the world takes request ``index`` with ``values``: its call in template ``tid`` gives
    no error (what it says there is then kept). A refused call is told apart, as a sample of it
    would be, from one whose sample goes past a limit (which stands)."""
    try:
        settled = draws.settle(values, tid, _caller(gen, p, index))
    except LimitError:
        return True
    if not (isinstance(settled.result, dict) and "error" in settled.result):
        draws.keep(index, tid, settled)
        return True
    try:  # refused, unless its sample goes past a limit
        draws.sample(index, index, values, tid, choices, settled)
    except LimitError:
        return True
    return False


def chosen(gen: UnitGenerator, p: Plan, index: int,
           known: dict[tuple[bool, ...], list[int] | frozenset[int]] | None = None) -> frozenset[int]:
    """The instruction variants request ``index`` is said in: those whose unsaid pools it takes
    the first value of (``known``: these lists by pattern of first values, filled as met), all
    of them or ``per_request`` drawn."""
    if p._dims is None:
        p._dims = sorted(set().union(*p.unsaid))
    dims = p._dims
    digits = _digits(index, p.pools) if dims else []
    pattern = tuple(digits[d] == 0 for d in dims)
    known = {} if known is None else known
    said = known.get(pattern)
    if said is None:
        first = {d for d, f in zip(dims, pattern) if f}
        listed = [v for v, unsaid in enumerate(p.unsaid) if unsaid <= first]
        # all of them (the same set for every request of the pattern), or the list to draw from
        said = known[pattern] = frozenset(listed) if p.per_request >= len(listed) else listed
    if type(said) is frozenset:
        return said
    rng = random.Random(f"twinchat/{gen.seed}/{gen.unit.id}/instructions/{index}")
    return frozenset(rng.sample(said, p.per_request))


def samples(gen: UnitGenerator, p: Plan) -> Iterator[Sample | LimitError]:
    """The samples of plan ``p``: instruction variant by variant, each over the requests said in
    it. A sample whose template goes past a limit is its LimitError (see :func:`.generate.drawn`)."""
    index, known = 0, {}
    said = [chosen(gen, p, r, known) for r in range(p.requests)]
    draws = PinnedDraws(gen, p.now, lambda r: _caller(gen, p, r))
    requests = p._requests
    for v, (tid, choices) in enumerate(p.variants):
        for r in range(p.requests):
            if v in said[r]:
                values = requests.get(r)
                if values is None:
                    values = _request(gen, p, r, draws)
                try:
                    out: Sample | LimitError = draws.sample(index, r, values, tid, choices)
                except LimitError as exc:  # as .generate.drawn gives it
                    out = exc
                yield out
                index += 1
    yield from negative_samples(gen, p, index, lambda r: _request(gen, p, r, draws))


def exhaustive(gen: UnitGenerator, cap: int, pools: Mapping[str, PoolSpec] | None = None,
               instructions: int | None = None, negative: float = 0.0) -> tuple[int, Iterator[Sample | LimitError]]:
    """(count, samples) of ``gen``'s exhaustive run; refuses past ``cap`` with the count."""
    p = plan(gen, pools, instructions, negative)
    check_cap(p, cap)
    return p.total, samples(gen, p)
