"""Load-time checks of a unit against the engine: templates, expressions, tools, slot sources.

The spec (``twinchat.units``) checks a unit's shape; this module checks what needs the engine:
every template and expression parses in the sandbox, uses only variables the unit defines and
filters that exist; the tool exists and gets valid argument names; Faker providers, inventory
kinds and surface forms exist; slots that depend on others can be drawn in some order.
Each problem is one line naming file:line, unit, template (where it applies) and the fix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import jinja2
from faker import Faker

from twinchat.composer.engine.render import make_env, refused_attributes, variables_of
from twinchat.composer.engine.slots import FORMS, OWN_PROVIDERS
from twinchat.units.errors import UnitError
from twinchat.units.loader import UnitSource, did_you_mean
from twinchat.composer.engine.references import REFERENCE_FORMS
from twinchat.units.spec import CompositeSlot, ContextSlot, FakerSlot, InventorySlot, ReferenceSlot

__all__ = ["unit_problems", "check_unit", "slot_order", "REPLY_NAMES", "CONDITION_NAMES"]

#: Names a reply template may use besides the slots.
REPLY_NAMES = {"result", "label", "outcome", "now"}
#: Names an outcome condition may use besides the slots.
CONDITION_NAMES = {"result", "label", "now"}
_CATEGORIES = {"memory", "ssd", "charger", "charging_pile", "laptop", "phone"}


@lru_cache(maxsize=1)
def _faker() -> Faker:
    return Faker("zh_CN")


def _tools() -> Mapping[str, Any]:
    from twinchat.inventory.tools import tools

    return tools()


def slot_order(slots: dict[str, Any], first: Sequence[str] = ()) -> list[str]:
    """Slot names in an order where every slot comes after the slots it uses; the slots ``first``
    names, and those they use, come before all others."""
    env = make_env()
    deps: dict[str, set[str]] = {}
    for name, slot in slots.items():
        if isinstance(slot, CompositeSlot):
            deps[name] = variables_of(env, slot.template)[0] & set(slots)
        elif isinstance(slot, InventorySlot) and (slot.device or slot.fits):
            deps[name] = {n for n in (slot.device, slot.fits) if n} & set(slots)  # an unknown one is reported apart
        elif isinstance(slot, ContextSlot) and slot.fallback:
            deps[name] = {slot.fallback} & set(slots)
        else:
            deps[name] = set()
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(n: str, path: tuple[str, ...]) -> None:
        if state.get(n) == 2:
            return
        if state.get(n) == 1:
            raise ValueError(" → ".join((*path, n)))
        state[n] = 1
        for d in sorted(deps[n]):
            visit(d, (*path, n))
        state[n] = 2
        order.append(n)

    for n in (*first, *slots):
        visit(n, ())
    return order


def unit_problems(src: UnitSource) -> list[str]:
    """Every problem of one unit, as one-line messages (empty when the unit is sound)."""
    unit = src.unit
    env = make_env()
    slots = set(unit.slots)
    out: list[str] = []

    def check(source: str, loc: list[Any], allowed: Iterable[str], *, what: str, template: str | None = None,
              expression: bool = False) -> None:
        where = src.where(loc, template)
        try:
            names, filters = variables_of(env, source, expression=expression)
            unknown = sorted(filters - set(env.filters))
            for f in unknown:
                out.append(f"{where}: {what} uses unknown filter {f!r}{did_you_mean(f, env.filters)}")
            if unknown:
                return
            for attr in refused_attributes(env, source, expression=expression):
                out.append(f"{where}: {what} reads attribute {attr!r}, which the sandbox refuses "
                           "(private names and interpreter internals cannot be used in templates)")
            if not expression:
                env.from_string(source)
            else:
                env.compile_expression(source)
        except jinja2.TemplateSyntaxError as exc:
            line = src.text_line(loc) + (exc.lineno - 1 if not expression else 0)
            out.append(f"{src.path}:{line}: unit {unit.id!r}{_t(template)}: {what} syntax error: {exc.message}")
            return
        except jinja2.TemplateAssertionError as exc:  # pragma: no cover - subclass of syntax error
            out.append(f"{where}: {what}: {exc.message}")
            return
        allowed = set(allowed)
        for var in sorted(names - allowed):
            fix = did_you_mean(var, allowed) or f" (define a slot {var!r} or remove it)"
            out.append(f"{where}: {what} uses undeclared variable {var!r}{fix}")

    for name, slot in unit.slots.items():
        out += _slot_problems(src, ["slots", name], name, slot)
    for case in unit.cases:
        for name, slot in case.slots.items():
            out += _slot_problems(src, ["cases", unit.cases.index(case), "slots", name], name, slot)
    try:
        slot_order(unit.slots)
    except ValueError as exc:
        out.append(f"{src.where(['slots'])}: slots depend on each other in a cycle: {exc}")
    for ci, case in enumerate(unit.cases):
        if case.slots:
            try:
                slot_order({**unit.slots, **case.slots})
            except ValueError as exc:
                out.append(f"{src.where(['cases', ci, 'slots'])}: case {case.id!r}: slots depend on each other "
                           f"in a cycle: {exc}")
    for name, slot in unit.slots.items():
        if isinstance(slot, CompositeSlot):
            check(slot.template, ["slots", name, "template"], slots - {name}, what=f"slot {name!r}")
    for i, tpl in enumerate(unit.templates):
        check(tpl.text, ["templates", i, "text"], slots, what="template", template=tpl.id)
        for field, expr in tpl.label.items():
            check(expr, ["templates", i, "label", field], slots, what=f"label override {field!r}",
                  template=tpl.id, expression=True)
    for field, spec in unit.label.items():
        check(spec.value, ["label", field, "value"], slots, what=f"label field {field!r}", expression=True)
    if unit.tool is not None:
        out += _tool_problems(src)
        for arg, expr in unit.tool.arguments.items():
            check(expr, ["tool", "arguments", arg], slots | {"label"}, what=f"tool argument {arg!r}",
                  expression=True)
    for i, outcome in enumerate(unit.outcomes):
        if outcome.when:
            check(outcome.when, ["outcomes", i, "when"], slots | CONDITION_NAMES,
                  what=f"outcome {outcome.id!r}", expression=True)
    for oid, replies in unit.replies.items():
        for j, reply in enumerate(replies):
            check(reply, ["replies", oid, j], slots | REPLY_NAMES, what=f"reply {oid}[{j}]")
    return out


def _t(template: str | None) -> str:
    return f", template {template!r}" if template else ""


def _slot_problems(src: UnitSource, loc: list[Any], name: str, slot: Any) -> list[str]:
    where = src.where(loc)
    out = []
    if isinstance(slot, FakerSlot):
        own = OWN_PROVIDERS.get(slot.provider)
        if own is None and not callable(getattr(_faker(), slot.provider, None)):
            fix = did_you_mean(slot.provider, [*OWN_PROVIDERS, *(m for m in dir(_faker()) if not m.startswith("_"))])
            out.append(f"{where}: slot {name!r}: unknown Faker provider {slot.provider!r}{fix}")
        forms = own or ()
    elif isinstance(slot, InventorySlot):
        forms = FORMS[slot.kind]
        if slot.kind in ("product", "compatible_part", "fault") and slot.category not in _CATEGORIES:
            fix = did_you_mean(str(slot.category), _CATEGORIES)
            out.append(f"{where}: slot {name!r}: unknown category {slot.category!r}{fix}; "
                       f"categories: {', '.join(sorted(_CATEGORIES))}")
        if slot.kind == "device" and slot.category not in (None, "laptop", "phone"):
            out.append(f"{where}: slot {name!r}: device category must be laptop or phone")
        if slot.kind == "compatible_part" and not slot.device:
            out.append(f"{where}: slot {name!r}: a compatible_part needs `device:` naming a device slot")
        if slot.fits is not None and slot.fits not in src.unit.slots:
            out.append(f"{where}: slot {name!r}: fits {slot.fits!r} is not a slot"
                       f"{did_you_mean(slot.fits, src.unit.slots)}")
    elif isinstance(slot, ReferenceSlot):
        forms = REFERENCE_FORMS
    else:
        forms = ()
    if isinstance(slot, ContextSlot) and slot.fallback and slot.fallback not in src.unit.slots:
        out.append(f"{where}: slot {name!r}: fallback {slot.fallback!r} is not a slot"
                   f"{did_you_mean(slot.fallback, src.unit.slots)}")
    for form in slot.forms or []:
        if form not in forms:
            choices = ", ".join(forms) or "none"
            out.append(f"{where}: slot {name!r}: unknown form {form!r}{did_you_mean(form, forms)}; forms: {choices}")
    return out


def _tool_problems(src: UnitSource) -> list[str]:
    unit = src.unit
    assert unit.tool is not None
    tools = _tools()
    where = src.where(["tool", "name"])
    if unit.tool.name not in tools:
        return [f"{where}: unknown tool {unit.tool.name!r}{did_you_mean(unit.tool.name, tools)}; "
                f"tools: {', '.join(tools)}"]
    fields = tools[unit.tool.name].args_model.model_fields
    out = []
    for arg in unit.tool.arguments:
        if arg not in fields:
            out.append(f"{src.where(['tool', 'arguments', arg])}: tool {unit.tool.name!r} has no argument "
                       f"{arg!r}{did_you_mean(arg, fields)}")
    for req in (n for n, f in fields.items() if f.is_required()):
        if req not in unit.tool.arguments:
            out.append(f"{src.where(['tool', 'arguments'])}: tool {unit.tool.name!r} needs argument {req!r}")
    return out


def check_unit(src: UnitSource) -> None:
    """Raise UnitError with the first problem of the unit, if any."""
    problems = unit_problems(src)
    if problems:
        raise UnitError(problems[0])
