"""Verifying a composed session: every check a session passes before it is stored as verified.

A failure is ``turn N: reason`` (``turn 3: grounding:phone``, ``turn 5: tool_mismatch``); a
session passes when there are none. Each user turn is checked as a sample is
(:class:`~twinchat.composer.verify.samples.Verifier`: label types, grounding in its text,
references against what was remembered); every tool call is re-executed in order on the world
(inside a savepoint rolled back at the end) and must give the stored result; every outcome is
re-decided on its result; the numbers, codes and order statuses a reply states must come
from the tool result, the label or the conversation so far; and the facts turns join must agree
(:mod:`~twinchat.composer.verify.crossturn`: orders, technicians, returns, visits, delivery
replies, argument words).
"""

from __future__ import annotations

import re
import sqlite3
from functools import partial
from datetime import datetime
from collections.abc import Iterator, Sequence
from typing import Any

from twinchat.composer.engine.render import TemplateCache
from twinchat.composer.errors import ComposerError
from twinchat.composer.jsontext import dumps
from twinchat.composer.verify.crossturn import CrossTurnChecker, StepList
from twinchat.composer.verify.samples import Verifier
from twinchat.composer.verify.stamps import stamp_problem
from twinchat.inventory.connection import close_scratch, open_scratch
from twinchat.inventory.timefmt import parse_time
from twinchat.inventory.tools import call, tool_writes
from twinchat.inventory.tools.memo import compared_call
from twinchat.units.loader import UnitSource

__all__ = ["SessionVerifier"]

#: What a reply may state that must come from somewhere: codes with letters and digits
#: (KF556S40IB-16, TK20261202326142) and numbers (a time's digits, a price, a count). The same
#: matches as ``[A-Za-z][A-Za-z0-9\-]*\d[A-Za-z0-9\-]*|\d+``, written to open with one character
#: class so the regex engine skips the Chinese text between facts instead of trying each position.
_NON_DIGIT = re.compile(r"\D")
_FACT = re.compile(r"[A-Za-z\d](?:(?<=[A-Za-z])[A-Za-z0-9\-]*\d[A-Za-z0-9\-]*|(?<=\d)\d*)")

#: A run of facts: what ``_FACT`` matches is made of these characters, so each fact lies inside one
#: run, and a run the result holds holds all its facts (one match, not one per fact, for most text).
_RUN = re.compile(r"[A-Za-z\d](?:[A-Za-z\d\- ]*[A-Za-z\d\-])?")

#: Order statuses a reply may state only when a tool result (or the conversation) says them (a reply
#: holds one only if it holds 待, 运输中 or 已: the test before the words are looked for one by one).
_STATUS_WORDS = ("待付款", "待发货", "运输中", "已签收", "已取消")

#: No reasons (shared: the callers only add it to their own list).
_NO_REASONS: tuple[str, ...] = ()


def session_problems(session: Any) -> Any:
    """The Session model's problems with ``session``, imported on the first session verified unshaped
    (building the model takes about 0.07 s; sessions verified as they are composed never need it);
    it then rebinds this name to the model module's own function."""
    global session_problems
    from twinchat.composer.session_models import session_problems
    return session_problems(session)


