"""Outcome-targeted drawing: which of a unit's cases a sample with a target outcome draws from.

A unit with ``outcome_weights`` draws each sample's outcome first — so the shares follow the
weights — and then draws the sample until its real result ends in that outcome. A draw whose
case cannot end there is wasted work (a tool call, usually), so the draws for a target pick only
among the cases that can end in it, in proportion to their weights:

* a case with ``outcome`` ends in that outcome (it makes no tool call);
* a case with ``produces`` is drawn for those outcomes only (a declaration: a draw that ends
  elsewhere is still redrawn, so a wrong declaration costs draws, never a wrong sample);
* any other case can end in any outcome of the unit's ``outcomes``.

Restricting the draws to those cases leaves what a sample of a target looks like as it was:
each case still contributes in proportion to its weight times the chance that its draws end in
the target (cases that cannot end there contribute nothing either way).
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from twinchat.units.spec import Case, Unit

__all__ = ["Targets"]


class Targets:
    """A unit's targetable outcomes, and per target the cases its draws pick from."""

    def __init__(self, unit: Unit) -> None:
        weights = unit.outcome_weights or {}
        self.ids = sorted(weights)
        self._cum = list(itertools.accumulate(weights[i] for i in self.ids))
        #: target -> (cases that can end in it, their cumulative weights)
        self.cases: dict[str, tuple[list[Case], list[float]]] = {}
        for target in self.ids:
            pool = [c for c in unit.cases if target in unit.case_outcomes(c)]
            self.cases[target] = (pool, list(itertools.accumulate(c.weight for c in pool)))

    def target(self, base: str) -> str:
        """The target outcome of the sample whose RNGs derive from ``base`` (as ``random.choices`` draws it)."""
        return self.pick(random.Random(f"{base}/outcome").random())

    def pick(self, u: float) -> str:
        """The target outcome a uniform draw ``u`` in [0, 1) picks, in proportion to the weights."""
        cum = self._cum
        return self.ids[bisect(cum, u * cum[-1], 0, len(cum) - 1)]

    def case(self, target: str, rng: random.Random) -> Any:
        """A case for a draw towards ``target`` (one ``rng.random()``, as the untargeted draw takes)."""
        pool, cum = self.cases[target]
        return pool[bisect(cum, rng.random() * cum[-1], 0, len(cum) - 1)]
