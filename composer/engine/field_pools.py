"""Value pools per field: the axes of ``twinchat generate UNIT --exhaustive``.

A pool is the list of distinct values one field of a request takes (a tool argument, or a label
field when the unit calls no tool). Each distinct value is a *group* of the slot values that give
it: ``is_vip`` true said as "我是你们的VIP会员" or "(VIP客户)" is one value, worded either way;
"明天上午9点" and "周六上午9点" are one ``serve_time`` when they name the same window. A request
takes one group per pooled field; which wording of it appears is drawn per request.

Where values come from:

- a finite source gives every value it can take: a choice's values, an inventory slot's products
  or devices, a time slot's phrases at the clock that fit its ``hours`` and ``within_days``;
- an open source (Faker, the world's addresses and faults, …) gives ``size`` distinct values drawn
  from the slot itself, so they are exactly what the unit would draw (valid mobiles, real
  districts, faults of the slot's category);
- ``--pool field=v1,v2`` (or a list in a pools file) keeps the named values of the field's pool.

A field is named after the one label field that reads its slot (``user_name``; ``problem`` rather
than the ``category`` derived from the same fault); a slot several label fields read (an address:
province, city, …) goes by the slot's name.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from twinchat.composer.engine.generate import UnitGenerator, plain
from twinchat.composer.engine.slot_values import Record, Value
from twinchat.composer.engine.sources import slot_source
from twinchat.composer.errors import ComposerError

__all__ = ["FieldPool", "PoolSpec", "field_pools", "parse_pool_option", "read_pools_file", "DEFAULT_OPEN_SIZE"]

#: How many distinct values an open source gives a field when no size is asked for.
DEFAULT_OPEN_SIZE = 10
#: Draws an open pool may make per value asked for before it settles for fewer.
_DRAWS_PER_VALUE = 40
#: A pool asked for: a size, or the values to keep.
PoolSpec = int | list[str]
_IDENT = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class FieldPool:
    """One axis of the product: a field, the slot it reads and its distinct values (as groups)."""

    field: str
    slot: str
    #: per distinct value: the slot values that give it (the wordings a request may take)
    groups: tuple[tuple[Any, ...], ...]

    @property
    def size(self) -> int:
        return len(self.groups)


def key_of(value: Any) -> Any:
    """What a slot value contributes to a request: the canonical value behind its wording."""
    if isinstance(value, Record) and value.kind == "time":
        return plain(value.data["start"])
    if isinstance(value, Value):
        return repr(plain(value.value))
    if isinstance(value, dict) and "value" in value:
        return repr(plain(value["value"]))
    return repr(plain(value))


def _words(value: Any) -> set[str]:
    """The texts a ``--pool`` value may name a slot value by: its wording and its canonical value."""
    out = {str(value), str(key_of(value)).strip("'\""), json.dumps(plain(getattr(value, "value", value)), ensure_ascii=False)}
    if isinstance(value, dict):
        out |= {str(v) for v in value.values()} | {json.dumps(plain(v), ensure_ascii=False) for v in value.values()}
    elif isinstance(value, Value):
        out.add(str(plain(value.value)))
    return out


def _shown(value: Any) -> str:
    """How an error names a pool value: a choice's canonical value, else its wording."""
    if isinstance(value, dict) and "value" in value:
        return json.dumps(plain(value["value"]), ensure_ascii=False)
    return str(value)


def _grouped(values: list[Any]) -> list[tuple[Any, ...]]:
    """``values`` grouped by :func:`key_of`, in the order each key first appears."""
    groups: dict[Any, list[Any]] = {}
    for value in values:
        groups.setdefault(key_of(value), []).append(value)
    return [tuple(g) for g in groups.values()]


def slot_fields(gen: UnitGenerator) -> dict[str, list[str]]:
    """Per slot, the label fields that read it: those stated in the text first, then derived ones."""
    stated: dict[str, list[str]] = {}
    derived: dict[str, list[str]] = {}
    for name, spec in gen.unit.label.items():
        first = _IDENT.match(spec.value.strip())
        if first and first.group() in gen.unit.slots:
            (derived if spec.grounded == "derived" else stated).setdefault(first.group(), []).append(name)
    return {slot: stated.get(slot) or derived[slot] for slot in gen.unit.slots if slot in stated or slot in derived}


def _fits(slot: Any, start: datetime, now: datetime) -> bool:
    """Whether a time window starting at ``start`` meets the slot's ``hours`` and ``within_days``."""
    if start < now:
        return False
    if slot.within_days is not None and (start - now).total_seconds() > slot.within_days * 86400:
        return False
    return slot.hours is None or (start.hour in slot.hours and start.minute == 0)


def _finite(gen: UnitGenerator, name: str, now: datetime, rng: random.Random) -> list[tuple[Any, ...]] | None:
    """Every distinct value of a finite slot (grouped), or None for an open one."""
    slot = gen.unit.slots[name]
    source = slot_source(slot)
    if source.pool is None:
        return None
    every = source.pool(slot, gen.sampler, rng, {}, now)
    if every is None:
        return None
    if source.name == "time":
        every = [v for v in every if _fits(slot, v.data["start"], now)]
    return _grouped(every)


