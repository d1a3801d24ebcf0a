"""The robustness cases a written unit does not declare, derived for ``--negative`` runs.

A unit that calls a tool declares its own negatives as cases (``ticket_create_call``'s mistyped
mobile: a value the API rejects). For an exhaustive run with ``--negative``, :func:`with_negatives`
adds, from the tool's schema and the unit's own templates, the two kinds a schema implies:

- **a required argument left out**: for each required argument the unit states (its label field
  found in the text, read from one slot), copies of the first templates whose clause saying that
  slot can be cut (a clause between pauses — ,。;!? — that says no other slot), the field
  ``missing``, no call, and a reply that asks for it (``missing_FIELD``);
- **a wrong type**: for each argument typed boolean, integer, number, date or date-time, copies of
  the first templates that say its slot plainly (``{{ when }}``, ``{{ vip.text }}``), saying
  instead what a customer types that is not of that type (尽快, 不确定), sent as said; the tool
  answers with its error and the reply asks again (``wrong_type_SLOT``, see :mod:`.negatives`).

The unit's existing cases keep their templates (named, where they allowed every template) and
the new outcomes come first, so the valid samples of a run are the same with or without them.
Runs without ``--negative`` never see the added cases.
"""

from __future__ import annotations

import random
import re
from typing import Any

import yaml

from twinchat.composer.engine.negatives import WRONG_TYPE
from twinchat.composer.engine.schema_fields import draft_field, said_of, unwrapped
from twinchat.composer.engine.schema_units import action_of, tool_schema
from twinchat.units.loader import UnitSource

__all__ = ["with_negatives"]

#: templates per added case (the first that can say it)
_PER_CASE = 2
_PAUSES = ",,。;;!!??"
_SLOTS = re.compile(r"\{[{%]-?\s*([A-Za-z_]\w*)")
_LABEL_ARG = re.compile(r"^\s*label\.([A-Za-z_]\w*)\s*$")


def _clauses(text: str) -> list[str]:
    """``text`` cut after each pause that is outside ``{{ }}``, ``{% %}`` and ``[…|…]``."""
    out, current, depth, i = [], "", 0, 0
    while i < len(text):
        pair = text[i:i + 2]
        if pair in ("{{", "{%", "}}", "%}"):
            depth += 1 if pair[0] == "{" else -1
            current, i = current + pair, i + 2
            continue
        ch = text[i]
        depth += (ch == "[") - (ch == "]")
        current += ch
        if depth == 0 and ch in _PAUSES:
            out.append(current)
            current = ""
        i += 1
    return out + ([current] if current else [])


def _without(text: str, slot: str) -> str | None:
    """``text`` with every clause that says ``slot`` (and no other slot) cut, or None when one cannot be."""
    clauses = _clauses(text)
    kept = [c for c in clauses if set(_SLOTS.findall(c)) != {slot}]
    rest = "".join(kept).strip()
    if not rest or slot in _SLOTS.findall(rest) or not _SLOTS.search(rest):
        return None
    if kept[-1] is not clauses[-1] and rest[-1] in ",,;;":  # the last clause went: end as a sentence ends
        rest = rest[:-1] + "。"
    return rest


def _swapped(text: str, slot: str) -> str | None:
    """``text`` with its plain mentions of ``slot`` said as ``{{ slot.text }}``, or None when it says it otherwise."""
    plain = re.compile(rf"\{{\{{\s*{slot}(?:\.\w+)?\s*\}}\}}")
    if not plain.search(text):
        return None
    swapped = plain.sub(f"{{{{ {slot}.text }}}}", text)
    others = [m for m in re.finditer(rf"\b{slot}\b", swapped)]
    return swapped if len(others) == len(plain.findall(text)) else None


def _stated(unit: Any, schema: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any], bool]]:
    """(argument, label field, slot, argument schema, required) of each argument the unit states."""
    params = schema.get("parameters") or {}
    required = set(params.get("required") or [])
    out = []
    for arg, expression in (unit.tool.arguments if unit.tool else {}).items():
        found = _LABEL_ARG.match(expression)
        spec = unit.label.get(found.group(1)) if found else None
        head = re.match(r"\s*\[?\s*([A-Za-z_]\w*)", spec.value) if spec else None
        prop = (params.get("properties") or {}).get(arg)
        if head and head.group(1) in unit.slots and isinstance(prop, dict):
            out.append((arg, found.group(1), head.group(1), unwrapped(prop), arg in required))
    return out


