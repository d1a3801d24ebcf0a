"""Session verdicts pinned on composed sessions as they are and altered in every way a check looks at.

Sessions of every built-in flow are composed on the test world, then each is altered one way at a
time (a label value, a user text, a tool argument, a tool result, a reply's facts, status word or
stamp, its outcome, the clock, the unit, a turn dropped or moved). The verdicts of the whole corpus
are pinned by their digest, with the count of each reason: a faster verification must give every
verdict as before, on good sessions and on broken ones alike. (Regenerate the pins with
``TWINCHAT_VERDICTS=print pytest tests/composer/test_verify_verdicts.py -s`` only for a change that
means to change verdicts.)
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import random
import re
from collections import Counter
from typing import Any

import pytest

from twinchat.composer.engine.compose import SessionComposer
from twinchat.composer.store.sessions import reason_key

#: sessions per flow (index 0 … SESSIONS - 1)
SESSIONS = 6

#: the corpus's verdicts (sha256 of their JSON) and how many there are
DIGEST = "cdc11648781758e1264adb7a4e2938eeaa3fcf177025369d241f9e61fb348c5d"
VERDICTS = 3161
#: failing verdicts per reason key (a reason counted once per verdict that gives it)
REASONS = {
    "address_change": 8, "argument_mismatch": 357, "argument_vocabulary": 3, "grounding": 186, "limit": 72,
    "order_eta": 3, "order_unchecked_address": 3, "order_unplaced": 2, "outcome_mismatch": 20,
    "raised ValueError": 1, "reply_fact": 778, "reply_stamp": 246, "reply_without_request": 195, "schema": 145,
    "ticket_technician": 1, "tool result without its call": 159, "tool_mismatch": 436, "type": 96,
    "unexpected_tool_call": 159, "unknown_outcome": 243, "unknown_template": 123, "unknown_unit": 123,
}


def _scalars(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """(path, value) of every str/int/float leaf of a JSON-like value."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _scalars(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _scalars(v, (*path, i))]
    return [(path, value)] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else []


def _set(root: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        root = root[key]
    root[path[-1]] = value


def _changed(value: Any, rng: random.Random) -> Any:
    if isinstance(value, str):
        digits = [i for i, c in enumerate(value) if c.isdigit()]
        if digits and rng.random() < 0.6:
            i = rng.choice(digits)
            return value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1:]
        return rng.choice([value + "X", value[1:], value.upper() + " 9", ""])
    if isinstance(value, float):
        return rng.choice([value + 1.0, -value, 0.0])
    if isinstance(value, int) and not isinstance(value, bool):
        return rng.choice([value + 1, value - 1, 0, str(value)])
    return rng.choice([None, "X", [], {}])