class SessionVerifier:
    """Verifies sessions against one world and the units they play (their checks in one place)."""

    def __init__(self, conn: sqlite3.Connection, units: dict[str, UnitSource], templates: TemplateCache) -> None:
        self.conn = conn
        self.units = units  # the composer's own dict: units it learns are verified too
        self.templates = templates
        self._verifiers: dict[str, Verifier] = {}  # per unit id: its user-side verifier
        #: per unit id: (unit, its tool's name or None, [(tool argument, the label field it must equal)])
        self._bound_args: dict[str, tuple[Any, str | None, list[tuple[str, str]]]] = {}
        #: per unit id: (unit, [[outcome id, condition text or None, its compiled expression once used]])
        self._conditions: dict[str, tuple[Any, list[list[Any]]]] = {}
        self.crossturn = CrossTurnChecker(conn)

    def __call__(self, session: dict[str, Any], shaped: bool = False) -> list[str]:
        """Reasons the session fails (``turn N: reason``); [] when it passes.

        Checks the turn shape (unless ``shaped``: checked already, as the store does for every session it
        reads, or just composed), every user turn's label (types, grounding in its text, references against
        what was remembered), re-executes every tool call in order (identical results), re-decides every
        outcome on the result, checks that the numbers and codes a reply states come from the tool result,
        the label or the conversation so far, and that the facts the turns join agree (cross-turn checks)."""
        shape = [] if shaped else session_problems(session)  # the Session model: every field and turn
        if shape:
            return [f"schema: {shape[0]}"]
        reasons: list[str] = [session["limit"]] if session.get("limit") else []  # it stopped at a limit
        try:
            clock = session["now"]
            now = parse_time(clock)  # ValueError for a clock that is not one
            turns = session["turns"]
        except (KeyError, TypeError, ValueError):
            return ["schema"]
        steps = StepList()  # the cross-turn checks' grouping, made on this walk of the turns
        reasons += self._walk(turns, clock, now, _Seen(session.get("customer", {}), clock), steps)
        return reasons + self.crossturn(turns, clock, steps)

    def _walk(self, turns: list[dict[str, Any]], clock: str, now: datetime, seen: _Seen, steps: StepList) -> list[str]:
        """The turns' reasons, checked in order (each call re-run as it comes, inside a savepoint
        rolled back at the end), feeding ``seen`` and ``steps`` as it goes."""
        reasons: list[str] = []
        saved: bool | None = None  # undoing re-run calls, opened before the first call that writes
        conn, verify_user, verify_reply = self.conn, self._verify_user, self._verify_reply
        # what the last user turn asked: its unit (None before the first), label, the call being
        # answered, and its result (None until one came) with the result's JSON
        unit_src: UnitSource | None = None
        label: dict[str, Any] = {}
        pending_call: dict[str, Any] | None = None
        result: Any = None
        result_json = "null"  # dumps(None)
        try:
            for n, turn in enumerate(turns, 1):
                role = turn.get("role")
                if role == "user":
                    unit_src = self.units.get(turn.get("unit", ""))
                    content = turn.get("content", "")
                    said = turn.get("label")
                    found = verify_user(n, turn, unit_src, clock, content, said or {})
                    if found:
                        reasons += found
                    seen.add_user(content, said)
                    steps.user(n, turn)
                    label, pending_call, result, result_json = said or {}, None, None, "null"
                elif role == "assistant" and turn.get("tool_calls"):
                    steps.tool_calls(turn)
                    for tc in turn["tool_calls"]:
                        pending_call = tc
                        found = self._verify_args(n, tc, unit_src, label)
                        if found:
                            reasons += found
                elif role == "tool":
                    steps.tool_result(n, turn)
                    tc = pending_call
                    if tc is None or tc.get("id") != turn.get("tool_call_id"):
                        reasons.append(f"turn {n}: tool result without its call")
                        continue
                    if saved is None and tool_writes(tc["name"]):
                        saved = open_scratch(conn, "twinchat_verify")
                    result = turn.get("content")  # compared only: a tool may answer uncopied
                    if compared_call(conn, partial(call, conn, tc["name"], tc["arguments"], now)) != result:
                        reasons.append(f"turn {n}: tool_mismatch")
                    result_json = dumps(result)
                    seen.add_result(result_json)
                elif role == "assistant":
                    steps.reply(n, turn)
                    found = verify_reply(n, turn, unit_src, label, result, result_json, now, seen)
                    if found:
                        reasons += found
                else:
                    reasons.append(f"turn {n}: schema")
        finally:
            if saved is not None:
                close_scratch(conn, "twinchat_verify", saved)
        return reasons

    def _verify_user(self, n: int, turn: dict[str, Any], src: UnitSource | None, now: str, text: str,
                     label: dict[str, Any]) -> list[str]:
        if src is None:
            return [f"turn {n}: unknown_unit"]
        verifier = self._verifiers.get(src.unit.id)
        if verifier is None or verifier.unit is not src.unit:
            verifier = self._verifiers[src.unit.id] = Verifier(src.unit, replies=False)
        problems = verifier.user_turn(text, label, turn.get("template"), now, turn)
        return [f"turn {n}: {r}" for r in problems] if problems else problems

    def _verify_args(self, n: int, tc: dict[str, Any], src: UnitSource | None, label: dict[str, Any]) -> Sequence[str]:
        if src is None:
            return [f"turn {n}: unexpected_tool_call"]
        unit = src.unit
        bound = self._bound_args.get(unit.id)
        if bound is None or bound[0] is not unit:
            bound = self._bound_args[unit.id] = _bound_arguments(unit)
        if bound[1] is None or bound[1] != tc.get("name"):
            return [f"turn {n}: unexpected_tool_call"]
        args = tc["arguments"]
        out: list[str] | None = None
        for arg, field in bound[2]:
            if args.get(arg) != label.get(field):
                if out is None:
                    out = []
                out.append(f"turn {n}: argument_mismatch:{arg}")
        return _NO_REASONS if out is None else out

    def _verify_reply(self, n: int, turn: dict[str, Any], src: UnitSource | None, label: dict[str, Any],
                      result: Any, result_json: str, now: datetime, seen: _Seen) -> list[str]:
        """The reply's reasons; ``result`` (None when none came) and ``result_json`` are the last tool
        result since the user turn ``label`` is of (``"null"`` when there is none)."""
        out: list[str] = []
        if src is None:
            return [f"turn {n}: reply_without_request"]
        unit = src.unit
        if turn.get("outcome") not in unit.replies:
            return [f"turn {n}: unknown_outcome"]
        if result is not None and unit.outcomes:
            decided = self._decided(unit, {"result": result, "label": label, "now": now})
            if decided is not None and decided != turn["outcome"]:
                out.append(f"turn {n}: outcome_mismatch")
        # what a reply may state: the conversation so far and the result (``seen`` + the result's
        # JSON); most facts are in the result, so the whole text is made only for those that are not
        if result is None:
            result_json = "null"  # dumps(None)
        sources: str | None = None
        digits: str | None = None
        content = turn.get("content", "")
        for fact in _unsourced(content, result_json):  # in order: the first bad one is named
            if fact.isdigit():  # a number (the other facts start with a letter)
                if len(fact) < 2:
                    continue  # list numbering (1. 2. 3.) and single digits say nothing checkable
                bare = fact
            else:
                bare = _NON_DIGIT.sub("", fact)
            if sources is None:
                sources = seen.text() + result_json
            if fact in sources:
                continue
            if digits is None:
                digits = _NON_DIGIT.sub("", sources)
            if len(bare) < 3 or bare not in digits:
                out.append(f"turn {n}: reply_fact:{fact}")
                break
        if "待" in content or "运输中" in content or "已" in content:  # else it states no status word at all
            for word in _STATUS_WORDS:
                if word in content and word not in result_json and word not in (sources or seen.text() + result_json):
                    out.append(f"turn {n}: reply_fact:{word}")
                    break
        stamp = stamp_problem(content)
        if stamp is not None:
            out.append(f"turn {n}: {stamp}")
        return out

    def _decided(self, unit: Any, scope: dict[str, Any]) -> str | None:
        """The first of the unit's outcomes whose condition holds on ``scope`` (one without a condition
        always holds), or None (in one loop: a reply has several to try). The conditions are the
        template cache's compiled expressions (what ``evaluate`` calls), each looked up on its first use."""
        kept = self._conditions.get(unit.id)
        if kept is None or kept[0] is not unit:
            kept = self._conditions[unit.id] = (unit, [[o.id, o.when, None] for o in unit.outcomes])
        for entry in kept[1]:
            outcome, when, condition = entry
            if when is not None:
                try:
                    if condition is None:
                        condition = entry[2] = self.templates.compiled(when)
                    if not condition(scope):
                        continue
                except ComposerError:
                    continue  # conditions over slots cannot be re-decided from the stored session
                except TypeError:
                    continue  # a result of another shape (an edited one: its re-run already says so)
            return outcome  # type: ignore[no-any-return]
        return None


