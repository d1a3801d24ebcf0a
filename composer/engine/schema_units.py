"""Units drafted from a tool's schema: instruction → call pairs for a tool no unit calls.

``twinchat generate --tool NAME`` drafts, from the tool's JSON Schema alone (a declared tool's
``parameters``, a built-in's argument model), the unit a writer would start from:

- one slot per argument (see :mod:`.schema_fields` for where its values come from);
- instruction templates of one clause per argument (``回电手机号是13812345678``), named from the
  argument's description, its title or its name, in varied orders; optional arguments are left
  implicit in some templates (the call then leaves them out);
- or, with ``shape="action"``, the ReAct step an agent writes before a call
  (``Action: 预约客服回电,客户姓名为张伟,…``);
- a label and a call that read every argument back, and replies for success and a tool error.

With ``negatives``, the draft also holds the robustness cases (made on purpose by
``--negative``, see :mod:`.negatives`): per required argument, an instruction that leaves it out
and a reply that asks for it, with no call (``missing_X``); per argument a customer can say with
the wrong JSON type (是否加急: 不确定; 数量: 三; 时间: 尽快), the call carrying it as said, the tool's
error and a reply that asks again (``wrong_type_X``); per argument the schema restricts (an enum,
a pattern, a range), a value it refuses, with the error and the reply (``rejected_X``).

The draft is validated as any unit file is, and generated, verified and exported like one.
"""

from __future__ import annotations

import random
import re
import sqlite3
from dataclasses import dataclass, replace
from typing import Any

import yaml

from twinchat.composer.engine.schema_fields import DraftField, draft_field, plain_text
from twinchat.composer.errors import ComposerError
from twinchat.units.loader import UnitSource, did_you_mean

__all__ = ["SHAPES", "action_of", "draft_unit", "drafted_id", "save_draft", "tool_schema", "validated"]

#: the shapes of a drafted instruction: the customer's words, or the ReAct step before a call
SHAPES = ("instruction", "action")
#: how many templates a draft holds, per shape
TEMPLATES = {"instruction": 6, "action": 4}
_LEADS = ("你好,我想{action}。", "麻烦帮我{action}:", "{action}。", "我要{action},", "请帮忙{action}:", "")
_ENDS = ("。", ",谢谢。", "", "。麻烦了", "。", "")
_CLAUSES = ("{said}是{m}", "{said}:{m}", "{said}{m}")
#: a number's description that asks for it (几条, 多少个): the value is said in its place
_COUNT_ASKED = re.compile(r"几|多少(?=[个条项次天件张位台份种页])")
#: templates per robustness case (copies of the first templates that say the argument)
_PER_CASE = 2


@dataclass
class _Draft:
    """One drafted template: its clauses (argument, text) between a lead and an end."""

    id: str
    lead: str
    clauses: list[tuple[str, str]]
    end: str
    missing: list[str]

    def text(self, drop: str | None = None) -> str:
        """The template text, without argument ``drop``'s clause when given."""
        return self.lead + ",".join(clause for name, clause in self.clauses if name != drop) + self.end


def tool_schema(name: str) -> dict[str, Any]:
    """The function definition of registered tool ``name`` (built-in, plugin or declared)."""
    from twinchat.inventory.tools import tools

    known = tools()
    if name not in known:
        raise ComposerError(f"unknown tool {name!r}{did_you_mean(name, known)}; tools: {', '.join(sorted(known))}")
    return known[name].json_schema()


def drafted_id(tool: str, shape: str) -> str:
    """The id of the unit drafted for ``tool``: its name in snake case, then ``_call`` or ``_action``."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", tool).lower()
    snake = re.sub(r"[^a-z0-9_]", "_", snake).strip("_") or "tool"
    return ("t_" if not snake[0].isalpha() else "") + snake + ("_call" if shape == "instruction" else "_action")


def action_of(schema: dict[str, Any]) -> str:
    """What the call does, as the tool's description says it first (a clause of manner, 根据…, skipped)."""
    clauses = [c.strip() for c in re.split(r"[,,;;::。\n]", plain_text(str(schema.get("description") or "")))]
    said = [c for c in clauses if c and not c.startswith(("根据", "按照"))] or [c for c in clauses if c]
    return said[0] if said else f"调用{schema['name']}"


