"""How varied the composed sessions are, once slot values are set aside.

A turn's **skeleton** is its text with the values it carries masked: every labelled value of the
request, every text of the tool result and of the customer record becomes ``<V>``, every time
phrase ``<T>`` (the time grammar's pattern, without resolving it), every number ``<N>``. Two turns
with the same skeleton say the same thing with other data; a model trained on them learns the
sentence, not the skill. :class:`DiversityMeter` is fed one session at a time (nothing but its
counters stays in memory) and reports, per unit and per flow:

* the distinct skeletons of user turns, assistant replies and ReAct thoughts;
* distinct-1 and distinct-2: distinct character unigrams / bigrams over all of them, of the user
  texts (whitespace ignored, as ``twinchat stats`` counts them for the whole store);
* per flow, the share of sessions whose sequence of reply skeletons is the same as another
  session's (``repeat_share``);
* the most frequent skeletons.

:func:`store_diversity` streams the sessions of a store through a meter (one query, rows read as
they come).
"""

from __future__ import annotations

import json
import re
import sqlite3
import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

from twinchat.composer.errors import ComposerError
from twinchat.composer.time.grammar import FULLWIDTH, PHRASE, has_core

__all__ = ["DiversityMeter", "skeleton", "store_diversity", "diversity_lines", "diversity_card"]

_NUMBER = re.compile(r"[0-9][0-9,.:]*")
#: any character FULLWIDTH folds: a text without one folds to itself (translate is the dear path)
_FOLDED = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(FULLWIDTH)) + "]")


def _fold(text: str) -> str:
    """``text.translate(FULLWIDTH)``, without translating a text it leaves as it is."""
    return text.translate(FULLWIDTH) if _FOLDED.search(text) else text
_MIN_VALUE = 2  # shorter texts (它, 是) are words of the sentence, not values


def skeleton(text: str, values: Iterable[str]) -> str:
    """``text`` with ``values`` (longest first) → ``<V>``, time phrases → ``<T>``, numbers → ``<N>``."""
    return _skeleton(text, _longest_first(values))


def _longest_first(values: Iterable[str]) -> list[str]:
    """``values`` in the order :func:`skeleton` masks them (a turn's texts share one ordering)."""
    return sorted(values, key=len, reverse=True)


def _skeleton(text: str, ordered: list[str]) -> str:
    """:func:`skeleton` with its values already ordered by :func:`_longest_first`."""
    for value in ordered:
        if value in text:
            text = text.replace(value, "<V>")
    folded = _fold(text)  # one character for one: offsets hold in ``text``
    if PHRASE.search(folded):
        parts, last = [], 0
        for m in PHRASE.finditer(folded):
            if m.end() > m.start() and has_core(m):
                parts += [text[last:m.start()], "<T>"]
                last = m.end()
        text = "".join(parts) + text[last:]
        folded = _fold(text)
    return _NUMBER.sub("<N>", folded)


def _leaves(value: Any, out: set[str]) -> set[str]:
    """The texts inside a JSON value long enough to be values."""
    if isinstance(value, str):
        if len(value) >= _MIN_VALUE:
            out.add(value)
        return out
    stack = [value]
    while stack:  # numbers are not values here: every number is masked as <N>
        value = stack.pop()
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
        for v in items:
            if type(v) is str:
                if len(v) >= _MIN_VALUE:
                    out.add(v)
            elif isinstance(v, str):
                if len(v) >= _MIN_VALUE:
                    out.add(v)
            elif isinstance(v, (dict, list, tuple)):
                stack.append(v)
    return out


class _Grams:
    """Distinct and total character unigrams and bigrams of the texts fed."""

    def __init__(self) -> None:
        self.uni: set[str] = set()
        self.bi: set[str] = set()
        self.total = [0, 0]

    def add(self, text: str) -> None:
        chars = "".join(text.split())
        self.uni.update(chars)
        self.bi.update(map(str.__add__, chars, chars[1:]))
        self.total[0] += len(chars)
        self.total[1] += max(len(chars) - 1, 0)

    def ratios(self) -> tuple[float, float]:
        return tuple(round(len(s) / t, 4) if t else 0.0 for s, t in zip((self.uni, self.bi), self.total))  # type: ignore[return-value]


