"""find(): time phrases inside user sentences — offsets, longest match, and digits that are not times."""

from __future__ import annotations

from datetime import datetime

import pytest

from twinchat.composer.time.resolve import TimeSpan, TimeWindow, find

NOW = datetime(2026, 11, 20, 15, 0)  # a Friday afternoon


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _found(sentence: str, now: datetime = NOW) -> list[tuple[str, str, str]]:
    spans = find(sentence, now)
    for span in spans:
        assert sentence[span.start:span.end] == span.text
    return [(s.text, f"{s.window.start:%Y-%m-%d %H:%M:%S}", f"{s.window.end:%Y-%m-%d %H:%M:%S}") for s in spans]


FOUND = [
    ("A型号今晚能送到南山区吗?", [("今晚", "2026-11-20 18:00:00", "2026-11-20 23:59:59")]),
    ("我想约明天上午9点上门", [("明天上午9点", "2026-11-21 09:00:00", "2026-11-21 09:59:59")]),
    ("在11月25日之前能到吗", [("11月25日之前", "2026-11-20 15:00:00", "2026-11-25 23:59:59")]),
    ("麻烦周五前送到,谢谢", [("周五前", "2026-11-20 15:00:00", "2026-11-20 23:59:59")]),
    ("A型号的内存条可以今晚送到", [("今晚", "2026-11-20 18:00:00", "2026-11-20 23:59:59")]),
    ("后天下午2点前能到吗", [("后天下午2点前", "2026-11-20 15:00:00", "2026-11-22 14:00:00")]),
    ("下周五下午3点半以后有人在家", [("下周五下午3点半以后", "2026-11-27 15:30:00", "2026-11-27 23:59:59")]),
    ("３天内能发货吗", [("３天内", "2026-11-20 15:00:00", "2026-11-23 23:59:59")]),
    ("两小时后再打给我", [("两小时后", "2026-11-20 17:00:00", "2026-11-20 17:00:59")]),
    ("这周末或者下周一都可以", [("这周末", "2026-11-21 00:00:00", "2026-11-22 23:59:59"),
                          ("下周一", "2026-11-23 00:00:00", "2026-11-23 23:59:59")]),
    ("今天后天都行", [("今天", "2026-11-20 15:00:00", "2026-11-20 23:59:59"),
                ("后天", "2026-11-22 00:00:00", "2026-11-22 23:59:59")]),
    ("下午2点到4点上门", [("下午2点到4点", "2026-11-20 15:00:00", "2026-11-20 16:00:00")]),
    ("25号能到吗", [("25号", "2026-11-25 00:00:00", "2026-11-25 23:59:59")]),
    ("12月1号下午送到3号楼1203室", [("12月1号下午", "2026-12-01 13:00:00", "2026-12-01 17:59:59")]),
    ("六点前能送到吗", [("六点前", "2026-11-20 15:00:00", "2026-11-20 18:00:00")]),
    ("两点前能送到吗", []),   # 14:00 has passed at 15:00: left out, not moved to tomorrow
    ("5点前能送到吗", [("5点前", "2026-11-20 15:00:00", "2026-11-20 17:00:00")]),
    ("3点到货吗", [("3点", "2026-11-20 15:00:00", "2026-11-20 15:59:59")]),
    ("明天晚点到也行", [("明天", "2026-11-21 00:00:00", "2026-11-21 23:59:59")]),
    ("明天早一点送", [("明天", "2026-11-21 00:00:00", "2026-11-21 23:59:59")]),
    ("晚上好,明天能到吗", [("明天", "2026-11-21 00:00:00", "2026-11-21 23:59:59")]),
    ("昨天下的单,今天能到吗", [("今天", "2026-11-20 15:00:00", "2026-11-20 23:59:59")]),
    ("周五以后再说,月底前一定要到", [("月底前", "2026-11-20 15:00:00", "2026-11-30 23:59:59")]),
    ("我的号码是13800138000,明早8点半前打给我", [("明早8点半前", "2026-11-20 15:00:00", "2026-11-21 08:30:00")]),
    ("DDR5 5600 16GB的内存条下周末能到吗", [("下周末", "2026-11-28 00:00:00", "2026-11-29 23:59:59")]),
]


