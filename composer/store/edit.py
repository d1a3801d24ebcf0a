"""Editing a composed session: change one turn, then bring the rest of the session back in line.

A curator changes a user turn's text or label; verification then says what no longer holds
(``turn 5: grounding:deadline``). What can be recomputed is recomputed here, on demand:

* :func:`reextract` — the label fields of a user turn that can be read back from its text: time
  phrases (re-resolved at the session clock), numbers (a phone, a postcode) and references to
  remembered items (第二款); plus the fields computed from the same slot (a date from a day).
  A field read verbatim (a name, an address) cannot be guessed back: it is reported, not changed.
* :func:`rerun_tools` — each tool call's arguments that come from the label, re-called in order at
  the session clock (inside a savepoint that is rolled back), their results replaced.
* :func:`rerender` — a reply: its outcome re-decided on the tool result, and its text rendered
  again from the unit's templates for that outcome (the one closest to the current reply), with
  the slots recovered from the turn (:mod:`twinchat.composer.store.recover`).
* :func:`regenerate` — the session composed anew with another seed, keeping its id.

Each returns a :class:`Fix`: a new session (the input is never modified), what changed, and
notes on what could not be done.
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.session_models import check_turn
from twinchat.composer.engine.generate import plain
from twinchat.composer.store.recover import PATH, Slot, recover_slots, time_span
from twinchat.inventory.connection import scratch
from twinchat.composer.verify.reasons import FIXES, turn_problems
from twinchat.inventory.timefmt import parse_time
from twinchat.units.flow import ASIDE_STEPS

#: A reply's variants (combinations of its alternatives) rendered at most when one is re-rendered.
_VARIANTS = 256

__all__ = ["Fix", "turn_problems", "set_text", "set_label", "changes", "summarize", "reextract", "rerun_tools",
           "rerender", "fix_all", "regenerate", "FIXES"]


@dataclass
class Fix:
    """The session after a fix, what it changed (``turn 5 label``) and what it could not do."""

    session: dict[str, Any]
    changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _turn(session: dict[str, Any], n: int) -> dict[str, Any]:
    turns = session["turns"]
    if not 1 <= n <= len(turns):
        raise ComposerError(f"session {session.get('id')}: no turn {n} (it has {len(turns)})")
    return turns[n - 1]


def set_text(session: dict[str, Any], n: int, text: str) -> dict[str, Any]:
    """A copy of ``session`` with turn ``n``'s text replaced (SessionSchemaError if the turn is then malformed)."""
    out = copy.deepcopy(session)
    turn = _turn(out, n)
    if turn.get("role") == "tool":
        raise ComposerError(f"session {session.get('id')}: turn {n} is a tool result; re-run the tools instead")
    turn["content"] = text
    check_turn(out, n)
    return out


def set_label(session: dict[str, Any], n: int, label: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``session`` with user turn ``n``'s label replaced (SessionSchemaError if the turn is then
    malformed)."""
    out = copy.deepcopy(session)
    turn = _turn(out, n)
    if turn.get("role") != "user":
        raise ComposerError(f"session {session.get('id')}: turn {n} is not a user turn; only user turns have a label")
    turn["label"] = label
    check_turn(out, n)
    return out


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs, one item each: ``turn 5 text``, ``turn 5 label``, ``turn 7 result``, ``now``…"""
    out = [k for k in ("now", "customer", "outcome", "steps") if before.get(k) != after.get(k)]
    old, new = before.get("turns", []), after.get("turns", [])
    names = {"content": "text", "label": "label", "tool_calls": "arguments", "thought": "thought", "outcome": "outcome"}
    for n, (a, b) in enumerate(zip(old, new), 1):
        if a == b:
            continue
        if a.get("role") == "tool":
            out.append(f"turn {n} result")
            continue
        keys = [names.get(k, k) for k in dict.fromkeys([*a, *b]) if a.get(k) != b.get(k)]
        out.append(f"turn {n} " + ", ".join(keys))
    if len(old) != len(new):
        out.append(f"turns {len(old)} → {len(new)}")
    return out


def summarize(before: dict[str, Any], after: dict[str, Any], limit: int = 6) -> str:
    """:func:`changes` as one line (``turn 5 text; turn 5 label``), or ``no change``."""
    items = changes(before, after)
    if len(items) > limit:
        items = [*items[:limit], f"… {len(items) - limit} more"]
    return "; ".join(items) or "no change"


