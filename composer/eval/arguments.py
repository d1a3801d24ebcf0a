"""How each argument of a tool is compared, read from the tool's schema and its argument model.

* **Identifiers and codes** (order, product and technician numbers, phone numbers, models, enum
  values) are compared exactly: a full-width ``ＤＤ２６…`` is not ``DD26…`` (the tool would answer
  ``order_not_found``). An argument is one when its schema has an ``enum`` or ``pattern``, or its
  description names a number or code (编号, 单号, 订单号, 手机号, 号码, 型号, ID).
* **Free text** (places, names, addresses, descriptions, categories, features) is compared after
  folding width, case, spaces and punctuation, so ``深圳市 南山区`` = ``深圳市南山区``.
* **Dates and times** are accepted only in the formats the schema allows: ``date-time`` as
  ``YYYY-MM-DD HH:MM:SS`` or ISO 8601 (``T``, fractions, a zone); ``date`` as ``YYYY-MM-DD``. A zone
  is converted to the world's local time (UTC+8), so ``2026-11-24T11:00:00Z`` = ``2026-11-24 19:00:00``;
  ``20261124110000`` or ``2026/11/24 11:00:00`` is of the wrong type.
* **Defaults** come from the tool's argument model (``default`` and ``default_factory``), else from
  the schema: an omitted optional argument equals its default (``features: []`` = no ``features``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from twinchat.composer.similarity import fold_for_similarity

__all__ = ["Argument", "argument_rules", "format_ok", "local_datetime", "same_argument"]

_LOCAL = timezone(timedelta(hours=8))
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?", re.ASCII)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_IDENTIFIER_WORDS = ("编号", "单号", "订单号", "手机号", "号码", "型号", "ID")


@dataclass(frozen=True)
class Argument:
    """How one argument is compared: ``compare`` is ``exact``, ``text``, ``datetime`` or ``date``
    (for an array, how its items are); ``default`` is what an omitted argument counts as."""

    compare: str
    default: Any = None


def _branches(schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]


def _compare(schema: Mapping[str, Any], description: str) -> str:
    branches = _branches(schema)
    formats = {b.get("format") for b in branches}
    if "date-time" in formats:
        return "datetime"
    if "date" in formats:
        return "date"
    items = [b["items"] for b in branches if isinstance(b.get("items"), dict)]
    if items:
        return _compare(items[0], description)
    if any("enum" in b or "pattern" in b for b in branches):
        return "exact"
    if any(b.get("type") == "string" for b in branches):
        return "exact" if any(w in description for w in _IDENTIFIER_WORDS) else "text"
    return "exact"


def _model_defaults(name: str) -> dict[str, Any]:
    """Defaults of tool ``name``'s argument model (``default_factory`` called), if it has one."""
    from twinchat.inventory.tools import TOOLS

    tool = TOOLS.get(name)
    model = getattr(tool, "args_model", None)
    fields = getattr(model, "model_fields", None) or {}
    return {k: f.get_default(call_default_factory=True) for k, f in fields.items() if not f.is_required()}


@lru_cache(maxsize=None)
def argument_rules(name: str) -> Mapping[str, Argument]:
    """Per argument of tool ``name``: how it is compared and its default (empty for an unknown tool)."""
    from twinchat.inventory.tools import TOOLS

    tool = TOOLS.get(name)
    if tool is None:
        return {}
    params = tool.json_schema()["parameters"]
    defaults = _model_defaults(name)
    return {k: Argument(_compare(s, s.get("description") or ""), defaults.get(k, s.get("default")))
            for k, s in params.get("properties", {}).items()}


def local_datetime(text: str) -> datetime | None:
    """``text`` as a naive local datetime if it is in a format ``date-time`` allows, else None."""
    if not isinstance(text, str) or not _DATETIME.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(_LOCAL).replace(tzinfo=None) if moment.tzinfo else moment


def format_ok(rule: Argument, value: Any) -> bool:
    """Whether a string ``value`` is in a format the argument allows (other values: True)."""
    values = value if isinstance(value, list) else [value]
    for v in values:
        if not isinstance(v, str):
            continue
        if rule.compare == "datetime" and local_datetime(v) is None:
            return False
        if rule.compare == "date" and not _DATE.fullmatch(v):
            return False
    return True


def _same(compare: str, gold: Any, pred: Any) -> bool:
    if isinstance(gold, list) or isinstance(pred, list):
        return (isinstance(gold, list) and isinstance(pred, list) and len(gold) == len(pred)
                and all(_same(compare, g, p) for g, p in zip(gold, pred)))
    if isinstance(gold, bool) or isinstance(pred, bool):
        return gold is pred
    if isinstance(gold, str) and isinstance(pred, str):
        if compare == "datetime":
            return local_datetime(gold) == local_datetime(pred) is not None
        if compare == "text":
            return fold_for_similarity(gold) == fold_for_similarity(pred)
        return gold == pred
    if isinstance(gold, (int, float)) and isinstance(pred, (int, float)):
        return gold == pred
    return gold == pred


def same_argument(rule: Argument | None, gold: Any, pred: Any) -> bool:
    """Gold and predicted values of one argument agree under ``rule`` (exact when there is none)."""
    return _same(rule.compare if rule else "exact", gold, pred)