def _bound_arguments(unit: Any) -> tuple[Any, str | None, list[tuple[str, str]]]:
    """(unit, its tool's name or None, [(tool argument, the label field it must equal)]): the
    arguments written as a bare ``label.field``."""
    if unit.tool is None:
        return unit, None, []
    return unit, unit.tool.name, [(arg, expr.strip()[6:]) for arg, expr in unit.tool.arguments.items()
                                  if expr.strip().startswith("label.") and expr.strip()[6:].isidentifier()]


def _unsourced(content: str, result_json: str) -> Iterator[str]:
    """The facts ``content`` states that ``result_json`` does not hold, in order (a fact said twice
    comes twice: it passes or fails the same way each time). ``_FACT`` matches inside a run as in
    the whole text (a match neither crosses nor looks past the run's ends)."""
    for run in _RUN.findall(content):
        if run not in result_json:
            yield from (fact for fact in _FACT.findall(run) if fact not in result_json)


class _Seen:
    """What a conversation has said so far, as verification compares reply facts with it: the
    customer's JSON, the clock, then each user text with its label's JSON and each tool result's
    JSON. The text is made (the JSON written) only when a reply needs it."""

    __slots__ = ("_parts", "_done", "_text")

    def __init__(self, customer: Any, now: str) -> None:
        self._parts: list[Any] = [_Json(customer), now]
        self._done = 0  # parts already in _text
        self._text = ""

    def add_user(self, text: str, label: Any) -> None:
        self._parts += (text, _Json(label))

    def add_result(self, result_json: str) -> None:
        self._parts.append(result_json)

    def text(self) -> str:
        if self._done < len(self._parts):
            self._text += "".join(p.dump() if isinstance(p, _Json) else p for p in self._parts[self._done:])
            self._done = len(self._parts)
        return self._text


class _Json:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def dump(self) -> str:
        return dumps(self.value)