def _clause(f: DraftField, rng: random.Random, shape: str, mention: str | None = None) -> str:
    m = "{{ " + (mention or f.mention) + " }}"
    if shape == "action":
        said = f"{f.said}为{m}"
    else:
        said = f"{f.said}:{m}" if f.type == "bool" else rng.choice(_CLAUSES).format(said=f.said, m=m)
    asked = _COUNT_ASKED.search(f.said) if f.type in ("int", "float") else None
    # 最多返回几条解决方案 → 最多返回{{ limit }}条解决方案, not 最多返回几条解决方案为2 (the same draws either way)
    return f.said[:asked.start()] + m + f.said[asked.end():] if asked else said


def _drafts(fields: list[DraftField], action: str, shape: str, rng: random.Random) -> list[_Draft]:
    out = []
    optional = [f.name for f in fields if not f.required]
    for i in range(TEMPLATES[shape]):
        order = list(fields) if i == 0 else rng.sample(fields, len(fields))
        unsaid = [n for n in optional if i % 2 == 1 and rng.random() < 0.5]
        clauses = [(f.name, _clause(f, rng, shape)) for f in order if f.name not in unsaid]
        if shape == "action":
            lead, end = f"Action: {action}" + (",", ":")[i % 2], ""
        else:
            lead, end = _LEADS[i % len(_LEADS)].format(action=action), _ENDS[i % len(_ENDS)]
        out.append(_Draft(f"{'a' if shape == 'action' else 'd'}{i + 1:02d}", lead, clauses, end, unsaid))
    return out


def _template(d: _Draft, **extra: Any) -> dict[str, Any]:
    return {"id": d.id, "text": d.text(), **({"missing": d.missing} if d.missing else {}), **extra}


def _hint(f: DraftField) -> str:
    return f"(如 {f.example})" if f.example else ""


def _negatives(fields: list[DraftField], drafts: list[_Draft], action: str
               ) -> tuple[list[dict], list[dict], list[dict], dict[str, list[str]]]:
    """(templates, cases, outcomes, replies) of the robustness cases (module docstring)."""
    templates: list[dict] = []
    cases: list[dict] = []
    outcomes: list[dict] = []
    replies: dict[str, list[str]] = {}
    for f in fields:
        sayers = [d for d in drafts if f.name in dict(d.clauses)][:_PER_CASE]
        x, hint = f.slot_name, _hint(f)
        if f.required and sayers and len(fields) > 1:
            ids = [f"{d.id}-no-{x}" for d in sayers]
            templates += [{"id": i, "text": d.text(drop=f.name), "missing": [*d.missing, f.name]} for i, d in zip(ids, sayers)]
            cases.append({"id": f"missing_{x}", "weight": 1, "templates": ids, "outcome": f"missing_{x}"})
            replies[f"missing_{x}"] = [f"好的,{action}还需要您的{f.said},麻烦告诉我一下{hint}?",
                                       f"请问您的{f.said}是?{hint}有了它我马上帮您{action}。"]
        for kind, values, why in (("wrong_type", f.wrong, "需要一个{what},“{{{{ {x}.text }}}}”没法填"),
                                  ("rejected", f.rejected, "“{{{{ {x}.text }}}}”不符合要求")):
            if not values or not sayers:
                continue
            oid = f"{kind}_{x}"
            ids = [f"{d.id}-{kind}-{x}" for d in sayers]
            said = {d.id: dict(d.clauses)[f.name].replace(f.mention + " }}", f"{x}.text }}}}") for d in sayers}
            templates += [{"id": i, "text": d.lead + ",".join(said[d.id] if n == f.name else c for n, c in d.clauses)
                           + d.end, "label": {f.name: f"{x}.value"}, **({"missing": d.missing} if d.missing else {})}
                          for i, d in zip(ids, sayers)]
            cases.append({"id": oid, "weight": 1, "templates": ids, "produces": [oid],
                          "slots": {x: {"source": "choice", "values": [{**v, "negative": kind} for v in values]}}})
            outcomes.append({"id": oid, "when": f"'error' in result and {x}.negative is defined and {x}.negative == '{kind}'"})
            what = {"bool": "是或否", "int": "数字", "float": "数字"}.get(f.type, "具体的日期和时间")
            replies[oid] = [f"{f.said}" + why.format(what=what, x=x) + ":{{ result.error.message|times_said(now) }}。"
                            f"麻烦再告诉我一下{f.said}{hint}。"]
    return templates, cases, outcomes, replies