class _Tally:
    """The counters of one unit or one flow."""

    def __init__(self) -> None:
        self.user: Counter[str] = Counter()
        self.reply: Counter[str] = Counter()
        self.thought: Counter[str] = Counter()
        self.grams = _Grams()
        self.sessions = 0
        self.paths: Counter[int] = Counter()  # hash of a session's reply skeletons → sessions

    def to_json(self, top: int, flow: bool) -> dict[str, Any]:
        d1, d2 = self.grams.ratios()
        out: dict[str, Any] = {}
        if flow:
            repeated = sum(n for n in self.paths.values() if n > 1)
            out.update(sessions=self.sessions, repeat_share=round(repeated / self.sessions, 4) if self.sessions else 0.0)
        out.update(user_turns=sum(self.user.values()), user_skeletons=len(self.user),
                   reply_skeletons=len(self.reply), thought_skeletons=len(self.thought), distinct_1=d1,
                   distinct_2=d2, top_user=_top(self.user, top), top_reply=_top(self.reply, top))
        return out


def _top(counter: Counter[str], top: int) -> list[list[Any]]:
    return [[k, n] for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]


class DiversityMeter:
    """Counts skeletons of the sessions fed to :meth:`add` (see the module docstring)."""

    def __init__(self, top: int = 3) -> None:
        self.top = top
        self.units: dict[str, _Tally] = {}
        self.flows: dict[str, _Tally] = {}
        self.thoughts: Counter[str] = Counter()

    def add(self, session: dict[str, Any]) -> None:
        """Count one session (a dict as the store keeps it: ``flow``, ``customer``, ``turns``)."""
        flow = self.flows.get(session.get("flow") or "-") or self.flows.setdefault(session.get("flow") or "-", _Tally())
        flow.sessions += 1
        base = _leaves(session.get("customer") or {}, set())
        values, unit, replies = base, None, []
        ordered: list[str] | None = None  # ``values`` longest first, made when a text needs it
        for turn in session.get("turns") or ():
            role, text = turn.get("role"), turn.get("content")
            if role == "user":
                unit = self.units.get(turn.get("unit") or "-") or self.units.setdefault(turn.get("unit") or "-", _Tally())
                values = _leaves(turn.get("label") or {}, set(base))
                ordered = _longest_first(values)
                form = _skeleton(text or "", ordered)
                unit.user[form] += 1
                flow.user[form] += 1
                unit.grams.add(text or "")
                flow.grams.add(text or "")
            elif role == "tool":
                values = _leaves(turn.get("content"), set(values))
                ordered = None
            elif role == "assistant":
                if ordered is None and (text or turn.get("thought")):
                    ordered = _longest_first(values)
                if turn.get("thought"):
                    form = _skeleton(turn["thought"], ordered)
                    self.thoughts[form] += 1
                    flow.thought[form] += 1
                    if unit is not None:
                        unit.thought[form] += 1
                if text:
                    form = _skeleton(text, ordered)
                    replies.append(form)
                    flow.reply[form] += 1
                    if unit is not None:
                        unit.reply[form] += 1
        flow.paths[hash(tuple(replies))] += 1

    def to_json(self) -> dict[str, Any]:
        units = {u: t.to_json(self.top, False) for u, t in sorted(self.units.items())}
        flows = {f: t.to_json(self.top, True) for f, t in sorted(self.flows.items())}
        per_unit = [u["user_skeletons"] for u in units.values()]
        return {"median_user_skeletons": statistics.median(per_unit) if per_unit else 0,
                "thought_skeletons": len(self.thoughts),
                "max_repeat_share": max((f["repeat_share"] for f in flows.values()), default=0.0),
                "units": units, "flows": flows, "top_thoughts": _top(self.thoughts, self.top)}