def _added(unit: Any, schema: dict[str, Any], bases: list[Any]) -> tuple[list, list, list, dict]:
    """(templates, cases, outcomes, replies) the unit gains (module docstring)."""
    action = action_of(schema)
    templates, cases, outcomes, replies = [], [], [], {}
    taken = {c.id for c in unit.cases}
    reads = {name: re.match(r"\s*\[?\s*(\w+)", spec.value).group(1) for name, spec in unit.label.items()}  # type: ignore[union-attr]
    for arg, field, slot, prop, required in _stated(unit, schema):
        said = said_of(arg, prop)
        if required and unit.label[field].grounded != "derived" and f"missing_{field}" not in taken:
            cut = [(t, text) for t in bases if (text := _without(t.text, slot))][:_PER_CASE]
            if cut:
                gone = sorted({n for n, s in reads.items() if s == slot})
                ids = [f"{t.id}-no-{field}" for t, _ in cut]
                templates += [{"id": i, "text": text, "missing": sorted({*t.missing, *gone})}
                              for i, (t, text) in zip(ids, cut)]
                cases.append({"id": f"missing_{field}", "weight": 1, "templates": ids, "outcome": f"missing_{field}"})
                replies[f"missing_{field}"] = [f"好的,{action}还需要您的{said},麻烦告诉我一下?"]
        wrong = draft_field(arg, prop, required, random.Random(0), schema["name"])
        oid = WRONG_TYPE + slot
        if not wrong or not wrong.wrong or oid in taken or any(c["id"] == oid for c in cases):
            continue
        swapped = [(t, text) for t in bases if (text := _swapped(t.text, slot))][:_PER_CASE]
        if not swapped:
            continue
        values = [{"value": v["value"], "text": f"{said}:{v['text']}," if wrong.type == "bool" else v["text"],
                   "negative": "wrong_type"} for v in wrong.wrong]
        ids = [f"{t.id}-wrong_type-{slot}" for t, _ in swapped]
        templates += [{"id": i, "text": text, "label": {field: f"{slot}.value"},
                       **({"missing": list(t.missing)} if t.missing else {})} for i, (t, text) in zip(ids, swapped)]
        cases.append({"id": oid, "weight": 1, "templates": ids, "produces": [oid],
                      "slots": {slot: {"source": "choice", "values": values}}})
        outcomes.append({"id": oid, "when": f"'error' in result and {slot}.negative is defined "
                                            f"and {slot}.negative == 'wrong_type'"})
        what = {"bool": "是或否", "int": "数字", "float": "数字"}.get(wrong.type, "具体的日期和时间")
        replies[oid] = [f"{said}需要一个{what},“{{{{ {slot}.value }}}}”没法填:{{{{ result.error.message|times_said(now) }}}}。"
                        f"麻烦再告诉我一下{said}。"]
    return templates, cases, outcomes, replies


def with_negatives(src: UnitSource) -> UnitSource:
    """``src`` with the robustness cases its tool's schema implies and it does not declare (or
    ``src`` itself, for a unit without a tool or when there is none to add)."""
    from twinchat.composer.engine.exhaustive import base_templates
    from twinchat.composer.engine.schema_units import validated
    from twinchat.units.spec import Unit

    unit = src.unit
    if unit.tool is None:
        return src
    bases = base_templates(_Bare(unit))
    templates, cases, outcomes, replies = _added(unit, tool_schema(unit.tool.name), bases)
    if not cases:
        return src
    data = unit.model_dump(mode="json", exclude_defaults=True)
    every = [t.id for t in unit.templates]
    data["cases"] = [{**c, "templates": c.get("templates") or every} for c in data.get("cases", [])] + cases
    if len(data["cases"]) == len(cases):  # no case before: the declared templates are the plain case
        data["cases"].insert(0, {"id": "declared", "weight": 1, "templates": every,
                                 "produces": [o.id for o in unit.outcomes]})
    data["templates"] = data["templates"] + templates
    data["outcomes"] = outcomes + data.get("outcomes", [])
    data["replies"] = {**data.get("replies", {}), **replies}
    return UnitSource(unit=validated(Unit, data, unit.tool.name), path=src.path,
                      node=yaml.compose(yaml.safe_dump(data, allow_unicode=True, sort_keys=False)))


class _Bare:
    """What :func:`~.exhaustive.base_templates` reads of a generator: its unit."""

    def __init__(self, unit: Any) -> None:
        self.unit = unit