def draft_unit(tool: str, shape: str = "instruction", *, negatives: bool = False, seed: int = 0,
               conn: sqlite3.Connection | None = None) -> UnitSource:
    """The unit drafted from registered tool ``tool``'s schema (module docstring); ``conn``, the
    world, names the fault category a fault argument draws from (the one with most faults)."""
    from twinchat.units.spec import Unit

    if shape not in SHAPES:
        raise ComposerError(f"--shape {shape!r}: expected one of {', '.join(SHAPES)}")
    schema = tool_schema(tool)
    params = schema.get("parameters") or {}
    rng = random.Random(f"twinchat/{seed}/draft/{tool}/{shape}")
    required = set(params.get("required") or [])
    fields = [f for name, prop in (params.get("properties") or {}).items()
              if (f := draft_field(name, prop if isinstance(prop, dict) else {}, name in required, rng, tool))]
    if not fields:
        raise ComposerError(f"tool {tool!r}: no argument to draft an instruction from")
    action = action_of(schema)
    drafts = _drafts(fields, action, shape, rng)
    data: dict[str, Any] = {
        "id": drafted_id(tool, shape), "title": f"{action}({tool})",
        "description": f"Drafted from the schema of tool {tool}.",
        "slots": {f.slot_name: f.slot for f in fields},
        "templates": [_template(d) for d in drafts],
        "label": {f.name: {"type": f.type, "value": f.value, "grounded": f.grounded, "description": f.said}
                  for f in fields},
        "tool": {"name": tool, "arguments": {f.name: f"label[{f.name!r}]" for f in fields}},
        "outcomes": [{"id": "tool_error", "when": "'error' in result"}, {"id": "done"}],
        "replies": {"done": [f"好的,已为您{action}。", f"已经帮您{action}了。"],
                    "tool_error": [f"抱歉,没能{action}:" + "{{ result.error.message|times_said(now) }}。"]},
    }
    if negatives:
        templates, cases, outcomes, replies = _negatives(fields, drafts, action)
        if not cases:
            raise ComposerError(f"tool {tool!r}: --negative finds no robustness case in its schema "
                                "(no required argument, none typed or restricted)")
        data["templates"] += templates
        # drawn with -n (a saved draft), one sample in ten is a negative
        data["cases"] = [{"id": "valid", "weight": 9 * len(cases), "templates": [d.id for d in drafts],
                          "produces": ["done", "tool_error"]}, *cases]
        data["outcomes"] = outcomes + data["outcomes"]
        data["replies"].update(replies)
    return UnitSource(unit=validated(Unit, data, tool), path=f"<drafted from tool {tool}>",
                      node=yaml.compose(yaml.safe_dump(data, allow_unicode=True, sort_keys=False)))


def _in_world(f: DraftField, conn: sqlite3.Connection) -> DraftField:
    """``f`` with a fault slot drawing from the world's category with most faults."""
    if f.slot.get("kind") != "fault":
        return f
    row = conn.execute("SELECT category FROM kb_solutions GROUP BY category ORDER BY count(*) DESC, category "
                       "LIMIT 1").fetchone()
    return replace(f, slot={**f.slot, "category": row[0]}) if row else f


def validated(model: Any, data: dict[str, Any], tool: str) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ComposerError(f"tool {tool!r}: the drafted unit does not validate: {exc.errors()[0]['msg']}") from exc


def save_draft(src: UnitSource, path: str, force: bool = False) -> None:
    """Write drafted unit ``src`` as a unit file at ``path`` (to edit, grow with ``twinchat
    paraphrase``, or run with ``--units``); an existing file only with ``force``."""
    from pathlib import Path

    from twinchat.composer.atomic import atomic_write

    target = Path(path)
    if target.exists() and not force:
        raise ComposerError(f"{target}: file exists; pass --force to replace it")
    if not target.parent.is_dir():
        raise ComposerError(f"{target.parent}: directory does not exist")
    with atomic_write(target) as (fh, _):
        fh.write(f"# {src.unit.title}: drafted by `twinchat generate --tool` from the tool's schema.\n")
        fh.write(yaml.safe_dump(src.unit.model_dump(mode="json", exclude_defaults=True), allow_unicode=True,
                                sort_keys=False, width=1000))
