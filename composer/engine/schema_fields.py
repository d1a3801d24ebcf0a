"""A tool's arguments as the fields of a unit drafted from its JSON Schema (see :mod:`.schema_units`).

Each argument becomes one :class:`DraftField`: the slot its values come from, how an instruction
says it, the label expression that reads it back, and the values a robustness case says in its
place. The slot is chosen from the schema alone, first match wins:

- ``enum`` → a choice of every value (said in the description's own words when it names them,
  ``personal 个人``); ``boolean`` → 是 / 否;
- ``integer`` / ``number`` → up to ten values spread over ``minimum`` … ``maximum``;
- ``format: date-time`` / ``date`` → the time-phrase pool (clock times, days), resolved at the
  run's clock;
- a mobile number (by its ``pattern`` or its name) → valid mainland mobiles; ``format: email`` →
  Faker's emails; any other ``pattern`` → strings drawn from the pattern;
- ``examples`` (or a description's ``如 A、B、C`` of three values or more) → those values;
- otherwise by the field's name and description: a person's name, an address with on-site
  service, an order number, a fault, a district or a company from the world or Faker, and a
  Faker word when nothing fits.

Arrays of such values take one value in a list. Objects are not drafted: a required one refuses
the draft, an optional one is left out of every instruction.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from twinchat.composer.engine.pattern_values import pattern_values
from twinchat.composer.errors import ComposerError

__all__ = ["DraftField", "draft_field", "said_of", "examples_of", "plain_text", "unwrapped"]

#: values a pattern or the examples give a field (a choice: every value is in the pool)
PATTERN_VALUES = 10
#: the description's ``如 A、B、C`` with this many values reads as the list of values a field takes
_CLOSED_LIST = 3
_MOBILE = re.compile(r"手机|电话|mobile|phone|tel", re.I)
_NUMERALS = "零一二三四五六七八九十"
#: names a slot may not take: the names templates and conditions read besides the slots
_RESERVED = {"label", "now", "result", "outcome", "args", "loop", "range", "true", "false", "none"}
#: (words in the name or description, slot, expression the label reads)
_BY_MEANING: tuple[tuple[str, dict[str, Any], str], ...] = (
    (r"order_?no|订单号|订单编号", {"source": "inventory", "kind": "order"}, "{x}.order_no"),
    (r"(^|_)name$|user_?name|customer|contact|姓名|联系人|收货人|称呼|客户名", {"source": "faker", "provider": "cn_person"},
     "{x}.name"),
    (r"address|地址", {"source": "inventory", "kind": "service_address"}, "{x}.text"),
    (r"problem|fault|issue|symptom|故障|问题描述", {"source": "inventory", "kind": "fault", "category": "charging_pile"}, "{x}.text"),
    (r"district|city|region|destination|区县|城市|地区", {"source": "inventory", "kind": "district"}, "{x}.text"),
    (r"company|公司|抬头", {"source": "faker", "provider": "company"}, "{x}"),
)


def plain_text(text: str) -> str:
    """``text`` safe inside a drafted template: no Jinja2 braces or inline-alternative brackets."""
    return re.sub(r"[{}\[\]|%#]", "", text).strip()


def said_of(name: str, schema: dict[str, Any]) -> str:
    """How an instruction names a field: its description up to the first pause, its title, or its name."""
    for text in (schema.get("description"), schema.get("title")):
        head = re.split(r"[,,;;::((。.\n]", plain_text(str(text or "")), maxsplit=1)[0].strip()
        if head:
            return head
    return name


def examples_of(schema: dict[str, Any]) -> list[Any]:
    """The schema's ``examples`` (or ``example``), else the description's ``如 A、B、C``."""
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return list(schema["examples"])
    if "example" in schema:
        return [schema["example"]]
    found = re.search(r"如\s*([^;;。()(),,]+)", str(schema.get("description") or ""))
    if not found:
        return []
    return [v.strip() for v in re.split(r"[、/]|或", found.group(1)) if plain_text(v.strip())]


@dataclass(frozen=True)
class DraftField:
    """One argument of the tool, as a drafted unit says and reads it."""

    name: str
    slot_name: str
    said: str
    required: bool
    slot: dict[str, Any]
    #: the expression a template says (``{{ mention }}``) and the one the label reads
    mention: str
    value: str
    type: str
    grounded: str
    #: what an instruction may say in its place, with the wrong JSON type (``{value, text}``)
    wrong: list[dict[str, Any]] = field(default_factory=list)
    #: what the schema refuses (``{value, text}``), said and sent as is
    rejected: list[dict[str, Any]] = field(default_factory=list)
    example: str = ""


def unwrapped(schema: dict[str, Any]) -> dict[str, Any]:
    """The one non-null branch of ``anyOf``/``oneOf`` (how optional arguments are often typed)."""
    for key in ("anyOf", "oneOf"):
        branches = [b for b in schema.get(key) or [] if isinstance(b, dict) and b.get("type") != "null"]
        if len(branches) == 1:
            return {**{k: v for k, v in schema.items() if k != key}, **branches[0]}
    return schema


def _slot_name(name: str) -> str:
    slot = re.sub(r"\W", "_", name).lower().strip("_") or "value"
    if not slot[0].isalpha():
        slot = "v_" + slot
    return slot + "_value" if slot in _RESERVED else slot


def _choice(values: list[Any], texts: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    texts = texts or [str(v) for v in values]
    return {"source": "choice", "values": [{"value": v, "text": t, **extra} for v, t in zip(values, texts)]}


def _enum_texts(values: list[Any], description: str) -> list[str]:
    """Each enum value as the description words it (``return 退货退款``), or as written."""
    out = []
    for v in values:
        found = re.search(rf"(?<![A-Za-z0-9_]){re.escape(str(v))}\s*[:=:]?\s*([\u4e00-\u9fff]+)", description)
        out.append(found.group(1) if found else str(v))
    return out if len(set(out)) == len(out) else [str(v) for v in values]


def _numbers(schema: dict[str, Any]) -> tuple[list[int], list[int]]:
    """(values spread over the schema's range, values past it)."""
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in schema else 1)
    high = schema.get("maximum", schema.get("exclusiveMaximum", low + 10) - 1 if "exclusiveMaximum" in schema else low + 9)
    low, high = int(low), int(high)
    if high < low:
        return [], []
    step = max(1, (high - low) // (PATTERN_VALUES - 1))
    values = list(range(low, high + 1, step))[:PATTERN_VALUES]
    past = [high + 1] if "maximum" in schema or "exclusiveMaximum" in schema else []
    past += [low - 1] if low > 0 and ("minimum" in schema or "exclusiveMinimum" in schema) else []
    return values, past


def _spoken(n: int) -> str:
    """A small number as a customer may type it in characters (三, 十二): a text, not a number."""
    if 0 <= n <= 10:
        return _NUMERALS[n]
    return f"{_NUMERALS[n // 10] if n >= 20 else ''}十{_NUMERALS[n % 10] if n % 10 else ''}" if n < 100 else "好几"


def _string_slot(name: str, schema: dict[str, Any], x: str, rng: random.Random) -> tuple[dict[str, Any], str, str, str, list]:
    """(slot, mention, value, type/grounding, rejected) of a string field."""
    meaning = f"{name} {schema.get('description') or ''} {schema.get('title') or ''}"
    pattern = schema.get("pattern")
    if _MOBILE.search(f"{name} {said_of(name, schema)}") or pattern and re.search(pattern, "13800138000") and not re.search(pattern, "1380013800"):
        rejected = []
        if pattern:
            bad = [d for d in ("1380013800", "138001380001", "12800138000") if not re.search(pattern, d)]
            rejected = [{"value": d, "text": d} for d in bad[:2]]
        return {"source": "faker", "provider": "cn_mobile"}, x, f"{x}.digits", "phone/digits", rejected
    if schema.get("format") == "email":
        bad = [{"value": "wangwei#example.com", "text": "wangwei#example.com"}]
        return {"source": "faker", "provider": "email"}, x, x, "str/text", bad
    if pattern:
        values = pattern_values(pattern, PATTERN_VALUES, rng)
        if values:
            wrong = [v[:-1] for v in values[:3] if not re.search(pattern, v[:-1])]
            return _choice(values), f"{x}.text", f"{x}.value", "str/text", [{"value": w, "text": w} for w in wrong[:2]]
    examples = [str(v) for v in examples_of(schema) if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    if examples and ("examples" in schema or "example" in schema or len(examples) >= _CLOSED_LIST):
        return _choice(examples), f"{x}.text", f"{x}.value", "str/text", []
    for words, slot, value in _BY_MEANING:
        if re.search(words, meaning, re.I):
            return dict(slot), x, value.format(x=x), "str/text", []
    if examples:
        return _choice(examples), f"{x}.text", f"{x}.value", "str/text", []
    return {"source": "faker", "provider": "word"}, x, x, "str/text", []


def draft_field(name: str, schema: dict[str, Any], required: bool, rng: random.Random, tool: str) -> DraftField | None:
    """The drafted field of argument ``name`` (None: an optional argument that cannot be drafted)."""
    schema = unwrapped(schema)
    x, said = _slot_name(name), said_of(name, schema)
    shown = [str(v) for v in examples_of(schema)][:1]
    kind, items = schema.get("type"), None
    if kind == "array" and isinstance(schema.get("items"), dict):
        items = unwrapped(schema["items"])
        schema, kind = {**items, "description": schema.get("description"), "title": schema.get("title")}, items.get("type")
    wrong: list[dict[str, Any]] = []
    if "enum" in schema and schema["enum"]:
        values = list(schema["enum"])
        texts = _enum_texts(values, str(schema.get("description") or ""))
        slot, mention, value = _choice(values, texts), f"{x}.text", f"{x}.value"
        typed = ("int" if all(type(v) is int for v in values) else "str") + ("/text" if texts == [str(v) for v in values]
                                                                              else "/derived")
        outside = [t for t, v in zip(texts, values) if t != str(v)][:1] or ["其他"]
        rejected = [{"value": t, "text": t} for t in outside]
    elif kind == "boolean":
        slot, mention, value, typed = _choice([True, False], ["是", "否"]), f"{x}.text", f"{x}.value", "bool/derived"
        wrong, rejected = [{"value": "不确定", "text": "不确定"}], []
    elif kind in ("integer", "number"):
        values, past = _numbers(schema)
        if not values:
            raise ComposerError(f"tool {tool!r}, field {name!r}: its minimum is above its maximum; no value to draft")
        slot, mention, value = _choice(values), f"{x}.text", f"{x}.value"
        typed = "int/text" if kind == "integer" else "float/text"
        wrong = [{"value": _spoken(values[len(values) // 2]), "text": _spoken(values[len(values) // 2])}]
        rejected = [{"value": n, "text": str(n)} for n in past]
    elif kind == "string" and schema.get("format") in ("date-time", "date"):
        if schema["format"] == "date-time":
            slot = {"source": "time", "kinds": ["clock"], "hours": [9, 11, 14, 16], "within_days": 3}
            mention, value, typed = x, f"{x}.start", "datetime/time"
        else:
            slot = {"source": "time", "kinds": ["day"], "within_days": 6}
            mention, value, typed = x, f"{x}.start.strftime('%Y-%m-%d')", "str/time"
        wrong, rejected = [{"value": "尽快", "text": "尽快"}, {"value": "越快越好", "text": "越快越好"}], []
    elif kind in ("string", None):
        slot, mention, value, typed, rejected = _string_slot(name, schema, x, rng)
    elif required:
        raise ComposerError(f"tool {tool!r}, field {name!r}: a {kind or 'value'} of several fields cannot be drafted "
                            f"from the schema; write a unit for this tool (see `twinchat units`)")
    else:
        return None
    label_type, grounded = typed.split("/")
    if items is not None:
        value, label_type, wrong, rejected = f"[{value}]", "list", [], []
    return DraftField(name, x, said, required, slot, mention, value, label_type, grounded, wrong, rejected,
                      plain_text(shown[0]) if shown else "")
