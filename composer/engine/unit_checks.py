"""Load-time checks of a unit against the engine: templates, expressions, tools, slot sources.

The spec (``twinchat.units``) checks a unit's shape; this module checks what needs the engine:
every template and expression parses in the sandbox, uses only variables the unit defines and
filters that exist; the tool exists and gets valid argument names; Faker providers, inventory
kinds and surface forms exist; slots that depend on others can be drawn in some order.
Each problem is one line naming file:line, unit, template (where it applies) and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from twinchat.composer.engine.alternatives import CHOICES, AlternativesError, mentioned, parse_alternatives
from twinchat.composer.engine.render import checks_cache, make_env, variables_of
from twinchat.composer.engine.limits import limit_problems
from twinchat.composer.engine.sandbox import parse, refused_attributes
from twinchat.composer.engine.sources import slot_source
from twinchat.units.errors import UnitError
from twinchat.units.loader import UnitSource, did_you_mean

if TYPE_CHECKING:  # imported with the environment of the checks that parse texts (a built-in unit's are not)
    import jinja2

__all__ = ["unit_problems", "check_unit", "slot_order", "REPLY_NAMES", "CONDITION_NAMES"]

#: Names a reply template may use besides the slots.
REPLY_NAMES = {"result", "label", "outcome", "now"}
#: Names an outcome condition may use besides the slots.
CONDITION_NAMES = {"result", "label", "now"}


def _tools() -> Mapping[str, Any]:
    from twinchat.inventory.tools import tools

    return tools()


def slot_order(slots: dict[str, Any], first: Sequence[str] = ()) -> list[str]:
    """Slot names in an order where every slot comes after the slots it uses; the slots ``first``
    names, and those they use, come before all others."""
    # a slot it uses that is not a slot is reported apart (a source's checks, an undeclared variable)
    deps = {name: slot_source(slot).uses_of(slot) & set(slots) for name, slot in slots.items()}
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


#: how the loader names a built-in unit's file
BUILTIN_PREFIX = "<builtin>/"


def unit_problems(src: UnitSource, categories: Collection[str] | None = None) -> list[str]:
    """Every problem of one unit, as one-line messages (empty when the unit is sound); slots are
    checked against the world's product ``categories`` (default: the built-in shop's)."""
    out: list[str] = []
    check = _checker(src, out)
    out += _slots_problems(src, categories)
    unit, slots = src.unit, set(src.unit.slots)
    for name, slot in unit.slots.items():
        for field, template in slot_source(slot).templates_of(slot).items():
            check(template, ["slots", name, field], slots - {name}, what=f"slot {name!r}")
    for i, tpl in enumerate(unit.templates):
        check(tpl.text, ["templates", i, "text"], slots, what="template", template=tpl.id, alternatives=True)
        out += _alternative_label_problems(src, i)
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
            check(reply, ["replies", oid, j], slots | REPLY_NAMES, what=f"reply {oid}[{j}]", alternatives=True)
    return out


def _compiles(env: jinja2.Environment, source: str, expression: bool) -> None:
    """Compile ``source`` as Jinja2 would (raising its syntax error), unless a run with the same
    settings found it compiles: that is kept across runs as compiled templates are
    (:mod:`.compile_cache`), so a unit's checks compile each of its texts once, not in every
    process and every generator."""
    cache, kind = checks_cache(env), "compiles as an expression" if expression else "compiles as a template"
    if cache.get(kind, source) is True:
        return
    if not expression:
        env.compile(parse(env, source))  # the tree the checks above read, compiled
    else:
        env.compile_expression(source)
    cache.put(kind, source, True)


def _checker(src: UnitSource, out: list[str]) -> Callable[..., None]:
    """``check(source, loc, allowed, *, what, template=None, expression=False, alternatives=False)``: the
    problems of one template or expression (syntax, alternatives, filters, refused attributes,
    undeclared variables) onto ``out``."""
    import jinja2

    env, unit = make_env(), src.unit

    def check(source: str, loc: list[Any], allowed: Iterable[str], *, what: str, template: str | None = None,
              expression: bool = False, alternatives: bool = False) -> None:
        where = src.where(loc, template)
        if alternatives:  # checked as the Jinja they are written as; the choices are the engine's
            try:
                source = parse_alternatives(source).source
            except AlternativesError as exc:
                at = src.text_line(loc) + exc.line - 1
                out.append(f"{src.path}:{at}: unit {unit.id!r}{_t(template)}: {what} alternatives, column "
                           f"{exc.column}: {exc.problem}")
                return
            allowed = {*allowed, CHOICES}
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
            for line, problem in limit_problems(env, source, expression=expression):
                at = src.text_line(loc) + (line - 1 if not expression else 0)
                out.append(f"{src.path}:{at}: unit {unit.id!r}{_t(template)}: {what} {problem}")
            _compiles(env, source, expression)
        except jinja2.TemplateSyntaxError as exc:
            line = src.text_line(loc) + (exc.lineno - 1 if not expression else 0)
            out.append(f"{src.path}:{line}: unit {unit.id!r}{_t(template)}: {what} syntax error: {exc.message}")
            return
        except jinja2.TemplateAssertionError as exc:  # pragma: no cover - subclass of syntax error
            out.append(f"{where}: {what}: {exc.message}")
            return
        except RecursionError:
            out.append(f"{where}: {what} nests brackets or blocks too deep to read")
            return
        allowed = set(allowed)
        for var in sorted(names - allowed):
            fix = did_you_mean(var, allowed) or f" (define a slot {var!r} or remove it)"
            out.append(f"{where}: {what} uses undeclared variable {var!r}{fix}")
    return check


def _alternative_label_problems(src: UnitSource, i: int) -> list[str]:
    """A label field whose slot only some alternatives of template ``i`` say: verification would not
    find its value in the texts of the others."""
    unit, tpl = src.unit, src.unit.templates[i]
    try:
        alts = parse_alternatives(tpl.text)
    except AlternativesError:
        return []  # reported by the template's check
    if not alts.groups:
        return []
    import jinja2

    env, out = make_env(), []
    for field, spec in unit.label.items():
        if field in tpl.missing or spec.grounded == "derived":
            continue
        try:
            names = variables_of(env, tpl.label.get(field, spec.value), expression=True)[0] & set(unit.slots)
        except jinja2.TemplateSyntaxError:
            continue  # reported by the label's check
        always, some = mentioned(alts.tree, names)
        for name in sorted(some - always):
            out.append(f"{src.where(['templates', i, 'text'], tpl.id)}: label field {field!r} reads slot {name!r}, "
                       f"which only some alternatives say; say it outside them, in every branch, or list "
                       f"{field!r} under missing")
    return out


def _slots_problems(src: UnitSource, categories: Collection[str] | None) -> list[str]:
    """The problems of the unit's and its cases' slots, and cycles among them."""
    unit, out = src.unit, []
    for name, slot in unit.slots.items():
        out += _slot_problems(src, ["slots", name], name, slot, categories)
    for ci, case in enumerate(unit.cases):
        for name, slot in case.slots.items():
            out += _slot_problems(src, ["cases", ci, "slots", name], name, slot, categories)
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
    return out


def _t(template: str | None) -> str:
    return f", template {template!r}" if template else ""


def _slot_problems(src: UnitSource, loc: list[Any], name: str, slot: Any, categories: Collection[str] | None
                   ) -> list[str]:
    """The problems the slot's source finds in it (its own checks, unknown forms), one line each."""
    problems = slot_source(slot).problems(slot, name, src.unit.slots, categories)
    # the head names the line, found only when there is a problem (a cached built-in keeps no lines)
    return [f"{src.where(loc)}: slot {name!r}: {problem}" for problem in problems]