# -- re-extracting a label ---------------------------------------------------------------------
def reextract(composer: Any, session: dict[str, Any], n: int) -> Fix:
    """Read back from user turn ``n``'s text the label fields that can be (see the module doc)."""
    out = copy.deepcopy(session)
    turn = _turn(out, n)
    if turn.get("role") != "user":
        raise ComposerError(f"session {session.get('id')}: turn {n} is not a user turn; only user turns have a label")
    src = composer.units.get(turn.get("unit", ""))
    if src is None:
        raise ComposerError(f"session {session.get('id')}: turn {n} plays unknown unit {turn.get('unit')!r}")
    reading = _ReadBack(composer, src.unit, turn, n, parse_time(session["now"]), session["now"])
    label = dict(turn.get("label") or {})
    fix = Fix(out)
    for fname, value in reading.fields(label, fix.notes).items():
        if label.get(fname) != value:
            label[fname] = value
            fix.changed.append(f"turn {n} label.{fname}")
    turn["label"] = label
    return fix


@dataclass
class _ReadBack:
    """Reading user turn ``n``'s label fields back from its text, one kind of grounding at a time:
    each step returns the fields it recomputed and adds to ``notes`` what it could not do."""

    composer: Any
    unit: Any
    turn: dict[str, Any]
    n: int
    now: datetime
    clock: str  # the session clock as the session writes it, for the notes

    def fields(self, label: dict[str, Any], notes: list[str]) -> dict[str, Any]:
        """The fields of the unit's label that the text gives again (field → value)."""
        turn, text = self.turn, self.turn.get("content", "")
        missing = next((set(t.missing) for t in self.unit.templates if t.id == turn.get("template")), set())
        recomputed: dict[str, Any] = {}
        for fname, spec in self.unit.label.items():
            old = label.get(fname)
            if fname in missing or (old is None and spec.grounded != "time"):
                continue
            if spec.grounded == "time":
                recomputed.update(self.time(fname, spec.value, old, notes))
            elif spec.grounded == "digits":
                recomputed.update(self.digits(text, fname, old, notes))
            elif spec.grounded == "reference":
                recomputed.update(self.reference(text, fname, notes))
            elif spec.grounded == "text":
                self.check_text(text, fname, old, notes)
        return recomputed

    def time(self, fname: str, expr: str, old: Any, notes: list[str]) -> dict[str, Any]:
        """A time field (``deadline`` = ``when.end``) from the phrase whose window starts or ends at
        ``old`` (else the first phrase), with the fields computed from the same slot."""
        m = PATH.match(expr)
        span = time_span(self.turn, self.now, old)
        if span is None or not m or m[2] not in ("start", "end"):
            notes.append(f"turn {self.n}: {fname}: no time phrase in the text resolves at {self.clock}"
                         if span is None else f"turn {self.n}: {fname}: cannot read {expr!r} back")
            return {}
        slot = {"start": span.window.start, "end": span.window.end, "text": span.text}
        return {fname: plain(slot[m[2]]), **self.computed_from(fname, m[1], slot, span.text, notes)}

    def computed_from(self, fname: str, name: str, slot: dict[str, Any], text: str,
                      notes: list[str]) -> dict[str, Any]:
        """The label fields other than ``fname`` computed from slot ``name`` alone (repair_slots'
        date from its day), evaluated again over the slot read back."""
        from twinchat.composer.engine.render import variables_of

        found: dict[str, Any] = {}
        templates = self.composer.templates
        for other, ospec in self.unit.label.items():
            names, _ = variables_of(templates.env, ospec.value, expression=True)
            if other != fname and names == {name}:
                try:
                    found[other] = plain(templates.evaluate(ospec.value, {name: Slot(name, slot, text)}))
                except ComposerError:
                    notes.append(f"turn {self.n}: {other}: cannot recompute {ospec.value!r}")
        return found

    def digits(self, text: str, fname: str, old: Any, notes: list[str]) -> dict[str, Any]:
        """A number field from the one run of as many digits in the text (11, a mobile, when the
        old value is not all digits); nothing when the old value is still there."""
        from twinchat.composer.verify.samples import digit_runs

        want = len(str(old)) if str(old).isdigit() else 11
        runs = [r for r in digit_runs(text) if len(r) == want]
        if str(old) in runs:
            return {}
        if len(runs) == 1:
            return {fname: runs[0] if isinstance(old, str) or old is None else type(old)(runs[0])}
        notes.append(f"turn {self.n}: {fname}: {'no' if not runs else len(runs)} {want}-digit numbers "
                     f"in the text; edit the label")
        return {}

    def reference(self, text: str, fname: str, notes: list[str]) -> dict[str, Any]:
        """A reference field from the first list of remembered items the text refers to (第二款)."""
        from twinchat.composer.engine.references import resolve

        found = [ids for items in (self.turn.get("refs") or {}).values() if (ids := resolve(text, items)) is not None]
        if found:
            return {fname: found[0]}
        notes.append(f"turn {self.n}: {fname}: the text refers to none of the remembered items")
        return {}

    def check_text(self, text: str, fname: str, old: Any, notes: list[str]) -> None:
        """A field read verbatim cannot be guessed back: a note when its value is no longer in the text."""
        from twinchat.composer.verify.samples import fold_for_grounding

        values = old if isinstance(old, list) else [old]
        if any(str(v) not in text and fold_for_grounding(str(v)) not in fold_for_grounding(text) for v in values):
            notes.append(f"turn {self.n}: {fname}: {old!r} is not in the text and cannot be read back; "
                         f"edit the label (l)")


