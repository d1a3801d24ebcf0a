"""What a stored turn still says about the slot values that produced it.

A session keeps each user turn's text and label, the tool results and the customer, not the slot
values its templates were rendered from. Re-rendering a reply or re-evaluating a tool argument
needs them back: a label field computed as ``part.word`` gives ``part.word``; a time slot is the
phrase found in the text (with its window); a reference slot's items are the ones an earlier
tool result lists; a context slot is the customer, or what the flow remembered at the earlier
steps (their ``remember`` expressions evaluated again). What cannot be
recovered stays unknown, and rendering with it fails (a :class:`UnknownSlot`), never silently.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.inventory.timefmt import format_time, parse_time

__all__ = ["Slot", "UnknownSlot", "recover_slots", "session_context", "time_span", "remembered", "PATH"]

#: A label expression that reads one slot (``part``) or one of its attributes (``part.word``).
PATH = re.compile(r"^\s*([A-Za-z]\w*)(?:\.([A-Za-z]\w*))?\s*$")


class UnknownSlot(ComposerError):
    """A slot's surface text the session does not keep."""


class Slot:
    """A slot value recovered from a turn: the attributes the label names, and its text when known."""

    def __init__(self, name: str, attrs: dict[str, Any] | None = None, text: str | None = None) -> None:
        self.name, self.attrs, self.text = name, dict(attrs or {}), text

    def __getattr__(self, attr: str) -> Any:
        try:
            return self.__dict__["attrs"][attr]
        except KeyError:
            if attr.startswith("_"):
                raise AttributeError(attr) from None
            raise UnknownSlot(f"the session does not keep {self.__dict__.get('name')}.{attr}") from None

    def __str__(self) -> str:
        if self.text is None:
            raise UnknownSlot(f"the session does not keep how {self.name!r} was said")
        return self.text


def time_span(turn: dict[str, Any], now: datetime, old: Any, *, exact: bool = False) -> Any:
    """The time phrase of the turn's text whose window starts or ends at ``old``; else (unless
    ``exact``) the first one; None if there is none."""
    from twinchat.composer.time.resolve import find

    spans = find(turn.get("content", ""), now)
    for span in spans:
        if old in (format_time(span.window.start), format_time(span.window.end)):
            return span
    return spans[0] if spans and not exact else None


def session_context(composer: Any, session: dict[str, Any], turn: dict[str, Any]) -> dict[str, Any]:
    """What the flow remembered before ``turn``'s step: each earlier step's ``remember`` expressions
    evaluated again over its recovered slots, label, tool result and outcome (as composing did)."""
    context: dict[str, Any] = {}
    src = composer.flows.get(session.get("flow", ""))
    turns = session["turns"]
    at = next((i for i, t in enumerate(turns) if t is turn), len(turns))
    if src is None:
        return context
    steps = {s.id: s for s in src.flow.steps}
    user: dict[str, Any] | None = None
    result: Any = None
    outcome: Any = None
    for t in [*turns[:at], None]:
        if t is None or t.get("role") == "user":
            if user is not None and user.get("step") in steps:
                scope = {**recover_slots(composer, session, user, from_text=True, context=context),
                         "label": user.get("label") or {}, "result": result, "outcome": outcome}
                for name, expr in steps[user["step"]].remember.items():
                    try:
                        context[name] = composer.templates.evaluate(expr, scope)
                    except ComposerError:
                        context.pop(name, None)  # not recoverable: a later use fails, never a stale value
            user, result, outcome = t, None, None
        elif t.get("role") == "tool":
            result = t.get("content")
        elif t.get("role") == "assistant" and "outcome" in t:
            outcome = t.get("outcome")
    return context


