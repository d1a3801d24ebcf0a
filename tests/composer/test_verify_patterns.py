"""The patterns verification scans replies and user text with, written for speed, match exactly what
their plain forms match (checked on random strings over the characters that matter)."""

from __future__ import annotations

import random
import re

import pytest

from twinchat.composer.engine import references
from twinchat.composer.verify import crossturn, sessions
from twinchat.composer.verify.stamps import _STAMP, stamp_problem

#: the plain forms: a reply's facts (codes and numbers), and a pronoun for one remembered item
FACT = re.compile(r"[A-Za-z][A-Za-z0-9\-]*\d[A-Za-z0-9\-]*|\d+")
CLOCK = re.compile(r"[0-9]{1,2}:[0-9]{2}|[0-9一二三四五六七八九十]{1,3}点")
PRONOUN = re.compile(r"(?<![哪那])(?:它|这款|这个)|这单|这一单|这笔订单|刚才那个|刚才那单")
STAMP = re.compile(r"(?<![0-9])(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}:[0-9]{2}:[0-9]{2})(?![0-9])")


def _strings(alphabet: list[str], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12))) for _ in range(n)]


def test_the_fact_pattern_finds_what_the_plain_one_finds():
    # ASCII letters and digits, a dash, other digits (full-width, Arabic-Indic), Chinese, punctuation
    texts = _strings(list("aZk09-5 ：:,元１٣"), 40_000, 1)
    texts += ["型号KF556S40IB-16,单号TK20261202326142,149元", "DDR5-4800 第3款 ３天", "-9a", "a-b-1-"]
    for text in texts:
        assert sessions._FACT.findall(text) == FACT.findall(text), text


def test_facts_looked_for_run_by_run_are_those_not_in_the_result():
    # a run held by the result holds its facts; the others are scanned as the whole text would be
    rng = random.Random(5)
    texts = _strings(list("aZk09-5 ：:,元１٣"), 40_000, 6)
    texts += ["型号KF556S40IB-16,单号TK20261202326142,149元", "DDR5 4800 8G(149元)", "-9a", "a -b1-", "x 12 "]
    for text in texts:
        result = rng.choice(["null", "DDR5 4800", '{"a":"k0-5 a9","n":149}', text[2:7], "0 5"])
        want = [fact for fact in FACT.findall(text) if fact not in result]
        assert list(sessions._unsourced(text, result)) == want, (text, result)


def test_the_pronoun_pattern_finds_what_the_plain_one_finds():
    for text in _strings(["它", "这", "款", "个", "哪", "那", "单", "一", "笔", "订", "刚", "才", "的"], 40_000, 2):
        a, b = references._PRONOUN.search(text), PRONOUN.search(text)
        assert (a and (a.span(), a[0])) == (b and (b.span(), b[0])), text


def test_the_clock_pattern_finds_what_the_plain_one_finds():
    for text in _strings(list("1290:点三十a "), 40_000, 4) + ["明天18:00送到", "今晚8点半", "十二点", "1:5点"]:
        a, b = crossturn._CLOCK.search(text), CLOCK.search(text)
        assert (a and (a.span(), a[0])) == (b and (b.span(), b[0])), text


def test_the_stamp_pattern_finds_what_the_plain_one_finds():
    texts = _strings(list("20-:1 日到"), 40_000, 7) + _strings(list("2026-12:03 5"), 40_000, 8)
    texts += ["2026-12-03 23:59:59", "12026-1-3", "1:02:03", "123:45:67", "09:00-11:00", "单号TK20261209689369"]
    for text in texts:
        a, b = _STAMP.search(text), STAMP.search(text)
        assert (a and (a.span(), a[0])) == (b and (b.span(), b[0])), text


def test_a_reply_without_a_dash_or_two_colons_has_no_stamp():
    for text in _strings(list("20-:1 日到"), 40_000, 3):
        found = _STAMP.search(text)
        assert stamp_problem(text) == (None if found is None else f"reply_stamp:{found[0]}"), text


@pytest.mark.parametrize("reply, reason", [
    ("18:00:00送达", "reply_stamp:18:00:00"), ("2026-1-3到", "reply_stamp:2026-1-3"), ("18:00送达", None),
    ("DDR5-4800", None), ("12:30和13:45", None), ("1:02:03", "reply_stamp:1:02:03")])
def test_stamps_are_found_on_either_side_of_the_shortcut(reply, reason):
    assert stamp_problem(reply) == reason


def test_every_status_word_holds_one_of_the_texts_a_reply_is_first_tested_for():
    """A reply is searched for the status words only when it holds 待, 运输中 or 已."""
    assert all(w.startswith(("待", "运输中", "已")) for w in sessions._STATUS_WORDS)