# -- re-running tools --------------------------------------------------------------------------
def rerun_tools(composer: Any, session: dict[str, Any]) -> Fix:
    """Recompute every tool call's label arguments and re-call the tools in order at the clock."""
    from twinchat.inventory.tools import call

    out = copy.deepcopy(session)
    fix = Fix(out)
    now = parse_time(out["now"])
    user: dict[str, Any] | None = None
    calls: dict[str, tuple[int, dict[str, Any]]] = {}
    conn = composer.conn
    with scratch(conn, "twinchat_edit"):
        for n, turn in enumerate(out["turns"], 1):
            role = turn.get("role")
            if role == "user":
                user = turn
            elif role == "assistant" and turn.get("tool_calls") and user is not None:
                src = composer.units.get(user.get("unit", ""))
                for tc in turn["tool_calls"]:
                    if src is not None and src.unit.tool is not None and src.unit.tool.name == tc.get("name"):
                        args = _arguments(composer, out, user, src.unit.tool.arguments, tc.get("arguments") or {})
                        if args != tc.get("arguments"):
                            tc["arguments"] = args
                            fix.changed.append(f"turn {n} arguments")
                    calls[tc["id"]] = (n, tc)
            elif role == "tool" and turn.get("tool_call_id") in calls:
                _, tc = calls[turn["tool_call_id"]]
                result = call(conn, tc["name"], tc["arguments"], now)
                if result != turn.get("content"):
                    turn["content"] = result
                    fix.changed.append(f"turn {n} result")
    return fix


def _arguments(composer: Any, session: dict[str, Any], user: dict[str, Any], exprs: dict[str, str],
               old: dict[str, Any]) -> dict[str, Any]:
    label = user.get("label") or {}
    scope = {**recover_slots(composer, session, user, from_text=False), "label": label,
             "now": parse_time(session["now"])}
    args = dict(old)
    for name, expr in exprs.items():
        path = expr.strip()
        if path.startswith("label.") and path[6:].isidentifier():
            args[name] = label.get(path[6:])
            continue
        try:
            args[name] = plain(composer.templates.evaluate(expr, scope))
        except ComposerError:
            continue  # an argument over slots the session does not keep stays as it was
    return args


