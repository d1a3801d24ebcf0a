"""The samples of an exhaustive run, with what a request says worked out once per request.

A request pins every slot and the clock, and each of its instructions pins a template and its
alternatives (see :mod:`.exhaustive`): nothing of a sample is drawn but its reply. So the label,
the tool call, the world's result and the outcome are the same for every instruction of a
request whose template computes the label alike — only the text and the reply differ.
:class:`PinnedDraws` works them out the first time a request is said (one table entry per
request and way of computing the label, for the run) and makes each sample exactly as
``UnitGenerator.sample(index, now=…, fixed=…, template_id=…, choices=…)`` makes it; the stream of
sample *index*, which only a reply draws from, is seeded only when its reply draws.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from twinchat.composer.engine.generate import Sample, UnitGenerator
from twinchat.composer.engine.noise import protected_texts
from twinchat.inventory.timefmt import format_time

__all__ = ["PinnedDraws", "Settled"]

#: a request's tool call: (tool call, clock) → the world's result
Call = Callable[[dict[str, Any], datetime], dict[str, Any]]


@dataclass(slots=True)
class Settled:
    """What a request says in the templates that compute its label alike."""

    label: dict[str, Any]
    #: the scope of the outcome and reply (None: the unit has no tool, outcomes nor replies)
    scope: dict[str, Any] | None
    tool_call: dict[str, Any] | None
    result: dict[str, Any] | None
    outcome: str | None
    #: the reply, once rendered, when it draws nothing (the outcome's only reply, without
    #: alternatives): the same text in every sample of the request that says it so
    reply: str | None = None


class PinnedDraws:
    """The samples of one exhaustive run of ``gen`` at the clock ``now``; ``caller(request)`` makes
    the function that runs a request's tool calls."""

    def __init__(self, gen: UnitGenerator, now: datetime, caller: Callable[[int], Call]) -> None:
        self.gen = gen
        self.now = now
        self.caller = caller
        self.stamp = format_time(now)
        #: per template: how it computes the label (its own expressions, the fields it leaves out),
        #: as a number shared by the templates that compute it alike (a key made and hashed per sample)
        ways: dict[Any, int] = {}
        self._label_key = {t.id: ways.setdefault((frozenset(t.missing), tuple(sorted(t.label.items()))), len(ways))
                           for t in gen.unit.templates}
        #: per (request, label key): what the request says there
        self._settled: dict[tuple[int, Any], Settled] = {}
        #: per template: whether its text draws nothing without given choices (no alternatives)
        self._plain = {tid: alts is None for tid, alts in gen._text_alts.items()}
        #: per outcome: whether its reply draws nothing (its only one, without alternatives)
        self._drawless = {outcome: len(replies) == 1 and gen._reply_alts[replies[0]] is None
                          for outcome, replies in gen.unit.replies.items()}

    def settle(self, values: dict[str, Any], template_id: str, call: Call) -> Settled:
        """What the request ``values`` says in template ``template_id``, its tool called through ``call``
        (as ``UnitGenerator._draw`` works it out for a sample with every slot pinned)."""
        gen, now = self.gen, self.now
        label = gen._label(values, template_id)
        tool_call = result = scope = outcome = None
        if gen._scoped:
            scope = {**values, "label": label, "now": now}
            if gen.unit.tool is not None:
                tool_call = {"name": gen.unit.tool.name, "arguments": gen._call_arguments(scope)}
                result = scope["result"] = call(tool_call, now)
            outcome = gen._outcome(scope)
            if outcome is not None:
                scope["outcome"] = outcome  # only the replies read it, after the arguments
        return Settled(label, scope, tool_call, result, outcome)

    def keep(self, request: int, template_id: str, settled: Settled) -> None:
        """Remember ``settled`` as what request ``request`` says in templates like ``template_id``."""
        self._settled[request, self._label_key[template_id]] = settled

    def sample(self, index: int, request: int, values: dict[str, Any], template_id: str,
               choices: tuple[int, ...] | None, said: Settled | None = None) -> Sample:
        """Sample ``index``: request ``request`` (its pinned ``values``) in template ``template_id`` with
        its alternatives ``choices``; ``said``: what the request says there, when it is not kept."""
        gen = self.gen
        if choices is None and not self._plain[template_id]:  # its text would draw: the general path
            return gen.sample(index, now=self.now, fixed=values, template_id=template_id, call=self.caller(request))
        if said is None:
            key = (request, self._label_key[template_id])
            said = self._settled.get(key)
            if said is None:
                said = self._settled[key] = self.settle(values, template_id, self.caller(request))
        text = gen._text(gen._by_id[template_id], values, gen._rng, choices)
        tool_call = said.tool_call
        if tool_call is not None:
            tool_call = {"name": tool_call["name"], "arguments": dict(tool_call["arguments"])}
        out = Sample(gen.unit.id, index, template_id, None, self.stamp, text, dict(said.label),
                     tool_call, said.result, said.outcome, slots=dict(values))
        if gen._ref_keys:
            out.refs = {}  # a pinned sample has no context to refer to
        if said.scope is not None and said.outcome is not None and gen.unit.replies:
            reply = said.reply
            if reply is None:
                reply = self._reply(index, said.outcome, said.scope)
                if self._drawless[said.outcome]:
                    said.reply = reply
            out.reply = reply
        if gen.noise is not None:  # as UnitGenerator.sample noises a text
            rng = random.Random(f"twinchat/{gen.seed}/{gen.unit.id}/{index}/noise")
            out.text = gen.noise.apply(out.text, protected_texts(out.label, out.slots), rng)
        return out

    def _reply(self, index: int, outcome: str, scope: dict[str, Any]) -> str:
        """The reply of sample ``index``: its stream is seeded only when the reply draws (a reply
        that is the outcome's only one, without alternatives, draws nothing that is used)."""
        gen = self.gen
        if self._drawless[outcome]:
            return gen._render(gen.unit.replies[outcome][0], scope, "a reply for outcome %r", outcome)
        gen._cursor = None
        rng = gen._rng
        rng.seed(f"twinchat/{gen.seed}/{gen.unit.id}/{index}")
        return gen._reply(outcome, scope, rng)
