"""names() and the windows find gives: searched from a resynchronising point, and plans kept across clocks.

The sentences are this file's own (outside the ``test_time*`` files whose literals the corpus of
``test_timeexpr_find`` reads): the user sentences the flows compose, splices of them, sentences of
filler and time phrases, and random strings of the characters phrases are made of.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from twinchat.composer.time.resolve import TimeWindow

NOW = datetime(2026, 11, 20, 15, 0)  # a Friday afternoon


@pytest.fixture(scope="module")
def corpus(composer) -> list[str]:
    import random

    import twinchat.composer.time.pattern as pattern

    said = {t["content"] for flow in sorted(composer.flows) for i in range(40)
            for t in composer.compose(flow, i)["turns"] if t["role"] == "user"}
    rng, base = random.Random(0), sorted(said)
    texts = set(base) | {a[:rng.randrange(len(a) + 1)] + b[rng.randrange(len(b) + 1):]
                         for a, b in (rng.sample(base, 2) for _ in range(3000))}
    letters = sorted(set("".join(base)) & set(pattern.PHRASE.pattern) | set("0123456789:-~每第个"))
    texts |= {"".join(rng.choices(letters, k=rng.randrange(1, 12))) for _ in range(5000)}
    return sorted(texts)


def _consumed(pattern: str) -> frozenset[str]:
    """The characters ``pattern`` consumes outside lookarounds (its literals and classes), read from
    the parsed pattern; it fails on a form that may consume any character (., a category, [^…])."""
    try:
        from re import _constants as sre, _parser  # type: ignore[attr-defined]
    except ImportError:  # Python 3.10
        import sre_constants as sre  # type: ignore[no-redef]
        import sre_parse as _parser  # type: ignore[no-redef]

    chars: set[int] = set()
    todo = list(_parser.parse(pattern))
    while todo:
        op, av = todo.pop()
        if op in (sre.ASSERT, sre.ASSERT_NOT, sre.AT, sre.GROUPREF):
            continue  # consumes nothing, or again what its group consumed
        if op is sre.LITERAL:
            chars.add(av)
        elif op is sre.IN:
            assert all(o in (sre.LITERAL, sre.RANGE) for o, _ in av), av
            for o, a in av:
                chars.update((a,) if o is sre.LITERAL else range(a[0], a[1] + 1))
        elif op is sre.SUBPATTERN:
            todo.extend(av[3])
        elif op is sre.BRANCH:
            todo.extend(item for branch in av[1] for item in branch)
        else:
            assert op in (sre.MAX_REPEAT, sre.MIN_REPEAT), op
            todo.extend(av[2])
    return frozenset(map(chr, chars))


def test_names_searches_from_the_last_anchors_run_and_says_what_every_phrase_says(corpus):
    """names looks first at the phrases from the start of the run of phrase characters holding the
    sentence's last anchor (_resync), then at those before: no phrase holds a character outside
    PHRASE_CHARS (what the pattern consumes), and over sentences whose phrase comes before, after or inside an anchor's run
    (and with moments no phrase names) it answers what looking through every window answers."""
    import importlib
    import random

    resolve = importlib.import_module("twinchat.composer.time.resolve")
    from twinchat.composer.time.pattern import PHRASE, PHRASE_CHARS

    chars = _consumed(PHRASE.pattern)
    assert chars == PHRASE_CHARS, f"PHRASE_CHARS should be {''.join(sorted(chars))!r}"
    assert {"点", "时", ":", "9", "星", "期", "午"} <= chars and not {"能", "看", ",", "，", " ", "您"} & chars
    assert all(set(m[0]) <= chars for t in corpus for m in PHRASE.finditer(t))
    assert resolve._resync("您看星期一上午9:00能不能派师傅来") == 2
    assert resolve._resync("然后明天上午9点来吧") == 1  # 后 may begin a phrase: the run starts with it
    assert resolve._resync("您好,电话13800138000") == 0  # no anchor: the whole sentence is searched

    rng = random.Random(5)
    fillers = ["您好", "顺便聊天", "电话13800138000", "地址是南山区科技园3号", "一点小问题", "快一点", "能不能"]
    phrases = ["明天上午9点", "周五下午3点半前", "两小时后", "后天", "11月25日之前", "今晚8点", "下周一"]
    clocks = [NOW, datetime(2026, 11, 22, 21, 45)]
    texts = [*rng.sample(corpus, 1500),
             *("".join(rng.sample([*rng.sample(fillers, 3), *rng.sample(phrases, 2)], 5)) for _ in range(1500))]
    cut = said = 0
    for text in texts:
        cut += resolve._resync(text) > 0
        for now in clocks:
            found = resolve.windows(text, now)
            for moment in {w.start for w in found} | {w.end for w in found} | {datetime(2027, 3, 1, 9, 0)}:
                want = any(w.start == moment or w.end == moment for w in found)
                assert resolve.names(text, now, moment) is want, (text, now, moment)
                said += want
    assert cut > 1500 and said > 3000


def test_plans_kept_across_clocks_give_the_windows_of_a_fresh_interpretation(corpus):
    """A phrase's plan is kept by its groups and day, across clocks: over the corpus and the time
    pool's phrases in sentences, at clocks through two days (small hours, every part of the day, the
    last minute), with and without an appointment, the windows found with the kept plans are those
    found with every plan worked out afresh, and kept plans are used."""
    import importlib
    import random

    resolve = importlib.import_module("twinchat.composer.time.resolve")
    from twinchat.composer.time.pool import phrases

    def fresh(text: str, now: datetime, appointment: bool) -> list[TimeWindow]:
        resolve._PLANS.clear()
        resolve._CLOCK[0] = None
        return resolve.windows(text, now, appointment=appointment)

    rng = random.Random(7)
    clocks = [datetime(2026, 11, 20, h, m) for h in (0, 3, 5, 6, 9, 12, 14, 17, 19, 22, 23) for m in (0, 29, 59)]
    clocks += [datetime(2026, 11, 21, h, 13) for h in (1, 8, 15, 21)]
    pool = sorted({p.text for now in clocks[::6] for p in phrases(now)})
    texts = [*rng.sample(corpus, 300), *(f"麻烦{p}上门,电话13800138000" for p in rng.sample(pool, 300))]
    want = {(t, now, a): fresh(t, now, a) for t in texts for now in clocks[::3] for a in (False, True)}
    resolve._PLANS.clear()
    kept = 0
    for (text, now, appointment), windows in want.items():
        before = len(resolve._PLANS)
        assert resolve.windows(text, now, appointment=appointment) == windows, (text, now, appointment)
        kept += len(resolve._PLANS) == before and bool(windows)
    assert kept > 1000 and sum(map(bool, want.values())) > 3000


def test_a_ticket_samples_time_fails_exactly_when_no_window_found_names_its_value(world_path):
    """Verification's time check over ticket_create_call samples, as drawn (passing) and with the
    visit time moved (by a minute, an hour, a day), the phrase moved to the front, or the clock moved:
    the sample fails for its serve_time exactly when no window found in the text starts or ends at it."""
    from datetime import timedelta

    from twinchat.composer.engine.generate import UnitGenerator
    from twinchat.composer.store.snapshot import world_snapshot
    from twinchat.composer.time.resolve import windows
    from twinchat.composer.verify.samples import Verifier
    from twinchat.units.loader import load_units

    src = load_units()["ticket_create_call"]
    conn = world_snapshot(world_path)
    try:
        gen = UnitGenerator(src, conn, seed=0)
        verify = Verifier(src.unit)  # the label checks only: the tool call is another test's
        failed = passed = 0
        for i in range(200):
            record = gen.sample(i).to_json()
            assert verify(record) == []
            value = datetime.fromisoformat(record["label"]["serve_time"])
            now = datetime.fromisoformat(record["now"])
            assert any(value in (w.start, w.end) for w in windows(record["text"], now))
            for moved in (timedelta(0), timedelta(minutes=1), timedelta(hours=-1), timedelta(days=1)):
                for text in (record["text"], record["text"][-12:] + record["text"][:-12]):
                    for clock in (now, now + timedelta(hours=5)):
                        sample = {**record, "text": text, "now": f"{clock:%Y-%m-%d %H:%M:%S}",
                                  "label": {**record["label"], "serve_time": f"{value + moved:%Y-%m-%d %H:%M:%S}"}}
                        named = any(value + moved in (w.start, w.end) for w in windows(text, clock))
                        assert ("grounding:serve_time" not in verify(sample)) is named, sample
                        failed += not named
                        passed += named
        assert failed > 1000 and passed > 400
    finally:
        conn.close()