@pytest.mark.parametrize(("sentence", "expected"), FOUND, ids=[s for s, _ in FOUND])
def test_phrases_in_sentences(sentence: str, expected: list[tuple[str, str, str]]) -> None:
    assert _found(sentence) == expected


def test_offsets_point_into_the_sentence_as_given() -> None:
    sentence = "你好,A型号３天内能送到吗？"
    [span] = find(sentence, NOW)
    assert (span.start, span.end, span.text) == (6, 9, "３天内")
    assert span.window == TimeWindow(NOW, _t("2026-11-23 23:59:59"))


def test_the_longest_phrase_is_one_span() -> None:
    [span] = find("后天下午2点前", NOW)
    assert (span.start, span.end) == (0, 7)
    [span] = find("我想约下个礼拜三上午十点半", NOW)
    assert span.text == "下个礼拜三上午十点半"
    assert span.window == TimeWindow(_t("2026-11-25 10:30:00"), _t("2026-11-25 10:30:59"))


NOT_TIMES = [
    "我的电话是13800138000",
    "DDR5 5600 的内存条",
    "16GB够用吗",
    "送到3号楼",
    "地址是1203室",
    "A型号还有货吗",
    "5号线地铁站附近",
    "三日游套餐",
    "麻烦快一点送到",
    "我有两点要求",
    "请点击链接",
    "第3点我不同意",
    "每周五都可以",
    "7天无理由退货",
    "早上好",
    "我的内存不够",
    "型号是X1 Carbon 2024款",
    "价格是3999元",
]


@pytest.mark.parametrize("sentence", NOT_TIMES)
def test_digits_and_words_that_are_not_times(sentence: str) -> None:
    assert find(sentence, NOW) == []


def test_a_sentence_without_time_gives_nothing_and_a_past_phrase_is_left_out_whole() -> None:
    assert find("这款内存条兼容吗", NOW) == []
    assert find("上周五下的单", NOW) == []


@pytest.fixture(scope="module")
def corpus(composer) -> list[str]:
    """Sentences to hold find against its definition: the test files' sentences, every user
    sentence the flows compose, splices of them and random strings of the characters phrases
    (and numbers) are made of."""
    import random
    import re
    from pathlib import Path

    import twinchat.composer.time.pattern as pattern

    texts = {lit for f in Path(__file__).parent.glob("test_time*.py")
             for lit in re.findall(r"\"([^\"\n]{1,60})\"", f.read_text(encoding="utf-8"))}
    texts |= {t["content"] for flow in sorted(composer.flows) for i in range(40)
              for t in composer.compose(flow, i)["turns"] if t["role"] == "user"}
    rng, base = random.Random(0), sorted(texts)
    texts |= {a[:rng.randrange(len(a) + 1)] + b[rng.randrange(len(b) + 1):]
              for a, b in (rng.sample(base, 2) for _ in range(5000))}
    letters = sorted(set("".join(base)) & set(pattern.PHRASE.pattern) | set("0123456789:-~每第个"))
    texts |= {"".join(rng.choices(letters, k=rng.randrange(1, 12))) for _ in range(20000)}
    assert len(texts) > 20000
    return sorted(texts)