def _drawn(gen: UnitGenerator, name: str, now: datetime, rng: random.Random, size: int) -> list[tuple[Any, ...]]:
    """Up to ``size`` distinct values of an open slot, drawn from the slot itself."""
    drawer = dict(gen._drawers[None])[name]
    groups: dict[Any, Any] = {}
    for _ in range(size * _DRAWS_PER_VALUE):
        value = drawer(rng, {}, now, {})
        groups.setdefault(key_of(value), (value,))
        if len(groups) == size:
            break
    return list(groups.values())


def _kept(field: str, groups: list[tuple[Any, ...]], wanted: list[str]) -> list[tuple[Any, ...]]:
    """The groups ``wanted`` names (by a wording or the canonical value), in the order named."""
    out = []
    for word in wanted:
        found = [g for g in groups if any(word in _words(v) for v in g)]
        if not found:
            known = ", ".join(_shown(g[0]) for g in groups[:8])
            raise ComposerError(f"--pool {field}: no value {word!r} in its pool (values: {known}"
                                f"{', …' if len(groups) > 8 else ''})")
        out.append(found[0])
    return out


def _pool(gen: UnitGenerator, field: str, name: str, spec: PoolSpec | None, now: datetime) -> FieldPool:
    """The pool of slot ``name`` shown as ``field``: whole, ``spec`` values of it, or the values named."""
    rng = random.Random(f"twinchat/{gen.seed}/{gen.unit.id}/pool/{name}")
    groups = _finite(gen, name, now, rng)
    if isinstance(spec, list):
        if groups is None:
            raise ComposerError(f"--pool {field}: slot {name!r} is drawn from an open source; "
                                f"give a size (--pool {field}=10), not values")
        return FieldPool(field, name, tuple(_kept(field, groups, spec)))
    if groups is None:
        groups = _drawn(gen, name, now, rng, DEFAULT_OPEN_SIZE if spec is None else spec)
    elif spec is not None and spec < len(groups):
        groups = [groups[i] for i in sorted(rng.sample(range(len(groups)), spec))]
    if not groups:
        raise ComposerError(f"unit {gen.unit.id!r}: field {field!r} has no value at {now}")
    return FieldPool(field, name, tuple(groups))


def field_pools(gen: UnitGenerator, now: datetime, asked: Mapping[str, PoolSpec],
                texts: list[str] | None = None) -> list[FieldPool]:
    """The pools of a run, in slot order: the fields ``asked`` (by field or slot name), or by
    default, of the slots the template ``texts`` say, every finite one whole and every open one
    a label reads at its default size."""
    reads = slot_fields(gen)
    names = {name: (fields[0] if len(fields) == 1 else name) for name, fields in reads.items()}
    dependent = {n for n in gen.unit.slots if slot_source(gen.unit.slots[n]).uses_of(gen.unit.slots[n])}
    by_field = {**{n: n for n in gen.unit.slots}, **{f: n for n, f in names.items()}}
    chosen: dict[str, PoolSpec | None] = {}
    for field, spec in asked.items():
        slot = by_field.get(field)
        if slot is None or slot in dependent:
            why = "is drawn from another slot" if slot else "is not a field of the unit"
            poolable = sorted({names.get(n, n) for n in gen.unit.slots if n not in dependent})
            raise ComposerError(f"--pool {field}: {why}; fields: {', '.join(poolable)}")
        chosen[slot] = spec
    said = " ".join(re.findall(r"\{[{%](.*?)[}%]\}", " ".join(texts or []), re.S))
    if not asked:
        for name in gen.order:
            if name in dependent or texts is not None and not re.search(rf"\b{name}\b", said):
                continue
            if name in reads or _finite(gen, name, now, random.Random(0)) is not None:
                chosen[name] = None
    return [_pool(gen, names.get(n, n), n, chosen[n], now) for n in gen.order if n in chosen]


def parse_pool_option(text: str) -> tuple[str, PoolSpec]:
    """``FIELD=SIZE`` or ``FIELD=v1,v2,…`` (from ``--pool``)."""
    field, sep, rest = text.partition("=")
    values = [v.strip() for v in re.split(r"[,,]", rest) if v.strip()]
    if not sep or not _IDENT.fullmatch(field.strip()) or not values:
        raise ComposerError(f"--pool {text!r}: expected FIELD=SIZE or FIELD=v1,v2,…")
    if len(values) == 1 and values[0].isdigit():
        size = int(values[0])
        if size < 1:
            raise ComposerError(f"--pool {text!r}: a pool holds at least 1 value")
        return field.strip(), size
    return field.strip(), values


def read_pools_file(path: str | Path) -> dict[str, PoolSpec]:
    """A pools file: a YAML mapping of field → size, or field → list of values."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ComposerError(f"{path}: cannot read the pools file: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise ComposerError(f"{path}: a pools file maps each field to a size or a list of values")
    out: dict[str, PoolSpec] = {}
    for field, spec in data.items():
        if isinstance(spec, bool) or not (isinstance(spec, int) and spec >= 1 or isinstance(spec, list) and spec):
            raise ComposerError(f"{path}: field {field!r}: expected a size (≥ 1) or a list of values")
        out[str(field)] = spec if isinstance(spec, int) else [str(v) for v in spec]
    return out