def store_diversity(conn: sqlite3.Connection, flow: str | None = None, status: str | None = None,
                    top: int = 3) -> dict[str, Any]:
    """The diversity report (:meth:`DiversityMeter.to_json`) of the stored sessions, streamed."""
    if status is not None and status not in ("ok", "failed"):
        raise ComposerError(f"unknown status {status!r} (ok or failed)")
    clauses = [(c, v) for c, v in (("flow", flow), ("status", status)) if v is not None]
    where = " WHERE " + " AND ".join(f"{c} = ?" for c, _ in clauses) if clauses else ""
    meter = DiversityMeter(top)
    rows = conn.execute(f"SELECT flow, customer, turns FROM sessions{where}", [v for _, v in clauses])
    for flow_id, customer, turns in rows:
        meter.add({"flow": flow_id, "customer": json.loads(customer), "turns": json.loads(turns)})
    return meter.to_json()


def diversity_lines(report: dict[str, Any]) -> list[str]:
    """The report as text lines (``twinchat stats``)."""
    lines = [f"diversity (skeletons: slot values <V>, times <T>, numbers <N> masked): median distinct user "
             f"skeletons per unit {report['median_user_skeletons']:g}, thought skeletons "
             f"{report['thought_skeletons']:,}, worst repeat share {report['max_repeat_share']:.1%}"]
    width = max((len(k) for k in (*report["units"], *report["flows"])), default=4)
    lines.append(f"  {'unit':<{width}}  {'turns':>8}  {'user sk.':>8}  {'reply sk.':>9}  {'d-1':>6}  {'d-2':>6}")
    for uid, u in report["units"].items():
        lines.append(f"  {uid:<{width}}  {u['user_turns']:>8,}  {u['user_skeletons']:>8,}  {u['reply_skeletons']:>9,}"
                     f"  {u['distinct_1']:>6.4f}  {u['distinct_2']:>6.4f}")
    lines.append(f"  {'flow':<{width}}  {'sessions':>8}  {'user sk.':>8}  {'reply sk.':>9}  {'thought':>7}  {'repeat':>6}")
    for fid, f in report["flows"].items():
        lines.append(f"  {fid:<{width}}  {f['sessions']:>8,}  {f['user_skeletons']:>8,}  {f['reply_skeletons']:>9,}"
                     f"  {f['thought_skeletons']:>7,}  {f['repeat_share']:>6.1%}")
        for form, n in f["top_reply"]:
            lines.append(f"    {n:>7,}× {form.replace(chr(10), ' / ')}")
    return lines


def diversity_card(report: dict[str, Any]) -> list[str]:
    """The report as a Markdown section of the dataset card."""
    def table(header: list[str], rows: list[list[Any]]) -> list[str]:
        return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
                *("| " + " | ".join(str(c) for c in row) + " |" for row in rows)]

    def code(form: str) -> str:
        return "`" + form.replace("\n", " / ").replace("`", "'").replace("|", "\\|") + "`"

    lines = ["## Diversity", "",
             "Skeletons are texts with slot values (`<V>`), time phrases (`<T>`) and numbers (`<N>`) masked; "
             "distinct-1/2 count distinct characters and character pairs of the user texts. Repeat share: "
             "sessions whose reply skeletons, in order, are another session's.", "",
             f"Median distinct user skeletons per unit: {report['median_user_skeletons']:g}; distinct thought "
             f"skeletons: {report['thought_skeletons']:,}.", ""]
    lines += table(["unit", "user turns", "user skeletons", "reply skeletons", "distinct-1", "distinct-2",
                    "most frequent user skeleton"],
                   [[f"`{u}`", f"{d['user_turns']:,}", f"{d['user_skeletons']:,}", f"{d['reply_skeletons']:,}",
                     d["distinct_1"], d["distinct_2"], code(d["top_user"][0][0]) if d["top_user"] else ""]
                    for u, d in report["units"].items()])
    lines += [""] + table(["flow", "sessions", "user skeletons", "reply skeletons", "thought skeletons",
                           "repeat share", "most frequent reply skeleton"],
                          [[f"`{f}`", f"{d['sessions']:,}", f"{d['user_skeletons']:,}", f"{d['reply_skeletons']:,}",
                            f"{d['thought_skeletons']:,}", f"{d['repeat_share']:.1%}",
                            code(d["top_reply"][0][0]) if d["top_reply"] else ""]
                           for f, d in report["flows"].items()])
    return [*lines, ""]