def test_the_core_lookahead_finds_what_the_pattern_without_it_finds(corpus):
    """PHRASE refuses a position at once unless a day, part of day, clock or work-day word starts
    there, never starts inside a number (after a digit, at a digit), and tries a period or a
    quantity only at a character one can start with; without those lookaheads it finds the same
    phrases in every sentence of the corpus."""
    import re

    import twinchat.composer.time.pattern as pattern

    def phrases(rx: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], dict]]:
        return [(m.span(), m.groupdict()) for m in rx.finditer(text) if m.end() > m.start() and pattern.has_core(m)]

    without = re.compile(f"{pattern._FIRST}(?:{pattern._PERIOD}|{pattern._QTY}|{pattern._CORE})")
    assert sum(bool(phrases(pattern.PHRASE, t)) for t in corpus) > 1000
    assert [t for t in corpus if phrases(pattern.PHRASE, t) != phrases(without, t)] == []


def _find_by_definition(sentence: str, now: datetime, appointment: bool) -> list:
    """find() without its remembered windows: every phrase interpreted where it is found."""
    from twinchat.composer.time import grammar, pattern

    spans = []
    for match in grammar.PHRASE.finditer(sentence.translate(pattern.FULLWIDTH)):
        if match.end() == match.start() or not grammar.has_core(match):
            continue
        first, hedge = match.start(), None
        if first and sentence[first - 1] in pattern.HEDGE_LAST:
            hedge = pattern.HEDGE_BEFORE.search(sentence, max(0, first - 4), first)
        try:
            window = grammar.interpret(match, now, in_sentence=True, appointment=appointment,
                                       hedge=hedge and hedge["word"])
        except (grammar.Unresolvable, grammar.WhollyPast, grammar.Begun):
            continue
        first = first if hedge is None else hedge.start()
        spans.append(TimeSpan(first, match.end(), sentence[first:match.end()], TimeWindow(*window)))
    return spans


def test_find_remembers_windows_that_its_definition_gives(corpus, monkeypatch):
    """find remembers the window of each phrase at the clock it is asked at, by its groups, the hedge
    and whether it is an appointment: over the corpus, at clocks from early morning to late night,
    asked clock by clock, again (from the memo), and in a shuffled order (a new clock at almost every
    sentence), with a memo small enough to be emptied many times, it gives what interpreting every
    phrase gives."""
    import importlib
    import random

    resolve = importlib.import_module("twinchat.composer.time.resolve")  # the module, not its function
    monkeypatch.setattr(resolve, "_KEEP", 500)
    rng = random.Random(1)
    texts = rng.sample(corpus, 3000)
    clocks = [datetime(2026, 11, 20, 5, 30), NOW, datetime(2026, 11, 22, 21, 45, 10), datetime(2026, 12, 31, 23, 0)]
    asked = [(t, now, appointment) for now in clocks for appointment in (False, True) for t in texts]
    found = kept = 0
    for text, now, appointment in asked + asked + rng.sample(asked, len(asked)):
        want = _find_by_definition(text, now, appointment)
        assert find(text, now, appointment=appointment) == want, (text, now, appointment)
        assert len(resolve._WINDOWS) <= 500
        found += bool(want)
        kept = max(kept, len(resolve._WINDOWS))
    assert found > 3000 and kept == 500


def test_names_says_whether_a_window_found_starts_or_ends_at_the_moment(corpus):
    """names(sentence, now, moment) stops at the first phrase naming the moment: over the corpus, for
    the start and end of every window found, a moment no window has, and moments of a phrase later
    in a sentence than another phrase, it says what looking through every window find gives says."""
    import random

    from twinchat.composer.time.resolve import names

    rng = random.Random(2)
    texts = rng.sample(corpus, 4000)
    clocks = [datetime(2026, 11, 20, 5, 30), NOW, datetime(2026, 12, 31, 23, 0)]
    said = 0
    for now in clocks:
        for appointment in (False, True):
            for text in texts:
                found = [span.window for span in find(text, now, appointment=appointment)]
                moments = {w.start for w in found} | {w.end for w in found} | {datetime(2027, 3, 1, 9, 0)}
                for moment in moments:
                    want = any(w.start == moment or w.end == moment for w in found)
                    assert names(text, now, moment, appointment=appointment) is want, (text, now, moment)
                    said += want
    assert said > 3000
    several = [t for t in texts if len(find(t, NOW)) > 1]
    assert several and all(names(t, NOW, find(t, NOW)[-1].window.end) for t in several)


