"""What one slot source is: the entry a ``twinchat.slot_sources`` entry point names.

A :class:`SlotSource` bundles the source's config model (read by the spec), the maker of its
drawer, its surface forms, its load-time checks, the slots it draws from and, for a finite
source, every value it can take. Twinchat's own sources (the modules next to this one) are
entries like a plugin's.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twinchat.units.loader import did_you_mean

if TYPE_CHECKING:
    from twinchat.units.slot_sources import SlotConfig
    from twinchat.composer.engine.slots import SlotSampler

__all__ = ["SlotSource", "Drawer", "form_picker", "builtin_categories"]


@functools.lru_cache(maxsize=1)
def builtin_categories() -> tuple[str, ...]:
    """The category ids of the built-in shop (what checks go by when no world is at hand), read
    once from its categories file."""
    from twinchat.inventory.catalog_files import builtin_root, read_categories

    return tuple(c[0] for c in read_categories(builtin_root() / "categories.csv"))

#: A drawer: ``fn(rng, values, now, context)`` → the slot's value, given the values drawn so far
#: (``values``), the session clock and the session context.
Drawer = Callable[[random.Random, dict[str, Any], datetime, dict[str, Any]], Any]


@dataclass(frozen=True)
class SlotSource:
    """One slot source: everything about it, in one entry.

    The callables take the slot's config (an instance of ``config``) first. ``drawer`` is called
    once per slot when a generator is built; the function it returns is called per draw.
    """

    #: The name unit files say (``source: name``); the entry point's name.
    name: str
    #: The config model: a :class:`SlotConfig` with ``source: Literal[name]`` and the source's fields;
    #: or its place, ``"module:Name"``, imported when a unit is first validated (twinchat's own say
    #: so: a run of built-in units from their cache imports neither the models nor pydantic).
    config: type[SlotConfig] | str
    #: ``drawer(slot, name, sampler)`` → the slot's :data:`Drawer`, its lookups done once.
    drawer: Callable[[Any, str, SlotSampler], Drawer]
    #: The surface forms the source offers (the first is the default), or ``fn(slot)`` → them.
    forms: Sequence[str] | Callable[[Any], Sequence[str]] = ()
    #: ``checks(slot, name, slot_names)`` → problems (one line each, said after ``slot 'name': ``).
    checks: Callable[[Any, str, Collection[str]], list[str]] | None = None
    #: ``world_checks(slot, name, categories)`` → problems found against the world's catalog (the
    #: category ids of the world in use; the built-in shop's when no world is at hand).
    world_checks: Callable[[Any, str, Collection[str]], list[str]] | None = None
    #: ``uses(slot)`` → the other slots its value is drawn from (they are drawn first).
    uses: Callable[[Any], Iterable[str]] | None = None
    #: ``templates(slot)`` → the Jinja2 templates the slot holds, by field; each is checked at
    #: load time over the unit's other slots.
    templates: Callable[[Any], Mapping[str, str]] | None = None
    #: ``pool(slot, sampler, rng, values, now)`` → every value a finite source can take
    #: (exhaustive mode), or None: an open source (also without ``pool``), one drawn value stands for all.
    pool: Callable[[Any, SlotSampler, random.Random, dict[str, Any], datetime], list[Any] | None] | None = None

    def forms_of(self, slot: Any) -> tuple[str, ...]:
        """The forms ``slot`` may name."""
        return tuple(self.forms(slot) if callable(self.forms) else self.forms)

    def problems(self, slot: Any, name: str, slot_names: Collection[str],
                 categories: Collection[str] | None = None) -> list[str]:
        """The source's problems with ``slot`` against the world's ``categories`` (default: the
        built-in shop's), its own checks, then every form it names that the source lacks."""
        out = []
        if self.world_checks is not None:
            out += self.world_checks(slot, name, builtin_categories() if categories is None else categories)
        out += list(self.checks(slot, name, slot_names)) if self.checks is not None else []
        forms = self.forms_of(slot)
        for form in slot.forms or []:
            if form not in forms:
                out.append(f"unknown form {form!r}{did_you_mean(form, forms)}; forms: {', '.join(forms) or 'none'}")
        return out

    def uses_of(self, slot: Any) -> set[str]:
        """The slots ``slot`` is drawn from."""
        return set(self.uses(slot)) if self.uses is not None else set()

    def templates_of(self, slot: Any) -> dict[str, str]:
        """The templates ``slot`` holds, by field."""
        return dict(self.templates(slot)) if self.templates is not None else {}


def form_picker(slot: SlotConfig) -> Callable[[random.Random], str | None]:
    """``fn(rng)`` → one of the slot's forms, drawn with its weights (one ``rng.random()``), or
    None without a draw when the slot names no forms."""
    forms = slot.forms
    if not forms:
        return _no_form
    cum = list(itertools.accumulate(slot.form_weights or [1] * len(forms)))
    total = cum[-1]

    def pick(rng: random.Random) -> str | None:
        return forms[bisect.bisect(cum, rng.random() * total)]
    return pick


def _no_form(rng: random.Random) -> None:
    return None
