"""Splits and hygiene: seeded train/valid/test, template hold-out, exact and near-duplicate removal.

* **Split.** Every unit of splitting (a session, or a sample) is ranked by a hash of (seed, its id),
  so the split depends on the seed and the ids only — not on the order things were read in —
  and the shares are met exactly (``round(n · share)``; test takes the rest).
* **Hold-out.** With ``holdout=True`` whole templates are kept out of train: templates are taken
  in a seeded order and held out while, in every flow, the sessions using them still fit in the
  valid + test share; a flow that got none then holds out its template used least (so valid and
  test cover every flow that can be held out), and a unit never loses all its templates. Every session
  that uses a held-out template goes to valid or test, so neither a held-out template nor any
  template combination of a valid/test session occurs in train. Both overlaps are counted from
  the assignment, not assumed.
* **Dedup.** A record whose text is identical to an earlier one is an exact duplicate; one whose
  :func:`fold_for_similarity`\\ d text is, a near duplicate (case, width, spaces, punctuation). The first
  one read is kept.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from twinchat.composer.errors import ComposerError
from twinchat.composer.similarity import fold_for_similarity

__all__ = ["SPLITS", "Deduper", "SplitItem", "SplitPlan", "parse_split", "plan_split"]

SPLITS = ("train", "valid", "test")


def parse_split(value: str | Sequence[float]) -> tuple[float, float, float]:
    """``"0.9,0.05,0.05"`` (or three numbers) → train, valid, test shares; they must sum to 1."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
        try:
            shares = [float(p) for p in parts]
        except ValueError:
            raise ComposerError(f"split {value!r}: three numbers like 0.9,0.05,0.05 expected") from None
    else:
        shares = [float(x) for x in value]
    if not all(math.isfinite(x) for x in shares):
        raise ComposerError(f"split {value!r}: shares must be finite numbers like 0.9,0.05,0.05")
    if len(shares) != 3:
        raise ComposerError(f"split {value!r}: three shares (train, valid, test) expected, got {len(shares)}")
    if any(s < 0 for s in shares) or abs(sum(shares) - 1.0) > 1e-6:
        raise ComposerError(f"split {value!r}: shares must be 0 or more and sum to 1 (they sum to {sum(shares):g})")
    if shares[0] <= 0:
        raise ComposerError(f"split {value!r}: the train share must be above 0")
    return shares[0], shares[1], shares[2]


def _rank(seed: int, key: str) -> bytes:
    return hashlib.blake2b(f"{seed}\0{key}".encode(), digest_size=8).digest()


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


class Deduper:
    """Remembers digests of the texts seen; ``check(text)`` says ``"exact"``, ``"near"`` or None."""

    def __init__(self) -> None:
        self._exact: set[bytes] = set()
        self._near: set[bytes] = set()
        self.counts: Counter[str] = Counter()

    def check(self, text: str) -> str | None:
        exact, near = _digest(text), _digest(fold_for_similarity(text))
        if exact in self._exact:
            kind: str | None = "exact"
        elif near in self._near:
            kind = "near"
        else:
            kind = None
        if kind:
            self.counts[kind] += 1
        else:
            self._exact.add(exact)
            self._near.add(near)
        return kind


@dataclass
class SplitItem:
    """What the splitter knows of one session or sample: its id, ``unit:template`` keys and group."""

    key: str
    templates: tuple[str, ...]
    #: the flow (or, for samples, the unit): the hold-out fills each group's share on its own
    group: str = ""


@dataclass
class SplitPlan:
    """Where every item goes, and what the hold-out did."""

    assign: dict[str, str] = field(default_factory=dict)
    held_out: list[str] = field(default_factory=list)
    #: held-out templates found in train, and valid/test template combinations found in train (both 0)
    overlap_templates: int = 0
    overlap_combinations: int = 0

    def train_templates(self, items: Sequence[SplitItem]) -> set[str]:
        return {t for it in items if self.assign[it.key] == "train" for t in it.templates}