def recover_slots(composer: Any, session: dict[str, Any], turn: dict[str, Any], *, from_text: bool,
                  context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Slot values recovered from the turn: label paths (``part.word`` ← label.category), time
    phrases found in the text, the customer, and what the flow remembered (:func:`session_context`)."""
    src = composer.units.get(turn.get("unit", ""))
    if src is None:
        return {}
    unit, label = src.unit, turn.get("label") or {}
    now = parse_time(session["now"])
    slots: dict[str, Slot] = {}
    bare: dict[str, Any] = {}
    carried: dict[str, Any] = {}
    for name, spec in unit.slots.items():
        if spec.source == "context" and getattr(spec, "key", None) == "customer":
            carried[name] = Slot(name, session.get("customer") or {})
        elif spec.source == "context":
            if context is None:
                context = session_context(composer, session, turn)
            if spec.key in context:
                carried[name] = context[spec.key]
    for fname, spec in unit.label.items():
        m = PATH.match(spec.value)
        if not m or m[1] not in unit.slots:
            continue
        if m[2] is None:  # the label holds the slot's value itself (a choice, a count…)
            if label.get(fname) is not None:
                bare[m[1]] = label[fname]
            continue
        slot = slots.setdefault(m[1], Slot(m[1]))
        slot.attrs[m[2]] = label.get(fname)
        if m[2] == "text" and isinstance(label.get(fname), str):  # a value's surface text is how it renders
            slot.text = label[fname]
        if unit.slots[m[1]].source == "reference" and m[2] == "ids" and isinstance(label.get(fname), list):
            slot.attrs["items"] = remembered(session, turn, label[fname])
        if spec.grounded == "time" and from_text:
            span = time_span(turn, now, label.get(fname), exact=True)
            if span is not None:
                slot.text = span.text
                slot.attrs.update(start=span.window.start, end=span.window.end)
    for name, spec in unit.slots.items():
        if spec.source == "choice" and name not in bare:
            _narrow(slots.setdefault(name, Slot(name)), spec.values, turn.get("content", ""))
    for name, slot in slots.items():  # what this turn says about a carried value completes it
        prior = carried.get(name)
        if isinstance(prior, Slot):
            slot.attrs, slot.text = {**prior.attrs, **slot.attrs}, slot.text or prior.text
        elif isinstance(prior, dict):
            slot.attrs = {**prior, **slot.attrs}
        elif prior is not None and not slot.attrs and slot.text is None:
            continue
        carried[name] = slot
    return {**carried, **bare}


def _narrow(slot: Slot, values: list[Any], text: str) -> None:
    """A choice slot: what every value consistent with what is known (and with the text) agrees on."""
    if all(isinstance(v, dict) for v in values):
        fits = [v for v in values if all(v.get(k) == a for k, a in slot.attrs.items() if k in v)]
        said = [v for v in fits if any(isinstance(x, str) and x in text for k, x in v.items() if k not in slot.attrs)]
        fits = said or fits
        for key in {k for v in fits for k in v} - set(slot.attrs):
            seen = {repr(v.get(key)) for v in fits}
            if len(seen) == 1:
                slot.attrs[key] = fits[0].get(key)
    elif slot.text is None:
        said = [v for v in values if str(v) in text]
        if len(said) == 1 or len(set(map(str, values))) == 1:
            slot.text = str((said or values)[0])


def remembered(session: dict[str, Any], turn: dict[str, Any], ids: list[Any]) -> list[dict[str, Any]]:
    """The items ``ids`` name, as the latest tool result before ``turn`` shows them."""
    from twinchat.composer.engine.references import item_id

    found: dict[str, dict[str, Any]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            try:
                key = item_id(value)
            except ValueError:
                key = None
            if key is not None and key in wanted and key not in found:
                found[key] = value
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    wanted = {str(i) for i in ids}
    turns = session["turns"]
    at = next((i for i, t in enumerate(turns) if t is turn), len(turns))
    for prev in reversed(turns[:at]):
        if prev.get("role") == "tool":
            walk(prev.get("content"))
    return [found[str(i)] for i in ids if str(i) in found]