def test_the_fast_checks_of_find_agree_with_their_definitions() -> None:
    """find translates a sentence only when it holds a full-width character, and has_core (core_in, of
    a match's groups) reads the core groups in one call: they agree with their plain definitions."""
    import random

    import twinchat.composer.time.pattern as pattern

    assert [c for c in map(chr, range(0x3000, 0x10000)) if bool(pattern.HAS_FULLWIDTH.search(c))
            != (ord(c) in pattern.FULLWIDTH)] == []
    assert all(not pattern.HAS_FULLWIDTH.search(chr(c)) for c in range(0x3000))
    rng = random.Random(3)
    letters = "今明后天周五六下个礼拜上午晚中点半3０２:前内后月号年底末小时分钟两一十的送到吗"
    import re

    without = re.compile(f"{pattern._FIRST}(?:{pattern._PERIOD}|{pattern._QTY}|{pattern._CORE})")  # matches 前 too
    matches = [m for _ in range(5000) for m in without.finditer("".join(rng.choices(letters, k=10)))]
    plain = [any(m.group(name) is not None for name in pattern._CORE_GROUPS) for m in matches]
    assert [pattern.has_core(m) for m in matches] == plain == [pattern.core_in(m.groups()) for m in matches]
    assert sum(plain) > 1000 and not all(plain)


def test_the_compiled_pattern_finds_what_the_pattern_as_written_finds(corpus, world_path):
    """PHRASE is the pattern as written (SOURCE) with each optional group made a branch with an
    empty alternative: over the corpus, every phrase of the time pool at clocks through a day (alone
    and inside a sentence), and sentences of every built-in unit, it finds the same phrases with
    the same groups, and matches a phrase whole exactly where the written pattern does."""
    import re

    import twinchat.composer.time.pattern as pattern
    from twinchat.composer.engine.generate import UnitGenerator
    from twinchat.composer.errors import ComposerError
    from twinchat.composer.time.pool import phrases
    from twinchat.inventory import open_world
    from twinchat.units.loader import load_units

    written = re.compile(pattern.SOURCE)
    assert pattern.SOURCE.count(")?") > 20 and ")?" not in pattern.PHRASE.pattern
    assert pattern.PHRASE.pattern != pattern.SOURCE and pattern.PHRASE.groupindex == written.groupindex

    def found(rx: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], tuple]]:
        return [(m.span(), m.groups()) for m in rx.finditer(text)]

    clocks = [datetime(2026, 11, 20, 5, 30), NOW, datetime(2026, 11, 22, 21, 45), datetime(2026, 12, 31, 23, 0)]
    pool = sorted({p.text for now in clocks for p in phrases(now)})
    units = load_units()
    rendered: set[str] = set()
    conn = open_world(world_path)
    try:
        for uid in sorted(units):
            try:  # a unit that reads a session's context says its sentences in the corpus's sessions
                gen = UnitGenerator(units[uid], conn, seed=0)
                rendered |= {gen.sample(i).text for i in range(30)}
            except ComposerError:
                continue
    finally:
        conn.close()
    texts = [*corpus, *pool, *(f"麻烦{p}打13800138000给我" for p in pool), *sorted(rendered)]
    assert len(pool) > 500 and len(rendered) > 300
    assert [t for t in texts if found(pattern.PHRASE, t) != found(written, t)] == []
    whole = [bool(pattern.PHRASE.fullmatch(p)) for p in pool]
    assert whole == [bool(written.fullmatch(p)) for p in pool] and sum(whole) > 500
    assert sum(any(m.end() > m.start() for m in pattern.PHRASE.finditer(t)) for t in texts) > 5000