def _cut(keys: list[str], shares: Sequence[float], names: Sequence[str], seed: int) -> dict[str, str]:
    """Assign ``keys`` (ranked by seed) to ``names`` in proportion to ``shares``; the last takes the rest."""
    ranked = sorted(keys, key=lambda k: (_rank(seed, k), k))
    total = sum(shares)
    out: dict[str, str] = {}
    start = 0
    for k, (name, share) in enumerate(zip(names, shares)):
        end = len(ranked) if k == len(names) - 1 else start + round(len(ranked) * share / total) if total else start
        for key in ranked[start:end]:
            out[key] = name
        start = end
    return out


def _held_templates(items: Sequence[SplitItem], share: float, seed: int) -> list[str]:
    """Templates to hold out: per group (flow), while its sessions using them fit in its share."""
    users: dict[str, list[int]] = {}
    for n, it in enumerate(items):
        for t in set(it.templates):
            users.setdefault(t, []).append(n)
    per_unit = Counter(t.split(":", 1)[0] for t in users)
    sizes = Counter(it.group for it in items)
    target = {g: round(k * share) for g, k in sizes.items()}
    held: list[str] = []
    held_units: Counter[str] = Counter()
    out = [False] * len(items)
    count: Counter[str] = Counter()

    def hold(t: str) -> None:
        held.append(t)
        held_units[t.split(":", 1)[0]] += 1
        for n in users[t]:
            if not out[n]:
                out[n] = True
                count[items[n].group] += 1

    def allowed(t: str) -> bool:  # the unit keeps at least one template in train
        unit = t.split(":", 1)[0]
        return held_units[unit] + 1 < per_unit[unit]

    order = sorted(users, key=lambda t: (_rank(seed, t), t))
    for t in order:
        if not allowed(t):
            continue
        extra = Counter(items[n].group for n in users[t] if not out[n])
        if extra and all(count[g] + k <= target[g] for g, k in extra.items()):
            hold(t)
    for group in sorted(sizes):  # every group gets some held-out sessions, if it can
        if count[group] or not target[group]:
            continue
        mine = [t for t in order if allowed(t) and any(items[n].group == group for n in users[t])]
        if mine:
            hold(min(mine, key=lambda t: sum(1 for n in users[t] if not out[n])))
    if not held:
        raise ComposerError("cannot hold templates out: every unit exported has a single template")
    return sorted(held)


def plan_split(items: Sequence[SplitItem], shares: Sequence[float], seed: int, holdout: bool = False) -> SplitPlan:
    """Assign every item to train, valid or test (see the module docstring)."""
    plan = SplitPlan()
    keys = [it.key for it in items]
    if len(set(keys)) != len(keys):
        dup = next(k for k, n in Counter(keys).items() if n > 1)
        raise ComposerError(f"{dup}: the same id twice in one export")
    if not holdout:
        plan.assign = _cut(keys, shares, SPLITS, seed)
        return plan
    out_share = shares[1] + shares[2]
    if out_share <= 0:
        raise ComposerError("--holdout-templates needs a valid or test share above 0")
    plan.held_out = _held_templates(items, out_share, seed)
    held = set(plan.held_out)
    inside = [it.key for it in items if not held.intersection(it.templates)]
    outside = [it.key for it in items if held.intersection(it.templates)]
    plan.assign = {k: "train" for k in inside}
    plan.assign.update(_cut(outside, shares[1:], SPLITS[1:], seed))
    train_templates = plan.train_templates(items)
    plan.overlap_templates = len(held & train_templates)
    train_combos = {frozenset(it.templates) for it in items if plan.assign[it.key] == "train"}
    plan.overlap_combinations = sum(1 for it in items
                                    if plan.assign[it.key] != "train" and frozenset(it.templates) in train_combos)
    return plan
