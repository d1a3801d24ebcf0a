"""A unit compiled for drawing: what every sample of it needs, worked out once.

:class:`CompiledUnit` holds, per case, the slot definitions in force, the templates allowed and
the compiled slot drawers in draw order; the label as compiled expressions (and, per template
whose label fields are bare paths, one reader of them all); the tool's compiled arguments; and
the outcome conditions. :class:`~twinchat.composer.engine.generate.UnitGenerator` draws samples
with them.
"""

from __future__ import annotations

import itertools
import sqlite3
from typing import TYPE_CHECKING, Any


from twinchat.composer.engine.outcome_targets import Targets
from twinchat.composer.engine.compiled_paths import paths_reader
from twinchat.composer.engine.render import TemplateCache, variables_of
from twinchat.composer.engine.slots import FakerCell, SlotSampler, WorldCache
from twinchat.composer.engine.unit_checks import check_unit, slot_order
from twinchat.composer.errors import ComposerError
from twinchat.units.cached_models import is_model
from twinchat.units.loader import UnitSource

if TYPE_CHECKING:
    from faker import Faker

__all__ = ["CompiledUnit"]


class CompiledUnit:
    """One unit's plans for drawing (checked, then compiled once per generator)."""

    def __init__(self, src: UnitSource, conn: sqlite3.Connection, world: WorldCache | None,
                 templates: TemplateCache | None, faker: Faker | FakerCell | None) -> None:
        self.world = world or WorldCache(conn)
        check_unit(src, self.world.categories)
        self.src = src
        self.unit = src.unit
        self.templates = templates or TemplateCache()
        # a Faker is reseeded before each use, so generators may share one (they take ms to make)
        self.sampler = SlotSampler(self.world, self.templates, faker)
        self.order = slot_order(self.unit.slots)
        self._by_id = {t.id: t for t in self.unit.templates}
        #: per template id, and per reply template: its alternatives, or None when it has none
        #: (a text without them is rendered as it is and draws nothing for them)
        self._text_alts = {t.id: self._alternatives(t.text) for t in self.unit.templates}
        self._reply_alts = {r: self._alternatives(r) for replies in self.unit.replies.values() for r in replies}
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
                                 if is_model(slot, "ReferenceSlot")})
        self._compile_label()
        #: the tool's arguments: (name, compiled expression)
        self._arguments = [(k, self.templates.compiled(e)) for k, e in self.unit.tool.arguments.items()] \
            if self.unit.tool is not None else []
        #: (argument, label field) per argument when each is a bare ``label.FIELD`` (see _label_arguments)
        self._from_label = _label_arguments(self)
        #: the optional arguments a call leaves out rather than sends as null (a tool file's: its
        #: JSON Schema says what each argument may be, and null is seldom one of them)
        self._omit_null = _omits_null(self.unit.tool.name) if self.unit.tool is not None else frozenset()
        #: whether a sample needs the scope of tool arguments, outcomes and replies
        self._scoped = self.unit.tool is not None or bool(self.unit.outcomes) or bool(self.unit.replies)
        #: per target outcome of outcome_weights: the cases its draws pick from (composer/targets.py)
        self._targets = Targets(self.unit)
        #: the outcomes in order, each with its compiled condition (None: always)
        self._conditions = [(o.id, None if o.when is None else self.templates.compiled(o.when))
                            for o in self.unit.outcomes]

    def _alternatives(self, text: str) -> Any:
        alts = self.templates.alternatives(text)
        return alts if alts.groups else None

    def _compile_label(self) -> None:
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
        #: in one call (see compiled.paths_reader)
        self._label_readers: dict[str, Any] = {}
        for t in self.unit.templates:
            paths = [None if n in t.missing else self.templates.path(t.label.get(n, spec.value))
                     for n, spec in self.unit.label.items()]
            ok = all(p is not None or n in t.missing for p, n in zip(paths, self.unit.label))
            self._label_readers[t.id] = paths_reader(paths, list(self.unit.label)) if ok else None

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

    def _outcome(self, scope: dict[str, Any]) -> str | None:
        for outcome, when in self._conditions:
            if when is None or when(scope):
                return outcome
        if self._conditions:
            raise ComposerError(f"unit {self.unit.id!r}: no outcome matches the tool result")
        return None


def _omits_null(tool_name: str) -> frozenset[str]:
    from twinchat.inventory.tools import tools

    return getattr(tools().get(tool_name), "omits_null", frozenset())


def _label_arguments(unit: CompiledUnit) -> list[tuple[str, str]] | None:
    """(argument, label field) for each of the unit's tool arguments when every one is a bare
    ``label.FIELD`` of a declared field (which Jinja2 reads as the label's item: no dict
    attribute shares its name); else None."""
    out = []
    tool = unit.unit.tool
    for name, expression in (tool.arguments.items() if tool is not None else ()):
        path = unit.templates.path(expression)
        head, _, field = (path or "").partition(".")
        if head != "label" or field not in unit.unit.label or "." in field or hasattr(dict, field):
            return None
        out.append((name, field))
    return out
