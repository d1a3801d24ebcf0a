"""Verifying a sample before it is written: label types, grounding in the text, tool re-execution.

A failure is a short reason code plus the field at fault (``grounding:phone``,
``tool_mismatch``); ``generate`` counts failures by reason and never writes a failing sample.

Grounding modes (a label field's ``grounded``):

* ``text`` — the value appears in the user text (ignoring spaces, case and full-width forms);
* ``digits`` — the value's digits appear as one number in the text (138-0013-8000, +86 138…);
* ``time`` — a time phrase in the text resolves, at the sample's clock, to a window that starts
  or ends at the value;
* ``derived`` — computed from other fields, not looked for.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twinchat.composer.errors import TimeExpressionError
from twinchat.composer.engine.references import resolve
from twinchat.composer.verify.stamps import stamp_problem

if TYPE_CHECKING:
    from twinchat.units.spec import Unit

__all__ = ["Verifier", "verify_sample", "fold_for_grounding", "digit_runs", "label_type_ok"]

_FULL_TO_HALF = {i + 0xFEE0: i for i in range(0x21, 0x7F)} | {0x3000: 0x20}
_FULL_WIDTH = re.compile("[\u3000\uff01-\uff5e]")
# A number: digits with single separators inside. It matches the text as written: full-width digits
# are \d and U+3000 is \s already, so only the full-width hyphen needs naming (\s is str.isspace).
_NUMBER = re.compile(r"\d+(?:[\s\-\uff0d]\d+)*")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def _half_width(text: str) -> str:
    """Full-width ASCII forms and spaces → half-width (``translate`` only when there are some: it is slow)."""
    return text.translate(_FULL_TO_HALF) if _FULL_WIDTH.search(text) else text


def fold_for_grounding(text: str) -> str:
    """``text`` as the ``text`` grounding compares it: full-width ASCII forms and U+3000 made
    half-width, whitespace dropped, lower case.

    A label value is grounded when its fold appears in the fold of the user text, so a customer may
    type ＤＤ2611…, dd 2611… or 南山 区 for what the label holds. Punctuation is kept (it is part of
    an address or a model name), and only full-width ASCII is folded, not all of NFKC, so a value
    never matches text that merely looks like it (①, ㎏)."""
    return "".join(_half_width(text).split()).lower()


def digit_runs(text: str) -> list[str]:
    """Numbers in the text, with separators inside a number removed and a +86 prefix dropped."""
    runs = []
    for run in _NUMBER.findall(text):
        if not run.isdigit():  # separators inside
            run = "".join(run.replace("-", "").replace("\uff0d", "").split())
        if not run.isascii():  # full-width digits
            run = run.translate(_FULL_TO_HALF)
        if len(run) == 13 and run.startswith("86"):
            run = run[2:]
        runs.append(run)
    return runs


def label_type_ok(kind: str, value: Any) -> bool:
    """Whether a label value has its declared type (None is always allowed: a missing field)."""
    if value is None:
        return True
    if kind == "str":
        return isinstance(value, str) and value != ""
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "phone":
        return isinstance(value, str) and value.isdigit() and 6 <= len(value) <= 13
    if kind == "datetime":
        return isinstance(value, str) and _DATETIME.match(value) is not None
    if kind == "list":
        return isinstance(value, list)
    return isinstance(value, dict)


class _Text:
    """The user text, with its normalised form and number runs computed only when needed."""

    __slots__ = ("raw", "_norm", "_runs")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self._norm: str | None = None
        self._runs: list[str] | None = None

    @property
    def norm(self) -> str:
        if self._norm is None:
            self._norm = fold_for_grounding(self.raw)
        return self._norm

    @property
    def runs(self) -> list[str]:
        if self._runs is None:
            self._runs = digit_runs(self.raw)
        return self._runs


def _whole_number_in(text: str, digits: str) -> bool:
    """Whether ``digits`` occurs in ``text`` as a number of its own (no digit right before or after)."""
    i = text.find(digits)
    while i >= 0:
        end = i + len(digits)
        if (i == 0 or not text[i - 1].isdigit()) and (end == len(text) or not text[end].isdigit()):
            return True
        i = text.find(digits, i + 1)
    return False


def names(text: str, now: datetime, moment: datetime) -> bool:
    """The time grammar's :func:`~twinchat.composer.time.resolve.names`, imported on the first time a
    sample's time is checked (a run whose units say no time never loads the grammar); it then
    rebinds this name to the grammar's own function."""
    global names
    from twinchat.composer.time.resolve import names
    return names(text, now, moment)


def _time_said(raw: str, value: str, now: datetime) -> bool:
    """Whether a time phrase in ``raw`` resolves, at ``now``, to a window that starts or ends at ``value``."""
    want = datetime.fromisoformat(value)
    try:
        return names(raw, now, want)
    except TimeExpressionError:
        return False


def _grounded(mode: str, value: Any, text: _Text, now: datetime, refs: dict[str, Any] | None = None) -> bool:
    if value is None or mode == "derived":
        return True
    if mode == "reference":
        return any(resolve(text.raw, items) == value for items in (refs or {}).values())
    if mode == "digits":
        digits = value if isinstance(value, str) and value.isdigit() else "".join(c for c in str(value) if c.isdigit())
        return _whole_number_in(text.raw, digits) or digits in text.runs
    if mode == "time":
        return _time_said(text.raw, value, now)
    for item in value if isinstance(value, list) else (value,):
        shown = str(item)
        if shown not in text.raw and fold_for_grounding(shown) not in text.norm:
            return False
    return True