def _alterations(session: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """The session as it is, then altered one way at a time."""
    turns = session["turns"]
    out = [session]

    def altered(change: Any) -> None:
        s = copy.deepcopy(session)
        if change(s, s["turns"]) is not False:
            out.append(s)

    def at(role: str, test: Any = lambda t: True) -> list[int]:
        return [i for i, t in enumerate(turns) if t.get("role") == role and test(t)]

    for i in at("user", lambda t: bool(_scalars(t.get("label")))):
        path, value = rng.choice(_scalars(turns[i]["label"]))
        altered(lambda s, ts: _set(ts[i]["label"], path, _changed(value, rng)))
        altered(lambda s, ts: _set(ts[i]["label"], path, None))
        altered(lambda s, ts: _set(ts[i]["label"], path, [value]))
    for i in at("user"):
        text = turns[i]["content"]
        altered(lambda s, ts: _set(ts[i], ("content",), re.sub(r"\d", "", text)))
        altered(lambda s, ts: _set(ts[i], ("content",), text[len(text) // 2:] + "\uff11\uff12" + text[:len(text) // 2]))
        altered(lambda s, ts: _set(ts[i], ("unit",), "no_such_unit"))
        altered(lambda s, ts: _set(ts[i], ("template",), "no_such_template"))
    for i in at("assistant", lambda t: bool(t.get("tool_calls"))):
        args = turns[i]["tool_calls"][0]["arguments"]
        for key in list(args)[:2]:
            altered(lambda s, ts, key=key: _set(ts[i]["tool_calls"][0]["arguments"], (key,), _changed(args[key] or "", rng)))
        altered(lambda s, ts: _set(ts[i]["tool_calls"][0], ("id",), "call_99"))
    for i in at("tool"):
        leaves = _scalars(turns[i]["content"])
        for path, value in rng.sample(leaves, min(3, len(leaves))):
            altered(lambda s, ts, path=path, value=value: _set(ts[i]["content"], path, _changed(value, rng)))
        altered(lambda s, ts: ts.pop(i))
    for i in at("assistant", lambda t: not t.get("tool_calls")):
        text = turns[i]["content"]
        for extra in ("订单号DD26111999", "共12件", "已取消", "2026-12-03", "23:59:59", "AB-77x", "1. 2. 3."):
            altered(lambda s, ts, extra=extra: _set(ts[i], ("content",), text + extra))
        altered(lambda s, ts: _set(ts[i], ("content",), re.sub(r"\d", "7", text)))
        altered(lambda s, ts: _set(ts[i], ("content",), ""))
        altered(lambda s, ts: _set(ts[i], ("outcome",), "no_such_outcome"))
        others = [t.get("outcome") for j, t in enumerate(turns) if j != i and t.get("outcome")]
        if others:
            altered(lambda s, ts: _set(ts[i], ("outcome",), rng.choice(others)))
    altered(lambda s, ts: _set(s, ("now",), s["now"].replace(s["now"][8:10], "%02d" % (int(s["now"][8:10]) % 28 + 1), 1)))
    altered(lambda s, ts: _set(s, ("now",), "tomorrow"))
    altered(lambda s, ts: _set(s, ("limit",), "limit:turns"))
    altered(lambda s, ts: ts.reverse())
    altered(lambda s, ts: ts.append({"role": "system", "content": "x"}))
    return out


def _verdicts(world: Any) -> list[list[str]]:
    composer = SessionComposer(world, seed=0)
    rng = random.Random(7)
    verdicts = []
    for flow in sorted(composer.flows):
        for index in range(SESSIONS):
            session = composer.compose(flow, index)
            for s in _alterations(session, rng):
                try:
                    verdicts.append(composer.verify(s, shaped=True))
                except Exception as exc:  # noqa: BLE001 - an alteration verification raises on is pinned too
                    verdicts.append([f"raised {type(exc).__name__}"])
            verdicts.append(composer.verify(copy.deepcopy(session)))  # unshaped: the Session model checks it
    return verdicts


def test_session_verdicts_on_good_and_altered_sessions_are_pinned(world):
    verdicts = _verdicts(world)
    digest = hashlib.sha256(json.dumps(verdicts, ensure_ascii=False).encode()).hexdigest()
    reasons = Counter(k for v in verdicts for k in {reason_key(r).split(":")[0] for r in v})
    if os.environ.get("TWINCHAT_VERDICTS") == "print":
        print(f"\nDIGEST = {digest!r}\nVERDICTS = {len(verdicts)}\nREASONS = {dict(sorted(reasons.items()))!r}")
    passed = sum(not v for v in verdicts)
    assert passed > 200 and len(verdicts) - passed > 2000
    assert (len(verdicts), dict(sorted(reasons.items()))) == (VERDICTS, REASONS)
    assert digest == DIGEST


def test_a_user_turn_is_checked_as_the_sample_it_makes(world):
    """``Verifier.user_turn`` (what session verification calls) gives the reasons ``Verifier`` gives the
    sample made of the turn, on user turns as composed and altered (labels, texts, templates)."""
    from twinchat.composer.verify.samples import Verifier

    composer = SessionComposer(world, seed=0)
    rng = random.Random(3)
    checked = failed = 0
    for flow in sorted(composer.flows):
        for index in range(3):
            session = composer.compose(flow, index)
            for s in _alterations(session, rng):
                for turn in s["turns"]:
                    src = composer.units.get(turn.get("unit", "")) if turn.get("role") == "user" else None
                    if src is None:
                        continue
                    verifier = Verifier(src.unit, replies=False)
                    text, label = turn.get("content", ""), turn.get("label") or {}
                    sample = {"text": text, "label": label, "template": turn.get("template"), "now": s["now"],
                              "refs": turn.get("refs")}
                    try:
                        want = verifier(sample)
                    except ValueError:  # a clock that is not one
                        with pytest.raises(ValueError):
                            verifier.user_turn(text, label, turn.get("template"), s["now"], turn)
                        continue
                    assert verifier.user_turn(text, label, turn.get("template"), s["now"], turn) == want, turn
                    checked += 1
                    failed += bool(want)
    assert checked > 3000 and failed > 150