def _tool_problems(src: UnitSource) -> list[str]:
    unit = src.unit
    assert unit.tool is not None
    tools = _tools()
    if unit.tool.name not in tools:
        return [f"{src.where(['tool', 'name'])}: unknown tool {unit.tool.name!r}{did_you_mean(unit.tool.name, tools)}; "
                f"tools: {', '.join(tools)}"]
    fields, required = _arguments_of(tools[unit.tool.name])
    out = []
    for arg in unit.tool.arguments:
        if arg not in fields:
            out.append(f"{src.where(['tool', 'arguments', arg])}: tool {unit.tool.name!r} has no argument "
                       f"{arg!r}{did_you_mean(arg, fields)}")
    for req in required:
        if req not in unit.tool.arguments:
            out.append(f"{src.where(['tool', 'arguments'])}: tool {unit.tool.name!r} needs argument {req!r}")
    return out


def _arguments_of(tool: Any) -> tuple[Mapping[str, Any], list[str]]:
    """A tool's arguments and the required ones: from its pydantic model (a built-in's or a
    plugin's; read directly, as making its JSON schema takes milliseconds), else from its JSON
    Schema (a tool file's)."""
    model = getattr(tool, "args_model", None)
    if model is not None:
        fields = model.model_fields
        return fields, [n for n, f in fields.items() if f.is_required()]
    parameters = tool.json_schema()["parameters"]
    return parameters.get("properties", {}), list(parameters.get("required", ()))


def check_unit(src: UnitSource, categories: Collection[str] | None = None) -> None:
    """Raise UnitError with the first problem of the unit, if any.

    A built-in unit's texts are package data, checked (every template, label, condition and reply)
    when twinchat is tested (``tests/units/test_builtin_checks.py``); here, each time a generator
    is made, only what depends on the world and the tools in force is checked again: its slots
    (the world's categories) and its tool call. Templates still render in the sandbox, with its limits."""
    if src.path.startswith(BUILTIN_PREFIX):
        problems = _slots_problems(src, categories) + (_tool_problems(src) if src.unit.tool is not None else [])
    else:
        problems = unit_problems(src, categories)
    if problems:
        raise UnitError(problems[0])