_NO_CLOCK = object()  # the clock text before any is read (equal to no text)


class Verifier:
    """Verifies samples of one unit; ``rerun(tool_call, now) -> result`` re-executes tool calls.

    The per-unit lookups (templates, label fields) are done once, not per sample. With
    ``replies=False`` only the user side is checked (sessions check replies turn by turn).
    """

    def __init__(self, unit: Unit, rerun: Any = None, *, replies: bool = True) -> None:
        self.unit = unit
        self.rerun = rerun
        self.replies = replies
        self._names = set(unit.label)
        #: per template: (field, type, grounding, whether the template leaves the field out)
        self._plans = {t.id: [(name, spec.type, spec.grounded, name in t.missing) for name, spec in unit.label.items()]
                       for t in unit.templates}
        #: the clock read last: (its text, the datetime)
        self._clock: tuple[Any, datetime | None] = (_NO_CLOCK, None)

    def __call__(self, sample: dict[str, Any]) -> list[str]:
        """Reasons the sample fails (empty when it passes)."""
        label = sample["label"]
        if label.keys() != self._names:
            return ["label_fields"]
        raw = sample["text"]
        plan = self._plans.get(sample["template"])
        if plan is None:
            return ["empty_text", "unknown_template"] if not raw or raw.isspace() else ["unknown_template"]
        stamp = sample["now"]  # a malformed clock is an error, checked or not (samples often share one)
        now = self._clock[1] if stamp == self._clock[0] else self._read_clock(stamp)
        reasons = self._fields(plan, label, raw, now, sample)
        if sample.get("tool_call") is not None and self.rerun is not None:
            if self.rerun(sample["tool_call"], now) != sample["result"]:
                reasons.append("tool_mismatch")
        if self.replies and self.unit.replies:
            self._check_reply(sample, reasons)
        return reasons

    def user_turn(self, raw: str, label: dict[str, Any], template: Any, stamp: str, turn: dict[str, Any]) -> list[str]:
        """The label side of a session's user turn, as :meth:`__call__` checks the sample
        ``{"text": raw, "label": label, "template": template, "now": stamp, "refs": turn.get("refs")}``
        (without a tool call; sessions re-run calls and check replies turn by turn)."""
        if label.keys() != self._names:
            return ["label_fields"]
        plan = self._plans.get(template)
        if plan is None:
            return ["empty_text", "unknown_template"] if not raw or raw.isspace() else ["unknown_template"]
        now = self._clock[1] if stamp == self._clock[0] else self._read_clock(stamp)
        return self._fields(plan, label, raw, now, turn)

    def _fields(self, plan: list[tuple[str, str, str, bool]], label: dict[str, Any], raw: str, now: datetime,
                refs: dict[str, Any]) -> list[str]:
        """The label fields' reasons (types, grounding in ``raw``), after ``empty_text`` if the text is
        empty; ``refs.get("refs")`` holds what references are resolved against."""
        reasons: list[str] = ["empty_text"] if not raw or raw.isspace() else []
        text = None  # the normalised forms, made when a field needs more than a plain look-up
        runs = None  # the numbers in the text, made when a number is not written as one
        for name, kind, mode, left_out in plan:
            value = label[name]
            if left_out:
                if value is not None:
                    reasons.append(f"missing_not_null:{name}")
                continue
            if type(value) is str and value:
                if kind != "str" and not label_type_ok(kind, value):
                    reasons.append(f"type:{name}")
                    continue
                # the common cases, without the general check: the value as written, or as a number
                if mode == "text":
                    if value in raw:
                        continue
                elif mode == "digits" and value.isdigit():
                    i = raw.find(value)  # _whole_number_in's first look, inline: it is usually enough
                    end = i + len(value)
                    if i >= 0 and (i == 0 or not raw[i - 1].isdigit()) and (end == len(raw) or not raw[end].isdigit()):
                        continue
                    if i >= 0 and _whole_number_in(raw, value):
                        continue
                    if runs is None:
                        runs = digit_runs(raw)
                    if value not in runs:
                        reasons.append(f"grounding:{name}")
                    continue
                elif mode == "time":  # a phrase of the text names the value (no normalised text needed)
                    reasons.extend(() if _time_said(raw, value, now) else (f"grounding:{name}",))
                    continue
            elif not label_type_ok(kind, value):
                reasons.append(f"type:{name}")
                continue
            if mode == "derived" or value is None:  # computed from other fields, or not said: nothing to look for
                continue
            if text is None:
                text = _Text(raw)
            if not _grounded(mode, value, text, now, refs.get("refs")):
                reasons.append(f"grounding:{name}")
        return reasons

    def _read_clock(self, stamp: str) -> datetime:
        now = datetime.fromisoformat(stamp)
        self._clock = (stamp, now)
        return now

    def _check_reply(self, sample: dict[str, Any], reasons: list[str]) -> None:
        """The reply's reasons: an outcome the unit has no reply for, an empty reply, a stamp in it."""
        if sample.get("outcome") not in self.unit.replies:
            reasons.append("unknown_outcome")
        elif not (sample.get("reply") or "").strip():
            reasons.append("empty_reply")
        elif (stamp := stamp_problem(sample["reply"])) is not None:
            reasons.append(stamp)


def verify_sample(sample: dict[str, Any], unit: Unit, rerun: Any = None) -> list[str]:
    """Reasons the sample fails (empty when it passes); see :class:`Verifier`."""
    return Verifier(unit, rerun)(sample)