# -- re-rendering replies ----------------------------------------------------------------------
def rerender(composer: Any, session: dict[str, Any], n: int) -> Fix:
    """Re-decide reply turn ``n``'s outcome on its tool result and render its text again."""
    out = copy.deepcopy(session)
    turn = _turn(out, n)
    if turn.get("role") != "assistant" or turn.get("tool_calls") or "outcome" not in turn:
        raise ComposerError(f"session {session.get('id')}: turn {n} is not a reply")
    fix = Fix(out)
    user, result = None, None
    for prev in reversed(out["turns"][:n - 1]):
        if prev.get("role") == "tool" and result is None:
            result = prev.get("content")
        if prev.get("role") == "user":
            user = prev
            break
    src = composer.units.get((user or {}).get("unit", ""))
    if user is None or src is None:
        fix.notes.append(f"turn {n}: no request from a known unit before this reply")
        return fix
    unit = src.unit
    now = parse_time(out["now"])
    scope = {**recover_slots(composer, out, user, from_text=True), "label": user.get("label") or {},
             "result": result, "now": now}
    outcome = turn.get("outcome")
    if result is not None and unit.outcomes:
        for candidate in unit.outcomes:
            try:
                holds = candidate.when is None or bool(composer.templates.evaluate(candidate.when, scope))
            except ComposerError:  # the condition needs a slot the session does not keep: decide nothing
                fix.notes.append(f"turn {n}: outcome {candidate.id!r} cannot be re-decided from what the session "
                                 f"keeps; {outcome!r} is kept")
                break
            if holds:
                outcome = candidate.id
                break
    rendered, failures = [], []
    for source in unit.replies.get(outcome or "", []):
        try:
            alts = composer.templates.alternatives(source)
            for choices in alts.combinations(_VARIANTS):  # the one said is among them
                rendered.append(composer.templates.render_text(source, {**scope, "outcome": outcome},
                                                               choices=choices).strip())
        except ComposerError as exc:
            failures.append(str(exc).rsplit(": ", 1)[-1])
    if not rendered:
        why = f" ({failures[0]})" if failures else ""
        fix.notes.append(f"turn {n}: no reply template of outcome {outcome!r} renders from what the session "
                         f"keeps{why}; edit the text (e)")
        return fix
    best = max(rendered, key=lambda r: difflib.SequenceMatcher(None, r, turn.get("content", "")).ratio())
    if outcome != turn.get("outcome"):
        turn["outcome"] = outcome
        fix.changed.append(f"turn {n} outcome")
    if best != turn.get("content"):
        turn["content"] = best
        fix.changed.append(f"turn {n} text")
    last = max((i for i, t in enumerate(out["turns"], 1) if "outcome" in t and t.get("step") not in ASIDE_STEPS),
               default=0)
    if n == last and out.get("outcome") != outcome:  # the session's outcome: its last task step's
        out["outcome"] = outcome
    return fix


def fix_all(composer: Any, session: dict[str, Any], base: dict[str, Any] | None = None) -> Fix:
    """Re-extract the labels verification flags, re-run the tools, then re-render the replies that
    are flagged or whose request changed (its text, label or tool result differ from ``base``)."""
    fix = Fix(session)
    for n, problems in turn_problems(composer.verify(session)).items():
        if n and any(FIXES.get(p.split(":", 1)[0]) == "reextract" for p in problems):
            _merge(fix, reextract(composer, fix.session, n))
    _merge(fix, rerun_tools(composer, fix.session))
    flagged = {n for n, problems in turn_problems(composer.verify(fix.session)).items()
               if n and any(FIXES.get(p.split(":", 1)[0]) == "rerender" for p in problems)}
    for n in sorted(flagged | _stale_replies(fix.session, base)):
        _merge(fix, rerender(composer, fix.session, n))
    return fix


def _stale_replies(session: dict[str, Any], base: dict[str, Any] | None) -> set[int]:
    """Reply turns whose request (user turn or tool result) differs from the same turns in ``base``."""
    if base is None:
        return set()
    old = base.get("turns", [])
    out, dirty = set(), False
    for n, turn in enumerate(session["turns"], 1):
        role = turn.get("role")
        before = old[n - 1] if n <= len(old) else None
        if role == "user":
            dirty = before != turn
        elif role == "tool":
            dirty = dirty or before != turn
        elif role == "assistant" and not turn.get("tool_calls") and "outcome" in turn and dirty:
            out.add(n)
    return out


def _merge(into: Fix, step: Fix) -> None:
    into.session = step.session
    into.changed += step.changed
    into.notes += step.notes


def regenerate(composer: Any, session: dict[str, Any]) -> dict[str, Any]:
    """Session ``(flow, index)`` composed by ``composer`` (built with the new seed), keeping the id,
    seed and index of ``session``; ``regenerated`` records the seed the content comes from."""
    fresh = composer.compose(session["flow"], session["index"])
    fresh["regenerated"] = {"seed": composer.seed, "as": fresh["id"]}
    fresh.update(id=session["id"], seed=session["seed"], index=session["index"])
    return fresh
